"""Page 06 (Activating the Switchboard) on the recorded demo node srv01."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from integration_pages import CANARIES, everything_written, isolated_replays, steps

from mirtalib.errors import ParameterError
from mirtalib.runbook import Status
from mirtalib.runbooks import get
from mirtalib.runbooks.p06_activating_the_switchboard import RUNBOOK

PROPS = "/usr/local/amirouter/application.properties"
DB, KS = "MIRTA_AMIROUTER_DB_PASSWORD", "MIRTA_AMIROUTER_KEYSTORE_PASSWORD"


@pytest.fixture
def rb(tmp_path):
    opts = isolated_replays(tmp_path / "replays")
    runbook = RUNBOOK.open("replay:srv01", journal=tmp_path / "journal", target_options=opts)
    yield runbook
    runbook.close()


def test_registry_finds_page_06():
    assert get(6) is RUNBOOK


def test_plan_flags_the_published_defaults(rb):
    s = steps(rb.plan())
    assert s["default-passwords"].status is Status.WARN
    assert "server.ssl.key-store-password" in s["default-passwords"].reason
    assert "-server.ssl.key-store-password=tomcat" in s["properties"].diff
    assert "+server.ssl.key-store-password=<secret from $" + KS + ">" in s["properties"].diff
    assert s["keystore"].status is Status.WOULD_RUN
    assert "<secret from $" + KS + ">" in s["keystore-pass"].diff


def test_apply_builds_keystore_from_a_password_file(rb, tmp_path, monkeypatch):
    monkeypatch.setenv(DB, CANARIES[DB])
    monkeypatch.setenv(KS, CANARIES[KS])
    applied = rb.apply(confirm=True)
    assert not applied.failed, applied.text()
    t = rb.targets[0]
    assert t.read_text("/usr/local/amirouter/certs/.keystore-pass") == CANARIES[KS] + "\n"
    assert t.stat("/usr/local/amirouter/certs/.keystore-pass").mode == 0o600
    props = t.read_text(PROPS)
    assert f"server.ssl.key-store-password={CANARIES[KS]}\n" in props
    assert "tomcat\n" in props  # the alias stays; the default password is gone
    assert "=tomcat\nserver" not in props and props.count("=tomcat") == 1
    export = [
        c.command for r in applied.nodes[0].results for c in r.commands if "-export" in c.command
    ]
    assert export and CANARIES[KS] not in export[0] and "-passout file:" in export[0]
    again = rb.apply(confirm=True)
    assert not any(n.changed for n in again.nodes)
    verify = rb.verify()
    verify.raise_for_failure()
    text = everything_written([applied, again, verify], tmp_path / "journal")
    assert CANARIES[KS] not in text and CANARIES[DB] not in text


@pytest.mark.parametrize("weak", ["tomcat", "TomCat", "short-pass"])
def test_weak_keystore_password_is_refused_before_anything_is_built(rb, monkeypatch, weak):
    monkeypatch.setenv(DB, CANARIES[DB])
    monkeypatch.setenv(KS, weak)
    applied = rb.apply(confirm=True)
    s = steps(applied)
    assert s["keystore-pass"].status is Status.FAILED
    assert ("well-known default" in s["keystore-pass"].reason) or (
        "shorter than 16" in s["keystore-pass"].reason
    )
    assert s["keystore"].status is Status.NOT_RUN
    assert rb.targets[0].read_text("/usr/local/amirouter/certs/.keystore-pass") is None


def test_bad_parameters_are_refused():
    with pytest.raises(ParameterError, match="switchboard_url"):
        RUNBOOK.validate({"switchboard_url": "pbx.example.com"})
    with pytest.raises(ParameterError, match="must name an environment variable"):
        RUNBOOK.validate({"keystore_password_env": "tomcat tomcat"})
