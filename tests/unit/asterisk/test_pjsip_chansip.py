"""Asterisk CLI parsers: pjsip show *, sip show peers, core show channels concise, module show."""

from __future__ import annotations

import math

import pytest

from mirtalib.asterisk.chansip import parse_sip_peers
from mirtalib.asterisk.cli import parse_channels_concise, parse_module_show
from mirtalib.asterisk.pjsip import (
    parse_pjsip_aor,
    parse_pjsip_endpoint,
    parse_pjsip_endpoints,
    parse_pjsip_show,
    parse_pjsip_transports,
)
from mirtalib.errors import ParseError


def _ami(text: str) -> str:
    body = "".join(f"Output: {ln}\r\n" for ln in text.rstrip("\n").split("\n"))
    return f"Response: Success\r\nActionID: 1\r\nMessage: Command output follows\r\n{body}\r\n"


def test_transports(sample) -> None:
    ts = parse_pjsip_transports(sample("pjsip_show_transports.txt"))
    assert [(t.name, t.protocol, t.port) for t in ts] == [
        ("transport-tcp", "tcp", 5080),
        ("transport-tls", "tls", 5081),
        ("transport-udp", "udp", 5080),
        ("transporttls", "tls", 5091),
    ]
    assert parse_pjsip_show(sample("pjsip_show_transports.txt")).objects_found == 4


def test_endpoints_nest_auth_aor_contacts_transport_identify_channels(sample) -> None:
    r = parse_pjsip_show(sample("pjsip_show_endpoints.txt"))
    assert r.rejects == [] and r.objects_found == len(r.endpoints) == 3
    anna, bob, teams = r.endpoints
    assert (anna.name, anna.callerid, anna.state, anna.channels_in_use) == (
        "100-DEVEL",
        "100",
        "In use",
        1,
    )
    assert anna.max_channels is None and anna.in_auths == ["100-DEVEL"]
    c = anna.contacts[0]
    assert (c.uri, c.status, c.rtt_ms) == ("sip:100-DEVEL@192.168.1.50:5060;ob", "Avail", 12.345)
    assert anna.channels[0].exten == "101" and anna.channels[0].clcid == '"Anna Rossi" <101>'
    assert anna.available and not bob.available and bob.state == "Unavailable"
    assert teams.transports[0].port == 5091 and teams.identifies == ["msteams_trunk_from_teams"]
    assert teams.matches == ["52.114.148.0/32", "52.114.132.46/32"]
    assert teams.contacts[0].status == "NonQual" and math.isnan(teams.contacts[0].rtt_ms)


def test_endpoint_detail_and_not_found(sample) -> None:
    found = parse_pjsip_endpoint(sample("pjsip_show_endpoint_msteams.txt"))
    assert found is not None
    ep, params = found
    assert ep.name == "msteams_trunk_from_teams" and ep.aors[0].contacts[0].rtt_ms == 31.207
    assert params["transport"] == "transporttls" and params["media_encryption"] == "sdes"
    assert params["accountcode"] == "" and params["allow"] == "(ulaw)"
    assert parse_pjsip_endpoint(sample("pjsip_show_endpoint_missing.txt")) is None
    with pytest.raises(ParseError, match="expected one endpoint"):
        parse_pjsip_endpoint(sample("pjsip_show_endpoints.txt"))


def test_aor_detail(sample) -> None:
    found = parse_pjsip_aor(sample("pjsip_show_aor_msteams.txt"))
    assert found is not None
    aor, params = found
    assert aor.name == "aor_msteams_trunk_from_teams" and aor.max_contacts == 0
    assert [c.status for c in aor.contacts] == ["Avail"]
    assert params["qualify_frequency"] == "60"


def test_pjsip_through_ami_equals_plain(sample) -> None:
    text = sample("pjsip_show_endpoints.txt")
    assert parse_pjsip_endpoints(_ami(text)) == parse_pjsip_endpoints(text)


def test_pjsip_unknown_lines_are_rejected_not_dropped(sample) -> None:
    text = sample("pjsip_show_transports.txt").replace(
        "Transport:  transport-udp             udp      0      0  0.0.0.0:5080",
        "Transport:  transport-udp             udp      x      0  0.0.0.0:5080\nsomething else",
    )
    r = parse_pjsip_show(text)
    assert len(r.transports) == 3 and len(r.rejects) == 2
    assert r.rejects[0].line == 7


def test_sip_show_peers_13(sample) -> None:
    r = parse_sip_peers(sample("sip_show_peers.txt"))
    assert r.rejects == [] and r.total == len(r.peers) == 7
    assert (r.monitored_online, r.monitored_offline, r.unmonitored_online) == (4, 2, 1)
    p = r.get("100-DEVEL")
    assert p is not None and (p.username, p.host, p.dynamic, p.port) == (
        "100-DEVEL",
        "192.168.1.50",
        True,
        5060,
    )
    assert (p.status, p.latency_ms, p.reachable) == ("OK", 12, True)
    assert r.get("101-DEVEL").host == "(Unspecified)" and r.get("101-DEVEL").status == "UNKNOWN"
    acme = r.get("200-ACME")
    assert acme.status == "LAGGED" and acme.latency_ms == 2210 and acme.acl
    assert acme.forcerport == "Yes" and acme.description == ""
    assert r.get("srv02").description == "cluster node srv02" and not r.get("srv02").dynamic
    assert r.get("trunk-voip").status == "UNREACHABLE" and not r.get("trunk-voip").reachable
    assert r.get("trunk-voip").description == "carrier trunk"
    assert r.get("faxbox").realtime and r.get("faxbox").status == "Unmonitored"
    assert r.get("a-very-long-peer-name-tha").host == "2001:db8:85a3::8a2e:370:7334"


def test_sip_show_peers_11_and_ami(sample) -> None:
    r = parse_sip_peers(_ami(sample("sip_show_peers_11.txt")))
    assert [(p.name, p.forcerport, p.comedia, p.latency_ms) for p in r.peers] == [
        ("100-DEVEL", "N", "", 8),
        ("srv02", "N", "", 1),
    ]


def test_sip_peers_without_header_use_the_loose_reader() -> None:
    r = parse_sip_peers("srv02   10.0.0.6   No  No   5060   OK (1 ms)\nnot a peer\n")
    assert [p.name for p in r.peers] == ["srv02"] and len(r.rejects) == 1


def test_channels_concise(sample) -> None:
    r = parse_channels_concise(sample("core_show_channels_concise.txt"))
    assert r.rejects == [] and len(r.channels) == 4
    a = r.channels[0]
    assert (a.tech, a.context, a.exten, a.priority, a.state) == (
        "PJSIP",
        "from-internal",
        "101",
        1,
        "Up",
    )
    assert (a.application, a.data, a.accountcode, a.duration) == (
        "Dial",
        "PJSIP/101-DEVEL,30,tTkK",
        "DEVEL",
        83,
    )
    assert a.uniqueid == "srv01-1700000000.1041" and a.bridge == r.channels[1].bridge
    assert r.channels[2].bridge == "" and r.channels[3].tech == "Local"
    df = r.frame()
    assert list(df.groupby("accountcode").size().items()) == [("ACME", 2), ("DEVEL", 2)]
    assert parse_channels_concise("").frame().empty


def test_channels_concise_data_with_bang_and_short_lines() -> None:
    line = "SIP/x-1!ctx!s!1!Up!System!echo hi!there!!cid!ACC!!3!10!(None)!u1\nshort!line\n"
    r = parse_channels_concise(line)
    assert r.channels[0].data == "echo hi!there!" and r.channels[0].callerid == "cid"
    assert len(r.rejects) == 1 and r.rejects[0].line == 2


def test_module_show_three_shapes(sample) -> None:
    plain = parse_module_show(sample("module_show_like_pjsip.txt"))
    assert plain.loaded == len(plain.modules) == 6 and plain.rejects == []
    assert plain.get("res_pjsip").use_count == 97
    assert plain.get("res_pjsip_phoneprov_provider.so").status == "Not Running"
    assert "res_pjsip_phoneprov_provider.so" not in plain.running()
    assert plain.get("res_pjsip_endpoint_identifier_ip").description.startswith("PJSIP IP")
    ami = parse_module_show(sample("module_show_ami_output.txt"))
    assert [(m.name, m.support_level) for m in ami.modules] == [
        ("chan_sip.so", "extended"),
        ("res_odbc.so", "core"),
    ]
    old = parse_module_show(sample("module_show_ami_follows_old.txt"))
    assert [(m.name, m.use_count, m.status) for m in old.modules] == [
        ("chan_sip.so", 0, ""),
        ("res_odbc.so", 7, ""),
    ]
    assert old.running() == ["chan_sip.so", "res_odbc.so"] and old.get("chan_pjsip") is None


def test_ami_error_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="Permission denied"):
        parse_module_show("Response: Error\r\nMessage: Permission denied\r\n\r\n")
