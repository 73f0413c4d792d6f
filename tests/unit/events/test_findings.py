"""Each finding on a hand-made day, with thresholds small enough to check by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from mirtalib.errors import ParameterError
from mirtalib.events.calls import extension_activity
from mirtalib.events.findings import KINDS, find_all
from mirtalib.events.focus import focus
from mirtalib.events.timeline import build_timeline

D = "2026-10-05 "
UNTIL = D + "14:00"


@pytest.fixture
def day(make_ev, make_legs):
    flaps = [
        (f"{D}13:00:{5 * i:02d}", "105-DEVEL", "INUSE" if i % 2 == 0 else "NOT_INUSE")
        for i in range(10)
    ]
    events = make_ev(
        [
            (D + "09:00", "104-DEVEL", "NOT_INUSE"),
            (D + "09:30", "107-DEVEL", "NOT_INUSE", "srv02"),  # registered on srv02
            (D + "10:00", "100-DEVEL", "INUSE"),  # call 10:00-10:05, then stuck until 12:00
            (D + "10:00", "103-DEVEL", "NOT_INUSE"),
            (D + "10:00", "106-DEVEL", "NOT_INUSE"),
            (D + "10:10", "103-DEVEL", "INUSE"),  # a normal call 10:10-10:20
            (D + "10:20", "103-DEVEL", "NOT_INUSE"),
            (D + "10:30", "106-DEVEL", "INUSE"),
            (D + "10:32", "106-DEVEL", "NOT_INUSE", "srv02"),  # moved while on a call
            (D + "10:40", "103-DEVEL", "NOT_INUSE"),
            (D + "11:00", "102-DEVEL", "INUSE"),  # 3 minutes of INUSE without any call
            (D + "11:03", "102-DEVEL", "NOT_INUSE"),
            (D + "12:00", "100-DEVEL", "NOT_INUSE"),
            *flaps,
        ]
    )
    legs = make_legs(
        [
            (D + "10:00", D + "10:00:10", D + "10:05", "SIP/100-DEVEL-00000001", "SIP/gw-00000002"),
            (
                D + "10:10",
                D + "10:10:05",
                D + "10:20",
                "SIP/trunk-00000003",
                "SIP/103-DEVEL-00000004",
            ),
            (D + "10:30", D + "10:30", D + "10:40", "SIP/gw-00000005", "PJSIP/104-DEVEL-00000006"),
            (D + "10:30", D + "10:30", D + "10:35", "SIP/106-DEVEL-00000007", "SIP/gw-00000008"),
            (
                D + "12:00",
                D + "12:00",
                D + "12:02",
                "SIP/107-DEVEL-00000009",
                "SIP/gw-0000000a",
                "srv02-1790000000.99",
            ),
        ]
    )
    tl = build_timeline(events, until=UNTIL)
    return events, tl, extension_activity(legs)


def run(day, **kw):
    events, tl, act = day
    params = {
        "until": UNTIL,
        "slack_s": 600,
        "stuck_after_s": 4 * 3600,
        "min_s": 60,
        "flap_window_s": 120,
        "flap_changes": 8,
        "gap_s": 1800,
    }
    params.update(kw)
    return find_all(events, tl, act, **params)


def test_activity_roles(day):
    act = day[2]
    assert act[["extension", "role"]].values.tolist() == [
        ["100-DEVEL", "caller"],
        ["103-DEVEL", "callee"],
        ["104-DEVEL", "callee"],
        ["106-DEVEL", "caller"],
        ["107-DEVEL", "caller"],
    ]
    assert act["node"].tolist() == ["srv01", "srv01", "srv01", "srv01", "srv02"]


def test_one_finding_of_each_kind(day):
    f = run(day)
    assert f.table[["kind", "extension", "node"]].values.tolist() == [
        ["stuck", "100-DEVEL", "srv01"],
        ["inuse_without_call", "102-DEVEL", "srv01"],
        ["call_without_inuse", "104-DEVEL", "srv01"],
        ["flapping", "105-DEVEL", "srv01"],
        ["node_move", "106-DEVEL", "srv02"],
        ["log_gap", "", "srv02"],
    ]
    assert f.table["finding"].tolist() == [f"F00{i}" for i in range(1, 7)]
    assert f.summary()["findings"].tolist() == [1] * len(KINDS)


def test_stuck_detail_and_evidence(day):
    f = run(day)
    row = f.of_kind("stuck").iloc[0]
    assert row["duration_s"] == 7200.0
    assert "INUSE for 120 min; CDR calls cover 5 min" == row["detail"]
    events, calls = f.evidence("F001")
    assert events["state"].tolist() == ["INUSE", "NOT_INUSE"]
    assert calls["role"].tolist() == ["caller"]


def test_stuck_by_threshold_even_when_calls_explain(day):
    f = run(day, stuck_after_s=200, slack_s=100000)
    stuck = f.of_kind("stuck")
    # 100 (7200 s), 103 (600 s, fully explained by its call), 106 (120 s) is under 200 s
    assert stuck["extension"].tolist() == ["100-DEVEL", "103-DEVEL"]
    assert stuck["detail"].tolist()[1] == "INUSE for 10 min; CDR calls cover 10 min"


def test_inuse_without_call_respects_min_s(day):
    assert run(day, min_s=200).of_kind("inuse_without_call").empty


def test_flapping_counts_changes(day):
    row = run(day).of_kind("flapping").iloc[0]
    assert row["detail"] == "9 state changes in 40 s"
    assert run(day, flap_changes=10).of_kind("flapping").empty


def test_node_move_says_inuse_lost(day):
    row = run(day).of_kind("node_move").iloc[0]
    assert row["detail"] == (
        "srv01 -> srv02: last state on srv01 INUSE, first on srv02 NOT_INUSE; "
        "INUSE at the move (CDR call in progress)"
    )


def test_log_gap_only_when_calls_happened(day):
    gap = run(day).of_kind("log_gap").iloc[0]
    assert (gap["start"], gap["end"]) == (pd.Timestamp(D + "10:32"), pd.Timestamp(UNTIL))
    assert gap["detail"] == (
        "no event from srv02 for 208 min while the CDRs show 1 call legs of its 1 extensions"
    )
    _, calls = run(day).evidence(gap["finding"])
    assert calls["extension"].tolist() == ["107-DEVEL"]
    # 107-DEVEL talked at 12:00 while the log said NOT_INUSE: explained by the gap, not repeated
    assert "107-DEVEL" not in run(day).of_kind("call_without_inuse")["extension"].tolist()


def test_no_gap_without_calls_of_the_node(day):
    events, tl, act = day
    quiet = act[act["extension"] != "107-DEVEL"]
    assert find_all(events, tl, quiet, until=UNTIL, flap_changes=8).of_kind("log_gap").empty


def test_bad_thresholds_are_named(day):
    with pytest.raises(ParameterError, match="gap_s"):
        run(day, gap_s=0)
    with pytest.raises(ParameterError, match="flap_changes"):
        run(day, flap_changes=1)
    with pytest.raises(ParameterError, match="F999"):
        run(day).evidence("F999")


def test_focus_on_a_reported_moment(day):
    events, tl, act = day
    fx = focus(events, tl, act, "106-DEVEL", D + "10:33", before_s=600, after_s=300)
    assert fx.state["state"].tolist() == ["NOT_INUSE"]
    assert fx.events["node"].tolist() == ["srv01", "srv02"]
    assert fx.moves["node"].tolist() == ["srv02"]
    assert fx.calls["uniqueid"].tolist() == ["srv01-1790000000.3"]
    with pytest.raises(ParameterError, match="extension"):
        focus(events, tl, act, "bogus", D + "10:33")


def test_empty_period_gives_no_finding(make_ev, make_legs):
    events = make_ev([])
    act = extension_activity(
        make_legs([]).reindex(
            columns=[
                "start",
                "answer",
                "end",
                "channel",
                "dstchannel",
                "disposition",
                "uniqueid",
                "linkedid",
            ]
        )
    )
    f = find_all(events, build_timeline(events), act, until=UNTIL)
    assert f.table.empty
    assert f.summary()["findings"].sum() == 0
