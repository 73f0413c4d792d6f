"""Page 18's verification against real servers on loopback: a Python TLS server holding a
CA-signed certificate and answering RFC 6455 upgrades on ``/ws`` (like Asterisk's HTTP server on
8088/8089), probed by the runbook's own commands run locally (the real ``openssl s_client`` and
the Python runners of :mod:`mirtalib.net.websocket` / :mod:`mirtalib.net.wss`), and the
certificate file read from disk.
"""

from __future__ import annotations

import socket
import ssl
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[2] / "unit" / "runbooks"))
from install_replays import key_pem, make_cert, pem

from mirtalib.net import wss
from mirtalib.net.websocket import accept_for
from mirtalib.runbook import LocalTarget, Verdict
from mirtalib.runbooks.p18_enabling_webrtc import RUNBOOK

NAME = "pbx.test.example"


class UpgradeServer:
    """Threaded server on 127.0.0.1 answering ``GET /ws`` upgrades (TLS when ``context``)."""

    def __init__(self, context: ssl.SSLContext | None = None, *, good: bool = True) -> None:
        self.context, self.good = context, good
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        try:
            if self.context:
                conn = self.context.wrap_socket(conn, server_side=True)
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            lines = head.decode("latin-1").split("\r\n")
            headers = {
                k.strip().lower(): v.strip()
                for k, _, v in (x.partition(":") for x in lines[1:])
                if k
            }
            if not lines[0].startswith("GET /ws ") or not self.good:
                conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                return
            answer = [
                "HTTP/1.1 101 Switching Protocols",
                "Upgrade: websocket",
                "Connection: Upgrade",
                f"Sec-WebSocket-Accept: {accept_for(headers['sec-websocket-key'])}",
            ]
            if "sip" in headers.get("sec-websocket-protocol", ""):
                answer.append("Sec-WebSocket-Protocol: sip")
            conn.sendall(("\r\n".join(answer) + "\r\n\r\n").encode())
        except (OSError, ssl.SSLError):
            pass
        finally:
            conn.close()

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


@pytest.fixture
def pki(tmp_path: Path) -> dict:
    now = datetime.now(UTC).replace(tzinfo=None)
    ca = make_cert(
        ["Loopback Test CA"], now - timedelta(days=10), now + timedelta(days=900), is_ca=True
    )
    leaf, key = make_cert([NAME], now - timedelta(days=1), now + timedelta(days=80), ca=ca)
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(pem(leaf) + pem(ca[0]))
    key_file.write_bytes(key_pem(key))
    key_file.chmod(0o640)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_file, key_file)
    return {"cert": str(cert_file), "key": str(key_file), "context": ctx}


@pytest.fixture
def servers(pki):
    plain, tls = UpgradeServer(), UpgradeServer(pki["context"])
    yield plain, tls
    plain.close()
    tls.close()


def _checks(pki, plain_port: int, tls_port: int) -> dict:
    values = RUNBOOK.validate(
        {
            "server_name": NAME,
            "cert_file": pki["cert"],
            "key_file": pki["key"],
            "http_port": plain_port,
            "tls_port": tls_port,
        }
    )
    return {s.id: s for s in RUNBOOK.build(values) if hasattr(s, "expect")}


def _judge(check, target) -> tuple[Verdict, str]:
    if check.command is not None:
        out = target.run(check.command, timeout=20)
        assert out.exit_code in check.ok_codes, out.stderr
        text = out.stdout
    else:
        text = check.probe(target)
    return check.expect(check.parse(text))


def test_probes_pass_against_real_listeners(pki, servers):
    plain, tls = servers
    checks = _checks(pki, plain.port, tls.port)
    target = LocalTarget()
    verdict, why = _judge(checks["tls-listener"], target)
    assert verdict is Verdict.PASS, why
    assert NAME in why and "TLSv1." in why
    verdict, why = _judge(checks["ws-upgrade"], target)
    assert verdict is Verdict.PASS and "sub-protocol 'sip'" in why, why
    verdict, why = _judge(checks["wss-upgrade"], target)
    assert verdict is Verdict.PASS and why.startswith(f"wss://127.0.0.1:{tls.port}/ws"), why
    verdict, why = _judge(checks["certificate"], target)
    assert verdict is Verdict.PASS, why
    verdict, why = _judge(checks["private-key"], target)
    assert verdict is Verdict.PASS, why


def test_direct_wss_handshake(pki, servers):
    _, tls = servers
    result = wss.handshake("127.0.0.1", tls.port, "/ws", ("sip",), server_name=NAME)
    assert result.ok and result.protocol == "sip"


def test_probes_fail_when_nothing_listens_or_the_upgrade_is_refused(pki, servers):
    plain, _ = servers
    refusing = UpgradeServer(pki["context"], good=False)
    try:
        free = socket.socket()
        free.bind(("127.0.0.1", 0))
        closed_port = free.getsockname()[1]
        free.close()
        checks = _checks(pki, closed_port, refusing.port)
        target = LocalTarget()
        verdict, why = _judge(checks["ws-upgrade"], target)
        assert verdict is Verdict.FAIL and "ConnectionRefused" in why
        verdict, why = _judge(checks["wss-upgrade"], target)
        assert verdict is Verdict.FAIL and "HTTP 404" in why
        tls_on_plain = _checks(pki, plain.port, plain.port)["tls-listener"]
        verdict, why = _judge(tls_on_plain, target)
        assert verdict is Verdict.FAIL and "no TLS handshake" in why
    finally:
        refusing.close()
