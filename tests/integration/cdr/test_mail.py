"""Per-tenant reports mailed through a real SMTP server on loopback (aiosmtpd, STARTTLS, login)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from mirtalib.errors import ParameterError, SecretError, TargetError
from mirtalib.reporting import SmtpSettings, parse_recipients, send_reports

pytestmark = pytest.mark.integration
USER, PASSWORD = "reports@pbx.example", "s3cret-Relay-pw-7781"


def _certificate(folder):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "relay.pem", folder / "relay.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


def _auth(server, session, envelope, mechanism, data):
    ok = (
        isinstance(data, LoginPassword)
        and data.login.decode() == USER
        and data.password.decode() == PASSWORD
    )
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535


@pytest.fixture
def relay(tmp_path):
    cert, key = _certificate(tmp_path)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    inbox = _Inbox()
    with socket.socket() as probe:  # a free loopback port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=ctx,
        require_starttls=True,
        auth_required=True,
        authenticator=_auth,
    )
    controller.start()
    try:
        yield port, inbox, cert
    finally:
        controller.stop()


@pytest.fixture
def pages(tmp_path):
    acme = tmp_path / "cdr-ACME.html"
    acme.write_text("<html><body><h1>CDR report: tenant ACME</h1></body></html>")
    devel = tmp_path / "cdr-DEVEL.html"
    devel.write_text("<html><body><h1>CDR report: tenant DEVEL</h1></body></html>")
    return {"ACME": acme, "DEVEL": devel}


def test_reports_are_mailed_per_tenant_with_starttls_and_login(relay, pages, monkeypatch):
    port, inbox, cert = relay
    monkeypatch.setenv("TEST_SMTP_PW", PASSWORD)
    settings = SmtpSettings(
        host="127.0.0.1",
        port=port,
        sender="pbx@ops.example",
        user=USER,
        password_env="TEST_SMTP_PW",
        cafile=str(cert),
    )
    to = parse_recipients("ACME: ops@acme.example, cfo@acme.example; DEVEL:dev@devel.example")
    results = send_reports(pages, to, settings)
    assert [(r["tenant"], r["status"]) for r in results] == [("ACME", "sent"), ("DEVEL", "sent")]
    assert len(inbox.messages) == 2
    rcpts, msg = inbox.messages[0]
    assert rcpts == ["ops@acme.example", "cfo@acme.example"]
    assert msg["Subject"] == "CDR report ACME"
    html = next(p for p in msg.walk() if p.get_content_type() == "text/html")
    assert "tenant ACME" in html.get_payload(decode=True).decode()
    assert PASSWORD not in repr(results)


def test_wrong_password_missing_secret_and_bad_parameters(relay, pages, monkeypatch):
    port, inbox, cert = relay
    monkeypatch.setenv("TEST_SMTP_PW", "not-the-password-123")
    settings = SmtpSettings(
        host="127.0.0.1",
        port=port,
        sender="pbx@ops.example",
        user=USER,
        password_env="TEST_SMTP_PW",
        cafile=str(cert),
    )
    with pytest.raises(TargetError, match=f"127.0.0.1:{port}") as err:
        send_reports(pages, {"ACME": ["ops@acme.example"]}, settings)
    assert "not-the-password-123" not in str(err.value)
    assert inbox.messages == []
    monkeypatch.delenv("TEST_SMTP_PW")
    with pytest.raises(SecretError, match="TEST_SMTP_PW"):
        send_reports(pages, {"ACME": ["ops@acme.example"]}, settings)
    # the relay's certificate is not trusted without its CA: refused, not sent in clear
    monkeypatch.setenv("TEST_SMTP_PW", PASSWORD)
    untrusted = SmtpSettings(
        host="127.0.0.1",
        port=port,
        sender="pbx@ops.example",
        user=USER,
        password_env="TEST_SMTP_PW",
    )
    with pytest.raises(TargetError, match="certificate"):
        send_reports(pages, {"ACME": ["ops@acme.example"]}, untrusted)
    with pytest.raises(ParameterError, match="clear text"):
        SmtpSettings(host="127.0.0.1", sender="pbx@ops.example", user=USER, tls="none")
    with pytest.raises(ParameterError, match="mail_to"):
        parse_recipients("ACME ops@acme.example")


def test_relay_without_starttls_never_gets_the_password(pages, monkeypatch):
    """A relay (or a man in the middle) that does not offer STARTTLS but offers AUTH in clear:
    the mailer stops before AUTH; the relay's authenticator is never called."""
    attempts = []

    def _recording_auth(server, session, envelope, mechanism, data):
        attempts.append(mechanism)
        return _auth(server, session, envelope, mechanism, data)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        auth_require_tls=False,  # AUTH offered on the plain connection
        authenticator=_recording_auth,
    )
    controller.start()
    try:
        monkeypatch.setenv("TEST_SMTP_PW", PASSWORD)
        settings = SmtpSettings(
            host="127.0.0.1",
            port=port,
            sender="pbx@ops.example",
            user=USER,
            password_env="TEST_SMTP_PW",
        )
        with pytest.raises(TargetError, match="STARTTLS") as err:
            send_reports(pages, {"ACME": ["ops@acme.example"]}, settings)
    finally:
        controller.stop()
    assert attempts == [] and inbox.messages == []
    assert PASSWORD not in str(err.value)
