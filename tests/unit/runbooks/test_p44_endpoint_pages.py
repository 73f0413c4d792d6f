"""Pages 32 (Cisco), 44 (parked caller ID on Yealink), 45 (Zoiper chat): extension settings."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mirtalib.errors import ParameterError
from mirtalib.runbook import Status, VerificationFailed
from mirtalib.runbooks.p32_using_cisco_7900_8800_9900_phones import RUNBOOK as CISCO
from mirtalib.runbooks.p44_configuring_yealink_to_receive_the_number_from_the_parked_call import (
    RUNBOOK as YEALINK,
)
from mirtalib.runbooks.p45_configuring_zoiper_to_use_chat import RUNBOOK as ZOIPER

sys.path.insert(0, str(Path(__file__).parent))  # phone_replays.py, next to this file
from phone_replays import open_isolated, results


def test_p44_chan_sip_extension_without_trust_rpid(tmp_path):
    rb = open_isolated(YEALINK, tmp_path)
    before = results(rb.plan())["rpid-before"]
    assert before.status is Status.WARN
    assert before.reason.startswith(
        "104-DEVEL (sip): trust_rpid=False (want True); send_rpid=False (want True)"
    )
    assert rb.targets[0].log == ["asterisk -rx 'sip show peer 104-DEVEL'"]
    with pytest.raises(VerificationFailed, match="104-DEVEL: Trust RPID is on"):
        rb.verify().raise_for_failure()


def test_p44_pjsip_extension_already_right(tmp_path):
    rb = open_isolated(YEALINK, tmp_path, extension="100-DEVEL")
    report = rb.verify()
    report.raise_for_failure()
    assert results(report)["rpid-after"].reason == (
        "100-DEVEL (pjsip): trust_rpid=True, send_rpid=True"
    )


def test_p44_bad_parameters(tmp_path):
    with pytest.raises(ParameterError, match="extension"):
        open_isolated(YEALINK, tmp_path, extension="104DEVEL")
    with pytest.raises(ParameterError, match="CUSTOM extension"):
        open_isolated(YEALINK, tmp_path, extension="105-DEVEL").steps


def test_p45_presence_and_hints(tmp_path):
    rb = open_isolated(ZOIPER, tmp_path)
    report = rb.verify()
    got = results(report)
    assert got["presence-after"].status is Status.PASS
    assert got["peer-hints"].reason == "hints exist for 103-DEVEL, 100-DEVEL, 104-DEVEL"
    off = open_isolated(ZOIPER, tmp_path, extension="108-DEVEL", peers="100-DEVEL,150-DEVEL")
    got = results(off.verify())
    assert got["presence-after"].status is Status.FAIL
    assert "subscriptions=False (want True)" in got["presence-after"].reason
    assert got["peer-hints"].reason == "no hint (no presence) for 150-DEVEL"
    with pytest.raises(ParameterError, match="peer"):
        open_isolated(ZOIPER, tmp_path, peers="100-DEVEL,bob")


def test_p32_cisco_peer_warns_about_the_invisible_patch(tmp_path):
    rb = open_isolated(CISCO, tmp_path)
    before = results(rb.plan())["peer-before"]
    assert before.status is Status.WARN
    assert "useragent=Cisco-CP8845/14.1.1" in before.reason
    assert "does not show the usecallmanager option" in before.reason
    with pytest.raises(ParameterError, match="patches are for chan_sip"):
        open_isolated(CISCO, tmp_path, extension="100-DEVEL").steps
