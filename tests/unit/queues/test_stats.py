"""Every figure of mirtalib.queues.stats on a hand-computed set of calls."""

from __future__ import annotations

import pandas as pd
import pytest

from mirtalib.cdr import load_legs
from mirtalib.queues.stats import (
    CDR_ANSWERED_QUEUE_NOT,
    NOT_IN_CDR,
    QUEUE_ANSWERED_CDR_NOT,
    abandon_curve,
    cross_check,
    cross_counts,
    hourly_offered,
    p90,
    queue_stats,
    wait_histogram,
)


def make_calls(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["callid", "tenant", "queue", "enter", "outcome", "wait",
                                        "talk"])  # fmt: skip
    frame["enter"] = pd.to_datetime(frame["enter"])
    frame["answered"] = frame["outcome"].isin(["answered", "transferred"])
    frame["wait"] = pd.array(frame["wait"], dtype="Int64")
    frame["talk"] = pd.array(frame["talk"], dtype="Int64")
    frame["agent"] = ""
    return frame


CALLS = make_calls(
    [
        ("c1", "ACME", "q", "2026-10-01 09:10", "answered", 5, 100),
        ("c2", "ACME", "q", "2026-10-01 09:20", "answered", 15, 200),
        ("c3", "ACME", "q", "2026-10-01 09:30", "transferred", 25, 60),
        ("c4", "ACME", "q", "2026-10-01 09:40", "abandoned", 40, None),
        ("c5", "ACME", "q", "2026-10-01 10:00", "abandoned", 10, None),
        ("c6", "ACME", "q", "2026-10-01 10:10", "timeout", 60, None),
        ("c7", "ACME", "q", "2026-10-02 10:00", "exitempty", 0, None),
        ("c8", "ACME", "q", "2026-10-02 10:05", "exitkey", 3, None),
        ("c9", "ACME", "q", "2026-10-02 10:06", "unfinished", None, None),
        ("c10", "ACME", "q", "2026-10-02 11:00", "answered", 20, None),  # no end: talk unknown
    ]
)


def test_p90_is_the_nearest_rank():
    assert p90([5, 15, 25, 20]) == 25  # ceil(0.9 * 4) = 4th of 5, 15, 20, 25
    assert p90(range(1, 11)) == 9  # ceil(9.0) = 9th
    assert p90([7]) == 7
    assert pd.isna(p90([]))


def test_figures_per_queue():
    row = queue_stats(CALLS, ("tenant", "queue"), sl_seconds=15).iloc[0]
    assert row[["offered", "answered", "abandoned", "timeout", "exitempty", "exitkey",
                "other"]].tolist() == [10, 4, 2, 1, 1, 1, 1]  # fmt: skip
    assert row["abandon_wait_avg"] == 25.0  # (40 + 10) / 2
    assert row["service_level"] == 0.2  # 5 and 15 s of 10 offered
    assert row["wait_avg"] == 16.25  # (5 + 15 + 25 + 20) / 4
    assert row["wait_p90"] == 25.0
    assert row["longest_wait"] == 60.0  # the timed-out caller
    assert row["aht"] == 120.0  # (100 + 200 + 60) / 3: c10's talk is unknown


def test_figures_per_day_and_hour():
    by_day = queue_stats(CALLS, ("queue", "day"), 20).set_index("day")
    assert by_day["offered"].tolist() == [6, 4]
    assert by_day["answered"].tolist() == [3, 1]
    by_hour = queue_stats(CALLS, ("hour",), 20).set_index("hour")
    assert by_hour["offered"].to_dict() == {9: 4, 10: 5, 11: 1}
    assert by_hour.loc[10, "abandon_wait_avg"] == 10.0
    assert pd.isna(by_hour.loc[10, "wait_avg"])  # nobody answered at 10
    hourly = hourly_offered(CALLS)
    assert len(hourly) == 24 and hourly.loc[9, "answered"] == 3 and hourly.loc[0, "offered"] == 0


def test_wait_histogram_and_abandon_curve():
    hist = wait_histogram(CALLS, bin_s=20)
    assert hist.values.tolist() == [[0, 2, 3], [20, 2, 0], [40, 0, 1], [60, 0, 1]]
    curve = abandon_curve(CALLS)
    assert curve.values.tolist() == [[10, 1, 0.5], [40, 2, 1.0]]


def test_empty_calls_give_empty_tables():
    none = CALLS.iloc[0:0]
    assert queue_stats(none).empty and abandon_curve(none).empty and wait_histogram(none).empty
    assert hourly_offered(none)["offered"].sum() == 0


@pytest.fixture
def legs(tmp_path):
    """Master.csv (21 columns): call X answered for an announcement, Y never answered."""
    rows = [
        '"ACME","333","500","fromoutside","333","SIP/t-01","","Queue","q","2026-10-01 09:40:00",'
        '"2026-10-01 09:40:00","2026-10-01 09:41:00",60,60,"ANSWERED","DOCUMENTATION","c4","IN",'
        '"","c4",1',
        '"ACME","334","500","fromoutside","334","SIP/t-02","","Queue","q","2026-10-01 09:10:00",'
        ',"2026-10-01 09:12:00",120,0,"NO ANSWER","DOCUMENTATION","c1","IN","","c1",2',
        '"ACME","335","500","fromoutside","335","SIP/t-03","","Queue","q","2026-10-01 10:00:00",'
        ',"2026-10-01 10:00:10",10,0,"NO ANSWER","DOCUMENTATION","c5","IN","","c5",3',
    ]
    path = tmp_path / "Master.csv"
    path.write_text("\n".join(rows) + "\n")
    load = load_legs(path)
    assert load.rejects.empty
    return load.legs


def test_cross_check_names_each_disagreement(legs):
    calls = CALLS[CALLS["callid"].isin(["c1", "c4", "c5", "c2", "c9"])]
    out = cross_check(calls, legs, "Europe/Rome").set_index("callid")
    assert out["kind"].to_dict() == {
        "c1": QUEUE_ANSWERED_CDR_NOT,  # the queue log says answered, the CDR NO ANSWER
        "c2": NOT_IN_CDR,
        "c4": CDR_ANSWERED_QUEUE_NOT,  # abandoned in the queue, ANSWERED in the CDR
    }  # c5 agrees (both not answered); c9 is unfinished: not judged
    assert out.loc["c4", "cdr_disposition"] == "ANSWERED" and out.loc["c4", "cdr_billable"] == 60
    counts = cross_counts(calls, out.reset_index()).iloc[0]
    assert counts["queue_calls"] == 4 and counts[CDR_ANSWERED_QUEUE_NOT] == 1
