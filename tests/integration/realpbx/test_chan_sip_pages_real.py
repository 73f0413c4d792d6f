"""Pages 23, 32, 37 and 44 on the real Asterisk 22 node, which has no chan_sip and no chan_dahdi.

They run read-only (plan, verify) over SSH like test_runbooks_real.py: where they need chan_sip
(or DAHDI) they say so ("chan_sip is not loaded on this node ..."), naming the command the node
does not have, and never pass; page 44's PJSIP part reads the node's endpoint. What the node
answers is read here with plain string checks, not the library's parsers. Nothing is applied and
the plans write nothing (the node has no sip.conf, and still has none afterwards).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))


from mirtalib.runbook import Status

NO_CHAN_SIP = "chan_sip is not loaded on this node (Asterisk 21 and later have no chan_sip"


def no_such(pbx, command: str) -> None:
    """The node itself answers "No such command" to ``command``."""
    assert pbx.rx(command).startswith(f"No such command '{command}'")


def never_pass(result) -> None:
    """No check passed without reading what it checks ('output not understood' is a crash)."""
    for steps in result.values():
        for step in steps.values():
            assert "output not understood" not in step.reason, (step.step_id, step.reason)


def test_p23_says_chan_sip_and_chan_dahdi_are_missing(real_node, run):
    pbx = real_node.pbx
    no_such(pbx, "sip show peers")
    no_such(pbx, "dahdi show status")
    assert not pbx.path("/etc/asterisk/sip.conf").exists()
    result = run(23, reload_now=True)
    never_pass(result)
    plan, verify = result["plan"], result["verify"]
    assert plan["chan-sip"].status is Status.FAIL
    assert plan["chan-sip"].reason.startswith(NO_CHAN_SIP)
    assert "'sip show peers' does not exist" in plan["chan-sip"].reason
    assert plan["dahdi-spans"].status is Status.FAIL
    assert plan["dahdi-spans"].reason.startswith(
        "chan_dahdi is not loaded on this node: 'dahdi show status' does not exist"
    )
    account = verify["account-loaded"]
    assert account.status is Status.FAIL and account.reason.startswith(NO_CHAN_SIP)
    assert verify["dahdi-context-loaded"].status is Status.FAIL
    assert not pbx.path("/etc/asterisk/sip.conf").exists()  # plan wrote nothing


def test_p37_says_chan_sip_is_missing(real_node, run):
    pbx = real_node.pbx
    no_such(pbx, "sip show registry")
    result = run(37)
    never_pass(result)
    before, after = result["plan"]["registry-before"], result["verify"]["registered"]
    for res in (before, after):
        assert res.status is Status.FAIL and res.reason.startswith(NO_CHAN_SIP)
        assert "'sip show registry' does not exist" in res.reason
        assert "register with PJSIP instead" in res.reason
    # no sip.conf at all on this node: the edit refuses to invent one
    edit = result["plan"]["sip-register"]
    assert edit.status is Status.FAILED and "is this a chan_sip node?" in edit.reason
    assert not pbx.path("/etc/asterisk/sip.conf").exists()


def test_p32_cisco_sip_extension_is_a_finding(real_node, run):
    no_such(real_node.pbx, "sip show peer 107-DEVEL")
    result = run(32)  # 107-DEVEL is a SIP (chan_sip) extension in the demo database
    never_pass(result)
    for res in (result["plan"]["peer-before"], result["verify"]["peer-after"]):
        assert res.status is Status.FAIL and res.reason.startswith(NO_CHAN_SIP)
        assert "'sip show peer 107-DEVEL' does not exist" in res.reason
        assert "(the MiRTA database says it is a SIP extension)" in res.reason


def test_p44_sip_extension_is_a_finding_pjsip_is_read(real_node, run):
    pbx = real_node.pbx
    no_such(pbx, "sip show peer 104-DEVEL")
    result = run(44)  # 104-DEVEL is a SIP (chan_sip) extension in the demo database
    never_pass(result)
    for res in (result["plan"]["rpid-before"], result["verify"]["rpid-after"]):
        assert res.status is Status.FAIL and res.reason.startswith(NO_CHAN_SIP)
        assert "'sip show peer 104-DEVEL' does not exist" in res.reason
    # every endpoint of the node trusts and sends RPID (etc/pjsip.conf): the page reads it so
    endpoint = pbx.rx("pjsip show endpoint 100-DEVEL")
    assert re.search(r"^\s*trust_id_inbound\s+:\s+true\s*$", endpoint, re.M)
    assert re.search(r"^\s*send_rpid\s+:\s+true\s*$", endpoint, re.M)
    pjsip = run(44, extension="100-DEVEL")
    never_pass(pjsip)
    for res in (pjsip["plan"]["rpid-before"], pjsip["verify"]["rpid-after"]):
        assert res.status is Status.PASS
        assert res.reason == "100-DEVEL (pjsip): trust_rpid=True, send_rpid=True"
