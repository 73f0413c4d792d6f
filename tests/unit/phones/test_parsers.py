"""Parsers of `parkedcalls show` and `sip show peer X`: recorded outputs, AMI captures, fuzz."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mirtalib.asterisk.parking import parse_parkedcalls, parse_parking_show, tenant_of_lot
from mirtalib.asterisk.sippeer import parse_sip_show_peer
from mirtalib.errors import ParseError

PARKED = """Num                   Channel (Context         Extension    Pri ) Timeout
*** Parking lot: parkinglot_ACME_default (2)
*** Parking lot: parkinglot_DEVEL_default (4)
801        PJSIP/provider-messagenet-00000b11 (authenticated   104-DEVEL       1)      8s
802        SIP/101-DEVEL-00000b15    (authenticated   101-DEVEL       1)    112s
   2 parked calls in parking lot parkinglot_DEVEL_default
*** Parking lot: default (1)
---
2 parked calls in total.
"""


def test_parked_calls_are_read_with_their_lot_and_tenant():
    parked = parse_parkedcalls(PARKED)
    assert [(c.space, c.tenant, c.exten, c.timeout_s) for c in parked.calls] == [
        ("801", "DEVEL", "104-DEVEL", 8),
        ("802", "DEVEL", "101-DEVEL", 112),
    ]
    assert parked.calls[0].monitor == "801-DEVEL"
    assert parked.lots == {
        "parkinglot_ACME_default": 0,
        "parkinglot_DEVEL_default": 2,
        "default": 0,
    }
    assert parked.total == 2 and parked.consistent and parked.rejects == []
    assert "801@parkinglot_DEVEL_default (8s)" in repr(parked)


def test_parked_calls_through_ami_and_overdue_calls():
    ami = "Response: Follows\r\nPrivilege: Command\r\n" + PARKED.replace("\n", "\r\n")
    ami += "--END COMMAND--\r\n"
    assert len(parse_parkedcalls(ami).calls) == 2
    text = PARKED.replace("      8s", "     -3s").replace("2 parked calls in total.", "3 in total")
    parked = parse_parkedcalls(text)
    assert parked.calls[0].timeout_s == -3
    assert [r.raw for r in parked.rejects] == ["3 in total"]  # never silently dropped


def test_inconsistent_footer_is_reported():
    parked = parse_parkedcalls(
        PARKED.replace("2 parked calls in total.", "5 parked calls in total.")
    )
    assert not parked.consistent


def test_not_parkedcalls_output():
    with pytest.raises(ParseError, match="not the output of this command"):
        parse_parkedcalls("No such command 'parkedcalls show'\n")
    assert tenant_of_lot("parkinglot_DEVEL_default") == "DEVEL"
    assert tenant_of_lot("default") == ""


def test_sip_show_peer_settings(sip_node):
    text = sip_node("srv01").run("asterisk -rx 'sip show peer 104-DEVEL'").stdout
    peer = parse_sip_show_peer(text)
    assert peer.name == "104-DEVEL" and peer.not_found is None
    assert peer.flag("Trust RPID") is False and peer.flag("subscriptions") is True
    assert peer.get("trust rpid") == "No"
    assert peer.get("Reg. Contact") == "sip:104-DEVEL@10.20.5.104:5060"
    assert peer.get("Addr->IP") == "10.20.5.104:5060"
    assert peer.status == "OK" and peer.rejects == []
    assert peer.get("Secret") == "<Set>"  # Asterisk never prints the secret


def test_sip_show_peer_variables_block_and_not_found():
    text = "  * Name       : 100-DEVEL\n  Variables    :\n                 TENANT = DEVEL\n"
    text += "  Status       : UNREACHABLE\n"
    peer = parse_sip_show_peer(text)
    assert peer.get("Variables") == "TENANT = DEVEL"
    assert peer.status == "UNREACHABLE"
    missing = parse_sip_show_peer("Peer 999-DEVEL not found.\n")
    assert missing.not_found == "999-DEVEL" and missing.name == ""
    with pytest.raises(ParseError, match="no '\\* Name :' line"):
        parse_sip_show_peer("Context      : authenticated\n")


LINE = st.one_of(
    st.sampled_from([*PARKED.splitlines(), "  * Name       : 1-A", "  Status       : OK (1 ms)"]),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=60),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(LINE, max_size=15))
def test_fuzz_parkedcalls_result_or_parse_error(lines):
    try:
        parked = parse_parkedcalls("\n".join(lines))
    except ParseError:
        return
    assert all(c.lot in parked.lots for c in parked.calls)


@settings(max_examples=300, deadline=None)
@given(st.lists(LINE, max_size=15), st.binary(max_size=40))
def test_fuzz_sip_show_peer_result_or_parse_error(lines, junk):
    for text in ("\n".join(lines), junk):
        try:
            peer = parse_sip_show_peer(text)
        except ParseError:
            continue
        assert peer.name or peer.not_found is not None


def test_asterisk_12_parking_show_is_refused_not_read_as_empty():
    text = (
        "Parking Lot: parkinglot_DEVEL_default\n"
        "--------------------------------------------------------------------------\n"
        "Parking Extension   :  800\nParking Spaces      :  801-820\n\n"
        "Parked Calls\n------------\n  Space               : 801\n"
    )
    with pytest.raises(ParseError, match="not the output of this command"):
        parse_parkedcalls(text)


PARKING_SHOW = """
Parking Lot: parkinglot_DEVEL_default
--------------------------------------------------------------------------
Parking Extension   :  800
Parking Spaces      :  801-820
Comeback Context    :  parkedcallstimeout (comebacktoorigin=yes, not used)
Dynamic             :  no

Parked Calls
------------
  Space               :  801
  Channel             :  PJSIP/provider-messagenet-00000b11
  Parker Dial String  :  SIP/104-DEVEL

  Space               :  802
  Channel             :  SIP/101-DEVEL-00000b15
  Parker Dial String  :  SIP/101-DEVEL

"""


def test_parking_show_of_asterisk_12():
    parked = parse_parking_show(PARKING_SHOW)
    assert [(c.space, c.tenant, c.exten, c.timeout_s) for c in parked.calls] == [
        ("801", "DEVEL", "SIP/104-DEVEL", None),
        ("802", "DEVEL", "SIP/101-DEVEL", None),
    ]
    assert parked.lots == {"parkinglot_DEVEL_default": 2} and parked.rejects == []
    empty = parse_parking_show(PARKING_SHOW.split("  Space")[0] + "  (none)\n")
    assert empty.calls == [] and empty.lots == {"parkinglot_DEVEL_default": 0}
    assert parse_parking_show("\nCould not find parking lot 'x'\n\n").calls == []
    with pytest.raises(ParseError, match="parking show: not the output"):
        parse_parking_show(PARKED)  # the Asterisk 11 command's output is refused
    broken = parse_parking_show(PARKING_SHOW.replace("  Channel             :  SIP/101", "  X: 1"))
    assert len(broken.calls) == 1 and broken.rejects  # counted, not dropped


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(PARKING_SHOW.splitlines()), LINE), max_size=20))
def test_fuzz_parking_show_result_or_parse_error(lines):
    try:
        parked = parse_parking_show("\n".join(lines))
    except ParseError:
        return
    assert sum(parked.lots.values()) == len(parked.calls)
