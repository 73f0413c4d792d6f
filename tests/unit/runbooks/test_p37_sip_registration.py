"""Page 37 (SIP registration): register line and peer, the secret only at apply, never shown."""

from __future__ import annotations

import json

import pytest
from page_helpers import steps_of

from mirtalib.asterisk.sipregistry import parse_sip_registry
from mirtalib.errors import ParameterError
from mirtalib.runbook import Status, rehearse
from mirtalib.runbooks.p37_choosing_between_host_based_routing_and_sip_registration import (
    RUNBOOK,
)
from mirtalib.runbooks.sipconf import parse_register, register_value

SECRET = "cyj74rrjd8gg-test"  # a test value, set in the environment by the tests


@pytest.fixture
def rb(replays, journal, monkeypatch):
    monkeypatch.delenv("MIRTA_FLOWROUTE_SECRET", raising=False)
    runbook = RUNBOOK.open("replay:srv01", journal=journal, target_options=replays)
    yield runbook
    runbook.close()


def test_plan_shows_a_placeholder_and_does_not_need_the_secret(rb):
    plan = rb.plan()
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
    assert not applied.failed
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


def test_reload_now_and_verify(replays, journal, monkeypatch):
    monkeypatch.setenv("MIRTA_FLOWROUTE_SECRET", SECRET)
    rb = RUNBOOK.open("replay:srv01", journal=journal, target_options=replays, reload_now=True)
    before = steps_of(rb.verify())["registered"]
    assert before.status is Status.FAIL and "no registration of 49088751" in before.reason
    result = rehearse(rb)
    assert result.idempotent
    checks = steps_of(result.verify)
    assert checks["registered"].status is Status.PASS
    assert SECRET not in result.text()


def test_existing_register_line_is_replaced_in_place(replays, journal, monkeypatch):
    monkeypatch.setenv("MIRTA_FLOWROUTE_SECRET", SECRET)
    rb = RUNBOOK.open("replay:srv01", journal=journal, target_options=replays)
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
