"""Page 04 end to end on this machine against a real `openssl s_server` on loopback."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes

from mirtalib.runbook import LocalTarget, Status
from mirtalib.runbooks.p04_debugging_tls_problems import RUNBOOK, peer_scan

pytestmark = pytest.mark.integration

# loopback servers (dnsmasq, s_server ...) from tests/integration/net, loaded by path: pytest runs
# with --import-mode=importlib and this folder's conftest is shared with other pages
_spec = importlib.util.spec_from_file_location(
    "_net_fixtures", Path(__file__).parents[1] / "net" / "conftest.py"
)
_net = sys.modules.get("_net_fixtures") or importlib.util.module_from_spec(_spec)
if "_net_fixtures" not in sys.modules:
    sys.modules["_net_fixtures"] = _net
    _spec.loader.exec_module(_net)
make_chain = _net.make_chain
s_server = _net.s_server
HOST = "sip.carrier.test"
TRANSPORTS = """[transport-tls]
type=transport
protocol=tls
bind=0.0.0.0:5061
method=tlsv1
"""


def _steps(report):
    return {r.step_id: r for r in report.nodes[0].results}


def test_sha1_peer_scanned_planned_applied(tmp_path, make_chain, s_server):
    files = make_chain(HOST, leaf_hash=hashes.SHA1)
    srv = s_server(
        files, "-cipher", "ECDHE-RSA-AES256-GCM-SHA384:AES256-SHA:@SECLEVEL=0", "-no_tls1_3"
    )
    conf = tmp_path / "pjsip_transports.conf"
    conf.write_text(TRANSPORTS)
    rb = RUNBOOK.open(
        LocalTarget(),
        journal=tmp_path / "journal",
        tls_host="127.0.0.1",
        tls_port=srv.port,
        ca_file=str(files["ca"]),
        pjsip_conf=str(conf),
        cipher="ECDHE-RSA-AES256-GCM-SHA384",
    )
    found = peer_scan(rb)
    assert [s.name for s in found.accepted("TLSv1.2")] == [
        "ECDHE-RSA-AES256-GCM-SHA384",
        "AES256-SHA",
    ]
    plan = _steps(rb.plan())
    assert plan["node-policy"].status in {Status.PASS, Status.WARN}  # Debian: no policy tool
    assert plan["peer-protocols"].reason.startswith("the peer still accepts TLSv1, TLSv1.1")
    assert plan["policy-fit"].reason.endswith(
        "Advice: LEGACY method=tlsv1_2 cipher=DEFAULT,@SECLEVEL=1"
    )
    assert plan["node-handshake"].status is Status.WARN  # s_client from "the node": no trusted CA
    assert "TLSv1.2 ECDHE-RSA-AES256-GCM-SHA384" in plan["node-handshake"].reason
    applied = rb.apply(confirm=True)
    assert not applied.failed
    assert conf.read_text().endswith("method=tlsv1_2\ncipher=ECDHE-RSA-AES256-GCM-SHA384\n")
    assert _steps(rb.verify())["transport-values"].status is Status.PASS


def test_unreachable_peer_fails_the_scan_checks(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    conf = tmp_path / "t.conf"
    conf.write_text(TRANSPORTS)
    rb = RUNBOOK.open(
        LocalTarget(),
        journal=tmp_path / "j",
        tls_host="127.0.0.1",
        tls_port=port,
        pjsip_conf=str(conf),
    )
    steps = _steps(rb.plan())
    assert steps["peer-protocols"].status is Status.FAIL
    assert "no TLS handshake" in steps["peer-protocols"].reason
    assert "cannot connect to 127.0.0.1" in steps["peer-protocols"].reason
    assert steps["peer-chain"].reason == "the peer sent no certificate"
    assert steps["node-handshake"].status is Status.FAIL
