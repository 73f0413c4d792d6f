"""Page 23 (dial out through the DAHDI node): insecure scan and cleanup, account, [dahdi]."""

from __future__ import annotations

import pytest
from page_helpers import steps_of

from mirtalib.asterisk.conf import parse_conf
from mirtalib.errors import ParameterError
from mirtalib.runbook import Status, rehearse
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


def test_plan_on_the_dahdi_node(replays, journal, monkeypatch):
    monkeypatch.delenv("MIRTA_DAHDI_TRUNK_SECRET", raising=False)
    rb = RUNBOOK.open("replay:srv02", journal=journal, target_options=replays)
    plan = rb.plan()
    s = steps_of(plan)
    assert s["insecure-scan"].status is Status.WARN
    assert "[srv01] (own line)" in s["insecure-scan"].reason
    assert "-insecure=port,invite" in s["sip-account"].diff
    assert "+secret=<secret from $MIRTA_DAHDI_TRUNK_SECRET>" in s["sip-account"].diff
    assert "+permit=10.20.0.11/255.255.255.255" in s["sip-account"].diff
    assert "+exten => _X.,n,Dial(DAHDI/g0/${EXTEN},60)" in s["dahdi-context"].diff
    assert s["dialplan-reload"].status is Status.WOULD_RUN
    assert s["dahdi-spans"].status is Status.PASS


def test_rehearsal_with_the_secret(replays, journal, monkeypatch):
    monkeypatch.setenv("MIRTA_DAHDI_TRUNK_SECRET", SECRET)
    rb = RUNBOOK.open("replay:srv02", journal=journal, target_options=replays, reload_now=True)
    result = rehearse(rb)
    assert result.idempotent
    verdicts = {r.step_id: r.status for r in result.verify.nodes[0].results if r.kind == "check"}
    assert verdicts["insecure-after"] is Status.PASS
    assert verdicts["dahdi-context-loaded"] is Status.PASS
    assert verdicts["account-loaded"] is Status.PASS
    assert SECRET not in result.text()


def test_without_reload_the_account_check_warns(replays, journal, monkeypatch):
    monkeypatch.setenv("MIRTA_DAHDI_TRUNK_SECRET", SECRET)
    rb = RUNBOOK.open("replay:srv02", journal=journal, target_options=replays)
    rb.apply(confirm=True)
    assert SECRET in rb.targets[0].read_text("/etc/asterisk/sip.conf")
    s = steps_of(rb.verify())
    assert s["account-loaded"].status is Status.WARN
    assert "'sip reload' is still to do" in s["account-loaded"].reason
    assert s["dahdi-context-loaded"].status is Status.PASS


def test_other_nodes_get_only_the_cleanup(replays, journal):
    rb = RUNBOOK.open("replay:srv01", journal=journal, target_options=replays, dahdi_node=False)
    ids = [s.id for s in rb.steps]
    assert "dahdi-context" not in ids and "account-loaded" not in ids
    applied = rb.apply(confirm=True)
    assert not applied.failed
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
