"""Page 39 (BLF on a phone) and page 31 (BLF on Cisco SPA) on the recorded demo nodes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mirtalib.errors import ParameterError, TargetError
from mirtalib.runbook import Status, VerificationFailed
from mirtalib.runbooks import get
from mirtalib.runbooks.p31_configuring_blf_on_cisco_spa import RUNBOOK as SPA
from mirtalib.runbooks.p39_configuring_blf_on_a_phone import RUNBOOK

sys.path.insert(0, str(Path(__file__).parent))  # phone_replays.py, next to this file
from phone_replays import open_isolated, results

BOTH = "replay:srv01,replay:srv02"


def test_registry():
    assert get(39) is RUNBOOK and get(31) is SPA


def test_plan_finds_the_missing_dash_on_srv02_only(tmp_path):
    rb = open_isolated(RUNBOOK, tmp_path, BOTH)
    plan = rb.plan()
    srv01, srv02 = results(plan, 0)["hints-before"], results(plan, 1)["hints-before"]
    assert srv01.status is Status.PASS
    assert srv02.status is Status.WARN
    assert "without the dash (fix the phone, then restart Asterisk): 100DEVEL" in srv02.reason
    assert "not a monitor of the tenant: 150-DEVEL" in srv02.reason
    assert rb.targets[1].log == ["asterisk -rx 'core show hints'"]  # read only


def test_verify_fails_while_the_stale_hint_is_there(tmp_path):
    rb = open_isolated(RUNBOOK, tmp_path, BOTH)
    report = rb.verify()
    assert results(report, 1)["hints-after"].status is Status.FAIL
    with pytest.raises(VerificationFailed, match="srv02: BLF hints are right"):
        report.raise_for_failure()


def test_key_strings_per_brand(tmp_path):
    rb = open_isolated(RUNBOOK, tmp_path, brand="cisco-spa", monitors="104,vm:104")
    keys = next(s for s in rb.steps if s.id == "program-keys")
    assert keys.detail == (
        "key 1: fnc=blf+sd+cp;sub=104-DEVEL@$PROXY; key 2: fnc=blf+sd+cp;sub=*97104-DEVEL@$PROXY"
    )


def test_bad_parameters_are_refused_with_a_reason(tmp_path):
    with pytest.raises(ParameterError, match="voicemail_prefix '97' must be"):
        open_isolated(RUNBOOK, tmp_path, voicemail_prefix="97")
    with pytest.raises(ParameterError, match="'999' is not an extension, queue or parking lot"):
        open_isolated(RUNBOOK, tmp_path, monitors="104,999").steps
    with pytest.raises(ParameterError, match="is not one of"):
        open_isolated(RUNBOOK, tmp_path, brand="polycom")


def test_spa_plan_pickup_code_and_watchers(tmp_path):
    rb = open_isolated(SPA, tmp_path, "replay:srv02")
    steps = {s.id: s for s in rb.steps}
    assert steps["pickup-code"].title == "Attendant Console Call Pickup Code: *56#"
    assert "sub=104-DEVEL@$PROXY" in steps["keys"].detail
    verify = rb.verify()
    after = results(verify)["hints-after"]
    assert after.status is Status.FAIL  # the stale 100DEVEL hint
    assert "no phone watches 104-DEVEL yet" in after.reason
    with pytest.raises(ParameterError, match="pickup_code '56#'"):
        open_isolated(SPA, tmp_path, pickup_code="56#")
    with pytest.raises(ParameterError, match="at least one number"):
        open_isolated(SPA, tmp_path, monitors=" , ")


def test_an_unrecorded_node_is_named(tmp_path):
    with pytest.raises(TargetError, match="no replay named 'srv09'"):
        open_isolated(RUNBOOK, tmp_path, "replay:srv09")
