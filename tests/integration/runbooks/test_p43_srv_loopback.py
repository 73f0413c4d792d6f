"""Page 43's live SRV check against dnsmasq on loopback, through a real shell on this machine."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from mirtalib.runbook import LocalTarget, Status
from mirtalib.runbooks.p43_clustering_and_high_availability import RUNBOOK

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
dnsmasq = _net.dnsmasq


def _srv(owner, target, prio):
    return f"--srv-host=_sip._udp.{owner}.example.test,{target}.example.test,5060,{prio},10"


def _check(tmp_path, port):
    rb = RUNBOOK.open(
        LocalTarget(),
        journal=tmp_path / "journal",
        domain="example.test",
        pools="pbxa:voip1,pbxb:voip2",
        resolver="127.0.0.1",
        dns_port=port,
    )
    return {r.step_id: r for r in rb.verify().nodes[0].results}["srv-published"]


def test_published_as_designed(tmp_path, dnsmasq):
    srv = dnsmasq(
        _srv("pbxa", "voip1", 10),
        _srv("pbxa", "voip2", 20),
        _srv("pbxb", "voip2", 10),
        _srv("pbxb", "voip1", 20),
    )
    step = _check(tmp_path, srv.port)
    assert step.status is Status.PASS
    assert step.reason == (
        "published as designed: _sip._udp.pbxa.example.test, _sip._udp.pbxb.example.test"
    )


def test_single_pool_and_missing_pool_fail(tmp_path, dnsmasq):
    srv = dnsmasq(_srv("pbxa", "voip1", 10), _srv("pbxa", "voip2", 10))
    step = _check(tmp_path, srv.port)
    assert step.status is Status.FAIL
    assert "_sip._udp.pbxa.example.test: missing [20 10 5060 voip2.example.test] unexpected " in (
        step.reason
    )
    assert "_sip._udp.pbxb.example.test: resolver said refused" in step.reason  # not in dnsmasq
