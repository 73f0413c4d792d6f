"""Page 10 (chan_sip/PJSIP flip) on the recorded demo nodes and on hand-made files."""

from __future__ import annotations

import pytest
from page_helpers import steps_of

from mirtalib.errors import ParameterError, ParseError
from mirtalib.runbook import Status, rehearse
from mirtalib.runbooks import get
from mirtalib.runbooks.p10_flipping_chan_sip_pjsip_default_protocol import (
    RUNBOOK,
    mapping_frame,
    port_mapping,
)

PJSIP = """[transport-udp]
type=transport
protocol=udp
bind=0.0.0.0:5080
[transport-tls]
type=transport
protocol=tls
bind=0.0.0.0:5081
[transport-wss](!)
type=transport
[transport-ws](transport-wss)
protocol=ws
bind=0.0.0.0:8088
"""
SIP = """[general]
bindport=5060
tlsenable=yes
tlsbindaddr=0.0.0.0:5061
[pbx2]
type=peer
host=10.0.0.2
"""


def test_mapping_from_the_files():
    moves = port_mapping(PJSIP, SIP, pjsip_base=5080, sip_base=5060, pbx_sections=("pbx2",))
    frame = mapping_frame(moves)
    got = {(r.file, r.section, r.key): (r.old, r.new) for r in frame.itertuples()}
    assert got == {
        ("pjsip.conf", "transport-udp", "bind"): (5080, 5060),
        ("pjsip.conf", "transport-tls", "bind"): (5081, 5061),
        ("sip.conf", "general", "bindport"): (5060, 5080),
        ("sip.conf", "pbx2", "port"): (5060, 5080),
        ("sip.conf", "general", "tlsbindaddr"): (5061, 5081),
    }  # the websocket transport on 8088 is not touched


def test_a_clash_after_the_flip_is_refused():
    pjsip = PJSIP.replace("bind=0.0.0.0:8088", "bind=0.0.0.0:5060").replace(
        "protocol=ws", "protocol=udp"
    )
    with pytest.raises(ParseError, match="would both use 5060"):
        port_mapping(pjsip, SIP, pjsip_base=5080, sip_base=5060)


def test_plan_apply_verify_rollback_on_both_nodes(replays, journal):
    rb = RUNBOOK.open("replay:srv01,replay:srv02", journal=journal, target_options=replays)
    plan = rb.plan()
    for node in (0, 1):
        s = steps_of(plan, node)
        assert "5080->5060" in s["port-mapping"].reason
        assert "-bind=0.0.0.0:5081\n+bind=0.0.0.0:5061" in s["pjsip-ports"].diff
        assert "+bindport=5080" in s["sip-ports"].diff.replace("-bindport=5060\n", "")
        assert "+port=5080" in s["sip-ports"].diff
        assert s["restart"].status is Status.WOULD_RUN
    assert all(t.state == "initial" for t in rb.targets)
    verify_before = steps_of(rb.verify())
    assert verify_before["transports-after"].status is Status.FAIL
    assert "still on the old ports" in verify_before["transports-after"].reason
    applied = rb.apply(confirm=True)
    assert not applied.failed
    assert steps_of(applied)["restart"].commands[-1].command == (
        "asterisk -rx 'core restart when convenient'"
    )
    again = rb.apply(confirm=True)
    assert not any(n.changed for n in again.nodes)
    rb.verify().raise_for_failure()
    rb.last_apply = applied
    rb.rollback(confirm=True)
    assert "bind=0.0.0.0:5080" in rb.targets[0].read_text("/etc/asterisk/pjsip.conf")


def test_rehearsal_is_idempotent(replays, journal):
    rb = RUNBOOK.open("replay:srv01", journal=journal, target_options=replays)
    assert rehearse(rb).idempotent


def test_registry_and_bad_parameters(journal, replays):
    assert get(10) is RUNBOOK
    with pytest.raises(ParameterError, match="restart='reboot' is not one of"):
        RUNBOOK.open("replay:srv01", journal=journal, target_options=replays, restart="reboot")
    with pytest.raises(ParameterError, match="pbx_sections"):
        RUNBOOK.open("replay:srv01", journal=journal, target_options=replays, pbx_sections=" , ")
    with pytest.raises(ParameterError, match="pjsip_base=0"):
        RUNBOOK.open("replay:srv01", journal=journal, target_options=replays, pjsip_base=0)
