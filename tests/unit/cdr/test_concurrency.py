"""Concurrency: peaks at equal timestamps, zero-length calls, groups, distribution, DST."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mirtalib.cdr.calls import to_calls
from mirtalib.cdr.concurrency import concurrency, concurrency_series, level_steps, per_minute_max


def test_end_and_start_at_the_same_second_do_not_overlap():
    # [0,60) and [60,120): never two at once. [0,60) twice: two at once from 0.
    times, level = level_steps(np.array([0.0, 60.0]), np.array([60.0, 120.0]))
    assert list(times) == [0, 60, 120] and list(level) == [1, 1, 0]
    times, level = level_steps(np.array([0.0, 0.0]), np.array([60.0, 60.0]))
    assert list(times) == [0, 60] and list(level) == [2, 0]
    # zero-length calls (failed at once) occupy nothing
    times, level = level_steps(np.array([10.0, 10.0]), np.array([10.0, 20.0]))
    assert list(level) == [1, 0]


def test_per_minute_max_carries_levels_over_quiet_minutes():
    # one call from 30 s to 200 s; another from 190 s to 250 s (overlap 190..200 = minute 3)
    out = per_minute_max(np.array([30.0, 190.0]), np.array([200.0, 250.0]), (0.0, 300.0))
    assert list(out) == [1, 1, 1, 2, 1]


def test_peaks_per_tenant_node_trunk_and_overall(make_legs):
    legs = make_legs(
        [
            # ACME on srv01: three calls, two overlapping 09:01:00-09:02:00, via trunk voipco
            {
                "s": 0,
                "a": 1,
                "e": 120,
                "accountcode": "ACME",
                "linkedid": "1",
                "uniqueid": "srv01-1.1",
                "dstchannel": "PJSIP/voipco-00000001",
            },
            {
                "s": 60,
                "a": 61,
                "e": 180,
                "accountcode": "ACME",
                "linkedid": "2",
                "uniqueid": "srv01-2.1",
                "dstchannel": "PJSIP/voipco-00000002",
            },
            {
                "s": 180,
                "a": 181,
                "e": 240,
                "accountcode": "ACME",
                "linkedid": "3",
                "uniqueid": "srv01-3.1",
                "dstchannel": "PJSIP/voipco-00000003",
            },
            # DEVEL on srv02: one internal call 09:01:30-09:01:40 (no trunk)
            {
                "s": 90,
                "a": 91,
                "e": 100,
                "accountcode": "DEVEL",
                "linkedid": "4",
                "uniqueid": "srv02-4.1",
            },
        ]
    )
    calls = to_calls(legs)
    t = pd.Timestamp
    overall = concurrency(calls).iloc[0]
    assert overall["peak"] == 3 and overall["peak_at"] == t("2026-10-05 09:01:30")
    tenants = concurrency(calls, by="tenant").set_index("tenant")
    assert tenants.loc["ACME", "peak"] == 2
    assert tenants.loc["ACME", "peak_at"] == t("2026-10-05 09:01:00")  # 2nd call starts
    assert tenants.loc["DEVEL", "peak"] == 1
    nodes = concurrency(calls, by="node").set_index("node")
    assert list(nodes["peak"]) == [2, 1]
    trunks = concurrency(calls, by="trunk")
    assert list(trunks["trunk"]) == ["voipco"] and trunks["peak"][0] == 2
    # per-minute peaks over the four minutes 09:00..09:04: ACME 1, 2, 1(09:02), 1(09:03)
    acme = tenants.loc["ACME"]
    assert acme["p50"] == 1 and acme["max_per_minute_mean"] == 5 / 4
    period = (t("2026-10-05 09:00"), t("2026-10-05 09:10"))
    wide = concurrency(calls, by="tenant", period=period).set_index("tenant")
    # ten minutes [1, 2, 1, 1, 0, 0, 0, 0, 0, 0]: median 0, p95 (linear) 1 + 0.55 = 1.55
    assert wide.loc["ACME", "max_per_minute_mean"] == 5 / 10 and wide.loc["ACME", "p50"] == 0
    assert abs(wide.loc["ACME", "p95"] - 1.55) < 1e-9
    series = concurrency_series(calls, freq="1min")
    assert list(series) == [1, 3, 1, 1]


def test_calls_over_dst_fall_back_overlap_in_real_time():
    # 02:30 CEST (00:30 UTC) for 20 min and 02:35 CET (01:35 UTC) for 20 min: same wall-clock
    # hour, one hour apart in reality, so never concurrent; uniqueid epochs tell which 02:xx.
    legs = pd.DataFrame(
        {
            "start": [pd.Timestamp("2026-10-25 02:30"), pd.Timestamp("2026-10-25 02:35")],
            "answer": [pd.Timestamp("2026-10-25 02:30"), pd.Timestamp("2026-10-25 02:35")],
            "end": [pd.Timestamp("2026-10-25 02:50"), pd.Timestamp("2026-10-25 02:55")],
            "duration": [1200, 1200],
            "billsec": [1200, 1200],
            "disposition": ["ANSWERED"] * 2,
            "uniqueid": ["1792888200.1", "1792892100.2"],
            "linkedid": ["a", "b"],
        }
    )
    from mirtalib.cdr.legs import normalize

    calls = to_calls(normalize(legs))
    assert concurrency(calls)["peak"][0] == 1
