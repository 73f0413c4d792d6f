"""Page 42 (Using parking lots): range from the demo DB, BLF per position, parked calls.

The demo nodes answer as the recorded Asterisk 22.10.1 nodes do (srv01.d/p42.yaml,
srv02.d/p42.yaml): ``parkedcalls show`` is no command there, ``parking show <lot>`` lists the
lot's settings and, per parked call, only its space, channel and parker dial string.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mirtalib.errors import ParameterError
from mirtalib.runbook import Status, Verdict
from mirtalib.runbooks.p42_using_parking_lots import (
    RUNBOOK,
    _judge,
    lot_keys,
    lot_settings,
    lots_table,
    parked_table,
    read_parked,
    reading_probe,
)

sys.path.insert(0, str(Path(__file__).parent))  # phone_replays.py, next to this file
from phone_replays import open_isolated, results

AUTO = "parking show: this Asterisk has no parkedcalls show"
TIME_LEFT = (
    "time left per call unknown: parking show prints none (only AMI ParkedCalls has it); "
    "parking time of the lot: 45 s"
)


def test_plan_lists_parked_calls_per_node(tmp_path):
    rb = open_isolated(RUNBOOK, tmp_path, "replay:srv01,replay:srv02")
    plan = rb.plan()
    s1, s2 = results(plan, 0)["parked-before"], results(plan, 1)["parked-before"]
    assert s1.status is Status.PASS  # no time left to warn about: parking show prints none
    assert s1.reason == f"2 parked in the lots read, 2 of DEVEL ({AUTO}); {TIME_LEFT}"
    assert s1.evidence == (
        "parking show: 2 parked: 801@parkinglot_DEVEL_default, 802@parkinglot_DEVEL_default; "
        "0 rejected lines"
    )
    assert s2.status is Status.PASS
    assert s2.reason == f"0 parked in the lots read, 0 of DEVEL ({AUTO})"  # ROSSI's call: not read
    for target in rb.targets:
        assert target.log == [
            "asterisk -rx 'parkedcalls show'",
            "asterisk -rx 'parking show parkinglot_DEVEL_default'",
        ]
    steps = {s.id: s for s in rb.steps}
    assert steps["range"].title == "Parking range of DEVEL: default 800-820"


def test_the_rossi_call_parked_on_srv02(tmp_path):
    rb = open_isolated(RUNBOOK, tmp_path, "replay:srv02", tenant="ROSSI")
    before = results(rb.plan())["parked-before"]
    assert before.status is Status.PASS
    assert before.reason == f"1 parked in the lots read, 1 of ROSSI ({AUTO}); {TIME_LEFT}"
    assert "701@parkinglot_ROSSI_default" in before.evidence


def test_verify_note(tmp_path):
    rb = open_isolated(RUNBOOK, tmp_path, return_warn_s=3600)
    after = results(rb.verify())["parked-after"]
    assert after.status is Status.PASS  # even the largest threshold: no time left is known
    assert after.reason.endswith(
        f"{TIME_LEFT}; do not restart the parking module while calls are parked"
    )


def test_lot_keys_and_parked_table(tmp_path):
    keys = lot_keys("DEVEL", "snom")
    assert len(keys) == 21 and keys.iloc[1]["snom"] == "fkey1: blf <sip:801-DEVEL@$PROXY>"
    rb = open_isolated(RUNBOOK, tmp_path)
    probe, read = reading_probe("DEVEL", "auto")
    reading = read(probe(rb.targets[0]))
    table = parked_table(reading, "DEVEL")
    assert list(table.columns) == [
        "lot",
        "tenant",
        "position",
        "blf",
        "parked_channel",
        "returns_to",
        "lot_parking_time_s",
    ]
    assert list(table["blf"]) == ["801-DEVEL", "802-DEVEL"]
    assert list(table["parked_channel"]) == [
        "PJSIP/provider-messagenet-00000006",
        "PJSIP/101-DEVEL-00000007",
    ]
    assert list(table["returns_to"]) == ["PJSIP/104-DEVEL", "PJSIP/101-DEVEL"]  # parker dial str
    assert list(table["lot_parking_time_s"]) == [45, 45]
    assert parked_table(reading, "ACME").empty
    lots = lots_table(reading)
    assert lots.to_dict("records") == [
        {
            "lot": "parkinglot_DEVEL_default",
            "extension": "800",
            "spaces": "801-820",
            "parking_time_s": 45,
            "comeback_to_origin": "yes",
            "parked": 2,
        }
    ]


def test_lot_settings_of_every_lot_recorded(tmp_path):
    rb = open_isolated(RUNBOOK, tmp_path)
    text = rb.targets[0].run("asterisk -rx 'parking show'").stdout
    found = lot_settings(text)
    assert list(found) == ["default", "parkinglot_ACME_default", "parkinglot_DEVEL_default"]
    assert found["default"]["Parking Spaces"] == "701-750"
    assert found["default"]["MusicOnHold Class"] == ""
    assert found["parkinglot_ACME_default"]["Parking Extension"] == "800"
    assert {lot: s["Parking Time"] for lot, s in found.items()} == dict.fromkeys(found, "45 sec")
    assert "Dynamic Parking" not in str(found)  # a general option, before any lot


# Synthetic, not recorded: `parkedcalls show` exists only up to Asterisk 11 and the test PBX runs
# 22; shaped after the features.c format that mirtalib.asterisk.parking documents.
PARKEDCALLS_11 = """\
Num                   Channel (Context         Extension    Pri ) Timeout
*** Parking lot: parkinglot_DEVEL_default (2)
801        SIP/101-DEVEL-0000001a    (authenticated   104-DEVEL       1)      8s
   1 parked call in parking lot parkinglot_DEVEL_default
---
1 parked call in total.
"""


def test_time_left_is_read_only_from_parkedcalls_show():
    reading = read_parked(PARKEDCALLS_11)
    table = parked_table(reading)
    assert list(table["returns_in_s"]) == [8] and list(table["returns_to"]) == ["104-DEVEL"]
    verdict, reason = _judge("DEVEL", 15, "parkedcalls", final=False)(reading)
    assert verdict is Verdict.WARN
    assert reason.endswith("returning to the parker now or soon: 801 (8s)")
    assert "time left per call unknown" not in reason
    assert _judge("DEVEL", 5, "parkedcalls", final=False)(reading)[0] is Verdict.PASS


def test_bad_parameters(tmp_path):
    with pytest.raises(ParameterError, match="return_warn_s=-1 is outside 0-3600"):
        open_isolated(RUNBOOK, tmp_path, return_warn_s=-1)
    with pytest.raises(ParameterError, match="'NOPE' is not in the database"):
        open_isolated(RUNBOOK, tmp_path, tenant="NOPE").steps


def test_asterisk_12_parking_show_per_lot(tmp_path):
    rb = open_isolated(RUNBOOK, tmp_path, parking_cli="parking")
    report = rb.verify()
    after = results(report)["parked-after"]
    assert after.status is Status.PASS
    assert after.reason.startswith(f"2 parked in the lots read, 2 of DEVEL; {TIME_LEFT}")
    assert rb.targets[0].log == ["asterisk -rx 'parking show parkinglot_DEVEL_default'"] * 2
    with pytest.raises(ParameterError, match="is not one of"):
        open_isolated(RUNBOOK, tmp_path, parking_cli="features")


def test_the_page_command_is_missing_on_the_recorded_nodes(tmp_path):
    rb = open_isolated(RUNBOOK, tmp_path, "replay:srv01,replay:srv02", parking_cli="parkedcalls")
    plan = rb.plan()
    for node in (0, 1):
        res = results(plan, node)["parked-before"]
        assert res.status is Status.FAIL
        assert res.reason.startswith("this node's Asterisk has no 'parkedcalls show' command")
    probe, read = reading_probe("DEVEL", "parkedcalls")
    reading = read(probe(rb.targets[0]))
    assert reading.parked is None and parked_table(reading).empty and lots_table(reading).empty
