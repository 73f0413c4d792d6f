"""Page 23 (dial out through the DAHDI node): insecure scan and cleanup, account, [dahdi].

The demo nodes are Asterisk 22.10.1 nodes (recorded): no chan_sip, no chan_dahdi, so the page
says so and apply writes nothing. Its chan_sip/DAHDI logic runs on the synthetic Asterisk 20
answers of data/chan_sip_asterisk20 (the ``chan_sip`` fixture).
"""

from __future__ import annotations

import pytest
import yaml
from chan_sip_nodes import with_chan_sip
from page_helpers import steps_of

from mirtalib.asterisk.conf import parse_conf
from mirtalib.errors import ParameterError
from mirtalib.runbook import ApplyFailed, PlanFailed, Status, rehearse
from mirtalib.runbooks.p23_using_a_node_in_the_cluster_to_dial_out_from_other_nodes import (
    RUNBOOK,
    dahdi_context_lines,
    insecure_accounts,
)
from mirtalib.runbooks.sipconf import host_accounts

SECRET = "Trunk-test-8812"  # a test value, set in the environment by the tests

SIP = """[general]
bindport=5060
[node-tpl](!)
type=friend
insecure=port,invite
[pbx1](node-tpl)
host=10.0.0.1
[pbx2]
host=10.0.0.2
insecure=invite,port
[carrier]
host=sip.carrier.example
insecure=port,invite
[100-DEVEL]
host=dynamic
insecure=port,invite
"""


def test_scan_follows_templates_and_tells_nodes_from_providers():
    doc = parse_conf(SIP)
    assert [s.name for s in host_accounts(doc)] == ["pbx1", "pbx2", "carrier"]
    assert insecure_accounts(doc, ("pbx1", "pbx2")) == [
        ("pbx1", "inherited from a template", "node"),
        ("pbx2", "own line", "node"),
        ("carrier", "own line", "provider"),
    ]


NO_CHAN_SIP = "chan_sip is not loaded on this node (Asterisk 21 and later have no chan_sip"


@pytest.fixture
def chan_sip(replays):
    """``target_options`` of the isolated replays with the Asterisk 20 chan_sip/DAHDI answers."""
    with_chan_sip(replays["replay_dir"], "p23")
    return replays


# ---- the demo nodes: Asterisk 22.10.1, no chan_sip, no chan_dahdi (recorded) ---------------------
def test_plan_on_the_asterisk22_demo_node_says_what_is_missing(replays, journal, monkeypatch):
    monkeypatch.delenv("MIRTA_DAHDI_TRUNK_SECRET", raising=False)
    rb = RUNBOOK.open("replay:srv02", journal=journal, target_options=replays)
    plan = rb.plan()
    s = steps_of(plan)
    assert [r.step_id for r in plan.nodes[0].results if r.kind == "check"][:3] == [
        "chan-sip",
        "insecure-scan",
        "dahdi-spans",
    ]
    assert s["chan-sip"].status is Status.FAIL
    assert s["chan-sip"].reason.startswith(NO_CHAN_SIP)
    assert "'sip show peers' does not exist" in s["chan-sip"].reason
    assert "make the account for the other nodes a PJSIP endpoint" in s["chan-sip"].reason
    assert "apply to nodes with chan_sip (Asterisk 20 and earlier)" in s["chan-sip"].reason
    assert s["dahdi-spans"].status is Status.FAIL
    assert s["dahdi-spans"].reason.startswith(
        "chan_dahdi is not loaded on this node: 'dahdi show status' does not exist"
    )
    assert s["insecure-scan"].status is Status.WARN  # the leftover sip.conf still says so
    with pytest.raises(PlanFailed, match="chan_sip is not loaded on this node"):
        plan.raise_for_failure()


def test_apply_on_the_asterisk22_demo_node_writes_nothing(replays, journal, monkeypatch):
    monkeypatch.setenv("MIRTA_DAHDI_TRUNK_SECRET", SECRET)
    rb = RUNBOOK.open("replay:srv02", journal=journal, target_options=replays, reload_now=True)
    t = rb.targets[0]
    sip_before = t.read_text("/etc/asterisk/sip.conf")
    ext_before = t.read_text("/etc/asterisk/extensions_custom.conf")
    applied = rb.apply(confirm=True)
    s = steps_of(applied)
    assert s["chan-sip"].status is Status.FAIL and s["chan-sip"].reason.startswith(NO_CHAN_SIP)
    for step in ("sip-account", "dahdi-context", "dialplan-reload", "sip-reload"):
        assert s[step].status is Status.NOT_RUN
        assert s[step].reason == f"stopped after step {s['chan-sip'].index} failed"
    assert not applied.nodes[0].changed
    assert t.read_text("/etc/asterisk/sip.conf") == sip_before
    assert t.read_text("/etc/asterisk/extensions_custom.conf") == ext_before
    assert t.log and not [c for c in t.log if "reload" in c]
    assert SECRET not in applied.text()
    with pytest.raises(ApplyFailed, match="'sip show peers' does not exist"):
        applied.raise_for_failure()


def test_verify_on_the_asterisk22_demo_node(replays, journal):
    rb = RUNBOOK.open("replay:srv02", journal=journal, target_options=replays, reload_now=True)
    s = steps_of(rb.verify())
    assert s["account-loaded"].status is Status.FAIL
    assert s["account-loaded"].reason.startswith(NO_CHAN_SIP)
    assert "[dahdi-trunk] account) is read by nothing here" in s["account-loaded"].reason
    # the real answer: Asterisk 22 prints "Command 'dialplan show dahdi' failed."
    assert s["dahdi-context-loaded"].status is Status.FAIL
    assert s["dahdi-context-loaded"].reason == "context [dahdi] is not loaded"


def test_cleanup_on_an_asterisk22_node_writes_nothing(replays, journal):
    # srv01 has no recorded 'sip show peers': give it srv02's answer, recorded from the same
    # Asterisk 22.10.1 build (chan_sip's commands do not exist on either)
    folder = replays["replay_dir"]
    srv02 = yaml.safe_load((folder / "srv02.d" / "p23.yaml").read_text())
    answer = srv02["commands"]["asterisk -rx 'sip show peers'"][0]
    assert answer["stdout"].startswith("No such command 'sip show peers'")
    (folder / "srv01.d" / "p23.yaml").write_text(
        yaml.safe_dump({"commands": {"asterisk -rx 'sip show peers'": answer}})
    )
    rb = RUNBOOK.open("replay:srv01", journal=journal, target_options=replays, dahdi_node=False)
    before = rb.targets[0].read_text("/etc/asterisk/sip.conf")
    applied = rb.apply(confirm=True)
    s = steps_of(applied)
    assert s["chan-sip"].status is Status.FAIL and s["chan-sip"].reason.startswith(NO_CHAN_SIP)
    assert s["sip-account"].status is Status.NOT_RUN
    assert rb.targets[0].read_text("/etc/asterisk/sip.conf") == before


# ---- a chan_sip node with the DAHDI card (Asterisk 20, synthetic answers) ---------------------
def test_plan_on_the_dahdi_node(chan_sip, journal, monkeypatch):
    monkeypatch.delenv("MIRTA_DAHDI_TRUNK_SECRET", raising=False)
    rb = RUNBOOK.open("replay:srv02", journal=journal, target_options=chan_sip)
    plan = rb.plan()
    s = steps_of(plan)
    assert s["chan-sip"].status is Status.PASS
    assert s["chan-sip"].reason == "chan_sip is loaded: 2 peer(s) (srv01, messagenet)"
    assert s["dahdi-spans"].reason == "1 span(s): Wildcard TE131/TE133 Card 0"
    assert s["insecure-scan"].status is Status.WARN
    assert "[srv01] (own line)" in s["insecure-scan"].reason
    assert "-insecure=port,invite" in s["sip-account"].diff
    assert "+secret=<secret from $MIRTA_DAHDI_TRUNK_SECRET>" in s["sip-account"].diff
    assert "+permit=10.20.0.11/255.255.255.255" in s["sip-account"].diff
    assert "+exten => _X.,n,Dial(DAHDI/g0/${EXTEN},60)" in s["dahdi-context"].diff
    assert s["dialplan-reload"].status is Status.WOULD_RUN
    assert s["dahdi-spans"].status is Status.PASS


def test_rehearsal_with_the_secret(chan_sip, journal, monkeypatch):
    monkeypatch.setenv("MIRTA_DAHDI_TRUNK_SECRET", SECRET)
    rb = RUNBOOK.open("replay:srv02", journal=journal, target_options=chan_sip, reload_now=True)
    result = rehearse(rb)
    assert result.idempotent
    verdicts = {r.step_id: r.status for r in result.verify.nodes[0].results if r.kind == "check"}
    assert verdicts["insecure-after"] is Status.PASS
    assert verdicts["dahdi-context-loaded"] is Status.PASS
    assert verdicts["account-loaded"] is Status.PASS
    assert SECRET not in result.text()


def test_without_reload_the_account_check_warns(chan_sip, journal, monkeypatch):
    monkeypatch.setenv("MIRTA_DAHDI_TRUNK_SECRET", SECRET)
    rb = RUNBOOK.open("replay:srv02", journal=journal, target_options=chan_sip)
    rb.apply(confirm=True)
    assert SECRET in rb.targets[0].read_text("/etc/asterisk/sip.conf")
    s = steps_of(rb.verify())
    assert s["account-loaded"].status is Status.WARN
    assert "'sip reload' is still to do" in s["account-loaded"].reason
    assert s["dahdi-context-loaded"].status is Status.PASS


def test_other_nodes_get_only_the_cleanup(chan_sip, journal):
    rb = RUNBOOK.open("replay:srv01", journal=journal, target_options=chan_sip, dahdi_node=False)
    ids = [s.id for s in rb.steps]
    assert "dahdi-context" not in ids and "account-loaded" not in ids
    applied = rb.apply(confirm=True)
    assert not applied.failed
    assert steps_of(applied)["chan-sip"].reason == "chan_sip is loaded: 1 peer(s) (srv02)"
    assert "insecure" not in rb.targets[0].read_text("/etc/asterisk/sip.conf")
    assert steps_of(rb.verify())["insecure-after"].status is Status.PASS


def test_context_lines():
    v = RUNBOOK.validate({"dial_pattern": "_1XX", "dahdi_group": "r1", "dial_timeout": 30})
    assert dahdi_context_lines(v)[1] == "_1XX,n,Dial(DAHDI/r1/${EXTEN},30)"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"other_nodes": "0.0.0.0"}, "would let anyone use the DAHDI lines"),
        ({"other_nodes": "pbx1"}, "is not an IP address"),
        ({"dahdi_group": "g0;x"}, "dahdi_group="),
        ({"dial_pattern": "_X.;System(rm)"}, "dial_pattern="),
        ({"dial_timeout": 1}, "dial_timeout=1"),
        ({"secret_env": "s3cret value"}, "must name an environment variable"),
    ],
)
def test_bad_parameters(values, message, replays, journal):
    with pytest.raises(ParameterError, match=message):
        RUNBOOK.open("replay:srv02", journal=journal, target_options=replays, **values)
