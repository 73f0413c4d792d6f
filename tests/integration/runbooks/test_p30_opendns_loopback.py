"""Page 30 end to end on this machine: real shell, python3, dnsmasq and a refusing DNS server."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from mirtalib.runbook import LocalTarget, Status
from mirtalib.runbooks.p30_configuring_opendns import RUNBOOK

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
refusing_dns_at = _net.refusing_dns_at
NAMES = "www.mirtapbx.com,sip.voip-carrier.example"


def _steps(report):
    return {r.step_id: r for r in report.nodes[0].results}


def test_blocked_resolver_replaced_by_a_working_one(tmp_path, dnsmasq, refusing_dns_at):
    good = dnsmasq(
        "--address=/www.mirtapbx.com/203.0.113.10",
        "--address=/sip.voip-carrier.example/198.51.100.20",
    )
    refusing_dns_at("127.0.0.2", good.port)  # plays OpenDNS seen from France, same port
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("# test node\nsearch example.test\nnameserver 127.0.0.2\n")
    rb = RUNBOOK.open(
        LocalTarget(),
        journal=tmp_path / "journal",
        pbx_names=NAMES,
        resolvers="127.0.0.1",
        manage="resolv.conf",
        resolv_conf=str(resolv),
        dns_port=good.port,
        query_timeout=1.0,
    )
    plan = _steps(rb.plan())
    assert plan["configured-answer"].status is Status.WARN
    assert "127.0.0.2: refused: The OpenDNS service is currently unavailable in France" in (
        plan["configured-answer"].reason
    )
    assert plan["wanted-answer-before"].status is Status.PASS
    assert "+nameserver 127.0.0.1" in plan["resolv-file"].diff
    applied = rb.apply(confirm=True)
    assert not applied.failed
    assert resolv.read_text() == (
        "# test node\nsearch example.test\nnameserver 127.0.0.1\noptions timeout:2 attempts:2\n"
    )
    backup = next(r.file.backup for r in applied.nodes[0].results if r.step_id == "resolv-file")
    assert backup == f"{rb.backup_dir}/{applied.run_id}{resolv}"  # not next to the live file
    assert not [p for p in resolv.parent.iterdir() if "mirta" in p.name]
    verify = _steps(rb.verify())
    assert verify["managed-file"].status is Status.PASS
    assert verify["wanted-answer"].reason == "resolvers: all 2 answers usable"


def test_silent_wanted_resolver_stops_apply_before_writing(tmp_path, dnsmasq):
    good = dnsmasq("--address=/www.mirtapbx.com/203.0.113.10")
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.1\n")
    rb = RUNBOOK.open(
        LocalTarget(),
        journal=tmp_path / "journal",
        pbx_names="www.mirtapbx.com",
        resolvers="127.0.0.3",  # nobody listens there
        manage="resolv.conf",
        resolv_conf=str(resolv),
        dns_port=good.port,
        query_timeout=0.5,
    )
    applied = rb.apply(confirm=True)
    steps = _steps(applied)
    assert steps["configured-answer"].status is Status.PASS
    assert steps["wanted-answer-before"].status is Status.FAIL
    assert "127.0.0.3: timeout" in steps["wanted-answer-before"].reason or "error" in (
        steps["wanted-answer-before"].reason
    )
    assert steps["resolv-file"].status is Status.NOT_RUN
    assert resolv.read_text() == "nameserver 127.0.0.1\n"


def test_node_without_python_is_a_clear_failure(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # the shell finds neither python3 nor python
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.1\n")
    rb = RUNBOOK.open(
        LocalTarget(),
        journal=tmp_path / "journal",
        manage="resolv.conf",
        resolv_conf=str(resolv),
        resolvers="127.0.0.1",
    )
    step = _steps(rb.plan())["configured-answer"]
    assert step.status is Status.FAILED
    assert step.reason.startswith("the DNS probe could not run on local (exit 127)")
