"""Extension settings from `sip show peer` / `pjsip show endpoint` in one vocabulary."""

from __future__ import annotations

import pytest

from mirtalib.asterisk.ami import CommandNotFound
from mirtalib.errors import ParameterError, ParseError
from mirtalib.phones.endpoint import differences, parse_settings, resolve_tech, show_command


@pytest.fixture
def srv01(node):
    return node("srv01")


def test_chan_sip_peer_on_the_recorded_asterisk22_node(srv01):
    with pytest.raises(CommandNotFound, match="does not exist on this Asterisk"):
        parse_settings(srv01.run(show_command("104-DEVEL", "sip")).stdout, "104-DEVEL", "sip")


def test_chan_sip_peer(sip_node):
    text = sip_node("srv01").run(show_command("104-DEVEL", "sip")).stdout
    s = parse_settings(text, "104-DEVEL", "sip")
    assert (s.found, s.trust_rpid, s.send_rpid, s.subscriptions, s.registered) == (
        True,
        False,
        False,
        True,
        True,
    )
    assert s.useragent.startswith("Yealink")
    assert differences(s, {"trust_rpid": True}) == ["trust_rpid=False (want True)"]


def test_pjsip_endpoint(srv01):
    text = srv01.run(show_command("100-DEVEL", "pjsip")).stdout
    s = parse_settings(text, "100-DEVEL", "pjsip")
    assert (s.trust_rpid, s.send_rpid, s.subscriptions, s.registered) == (True, True, True, True)
    assert differences(s, {"trust_rpid": True, "send_rpid": True}) == []
    assert "raw" not in repr(s) and "trust_id_inbound" in s.raw
    with pytest.raises(ParseError, match="asked for 101-DEVEL"):
        parse_settings(text, "101-DEVEL", "pjsip")


def test_absent_endpoint():
    s = parse_settings("Unable to find object 999-DEVEL.\n", "999-DEVEL", "pjsip")
    assert not s.found
    assert "does not exist" in differences(s, {"trust_rpid": True})[0]
    assert not parse_settings("Peer 999-DEVEL not found.\n", "999-DEVEL", "sip").found


def test_tech_from_the_demo_database():
    assert resolve_tech("104-DEVEL", "auto") == "sip"
    assert resolve_tech("100-DEVEL", "auto") == "pjsip"
    assert resolve_tech("100-DEVEL", "sip") == "sip"
    with pytest.raises(ParameterError, match="CUSTOM extension"):
        resolve_tech("105-DEVEL", "auto")
    with pytest.raises(ParameterError, match="tech 'iax'"):
        show_command("100-DEVEL", "iax")
    assert show_command("100-DEVEL", "pjsip") == "asterisk -rx 'pjsip show endpoint 100-DEVEL'"


def test_settings_on_nodes_says_why_a_node_cannot_show_them(srv01, sip_node):
    from mirtalib.phones.endpoint import settings_on_nodes

    table = settings_on_nodes([srv01], "104-DEVEL", "sip")
    assert table["srv01"].startswith("chan_sip is not loaded on this node")
    assert "No such command 'sip show peer 104-DEVEL'" in table["srv01"]
    old = settings_on_nodes([sip_node("srv01")], "104-DEVEL", "sip", wanted={"trust_rpid": True})
    assert old["srv01"]["trust_rpid"] is False
    assert old["srv01"]["to change"] == "trust_rpid=False (want True)"
    pj = settings_on_nodes([srv01], "100-DEVEL", "pjsip", keys=["trust_id_inbound"])
    assert pj["srv01"].to_dict() == {"trust_id_inbound": "true"}
