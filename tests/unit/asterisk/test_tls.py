"""openssl s_client parser: hand-written outputs of other OpenSSL versions, and the real program
talking to a real ``openssl s_server`` started on loopback by the test."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from cryptography import x509

from mirtalib.asterisk.tls import parse_s_client
from mirtalib.errors import ParseError

OPENSSL = shutil.which("openssl")


def test_tls13_ok(sample) -> None:
    s = parse_s_client(sample("s_client_tls13_ok.txt"))
    assert s.connected and s.handshake_ok and s.verified
    assert (s.protocol, s.cipher) == ("TLSv1.3", "TLS_AES_256_GCM_SHA384")
    assert [c.subject for c in s.chain] == [
        "CN = pbx.example.com",
        "C = US, O = Let's Encrypt, CN = R11",
    ]
    assert s.chain[0].not_after == "Dec 30 08:12:43 2026 GMT"
    assert s.chain[0].key.startswith("PKEY: rsaEncryption, 4096")
    assert s.subject == "CN = pbx.example.com" and s.server_temp_key == "X25519, 253 bits"
    assert s.pem.startswith("-----BEGIN CERTIFICATE-----\n") and s.pem.endswith("-----\n")


def test_openssl_102_reads_protocol_from_session_and_drops_master_key(sample) -> None:
    s = parse_s_client(sample("s_client_102_tls12.txt"))
    assert (s.protocol, s.cipher) == ("TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384")
    assert (s.verify_code, s.verify_message, s.verified) == (18, "self signed certificate", False)
    assert (
        s.chain[0].subject == "/CN=pbx.example.com" and s.chain[0].issuer == "/CN=pbx.example.com"
    )
    assert "9F8E7D6C5B4A" not in repr(s)


def test_handshake_failure_and_refused(sample) -> None:
    s = parse_s_client(sample("s_client_handshake_failure.txt"))
    assert s.connected and not s.handshake_ok and s.protocol == "" and s.cipher == ""
    assert any("handshake failure" in e for e in s.errors) and s.pem == "" and s.chain == ()
    r = parse_s_client(sample("s_client_refused.txt"))
    assert not r.connected and not r.handshake_ok
    assert any("Connection refused" in e for e in r.errors) and "connect:errno=111" in r.errors
    with pytest.raises(ParseError):
        parse_s_client("hello world\n")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    """A real ``openssl s_server`` on 127.0.0.1 with a fresh self-signed certificate (TLS 1.2+)."""
    if OPENSSL is None:
        pytest.skip("openssl program not installed")
    d: Path = tmp_path_factory.mktemp("tls")
    subprocess.run(
        [
            OPENSSL,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=pbx.test",
            "-keyout",
            str(d / "key.pem"),
            "-out",
            str(d / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )
    port = _free_port()
    proc = subprocess.Popen(
        [
            OPENSSL,
            "s_server",
            "-accept",
            f"127.0.0.1:{port}",
            "-cert",
            str(d / "cert.pem"),
            "-key",
            str(d / "key.pem"),
            "-www",
            "-no_tls1_3",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            pytest.fail("openssl s_server did not start listening")
        yield port, (d / "cert.pem")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _s_client(port: int, *extra: str) -> str:
    res = subprocess.run(
        [OPENSSL, "s_client", "-connect", f"127.0.0.1:{port}", "-servername", "pbx.test", *extra],
        input="",
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return res.stdout + res.stderr


@pytest.mark.integration
@pytest.mark.skipif(OPENSSL is None, reason="openssl program not installed")
def test_real_s_client_against_real_s_server(tls_server) -> None:
    port, cert_path = tls_server
    s = parse_s_client(_s_client(port))
    assert s.connected and s.handshake_ok
    assert s.protocol == "TLSv1.2" and s.cipher
    assert s.verify_code in (18, 19) and not s.verified  # self-signed, not in the trust store
    assert "pbx.test" in s.subject and s.chain and s.chain[0].depth == 0
    served = x509.load_pem_x509_certificate(s.pem.encode())
    assert served == x509.load_pem_x509_certificate(cert_path.read_bytes())
    trusted = parse_s_client(_s_client(port, "-CAfile", str(cert_path)))
    assert trusted.verified and trusted.verify_message == "ok"


@pytest.mark.integration
@pytest.mark.skipif(OPENSSL is None, reason="openssl program not installed")
def test_real_protocol_mismatch_and_refused(tls_server) -> None:
    port, _ = tls_server
    s = parse_s_client(_s_client(port, "-tls1_3"))
    assert s.connected and not s.handshake_ok and s.errors
    closed = parse_s_client(_s_client(_free_port()))
    assert not closed.connected and not closed.handshake_ok and closed.errors


@pytest.mark.integration
@pytest.mark.skipif(OPENSSL is None, reason="openssl program not installed")
def test_real_brief_output(tls_server) -> None:
    port, _ = tls_server
    s = parse_s_client(_s_client(port, "-brief"))
    assert s.connected and s.handshake_ok and s.protocol == "TLSv1.2" and s.cipher


def test_openssl_ciphers_and_page_03_cipher_list(sample) -> None:
    from mirtalib.asterisk.tls import parse_openssl_ciphers, unknown_ciphers

    ciphers = parse_openssl_ciphers(sample("openssl_ciphers_v.txt"))
    assert len(ciphers) == 10 and ciphers[0].protocol == "TLSv1.3"
    assert ciphers[3].kx == "ECDH" and ciphers[3].enc == "AESGCM(256)"
    page03 = (
        "ECDHE-RSA-CHACHA20-POLY1305,ECDHE-RSA-AES256-GCM-SHA384,ECDHE-RSA-AES128-GCM-SHA256,"
        "ECDHE-RSA-AES256-SHA384,ECDHE-RSA-AES128-SHA256,AES256-GCM-SHA384,AES128-GCM-SHA256"
    )
    assert unknown_ciphers(page03, ciphers) == []
    assert unknown_ciphers("DEFAULT,@SECLEVEL=1,RC4-MD5", ciphers) == ["RC4-MD5"]
    old = parse_openssl_ciphers(sample("openssl_ciphers_102_export.txt"))
    assert [(c.id, c.export) for c in old] == [
        ("0xC0,0x30", False),
        ("0x00,0x35", False),
        ("0x00,0x08", True),
    ]
    with pytest.raises(ParseError):
        parse_openssl_ciphers(
            "Error in cipher list\n40C7:error:0A0000B9:SSL routines::no cipher match\n"
        )


@pytest.mark.integration
@pytest.mark.skipif(OPENSSL is None, reason="openssl program not installed")
def test_real_openssl_ciphers() -> None:
    from mirtalib.asterisk.tls import parse_openssl_ciphers

    for argv in (["-v"], ["-V"], ["-v", "DEFAULT:@SECLEVEL=1"]):
        out = subprocess.run(
            [OPENSSL, "ciphers", *argv], capture_output=True, text=True, check=True
        ).stdout
        ciphers = parse_openssl_ciphers(out)
        assert len(ciphers) == len(out.strip().splitlines()) > 0
        assert all(c.protocol.startswith(("TLS", "SSL")) for c in ciphers)
