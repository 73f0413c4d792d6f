"""CDR legs -> calls on what a real Asterisk 22 wrote (tests/fixtures/realpbx, recorded by
tests/integration/realpbx/world.py): every Master.csv layout gives exactly the driver's calls.

The recording holds two runs of the same scenarios with an Asterisk restart in between, so the
same Local channel names (``Local/101@ACME-00000000;1`` ...) name two different calls.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pandas as pd
import pytest

from mirtalib.cdr import load_legs
from mirtalib.cdr.calls import LOCAL_TOLERANCE_S, call_keys, to_calls

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tests" / "integration" / "realpbx"))

from cdrtruth import answered_union, compare, restart_crossers  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "realpbx"
TRUTH = json.loads((FIXTURES / "truth.json").read_text())
TZ = TRUTH["meta"]["timezone"]
# file, how CDR calls are matched to the driver's calls
LAYOUTS = [
    ("cdr-csv_Master.csv", "uniqueid"),  # cdr_csv, 18 columns: uniqueid, no linkedid
    ("cdr-custom_Master16.csv", "start"),  # 16 columns: no uniqueid
    ("cdr-custom_Master21.csv", "uniqueid"),  # 21 columns: linkedid
]


TIMES = re.compile(r'"\d{4}-\d\d-\d\d [\d:]{8}",(?P<answer>[^,]*),"\d{4}-\d\d-\d\d [\d:]{8}"')


def _lines(path: Path) -> int:
    return sum(1 for line in path.read_text().splitlines() if line.strip())


def test_fixture_is_two_runs_with_a_restart_reusing_local_names():
    calls = TRUTH["calls"]
    assert len(TRUTH["meta"]["restarts"]) == 1
    assert sorted({c["run"] for c in calls}) == [1, 2]
    names = [{ch for c in calls if c["run"] == run for ch in c["channels"]} for run in (1, 2)]
    assert len(names[0] & names[1]) >= 40  # the same Local channels in both runs


@pytest.mark.parametrize(("name", "by"), LAYOUTS)
def test_every_layout_gives_exactly_the_driver_calls(name, by):
    path = FIXTURES / "logs" / name
    load = load_legs(path)
    assert len(load.legs) + len(load.rejects) == _lines(path)
    assert load.rejects.empty, load.rejects.to_string()
    cmp = compare(load.legs, TRUTH["calls"], TZ, by)
    m = cmp.matched
    assert len(cmp.calls) == len(TRUTH["calls"]) == 24
    assert cmp.calls["answered"].sum() == sum(c["answered"] for c in TRUTH["calls"]) == 16
    assert (m["answered_cdr"] == m["answered"]).all(), m.to_string()
    off = (m["billable_cdr"] - m["billable"]).abs()
    assert (off <= 1.0).all(), m.assign(off=off).to_string()
    assert restart_crossers(cmp.legs, TRUTH["meta"]["restarts"]) == []
    union = answered_union(cmp.legs).reindex(cmp.calls["call_id"]).fillna(0).round()
    assert union.astype(int).tolist() == cmp.calls["billable"].tolist()


def test_layouts_agree_call_for_call():
    """The 18- and 16-column layouts (no linkedid) group the legs as the linkedid does."""
    frames = {}
    for name, _ in LAYOUTS:
        calls = to_calls(load_legs(FIXTURES / "logs" / name).legs, TZ)
        frames[name] = calls[["start", "end", "answered", "billable", "legs", "duration"]]
    order = ["start", "legs", "end", "answered", "billable", "duration"]
    ref = frames["cdr-custom_Master21.csv"].sort_values(order, ignore_index=True)
    for name, frame in frames.items():
        got = frame.sort_values(order, ignore_index=True)
        pd.testing.assert_frame_equal(got, ref, obj=name)


def test_what_real_asterisk_writes_for_unanswered_legs():
    """cdr_csv leaves the answer field bare and empty, cdr_custom's CSV_QUOTE writes ``""``;
    billsec is 0; dispositions NO ANSWER, BUSY and FAILED (queue members of a call that was not
    taken); one ANSWERED leg per run has billsec 0 (a half of the attended transfer)."""
    for name, empty in (("cdr-csv_Master.csv", ""), ("cdr-custom_Master16.csv", '""')):
        path = FIXTURES / "logs" / name
        raw = [TIMES.search(line)["answer"] for line in path.read_text().splitlines()]
        legs = load_legs(path).legs.sort_values("source_line")
        unanswered = legs["answer"].isna().to_numpy()
        assert {r for r, u in zip(raw, unanswered, strict=True) if u} == {empty}
        assert (legs.loc[unanswered, "billsec"] == 0).all()
        assert set(legs.loc[unanswered, "disposition"]) == {"NO ANSWER", "BUSY", "FAILED"}
        answered = legs[~unanswered]
        assert set(answered["disposition"]) == {"ANSWERED"}
        assert (answered["billsec"] == 0).sum() == 2  # one per run


# ---- the restart merge, by hand --------------------------------------------------------------
def _leg(day: int, sec: int, dur: int, uid: str, channel: str, dstchannel: str = "", bill=0):
    start = pd.Timestamp(2026, 11, day, 9, 0, 0) + pd.Timedelta(seconds=sec)
    return {
        "start": start,
        "answer": start + pd.Timedelta(seconds=dur - bill) if bill else None,
        "end": start + pd.Timedelta(seconds=dur),
        "duration": dur,
        "billsec": bill,
        "disposition": "ANSWERED" if bill else "NO ANSWER",
        "accountcode": "ACME",
        "channel": channel,
        "dstchannel": dstchannel,
        "uniqueid": uid,
    }


def _restart_legs(make_legs_frame, second_day: int, second_sec: int = 0) -> pd.DataFrame:
    """The same call shape before and after a restart: identical Local channel names."""
    rows = []
    for day, sec, epoch in ((2, 0, 1793610000), (second_day, second_sec, 1795000000)):
        rows += [
            _leg(day, sec, 10, f"srv01-{epoch}.0", "Local/101@ACME-00000000;1", bill=8),
            _leg(
                day, sec, 10, f"srv01-{epoch}.1", "Local/101@ACME-00000000;2",
                "Local/101-ACME@phones-00000001;1", bill=8,
            ),
            _leg(day, sec, 10, f"srv01-{epoch}.3", "Local/101-ACME@phones-00000001;2", bill=8),
        ]  # fmt: skip
    return make_legs_frame(rows)


@pytest.fixture
def legs_frame():
    from mirtalib.cdr.legs import normalize

    return lambda rows: normalize(pd.DataFrame(rows))


@pytest.mark.parametrize("uniqueids", [True, False], ids=["18-columns", "16-columns"])
def test_same_local_names_weeks_apart_are_two_calls(legs_frame, uniqueids):
    legs = _restart_legs(legs_frame, second_day=20)
    if not uniqueids:
        legs["uniqueid"] = ""
    calls = to_calls(legs, "Europe/Rome")
    assert calls["legs"].tolist() == [3, 3]
    assert calls["billable"].tolist() == [8, 8]
    assert calls["duration"].tolist() == [10, 10]
    assert call_keys(legs).nunique() == 2


def test_same_local_names_just_after_the_gap_tolerance(legs_frame):
    # the second call starts 3 s after the first ended (10 s long): beyond the 2 s slack
    gap = 10 + LOCAL_TOLERANCE_S + 1
    legs = _restart_legs(legs_frame, second_day=2, second_sec=int(gap))
    assert call_keys(legs).nunique() == 2
    # within the slack (touching intervals, whole-second times) the legs stay one call
    legs = _restart_legs(legs_frame, second_day=2, second_sec=10 + int(LOCAL_TOLERANCE_S))
    assert call_keys(legs).nunique() == 1


def test_local_chain_of_consecutive_legs_stays_one_call(legs_frame):
    """A transfer: the Local channel's legs follow one another (each starts as one ends)."""
    rows = [
        _leg(3, 0, 20, "", "Local/108@DEVEL-00000015;1", bill=19),
        _leg(3, 0, 3, "", "Local/108@DEVEL-00000015;2", "Local/108-DEVEL@phones-00000016;1", 2),
        _leg(3, 3, 17, "", "Local/108@DEVEL-00000015;2", "Local/109-DEVEL@phones-00000018;1", 16),
        _leg(3, 3, 17, "", "Local/109-DEVEL@phones-00000018;2", bill=15),
        _leg(3, 0, 3, "", "Local/108-DEVEL@phones-00000016;2", bill=2),
    ]
    legs = legs_frame(rows)
    calls = to_calls(legs, "UTC")
    assert calls["legs"].tolist() == [5]
    assert calls["billable"].tolist() == [19]
