"""The handshake probe against a real WebSocket server (the `websockets` package) on 127.0.0.1."""

from __future__ import annotations

import http.server
import socket
import threading

import pytest

websockets_sync = pytest.importorskip("websockets.sync.server", reason="pip install websockets")

from mirtalib.net.websocket import handshake, node_command, parse_node_output  # noqa: E402
from mirtalib.runbook import LocalTarget  # noqa: E402


def _echo(conn) -> None:
    for message in conn:
        conn.send(message)


@pytest.fixture
def ws_server():
    server = websockets_sync.serve(_echo, "127.0.0.1", 0, subprotocols=["media"])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.socket.getsockname()[1]
    server.shutdown()
    thread.join(5)


@pytest.fixture
def http_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_real_server_upgrades_with_the_media_protocol(ws_server):
    hs = handshake("127.0.0.1", ws_server, "/", ["media"])
    assert hs.ok, hs.problems
    assert hs.status == 101 and hs.accept_ok and hs.protocol == "media"


def test_real_server_without_a_common_protocol_is_reported(ws_server):
    hs = handshake("127.0.0.1", ws_server, "/", ["chat"])
    assert not hs.ok
    assert any("none of the sub-protocols ['chat']" in p for p in hs.problems)


def test_plain_http_server_is_not_a_websocket(http_server):
    hs = handshake("127.0.0.1", http_server, "/", ["media"])
    assert not hs.ok and hs.status != 101
    assert any("instead of 101" in p for p in hs.problems)


def test_nothing_listening():
    hs = handshake("127.0.0.1", _closed_port(), "/", timeout=2)
    assert not hs.ok and hs.status == 0 and "ConnectionRefused" in hs.reason


def test_node_command_through_a_real_shell(ws_server):
    """The command a runbook sends to the node, run by this machine's /bin/sh and python3."""
    target = LocalTarget()
    out = target.run(node_command("127.0.0.1", ws_server, "/", ["media"]))
    assert out.exit_code == 0, out.stderr
    hs = parse_node_output(out.stdout, "127.0.0.1", ws_server, "/", ["media"])
    assert hs.ok, hs.problems
    closed = _closed_port()
    out = target.run(node_command("127.0.0.1", closed, "/", ["media"], timeout=2))
    assert "ConnectionRefused" in parse_node_output(out.stdout, "127.0.0.1", closed).reason
