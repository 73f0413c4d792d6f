"""Page 42 (Using parking lots): range from the demo DB, BLF per position, parked calls."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mirtalib.asterisk.parking import parse_parkedcalls
from mirtalib.errors import ParameterError
from mirtalib.runbook import Status
from mirtalib.runbooks.p42_using_parking_lots import PARKED_COMMAND, RUNBOOK, lot_keys, parked_table

sys.path.insert(0, str(Path(__file__).parent))  # phone_replays.py, next to this file
from phone_replays import open_isolated, results


def test_plan_lists_parked_calls_per_node(tmp_path):
    rb = open_isolated(RUNBOOK, tmp_path, "replay:srv01,replay:srv02")
    plan = rb.plan()
    s1, s2 = results(plan, 0)["parked-before"], results(plan, 1)["parked-before"]
    assert s1.status is Status.WARN
    assert s1.reason == (
        "2 parked in the lots read, 2 of DEVEL; returning to the parker now or soon: 801 (8s)"
    )
    assert s2.reason.startswith("1 parked in the lots read, 0 of DEVEL")
    assert "701 (-3s)" in s2.reason
    steps = {s.id: s for s in rb.steps}
    assert steps["range"].title == "Parking range of DEVEL: default 800-820"


def test_quiet_threshold_and_verify_note(tmp_path):
    rb = open_isolated(RUNBOOK, tmp_path, return_warn_s=0)
    after = results(rb.verify())["parked-after"]
    assert after.status is Status.PASS
    assert "do not restart the parking module while calls are parked" in after.reason


def test_lot_keys_and_parked_table(tmp_path):
    keys = lot_keys("DEVEL", "snom")
    assert len(keys) == 21 and keys.iloc[1]["snom"] == "fkey1: blf <sip:801-DEVEL@$PROXY>"
    rb = open_isolated(RUNBOOK, tmp_path)
    table = parked_table(parse_parkedcalls(rb.targets[0].run(PARKED_COMMAND).stdout), "DEVEL")
    assert list(table["blf"]) == ["801-DEVEL", "802-DEVEL"]
    assert list(table["returns_to"]) == ["104-DEVEL", "101-DEVEL"]


def test_bad_parameters(tmp_path):
    with pytest.raises(ParameterError, match="return_warn_s=-1 must be 0-3600"):
        open_isolated(RUNBOOK, tmp_path, return_warn_s=-1)
    with pytest.raises(ParameterError, match="'NOPE' is not in the database"):
        open_isolated(RUNBOOK, tmp_path, tenant="NOPE").steps


def test_asterisk_12_parking_show_per_lot(tmp_path):
    rb = open_isolated(RUNBOOK, tmp_path, parking_cli="parking")
    report = rb.verify()
    after = results(report)["parked-after"]
    assert after.status is Status.PASS  # no time left is printed: nothing to warn about
    assert after.reason.startswith("2 parked in the lots read, 2 of DEVEL")
    assert rb.targets[0].log == ["asterisk -rx 'parking show parkinglot_DEVEL_default'"] * 2
    with pytest.raises(ParameterError, match="is not one of"):
        open_isolated(RUNBOOK, tmp_path, parking_cli="features")
