"""Page 04 (Debugging TLS problems) on the recorded demo node srv01."""

from __future__ import annotations

import pytest

from mirtalib.errors import ParameterError
from mirtalib.runbook import Status, rehearse
from mirtalib.runbooks import get
from mirtalib.runbooks.p04_debugging_tls_problems import RUNBOOK, chain_text, peer_scan, scan_text

CONF = "/etc/asterisk/pjsip_transports.conf"


@pytest.fixture
def rb(tmp_path):
    runbook = RUNBOOK.open("replay:srv01", journal=tmp_path / "journal")
    yield runbook
    runbook.close()


def _steps(report):
    return {r.step_id: r for r in report.nodes[0].results}


def test_registry_finds_page_04():
    assert get(4) is RUNBOOK


def test_recorded_scan_and_chain(rb):
    found = peer_scan(rb)
    assert scan_text(found).splitlines() == [
        "TLSv1    accepted  ECDHE-RSA-AES128-SHA, AES256-SHA",
        "TLSv1.1  accepted  ECDHE-RSA-AES128-SHA, AES256-SHA",
        "TLSv1.2  accepted  ECDHE-RSA-AES256-GCM-SHA384, ECDHE-RSA-AES128-SHA, AES256-SHA",
        "TLSv1.3  refused  ",
    ]
    assert "expires 2026-11-30 (27 days); RSA 2048; signed with sha1" in chain_text(
        found, rb.targets[0].now()
    )
    assert rb.targets[0].log == ["mirta-probe tls-scan sip.voip-carrier.example:5061"]


def test_plan_findings_and_advice(rb):
    plan = rb.plan()
    steps = _steps(plan)
    assert steps["node-policy"].reason == "policy DEFAULT"
    assert "34 suites" in steps["node-ciphers"].reason
    assert steps["peer-protocols"].status is Status.WARN
    assert steps["peer-protocols"].reason.startswith("the peer still accepts TLSv1, TLSv1.1")
    chain = steps["peer-chain"]
    assert chain.status is Status.WARN and chain.reason.startswith("expires in 27 days")
    fit = steps["policy-fit"]
    assert fit.status is Status.WARN
    assert (
        "DEFAULT: fails (3 common suite(s); certificate 'sip.voip-carrier.example' is signed"
        in (fit.reason)
    )
    assert fit.reason.endswith("Advice: LEGACY method=tlsv1_2 cipher=DEFAULT,@SECLEVEL=1")
    hand = steps["node-handshake"]
    assert hand.status is Status.WARN and "CA signature digest algorithm too weak" in hand.reason
    assert "-method=tlsv1    ; left from" in steps["transport-tls"].diff
    assert "crypto-policy" not in steps  # the safe default keeps the policy
    assert not plan.failed


def test_pages_recipe_apply_verify_rollback(tmp_path):
    rb = RUNBOOK.open(
        "replay:srv01", journal=tmp_path, crypto_policy="LEGACY", cipher="DEFAULT,@SECLEVEL=1"
    )
    applied = rb.apply(confirm=True)
    assert not applied.failed
    steps = _steps(applied)
    assert steps["crypto-policy"].status is Status.CHANGED
    assert steps["transport-tls"].file.backup.endswith(f"/{applied.run_id}{CONF}")
    text = rb.targets[0].read_text(CONF)
    assert (
        "method=tlsv1_2    ; left from the CentOS 7 installation\ncipher=DEFAULT,@SECLEVEL=1\n"
        in text
    )
    again = rb.apply(confirm=True)
    assert not again.nodes[0].changed
    assert "already in effect" in _steps(again)["crypto-policy"].reason
    verify = rb.verify()
    verify.raise_for_failure()  # handshake still WARN until the certificate is replaced
    assert _steps(verify)["node-handshake-after"].status is Status.WARN
    rb.last_apply = applied
    rb.rollback(confirm=True)
    assert "method=tlsv1    ;" in rb.targets[0].read_text(CONF)
    assert rb.targets[0].state == "initial"  # undo set the DEFAULT policy back


def test_rehearsal_is_idempotent(rb):
    assert rehearse(rb).idempotent


@pytest.mark.parametrize(
    "values, match",
    [
        ({"cipher": "ALL; rm -rf /"}, "give a comma-separated OpenSSL list"),
        ({"method": "tlsv9"}, "is not one of"),
        ({"tls_port": 70000}, "is outside 1-65535"),
        ({"tls_host": "bad host"}, "tls_host"),
        ({"crypto_policy": "FUTURE"}, "is not one of"),
        ({"expiry_warn_days": 0}, "expiry_warn_days=0 is outside 1-365"),
        ({"ca_file": "relative.pem"}, "must be an absolute path"),
    ],
)
def test_bad_parameters_are_refused_with_a_clear_message(values, match):
    with pytest.raises(ParameterError, match=match):
        RUNBOOK.open("replay:srv01", **values)


def test_missing_transport_section_fails_the_step(tmp_path):
    rb = RUNBOOK.open("replay:srv01", journal=tmp_path, transport="transport-wss")
    step = _steps(rb.plan())["transport-tls"]
    assert step.status is Status.FAILED
    assert "expected exactly one section [transport-wss], found 0" in step.reason
