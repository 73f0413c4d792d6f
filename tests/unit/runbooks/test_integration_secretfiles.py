"""Secret helpers of the integration runbooks: generated secrets, rehearsal values, weak refusal."""

from __future__ import annotations

import os
import stat

import pytest

from mirtalib.errors import ParameterError, SecretError
from mirtalib.runbooks.secretfiles import (
    ensure_generated,
    keyvalue_file,
    refuse_weak,
    rehearsal_secrets,
    template_text,
)
from mirtalib.secrets import scrub


def test_ensure_generated_writes_a_strong_private_secret_once(tmp_path, monkeypatch):
    dotenv = tmp_path / ".env"
    dotenv.write_text("OTHER=1")  # no final newline: the new line must not glue onto it
    monkeypatch.setenv("MIRTA_DOTENV", str(dotenv))
    monkeypatch.delenv("MIRTA_TEST_GENERATED", raising=False)
    assert ensure_generated("MIRTA_TEST_GENERATED", dotenv=dotenv) is True
    value = os.environ.pop("MIRTA_TEST_GENERATED")
    lines = dotenv.read_text().splitlines()
    assert lines[0] == "OTHER=1" and lines[1] == f"MIRTA_TEST_GENERATED={value}"
    assert len(value) >= 30 and refuse_weak(value, "X", "test") == value
    assert scrub(f"pw {value}") == "pw ********"
    # the value is now found in the .env: nothing new is generated
    assert ensure_generated("MIRTA_TEST_GENERATED", dotenv=dotenv) is False
    assert len(dotenv.read_text().splitlines()) == 2


def test_generated_dotenv_is_created_private(tmp_path, monkeypatch):
    dotenv = tmp_path / "fresh.env"
    monkeypatch.setenv("MIRTA_DOTENV", str(dotenv))
    monkeypatch.delenv("MIRTA_TEST_GENERATED2", raising=False)
    ensure_generated("MIRTA_TEST_GENERATED2", dotenv=dotenv)
    os.environ.pop("MIRTA_TEST_GENERATED2")
    assert stat.S_IMODE(dotenv.stat().st_mode) == 0o600


@pytest.mark.parametrize("weak", ["tomcat", "Asterisk", "changeit", "fifteen-chars-x"])
def test_refuse_weak(weak):
    with pytest.raises(SecretError, match="MIRTA_X"):
        refuse_weak(weak, "MIRTA_X", "keystore password")


def test_rehearsal_secrets_only_on_replays(monkeypatch):
    monkeypatch.delenv("MIRTA_TEST_REHEARSAL", raising=False)
    assert rehearsal_secrets(["MIRTA_TEST_REHEARSAL"], is_replay=False) == []
    assert "MIRTA_TEST_REHEARSAL" not in os.environ
    assert rehearsal_secrets(["MIRTA_TEST_REHEARSAL"], is_replay=True) == ["MIRTA_TEST_REHEARSAL"]
    value = os.environ["MIRTA_TEST_REHEARSAL"]
    assert value.startswith("rehearsal-") and scrub(value) == "********"
    assert rehearsal_secrets(["MIRTA_TEST_REHEARSAL"], is_replay=True) == []  # already set


def test_keyvalue_file_plan_never_resolves(monkeypatch):
    monkeypatch.delenv("MIRTA_TEST_UNSET", raising=False)
    step = keyvalue_file("f", "F", "/etc/x.env", {"A": "1"}, {"B": "MIRTA_TEST_UNSET"})
    assert step.plan_render("A=0\n") == "A=1\nB=<secret from $MIRTA_TEST_UNSET>\n"
    with pytest.raises(SecretError, match="MIRTA_TEST_UNSET is not set"):
        step.render("A=0\n")
    with pytest.raises(ParameterError):
        keyvalue_file("f", "F", "/etc/x.env", {}, {"B": "not a name!"})


def test_live_secret_in_a_file_is_masked_before_diffs(monkeypatch):
    step = keyvalue_file("f", "F", "/etc/x.env", {}, {"B": "MIRTA_TEST_UNSET2"})
    step.plan_render("B=live-secret-4711-abcdef\n")
    assert scrub("B=live-secret-4711-abcdef") == "B=********"
    step.plan_render("B=changeit\n")
    assert scrub("alias changeit") == "alias changeit"  # a published default is not a secret


def test_templates_exist():
    assert "[{{ name }}]" in template_text("p05_aeap.conf.j2")
    with pytest.raises(ParameterError, match="no runbook template"):
        template_text("nope.j2")
