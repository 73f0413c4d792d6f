"""Legs -> calls on hand-built CDR sets whose answers are worked out by hand in the comments."""

from __future__ import annotations

import pandas as pd
import pytest

from mirtalib.cdr.calls import call_legs, to_calls
from mirtalib.cdr.kpis import disposition_mix, hour_of_week, kpis, volume
from mirtalib.errors import ParameterError

A = "PJSIP/100-DEVEL-00000001"
B = "PJSIP/101-DEVEL-00000002"
C = "PJSIP/102-DEVEL-00000003"
TRUNK_IN = "PJSIP/voipco-0000000a"


def test_transfer_chain_is_one_call(make_legs):
    # A calls B (answered at 5 s); at 60 s B blind-transfers A to C, who answers at 65 s and
    # hangs up at 200 s. Two legs, one linkedid: one call of 200 s, billable 55 + 135 = 190 s.
    legs = make_legs(
        [
            {
                "s": 0,
                "a": 5,
                "e": 60,
                "src": "100",
                "dst": "101",
                "channel": A,
                "dstchannel": B,
                "uniqueid": "srv01-1.1",
                "linkedid": "srv01-1.1",
                "userfield": "LOCAL",
            },
            {
                "s": 60,
                "a": 65,
                "e": 200,
                "src": "100",
                "dst": "102",
                "channel": A,
                "dstchannel": C,
                "uniqueid": "srv01-1.5",
                "linkedid": "srv01-1.1",
                "userfield": "LOCAL",
            },
        ]
    )
    calls = to_calls(legs)
    assert len(calls) == 1
    call = calls.iloc[0]
    assert (call["legs"], call["duration"], call["billable"]) == (2, 200, 190)
    assert (call["who_answered"], call["landed"]) == ("101-DEVEL", "102-DEVEL")
    assert (call["tenant"], call["direction"], call["node"]) == ("DEVEL", "LOCAL", "srv01")
    assert (call["first_uniqueid"], call["last_uniqueid"]) == ("srv01-1.1", "srv01-1.5")
    assert list(call_legs(legs, "srv01-1.1")["uniqueid"]) == ["srv01-1.1", "srv01-1.5"]
    with pytest.raises(ParameterError, match="no call"):
        call_legs(legs, "nope")


def test_queue_fan_out_counts_once(make_legs):
    # Outside caller -> queue 500 (the Queue app answers at 2 s), three members ring in
    # parallel from 3 s: two do not answer, 102 answers at 30 s; all end at 120 s.
    # One call, answered by 102; billable = union([2,120], [30,120]) = 118 s, not 208.
    common = {"accountcode": "DEVEL", "linkedid": "srv02-9.1", "userfield": "IN", "src": "0612"}
    legs = make_legs(
        [
            {
                "s": 0,
                "a": 2,
                "e": 120,
                "dst": "500",
                "channel": TRUNK_IN,
                "lastapp": "Queue",
                "dstchannel": "Local/AG-000-NF-1@fromotherpbx-00000001;1",
                "uniqueid": "srv02-9.1",
                **common,
            },
            {
                "s": 3,
                "e": 30,
                "dst": "100",
                "channel": "Local/AG-000-NF-1@fromotherpbx-00000001;2",
                "dstchannel": A,
                "uniqueid": "srv02-9.2",
                **common,
            },
            {
                "s": 3,
                "e": 30,
                "dst": "101",
                "channel": "Local/AG-000-NF-2@fromotherpbx-00000002;2",
                "dstchannel": B,
                "uniqueid": "srv02-9.3",
                **common,
            },
            {
                "s": 3,
                "a": 30,
                "e": 120,
                "dst": "102",
                "channel": "Local/AG-000-NF-3@fromotherpbx-00000003;2",
                "dstchannel": C,
                "uniqueid": "srv02-9.4",
                **common,
            },
        ]
    )
    calls = to_calls(legs)
    assert len(calls) == 1
    call = calls.iloc[0]
    assert (call["answered"], call["who_answered"], call["landed"]) == (
        True,
        "102-DEVEL",
        "102-DEVEL",
    )
    assert (call["billable"], call["duration"], call["legs"]) == (118, 120, 4)
    assert (call["direction"], call["trunk"], call["node"]) == ("IN", "voipco", "srv02")
    k = kpis(calls)
    assert (k["attempts"][0], k["answered"][0], k["minutes"][0]) == (1, 1, 118 / 60)


def test_parallel_dial_and_outcomes(make_legs):
    # Call 1: A rings B and C in parallel; B no answer, C answers 5..60 -> answered, 55 s.
    # Call 2: A -> B busy. Call 3: A -> trunk congestion. Call 4: A -> B, B and C ring, no answer.
    legs = make_legs(
        [
            {"s": 0, "e": 10, "channel": A, "dstchannel": B, "linkedid": "L1", "uniqueid": "L1"},
            {
                "s": 0,
                "a": 5,
                "e": 60,
                "channel": A,
                "dstchannel": C,
                "linkedid": "L1",
                "uniqueid": "L1",
            },
            {
                "s": 100,
                "e": 101,
                "channel": A,
                "dstchannel": B,
                "linkedid": "L2",
                "uniqueid": "L2",
                "disposition": "BUSY",
            },
            {
                "s": 200,
                "e": 201,
                "channel": A,
                "dstchannel": "PJSIP/voipco-0000000b",
                "linkedid": "L3",
                "uniqueid": "L3",
                "disposition": "CONGESTION",
                "dst": "0039061234",
            },
            {"s": 300, "e": 330, "channel": A, "dstchannel": B, "linkedid": "L4", "uniqueid": "L4"},
            {
                "s": 300,
                "e": 330,
                "channel": A,
                "dstchannel": C,
                "linkedid": "L4",
                "uniqueid": "L4",
                "disposition": "BUSY",
            },
        ]
    )
    calls = to_calls(legs)
    assert list(calls["disposition"]) == ["ANSWERED", "BUSY", "CONGESTION", "NO ANSWER"]
    assert list(calls["billable"]) == [55, 0, 0, 0]
    assert list(calls["direction"]) == ["LOCAL", "LOCAL", "OUT", "LOCAL"]
    assert list(calls["trunk"]) == ["", "", "voipco", ""]
    k = kpis(calls).iloc[0]
    # attempts 4, answered 1: ASR 0.25, ACD 55 s, NER = (1 answered + 1 busy + 1 no answer)/4
    assert (k["attempts"], k["answered"]) == (4, 1)
    assert k["asr"] == 0.25 and k["acd"] == 55 and k["ner"] == 0.75
    mix = disposition_mix(calls).iloc[0]
    assert mix["ANSWERED"] == 0.25 and mix["calls"] == 4


def test_missing_linkedid_uses_prevuniqueid_local_and_channel_rules(make_legs):
    legs = make_legs(
        [
            # old call 1: first leg, then a transfer leg pointing back with prevuniqueid
            {"s": 0, "a": 2, "e": 50, "uniqueid": "1791190800.1", "channel": A, "dstchannel": B},
            {
                "s": 50,
                "a": 52,
                "e": 90,
                "uniqueid": "1791190850.7",
                "prevuniqueid": "1791190800.1",
                "channel": "PJSIP/100-DEVEL-00000009",
                "dstchannel": C,
            },
            # old call 2: Local channel halves
            {
                "s": 500,
                "a": 505,
                "e": 600,
                "uniqueid": "1791191300.1",
                "channel": TRUNK_IN,
                "dstchannel": "Local/200@ctx-00000004;1",
            },
            {
                "s": 501,
                "a": 505,
                "e": 600,
                "uniqueid": "1791191301.2",
                "channel": "Local/200@ctx-00000004;2",
                "dstchannel": "PJSIP/200-ACME-0000000f",
            },
            # old call 3: the leg whose channel was another leg's dstchannel, overlapping in time
            {
                "s": 1000,
                "a": 1001,
                "e": 1100,
                "uniqueid": "1791191800.1",
                "channel": A,
                "dstchannel": "PJSIP/103-DEVEL-00000011",
            },
            {
                "s": 1050,
                "a": 1050,
                "e": 1200,
                "uniqueid": "1791191850.3",
                "channel": "PJSIP/103-DEVEL-00000011",
                "dstchannel": C,
            },
            # old call 4: alone (same channel name reused much later: no overlap, not joined)
            {
                "s": 5000,
                "e": 5010,
                "uniqueid": "1791195800.1",
                "channel": "PJSIP/103-DEVEL-00000011",
            },
        ]
    )
    calls = to_calls(legs)
    assert list(calls["legs"]) == [2, 2, 2, 1]
    assert list(calls["call_id"]) == [
        "1791190800.1",
        "1791191300.1",
        "1791191800.1",
        "1791195800.1",
    ]
    assert list(calls["tenant"]) == ["DEVEL", "ACME", "DEVEL", "DEVEL"]
    assert list(calls["direction"]) == ["LOCAL", "IN", "LOCAL", "LOCAL"]


def test_midnight_and_dst_fall_back(make_legs):
    # 2026-10-25: Europe/Rome goes from 03:00 CEST back to 02:00 CET (01:00 UTC).
    # Call X starts 01:50 CEST (23:50 UTC on the 24th) and lasts 2 h: it ends 01:50 UTC, which
    # the wall clock shows as 02:50 (CET). Call Y starts at 02:30 *CET* (01:30 UTC; the uniqueid
    # epoch 1792891800 says so) and lasts 10 min. Call Z starts 23:59 on the 24th, crosses
    # midnight, lasts 3 min.
    t = pd.Timestamp
    legs = make_legs([{"s": 0, "e": 1, "uniqueid": "z"}]).iloc[:0]
    rows = pd.DataFrame(
        {
            "start": [t("2026-10-25 01:50:00"), t("2026-10-25 02:30:00"), t("2026-10-24 23:59:00")],
            "answer": [t("2026-10-25 01:50:05"), pd.NaT, t("2026-10-24 23:59:10")],
            "end": [t("2026-10-25 02:50:00"), t("2026-10-25 02:40:00"), t("2026-10-25 00:02:00")],
            "duration": [7200, 600, 180],
            "billsec": [7195, 0, 170],
            "disposition": ["ANSWERED", "NO ANSWER", "ANSWERED"],
            "uniqueid": ["X", "srv01-1792891800.4", "Z"],
            "linkedid": ["X", "Y", "Z"],
        }
    )
    from mirtalib.cdr.legs import normalize

    calls = to_calls(pd.concat([legs, normalize(rows)]))
    by_id = calls.set_index("call_id")
    assert by_id.loc["X", "duration"] == 7200 and by_id.loc["X", "billable"] == 7195
    assert by_id.loc["X", "end"] == t("2026-10-25 02:50:00")
    assert by_id.loc["X", "start_utc"] == t("2026-10-24 23:50:00", tz="UTC").timestamp()
    assert by_id.loc["Y", "start_utc"] == t("2026-10-25 01:30:00", tz="UTC").timestamp()
    assert by_id.loc["Z", "day"] == t("2026-10-24") and by_id.loc["Z", "duration"] == 180
    assert by_id.loc["Z", "end"] == t("2026-10-25 00:02:00")
    assert list(calls["call_id"]) == ["Z", "X", "Y"]


def test_kpis_by_group_volume_and_heatmap(make_legs):
    legs = make_legs(
        [
            {"s": 0, "a": 10, "e": 70, "accountcode": "ACME", "linkedid": "1"},
            {"s": 3600, "e": 3620, "accountcode": "ACME", "linkedid": "2"},
            {"s": 0, "a": 1, "e": 31, "accountcode": "DEVEL", "linkedid": "3"},
        ]
    )
    calls = to_calls(legs)
    k = kpis(calls, by=["tenant"]).set_index("tenant")
    assert k.loc["ACME", "attempts"] == 2 and k.loc["ACME", "asr"] == 0.5
    assert k.loc["ACME", "acd"] == 60 and k.loc["DEVEL", "minutes"] == 0.5
    v = volume(calls, by=["tenant", "hour"])
    assert v.to_dict("records") == [
        {"tenant": "ACME", "hour": 9, "calls": 1},
        {"tenant": "ACME", "hour": 10, "calls": 1},
        {"tenant": "DEVEL", "hour": 9, "calls": 1},
    ]
    grid = hour_of_week(calls)
    assert grid.shape == (7, 24) and grid.loc["Mon", 9] == 2 and grid.to_numpy().sum() == 3
    with pytest.raises(ParameterError, match="unknown call columns"):
        kpis(calls, by=["nope"])
    assert to_calls(legs.iloc[:0]).empty
