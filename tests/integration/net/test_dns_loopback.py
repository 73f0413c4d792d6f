"""DNS probes against real servers on loopback: dnsmasq and a refusing dnspython server."""

from __future__ import annotations

import pytest

from mirtalib.net.dns import DnsQuery, node_command, parse_node_output, query
from mirtalib.net.srv import SrvRecord, compare, pool_records, shares
from mirtalib.runbook.targets import LocalTarget

pytestmark = pytest.mark.integration

RECORDS = (
    "--address=/pbx.example.test/203.0.113.7",
    "--srv-host=_sip._udp.pbxa.example.test,voip1.example.test,5060,10,10",
    "--srv-host=_sip._udp.pbxa.example.test,voip2.example.test,5060,20,10",
    "--txt-record=info.example.test,hello from dnsmasq",
)


def test_query_from_here(dnsmasq):
    srv = dnsmasq(*RECORDS)
    a = query(DnsQuery("127.0.0.1", "pbx.example.test", "A", srv.port))
    assert (a.status, a.answers) == ("ok", ("203.0.113.7",))
    txt = query(DnsQuery("127.0.0.1", "info.example.test", "TXT", srv.port))
    assert txt.answers == ('"hello from dnsmasq"',)
    refused = query(DnsQuery("127.0.0.1", "www.example.org", "A", srv.port))
    assert refused.status == "refused" and not refused.blocked  # no upstream: dnsmasq refuses


def test_node_command_through_a_real_shell(dnsmasq, refusing_dns):
    srv = dnsmasq(*RECORDS)
    queries = [
        DnsQuery("127.0.0.1", "pbx.example.test", "A", srv.port),
        DnsQuery("127.0.0.1", "_sip._udp.pbxa.example.test", "SRV", srv.port),
        DnsQuery("127.0.0.1", "www.mirtapbx.com", "A", refusing_dns.port),
    ]
    out = LocalTarget().run(node_command(queries, timeout=2))
    assert out.exit_code == 0, out.stderr
    a, srv_answer, blocked = parse_node_output(out.stdout, queries)
    assert a.answers == ("203.0.113.7",)
    live = [SrvRecord(*map(int, x.split()[:3]), x.split()[3]) for x in srv_answer.answers]
    design = pool_records({"pbxa": "voip1"}, ["voip1", "voip2"], domain="example.test")
    assert compare("pbxa", design, live).ok
    assert shares(live) == {("voip1.example.test", 5060): 1}
    assert blocked.blocked and "unavailable in France" in blocked.notices[0]
    assert refusing_dns.queries == 1


def test_silent_server_is_a_timeout(refusing_dns):
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as quiet:
        quiet.bind(("127.0.0.1", 0))  # bound, never answers
        port = quiet.getsockname()[1]
        q = DnsQuery("127.0.0.1", "pbx.example.test", "A", port)
        assert query(q, timeout=0.5).status == "timeout"
        out = LocalTarget().run(node_command([q], timeout=0.5))
        assert parse_node_output(out.stdout, [q])[0].status == "timeout"
