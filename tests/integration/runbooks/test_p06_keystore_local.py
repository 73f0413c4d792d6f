"""Page 06 applied on this machine: the real openssl builds the PKCS12 keystore from a password
file; the keystore opens with the canary password, which no output or journal contains."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from cryptography.hazmat.primitives.serialization import pkcs12

from mirtalib.runbook import Status, report_html
from mirtalib.runbooks.p06_activating_the_switchboard import RUNBOOK

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is needed")

KS_PASS = "canary-local-keystore-5b4a3928"
DB_PASS = "canary-local-dbpass-1029384756"


@pytest.fixture
def node(tmp_path):
    certs = tmp_path / "amirouter" / "certs"
    certs.mkdir(parents=True)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
         "-keyout", str(certs / "privkey.pem"), "-out", str(certs / "fullchain.pem"),
         "-days", "30", "-subj", "/CN=pbx.example.com"],
        check=True, capture_output=True,
    )  # fmt: skip
    props = tmp_path / "amirouter" / "application.properties"
    props.write_text("server.port=8080\nserver.ssl.key-store-password=tomcat\n")
    props.chmod(0o644)
    return tmp_path / "amirouter"


def _open(node, tmp_path):
    return RUNBOOK.open(
        "local",
        journal=tmp_path / "journal",
        properties_file=str(node / "application.properties"),
        certs_dir=str(node / "certs"),
        fullchain=str(node / "certs" / "fullchain.pem"),
        privkey=str(node / "certs" / "privkey.pem"),
    )


def test_apply_builds_a_keystore_that_opens_with_the_secret(node, tmp_path, monkeypatch):
    monkeypatch.setenv("MIRTA_AMIROUTER_KEYSTORE_PASSWORD", KS_PASS)
    monkeypatch.setenv("MIRTA_AMIROUTER_DB_PASSWORD", DB_PASS)
    rb = _open(node, tmp_path)
    plan = rb.plan()
    applied = rb.apply(confirm=True)
    # every step applied; its verify right after fails only because no Amirouter runs here
    assert not any(r.status is Status.FAILED for r in applied.nodes[0].results), applied.text()
    failing = [r.title for r in applied.nodes[0].verify if r.status is Status.FAIL]
    assert failing == ["Amirouter listens on 8080"], applied.text()
    keystore = (node / "certs" / "keystore.p12").read_bytes()
    key, cert, _extra = pkcs12.load_key_and_certificates(keystore, KS_PASS.encode())
    assert key is not None and "pbx.example.com" in cert.subject.rfc4514_string()
    assert (node / "certs" / "keystore.p12").stat().st_mode & 0o077 == 0  # umask 077
    assert (node / "application.properties").stat().st_mode & 0o777 == 0o600
    assert (
        f"server.ssl.key-store-password={KS_PASS}\n"
        in (node / "application.properties").read_text()
    )
    again = rb.apply(confirm=True)
    assert not any(n.changed for n in again.nodes)
    verify = rb.verify()
    s = {r.step_id: r for r in verify.nodes[0].results}
    assert s["keystore-opens"].status is Status.PASS
    assert s["properties-lines"].status is Status.PASS
    assert s["properties-private"].status is Status.PASS
    produced = [r.text() + report_html(r) for r in (plan, applied, again, verify)]
    produced += [p.read_text() for p in (tmp_path / "journal").rglob("*") if p.is_file()]
    assert not [t for t in produced if KS_PASS in t or DB_PASS in t]


def test_default_password_is_refused_and_nothing_is_built(node, tmp_path, monkeypatch):
    monkeypatch.setenv("MIRTA_AMIROUTER_KEYSTORE_PASSWORD", "tomcat")
    monkeypatch.setenv("MIRTA_AMIROUTER_DB_PASSWORD", DB_PASS)
    applied = _open(node, tmp_path).apply(confirm=True)
    assert applied.failed
    assert "well-known default password" in applied.text()
    assert not (node / "certs" / "keystore.p12").exists()
    assert "tomcat" in (node / "application.properties").read_text()  # untouched
