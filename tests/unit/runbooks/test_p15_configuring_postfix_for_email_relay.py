"""Page 15 (postfix relay) on the recorded demo node, the main.cf editor and the secret canary."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))  # install_replays.py, next to this file
from install_replays import isolated

from mirtalib.asterisk.postfix import parse_main_cf, parse_postconf, set_main_cf
from mirtalib.errors import ParameterError, ParseError, SecretError
from mirtalib.runbook import Status, rehearse
from mirtalib.runbooks import get
from mirtalib.runbooks.p15_configuring_postfix_for_email_relay import RUNBOOK, main_cf_values

ENV = "MIRTA_SMTP_RELAY_PASSWORD"
CANARY = "Canary-7f3e-relay-PW-never-shown"


@pytest.fixture
def rb(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    (tmp_path / "r").mkdir()
    runbook = RUNBOOK.open(
        "replay:srv01", journal=tmp_path / "journal", target_options=isolated(tmp_path / "r")
    )
    yield runbook
    runbook.close()


def _steps(report):
    return {r.step_id: r for r in report.nodes[0].results}


def test_registry_and_values():
    assert get(15) is RUNBOOK
    v = RUNBOOK.validate({})
    assert main_cf_values(v)["relayhost"] == "[smtp.example.net]:587"
    assert main_cf_values(v)["smtp_tls_security_level"] == "encrypt"


def test_plan_shows_placeholder_and_needs_no_secret(rb):
    report = rb.plan()  # the variable is not set: plan still works
    s = _steps(report)
    assert s["packages"].status is Status.WOULD_RUN
    assert "+relayhost = [smtp.example.net]:587" in s["main-cf"].diff
    assert "pbx-relay@example.net:<secret from $MIRTA_SMTP_RELAY_PASSWORD>" in s["sasl-passwd"].diff
    assert s["postmap"].status is Status.WOULD_RUN
    assert rb.targets[0].state == "initial"


def test_apply_without_the_secret_stops_before_any_change(rb):
    report = rb.apply(confirm=True)
    assert report.failed
    sasl = _steps(report)["sasl-passwd"]
    assert sasl.status is Status.FAILED and ENV in sasl.reason
    assert rb.targets[0].state == "initial"  # no package installed, nothing reloaded
    assert "\nrelayhost = [" not in rb.targets[0].read_text("/etc/postfix/main.cf")
    assert rb.targets[0].read_text("/etc/postfix/sasl_passwd") is None


def test_canary_secret_only_in_the_written_file(rb, tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, CANARY)
    plan = rb.plan()
    applied = rb.apply(confirm=True)
    assert not applied.failed
    written = rb.targets[0].read_text("/etc/postfix/sasl_passwd")
    assert f"[smtp.example.net]:587 pbx-relay@example.net:{CANARY}\n" in written
    assert rb.targets[0].stat("/etc/postfix/sasl_passwd").mode & 0o777 == 0o600
    outputs = [str(plan), str(applied), repr(applied)]
    outputs += [p.read_text() for p in (tmp_path / "journal").rglob("*") if p.is_file()]
    assert outputs and all(CANARY not in text for text in outputs)
    assert "********" in _steps(applied)["sasl-passwd"].diff
    verify = rb.verify()
    assert all(r.status is Status.PASS for r in verify.nodes[0].results if r.kind == "check")
    again = rb.apply(confirm=True)
    assert not any(n.changed for n in again.nodes)


def test_live_password_is_masked_in_plan(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    (tmp_path / "r").mkdir()
    rb = RUNBOOK.open(
        "replay:srv01", journal=tmp_path / "j", target_options=isolated(tmp_path / "r")
    )
    old = "Old-Live-Password-0042"
    rb.targets[0].files["/etc/postfix/sasl_passwd"] = {
        "content": f"[old.example.net]:587 someone:{old}\n".encode(),
        "mode": 0o600,
        "uid": 0,
        "gid": 0,
    }
    text = str(rb.plan())
    assert old not in text and "someone:********" in text


def test_rehearsal_is_idempotent_and_rolls_back(rb, monkeypatch):
    monkeypatch.setenv(ENV, CANARY)
    r = rehearse(rb)
    assert r.idempotent
    assert CANARY not in str(r)
    back = _steps(r.rollback)
    assert back["sasl-passwd"].reason == "created by apply: removed"
    # the table postmap built holds the credentials too: its undo removes it
    undo = back["postmap"].commands[0].command
    assert back["postmap"].status is Status.CHANGED
    assert undo.endswith("else rm -f /etc/postfix/sasl_passwd.db; fi")
    assert "then postmap -c /etc/postfix hash:/etc/postfix/sasl_passwd && chmod 0600" in undo


def test_table_undo_follows_the_map_type():
    from mirtalib.runbooks.p15_configuring_postfix_for_email_relay import table_undo

    undo = table_undo(RUNBOOK.validate({"map_type": "lmdb", "config_dir": "/srv/my postfix"}))
    assert "rm -f '/srv/my postfix/sasl_passwd.lmdb'" in undo
    assert "postmap -c '/srv/my postfix' 'lmdb:/srv/my postfix/sasl_passwd'" in undo


@pytest.mark.parametrize(
    ("name", "value", "match"),
    [
        ("relay_host", "smtp example", "relay_host"),
        ("relay_port", 70000, "relay_port"),
        ("relay_user", "user:pw", "relay_user"),
        ("relay_password_env", "hunter2 secret", "relay_password_env"),
        ("tls_level", "may", "tls_level"),
    ],
)
def test_bad_parameters_are_refused(name, value, match):
    with pytest.raises((ParameterError, SecretError), match=match):
        RUNBOOK.validate({name: value})


def test_main_cf_editor_keeps_other_lines_and_drops_overrides():
    text = "# comment\nmyhostname = pbx\n  .example\nrelayhost = old\nx = 1\nrelayhost = later\n"
    out = set_main_cf(text, {"relayhost": "[a]:587", "smtp_sasl_auth_enable": "yes"})
    assert out == (
        "# comment\nmyhostname = pbx\n  .example\nrelayhost = [a]:587\nx = 1\n"
        "smtp_sasl_auth_enable = yes\n"
    )
    assert parse_main_cf(out)["myhostname"] == "pbx .example"
    assert set_main_cf(out, {"relayhost": "[a]:587"}) == out


def test_postconf_parser():
    assert parse_postconf("relayhost = [a]:587\nsmtp_sasl_security_options =\n") == {
        "relayhost": "[a]:587",
        "smtp_sasl_security_options": "",
    }
    with pytest.raises(ParseError, match="line 1"):
        parse_postconf("postconf: warning: unknown parameter")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab =#\n\t_.:[]-1")), max_size=120))
def test_main_cf_fuzz(text):
    try:
        parsed = parse_main_cf(text)
    except ParseError:
        return
    assert isinstance(parsed, dict)
    out = set_main_cf(text, {"relayhost": "[h]:587"})
    assert parse_main_cf(out)["relayhost"] == "[h]:587"
    assert set_main_cf(out, {"relayhost": "[h]:587"}) == out


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_postconf_fuzz(text):
    try:
        assert isinstance(parse_postconf(text), dict)
    except ParseError:
        pass


def test_json_dump_of_plan_has_no_secret(rb, monkeypatch):
    monkeypatch.setenv(ENV, CANARY)
    report = rb.apply(confirm=True)
    assert CANARY not in json.dumps([r.reason + (r.diff or "") for r in report.nodes[0].results])
