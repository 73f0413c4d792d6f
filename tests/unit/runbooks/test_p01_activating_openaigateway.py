"""Page 01 (Activating openaigateway) on the recorded demo node srv01."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from integration_pages import CANARIES, everything_written, isolated_replays, steps

from mirtalib.errors import ParameterError, TargetError
from mirtalib.runbook import Status, rehearse
from mirtalib.runbooks import get
from mirtalib.runbooks.p01_activating_openaigateway import RUNBOOK

ENV = "/usr/local/openaigateway/.env"


@pytest.fixture
def opts(tmp_path):
    return isolated_replays(tmp_path / "replays")


@pytest.fixture
def rb(tmp_path, opts):
    runbook = RUNBOOK.open("replay:srv01", journal=tmp_path / "journal", target_options=opts)
    yield runbook
    runbook.close()


def test_registry_finds_page_01():
    assert get(1) is RUNBOOK


def test_plan_checks_python_poetry_and_shows_placeholders(rb):
    plan = rb.plan()
    s = steps(plan)
    assert s["python"].status is Status.PASS and "Python 3.12.5" in s["python"].reason
    assert s["poetry"].status is Status.PASS
    assert s["env-password"].status is Status.WARN  # the sample's published default
    assert s["install-python"].status is Status.OK  # guard: python3.12 answers
    conf = s["websocket-conf"]
    assert conf.status is Status.WOULD_CHANGE
    assert "+uri = ws://127.0.0.1:9088" in conf.diff and "+protocols = media" in conf.diff
    env = s["gateway-env"].diff
    assert '+DB_PASSWORD="<secret from $MIRTA_OPENAIGW_DB_PASSWORD>"' in env
    assert s["env-private"].status is Status.WOULD_RUN
    assert s["reload-websocket"].status is Status.WOULD_RUN
    assert all(t.state == "initial" for t in rb.targets)


def test_apply_writes_the_secret_but_no_output_shows_it(rb, tmp_path, monkeypatch):
    monkeypatch.setenv("MIRTA_OPENAIGW_DB_PASSWORD", CANARIES["MIRTA_OPENAIGW_DB_PASSWORD"])
    applied = rb.apply(confirm=True)
    assert not applied.failed, applied.text()
    written = rb.targets[0].read_text(ENV)
    assert f"DB_PASSWORD={CANARIES['MIRTA_OPENAIGW_DB_PASSWORD']}\n" in written
    assert "LOG_LEVEL=info" in written  # other lines kept
    again = rb.apply(confirm=True)
    assert not any(n.changed for n in again.nodes)
    verify = rb.verify()
    v = steps(verify)
    assert v["gateway-handshake"].status is Status.PASS
    assert "101 Switching Protocols" in v["gateway-handshake"].reason
    assert v["gateway-port"].status is Status.WARN  # 0.0.0.0:9088 on the demo node
    assert v["env-mode"].status is Status.PASS
    text = everything_written([rb.plan(), applied, again, verify], tmp_path / "journal")
    assert CANARIES["MIRTA_OPENAIGW_DB_PASSWORD"] not in text
    assert "DB_PASSWORD=********" in text


def test_verify_before_apply_fails_on_the_missing_connection(rb):
    verify = rb.verify()
    s = steps(verify)
    assert s["websocket-conf-check"].status is Status.FAIL
    assert s["env-mode"].status is Status.FAIL and "chmod 600" in s["env-mode"].reason


def test_rehearsal_without_the_secret_fails_clearly(rb):
    result = rehearse(rb)
    assert "secret MIRTA_OPENAIGW_DB_PASSWORD is not set" in result.text()


def test_bad_parameters_are_refused(opts):
    with pytest.raises(ParameterError, match="python_bin"):
        RUNBOOK.open("replay:srv01", target_options=opts, python_bin="python2")
    with pytest.raises(ParameterError, match="must name an environment variable"):
        RUNBOOK.open("replay:srv01", target_options=opts, db_password_env="hunter2 secret!")
    with pytest.raises(ParameterError, match="gateway_port"):
        RUNBOOK.open("replay:srv01", target_options=opts, gateway_port=70000)


def test_unrecorded_command_is_named(tmp_path, opts):
    rb = RUNBOOK.open("replay:srv01", target_options=opts, python_bin="python3.13")
    with pytest.raises(TargetError, match="command not recorded: 'python3.13 --version'"):
        rb.plan()


def test_missing_python_warns_so_apply_can_install_it():
    from mirtalib.runbooks.p01_activating_openaigateway import _maybe_version, _python_expect

    verdict, reason = _python_expect(_maybe_version(""))
    assert verdict == "warn" and "apply installs it" in reason
    assert _python_expect(_maybe_version("Python 3.9.18"))[0] == "fail"
    assert _python_expect(_maybe_version("Python 3.13.1"))[0] == "warn"
