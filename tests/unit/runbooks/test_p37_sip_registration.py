"""Page 37 (SIP registration): register line and peer, the secret only at apply, never shown.

The demo node srv01 is an Asterisk 22.10.1 node (recorded): no chan_sip, so the page says so and
apply writes nothing. Its chan_sip logic runs on the synthetic Asterisk 20 answers of
data/chan_sip_asterisk20 (the ``rb`` fixture and ``chan_sip`` options).
"""

from __future__ import annotations

import json

import pytest
from chan_sip_nodes import with_chan_sip
from page_helpers import steps_of

from mirtalib.asterisk.sipregistry import parse_sip_registry
from mirtalib.errors import ParameterError
from mirtalib.runbook import ApplyFailed, PlanFailed, Status, rehearse
from mirtalib.runbooks.p37_choosing_between_host_based_routing_and_sip_registration import (
    RUNBOOK,
)
from mirtalib.runbooks.sipconf import parse_register, register_value

SECRET = "cyj74rrjd8gg-test"  # a test value, set in the environment by the tests


NO_CHAN_SIP = "chan_sip is not loaded on this node (Asterisk 21 and later have no chan_sip"


@pytest.fixture
def chan_sip(replays):
    """``target_options`` of the isolated replays with the Asterisk 20 chan_sip answers."""
    with_chan_sip(replays["replay_dir"], "p37")
    return replays


@pytest.fixture
def rb(chan_sip, journal, monkeypatch):
    """Page 37 on a chan_sip node (srv01 with the synthetic Asterisk 20 answers)."""
    monkeypatch.delenv("MIRTA_FLOWROUTE_SECRET", raising=False)
    runbook = RUNBOOK.open("replay:srv01", journal=journal, target_options=chan_sip)
    yield runbook
    runbook.close()


# ---- the demo node: Asterisk 22.10.1, no chan_sip (recorded) -----------------------------------
def test_plan_on_the_asterisk22_demo_node_says_chan_sip_is_missing(replays, journal, monkeypatch):
    monkeypatch.delenv("MIRTA_FLOWROUTE_SECRET", raising=False)
    rb = RUNBOOK.open("replay:srv01", journal=journal, target_options=replays)
    plan = rb.plan()
    before = steps_of(plan)["registry-before"]
    assert before.status is Status.FAIL and before.reason.startswith(NO_CHAN_SIP)
    assert "'sip show registry' does not exist" in before.reason
    assert "register with PJSIP instead (a type=registration object" in before.reason
    assert "applies to nodes with chan_sip (Asterisk 20 and earlier)" in before.reason
    assert "output not understood" not in plan.text()
    # the plan still shows what apply would write on a chan_sip node, secret as a placeholder
    assert steps_of(plan)["sip-register"].status is Status.WOULD_CHANGE
    with pytest.raises(PlanFailed, match="chan_sip is not loaded on this node"):
        plan.raise_for_failure()


def test_apply_on_the_asterisk22_demo_node_writes_nothing(replays, journal, monkeypatch):
    monkeypatch.setenv("MIRTA_FLOWROUTE_SECRET", SECRET)
    rb = RUNBOOK.open("replay:srv01", journal=journal, target_options=replays, reload_now=True)
    t = rb.targets[0]
    sip_before = t.read_text("/etc/asterisk/sip.conf")
    applied = rb.apply(confirm=True)
    s = steps_of(applied)
    assert s["registry-before"].status is Status.FAIL
    assert s["sip-register"].status is Status.NOT_RUN
    assert s["sip-reload"].status is Status.NOT_RUN
    assert t.read_text("/etc/asterisk/sip.conf") == sip_before and SECRET not in sip_before
    assert t.log == ["asterisk -rx 'sip show registry'"]
    assert SECRET not in applied.text()
    with pytest.raises(ApplyFailed, match="'sip show registry' does not exist"):
        applied.raise_for_failure()


def test_verify_on_the_asterisk22_demo_node(replays, journal):
    rb = RUNBOOK.open("replay:srv01", journal=journal, target_options=replays)
    registered = steps_of(rb.verify())["registered"]
    assert registered.status is Status.FAIL and registered.reason.startswith(NO_CHAN_SIP)
    assert "49088751@sip.flowroute.com would never register" in registered.reason


# ---- a chan_sip node (Asterisk 20, synthetic answers) ------------------------------------------
def test_plan_shows_a_placeholder_and_does_not_need_the_secret(rb):
    plan = rb.plan()
    before = steps_of(plan)["registry-before"]
    assert before.status is Status.PASS
    assert before.reason == "no registration of 49088751@sip.flowroute.com (none at all)"
    s = steps_of(plan)["sip-register"]
    assert s.status is Status.WOULD_CHANGE
    assert "+register=>49088751:<secret from $MIRTA_FLOWROUTE_SECRET>@sip.flowroute.com" in s.diff
    assert "+secret=<secret from $MIRTA_FLOWROUTE_SECRET>" in s.diff
    assert "+[flowroute]" in s.diff and "+directmedia=no" in s.diff and "+type=peer" in s.diff
    assert "sip-reload-later" in steps_of(plan)  # no reload by default
    assert "sip-reload" not in steps_of(plan)


def test_apply_without_the_secret_writes_nothing(rb):
    report = rb.apply(confirm=True)
    s = steps_of(report)["sip-register"]
    assert s.status is Status.FAILED
    assert "secret MIRTA_FLOWROUTE_SECRET is not set" in s.reason
    assert "register" not in rb.targets[0].read_text("/etc/asterisk/sip.conf")


def test_apply_writes_the_secret_but_no_output_shows_it(rb, monkeypatch, journal):
    monkeypatch.setenv("MIRTA_FLOWROUTE_SECRET", SECRET)
    applied = rb.apply(confirm=True)
    assert not any(r.status is Status.FAILED for r in applied.nodes[0].results)
    # verified right after apply: the replay has no provider to register with
    assert [r.step_id for r in applied.nodes[0].verify if r.status is Status.FAIL] == [
        "registered"
    ]
    live = rb.targets[0].read_text("/etc/asterisk/sip.conf")
    assert f"register=>49088751:{SECRET}@sip.flowroute.com" in live
    assert f"secret={SECRET}" in live
    text = applied.text()
    assert SECRET not in text and "register=>49088751:********@sip.flowroute.com" in text
    for path in journal.iterdir():
        assert SECRET not in path.read_text()
    journal_params = json.loads(next(journal.glob("*apply*.json")).read_text())
    assert SECRET not in json.dumps(journal_params)
    # a second plan keeps the live secret (masked): nothing to change, nothing shown
    plan = rb.plan()
    assert steps_of(plan)["sip-register"].status is Status.OK
    assert SECRET not in plan.text()
    # and a second apply changes nothing
    assert not any(n.changed for n in rb.apply(confirm=True).nodes)


def test_reload_now_and_verify(chan_sip, journal, monkeypatch):
    monkeypatch.setenv("MIRTA_FLOWROUTE_SECRET", SECRET)
    rb = RUNBOOK.open("replay:srv01", journal=journal, target_options=chan_sip, reload_now=True)
    before = steps_of(rb.verify())["registered"]
    assert before.status is Status.FAIL and "no registration of 49088751" in before.reason
    result = rehearse(rb)
    assert result.idempotent
    checks = steps_of(result.verify)
    assert checks["registered"].status is Status.PASS
    assert SECRET not in result.text()


def test_existing_register_line_is_replaced_in_place(chan_sip, journal, monkeypatch):
    monkeypatch.setenv("MIRTA_FLOWROUTE_SECRET", SECRET)
    rb = RUNBOOK.open("replay:srv01", journal=journal, target_options=chan_sip)
    t = rb.targets[0]
    old = t.read_text("/etc/asterisk/sip.conf").replace(
        "[general]\n", "[general]\nregister => 49088751:oldpass1@sip.flowroute.com\n", 1
    )
    t.files["/etc/asterisk/sip.conf"]["content"] = old.encode()
    plan = rb.plan()
    diff = steps_of(plan)["sip-register"].diff
    assert "oldpass1" not in plan.text()  # the live secret is masked too
    assert "register" not in diff  # plan keeps the live secret: the line is not rewritten
    rb.apply(confirm=True)
    live = t.read_text("/etc/asterisk/sip.conf")
    assert live.count("register") == 1 and f"49088751:{SECRET}@" in live


def test_register_values_round_trip():
    for value in (
        "49088751:pw@sip.flowroute.com",
        "tls://user:pw:auth@host.example:5061/1234~120",
        "peer?user@host.example",
    ):
        assert register_value(parse_register(value)) == value
    assert "pw" not in repr(parse_register("u:pw@h"))


def test_registry_parser():
    reg = parse_sip_registry(
        "Host  dnsmgr Username  Refresh State  Reg.Time\n"
        "sip.example.com:5060  N  42  105 Request Sent\n"
        "sip.flowroute.com:5060   N      49088751    105 Registered     Mon, 02 Nov 2026 09:30:04\n"
        "2 SIP registrations.\n"
    )
    assert reg.count == 2
    assert reg.find("42", "sip.example.com").state == "Request Sent"
    assert reg.find("49088751", "SIP.flowroute.com").registered


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"secret_env": "cyj74rrjd8gg!"}, "must name an environment variable"),
        ({"username": "4908 8751"}, "username="),
        ({"codecs": "ulaw,speex"}, "codecs="),
        ({"provider_host": "sip..flowroute"}, "provider_host"),
        ({"directmedia": "maybe"}, "directmedia='maybe' is not one of"),
    ],
)
def test_bad_parameters(values, message, replays, journal):
    with pytest.raises(ParameterError, match=message):
        RUNBOOK.open("replay:srv01", journal=journal, target_options=replays, **values)
