"""Pages 32 (Cisco), 44 (parked caller ID on Yealink), 45 (Zoiper chat): extension settings.

The demo node srv01 is an Asterisk 22.10.1 node (recorded): its chan_sip extensions (104-DEVEL,
107-DEVEL in the demo database) answer "No such command 'sip show peer ...'", which the pages
report as such. Their chan_sip logic runs on the synthetic Asterisk 20 answers of
data/chan_sip_asterisk20 (:func:`open_chan_sip`).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mirtalib.errors import ParameterError
from mirtalib.runbook import Status, Verdict, VerificationFailed
from mirtalib.runbooks.p32_using_cisco_7900_8800_9900_phones import RUNBOOK as CISCO
from mirtalib.runbooks.p44_configuring_yealink_to_receive_the_number_from_the_parked_call import (
    RUNBOOK as YEALINK,
)
from mirtalib.runbooks.p44_configuring_yealink_to_receive_the_number_from_the_parked_call import (
    rpid_check,
)
from mirtalib.runbooks.p45_configuring_zoiper_to_use_chat import RUNBOOK as ZOIPER

sys.path.insert(0, str(Path(__file__).parent))  # phone_replays.py, next to this file
from chan_sip_nodes import with_chan_sip
from phone_replays import isolated_replays, open_isolated, results

NO_CHAN_SIP = "chan_sip is not loaded on this node (Asterisk 21 and later have no chan_sip"


def open_chan_sip(runbook, tmp_path: Path, page: str, **values):
    """``runbook`` on srv01 with the synthetic Asterisk 20 chan_sip answers of ``page``."""
    folder = tmp_path / "replays"
    folder.mkdir()
    with_chan_sip(isolated_replays(folder), page)
    return runbook.open(
        "replay:srv01",
        journal=tmp_path / "journal",
        target_options={"replay_dir": folder},
        **values,
    )


# ---- the demo node: Asterisk 22.10.1, no chan_sip (recorded) -----------------------------------
@pytest.mark.parametrize(
    ("tech", "source"),
    [("auto", "the MiRTA database says it is a SIP extension"), ("sip", "tech=sip")],
)
def test_p44_chan_sip_extension_on_the_asterisk22_demo_node(tmp_path, tech, source):
    rb = open_isolated(YEALINK, tmp_path, tech=tech)
    before = results(rb.plan())["rpid-before"]
    assert before.status is Status.FAIL and before.reason.startswith(NO_CHAN_SIP)
    assert (
        f"'sip show peer 104-DEVEL' does not exist, so 104-DEVEL's Trust RPID cannot be read "
        f"as a chan_sip peer ({source})" in before.reason
    )
    assert "make it a PJSIP extension" in before.reason
    assert rb.targets[0].log == ["asterisk -rx 'sip show peer 104-DEVEL'"]
    report = rb.verify()
    after = results(report)["rpid-after"]
    assert after.status is Status.FAIL and after.reason == before.reason
    with pytest.raises(VerificationFailed, match="104-DEVEL: Trust RPID is on: chan_sip is not"):
        report.raise_for_failure()


def test_p44_node_without_pjsip_show_endpoint():
    check = rpid_check(
        "100-DEVEL", "pjsip", "pjsip", final=True, check_id="rpid-after", title="Trust RPID"
    )
    answer = (
        "No such command 'pjsip show endpoint 100-DEVEL' (type 'core show help pjsip show "
        "endpoint' for other possible commands)\n"
    )
    verdict, reason = check.expect(check.parse(answer))
    assert verdict is Verdict.FAIL
    assert reason.startswith(
        "'pjsip show endpoint 100-DEVEL' does not exist on this node (is res_pjsip loaded?)"
    )
    assert "chan_sip" not in reason


def test_p32_cisco_extension_on_the_asterisk22_demo_node(tmp_path):
    rb = open_isolated(CISCO, tmp_path)
    plan = rb.plan()
    before = results(plan)["peer-before"]
    assert before.status is Status.FAIL and before.reason.startswith(NO_CHAN_SIP)
    assert (
        "'sip show peer 107-DEVEL' does not exist, so 107-DEVEL cannot be a chan_sip peer "
        "here (the MiRTA database says it is a SIP extension)" in before.reason
    )
    assert "need a node that runs chan_sip (Asterisk 20 and earlier)" in before.reason
    assert "output not understood" not in plan.text()
    after = results(rb.verify())["peer-after"]
    assert after.status is Status.FAIL and after.reason == before.reason


# ---- chan_sip nodes (Asterisk 20, synthetic answers) --------------------------------------------
def test_p44_chan_sip_extension_without_trust_rpid(tmp_path):
    rb = open_chan_sip(YEALINK, tmp_path, "p44")
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
    rb = open_chan_sip(CISCO, tmp_path, "p32")
    before = results(rb.plan())["peer-before"]
    assert before.status is Status.WARN
    assert "useragent=Cisco-CP8845/14.1.1" in before.reason
    assert "does not show the usecallmanager option" in before.reason
    after = results(rb.verify())["peer-after"]
    assert after.status is Status.WARN and "registered=True" in after.reason
    with pytest.raises(ParameterError, match="patches are for chan_sip"):
        open_isolated(CISCO, tmp_path, extension="100-DEVEL").steps
