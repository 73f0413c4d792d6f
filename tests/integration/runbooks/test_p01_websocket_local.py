"""Page 01's port and handshake checks on this machine against a real websocket server."""

from __future__ import annotations

import shutil
import threading

import pytest

websockets_sync = pytest.importorskip("websockets.sync.server", reason="pip install websockets")

from mirtalib.runbook import Status  # noqa: E402
from mirtalib.runbooks.p01_activating_openaigateway import RUNBOOK  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which("ss") is None, reason="ss (iproute2) is not installed")


@pytest.fixture
def server():
    srv = websockets_sync.serve(lambda conn: None, "127.0.0.1", 0, subprotocols=["media"])
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv.socket.getsockname()[1]
    srv.shutdown()
    thread.join(5)


def _verify(tmp_path, **values):
    rb = RUNBOOK.open("local", journal=tmp_path / "journal", install_dir=str(tmp_path), **values)
    report = rb.verify()
    return {r.step_id: r for r in report.nodes[0].results}


def test_real_gateway_port_and_handshake_pass(tmp_path, server):
    s = _verify(tmp_path, gateway_port=server)
    assert s["gateway-port"].status is Status.PASS, s["gateway-port"].reason
    assert f"127.0.0.1:{server}" in s["gateway-port"].reason
    assert s["gateway-handshake"].status is Status.PASS, s["gateway-handshake"].reason
    # the .env does not exist here: stat fails, which is a clear fail, not a crash
    assert s["env-mode"].status is Status.FAIL


def test_wrong_sub_protocol_fails_the_handshake(tmp_path, server):
    s = _verify(tmp_path, gateway_port=server, ws_protocol="speech_to_text")
    assert s["gateway-handshake"].status is Status.FAIL
    assert "none of the sub-protocols ['speech_to_text']" in s["gateway-handshake"].reason


def test_nothing_listening_fails_both(tmp_path, server):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        free = sock.getsockname()[1]
    s = _verify(tmp_path, gateway_port=free)
    assert s["gateway-port"].status is Status.FAIL
    assert "no connection" in s["gateway-handshake"].reason
