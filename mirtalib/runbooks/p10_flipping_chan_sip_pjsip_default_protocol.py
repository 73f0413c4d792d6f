"""Seed page 10, *Flipping chan_sip/PJSIP default protocol*.

A MiRTA node runs both SIP stacks: chan_sip on 5060 (phones, and the calls between nodes) and
PJSIP on 5080/5081. The page moves PJSIP to the standard ports for the endpoints and chan_sip out
of the way: in pjsip.conf 5080 -> 5060, 5081 -> 5061 and so on; in sip.conf ``bindport=5080`` in
``[general]`` and ``port=5080`` in the sections of the other nodes (calls between nodes stay on
chan_sip); then restart Asterisk.

What this runbook adds:

* the port mapping is *computed from the live files* (every PJSIP transport bound to
  5080-5089, chan_sip's ``bindport`` and ``tlsbindaddr``), shown as a table, and refused when two
  listeners would end up on the same port and protocol;
* both files are edited in place (comments and order kept, backed up);
* the restart defaults to ``core restart when convenient``: Asterisk waits for the calls in
  progress to end instead of cutting them (``systemctl restart asterisk`` is a choice);
* verify reads ``pjsip show transports`` and the listening sockets: every mapped port must be
  listened on, and no PJSIP transport may still use an old port.

Operator notes: phones provisioned for PJSIP on 5080 must be re-provisioned (or their DNS SRV
records changed) to 5060; firewalls must allow the new ports; every node of the cluster must be
flipped in the same window, since each node's ``[other node]`` section points at port 5080.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd

from mirtalib.asterisk.conf import ConfDocument, parse_conf
from mirtalib.asterisk.conftree import effective_value, find_effective
from mirtalib.asterisk.pjsip import parse_pjsip_transports
from mirtalib.asterisk.sockets import parse_ss
from mirtalib.errors import ParameterError, ParseError
from mirtalib.runbook import (
    Check,
    Command,
    Manual,
    Param,
    Phase,
    Risk,
    RunbookDef,
    Step,
    Verdict,
    Verification,
    conf_edit,
    failure_lines,
)
from mirtalib.runbook.targets import Target
from mirtalib.runbooks.sipconf import mask_live_secrets
from mirtalib.validate import asterisk_name, checker, cmd, path, port

RESTARTS = {
    "core restart when convenient": cmd("asterisk", "-rx", "core restart when convenient"),
    "systemctl restart asterisk": cmd("systemctl", "restart", "asterisk"),
}


@dataclasses.dataclass(frozen=True)
class PortMove:
    """One listener (or peer port) that moves."""

    file: str
    section: str
    key: str
    protocol: str
    old: int
    new: int


def _sections(value: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in value.split(",") if n.strip())
    if not names:
        raise ParameterError("pbx_sections must name at least one sip.conf section (srv01,srv02)")
    return tuple(asterisk_name(n, "pbx_sections") for n in names)


PARAMS = (
    Param(
        "pjsip_conf", "/etc/asterisk/pjsip.conf", "pjsip.conf", check=checker(path, "pjsip_conf")
    ),
    Param("sip_conf", "/etc/asterisk/sip.conf", "sip.conf", check=checker(path, "sip_conf")),
    Param("pjsip_base", 5080, "first port PJSIP uses today", check=checker(port, "pjsip_base")),
    Param("sip_base", 5060, "first port chan_sip uses today", check=checker(port, "sip_base")),
    Param(
        "pbx_sections",
        "srv01,srv02",
        "sip.conf sections of the cluster nodes (each node edits those it has)",
        check=_sections,
    ),
    Param(
        "restart",
        "core restart when convenient",
        "how Asterisk is restarted after the change",
        choices=tuple(RESTARTS),
    ),
)


def _port_of(bind: str) -> int | None:
    _, sep, tail = bind.rpartition(":")
    return int(tail) if sep and tail.isascii() and tail.isdigit() else None


def _with_port(bind: str, new: int) -> str:
    head, _, _ = bind.rpartition(":")
    return f"{head}:{new}"


def port_mapping(
    pjsip_text: str, sip_text: str, *, pjsip_base: int, sip_base: int, pbx_sections=()
) -> list[PortMove]:
    """The listeners that swap: PJSIP ``pjsip_base+n`` -> ``sip_base+n`` and chan_sip the reverse.

    Raises:
        ParseError: when a file cannot be used (no ``[general]``, a transport without a port) or
            two listeners would share a port and protocol after the flip.
    """
    pjsip, sip = parse_conf(pjsip_text), parse_conf(sip_text)
    shift = pjsip_base - sip_base
    moves: list[PortMove] = []
    stays: list[PortMove] = []  # listeners that keep their port (they may be in the way)
    for t in find_effective(pjsip, type="transport"):
        bind = effective_value(pjsip, t, "bind") or ""
        old = _port_of(bind)
        if old is None:
            raise ParseError(f"pjsip.conf [{t.name}]: bind={bind!r} has no port")
        proto = effective_value(pjsip, t, "protocol", "udp") or "udp"
        if pjsip_base <= old < pjsip_base + 10:
            moves.append(PortMove("pjsip.conf", t.name, "bind", proto, old, old - shift))
        else:
            stays.append(PortMove("pjsip.conf", t.name, "bind", proto, old, old))
    general = sip.find("general")
    if not general:
        raise ParseError("sip.conf has no [general] section")
    g = general[-1]
    old = int(g.get("bindport") or "5060")
    if sip_base <= old < sip_base + 10:
        moves.append(PortMove("sip.conf", "general", "bindport", "udp", old, old + shift))
        for name in pbx_sections:
            for s in sip.find(name):
                current = int(s.get("port") or str(old))
                moves.append(PortMove("sip.conf", name, "port", "peer", current, old + shift))
    tls = g.get("tlsbindaddr")
    tls_port = _port_of(tls or "")
    if tls and g.get("tlsenable", "no").lower() in {"yes", "true", "1", "on"} and tls_port:
        if sip_base <= tls_port < sip_base + 10:
            moves.append(
                PortMove("sip.conf", "general", "tlsbindaddr", "tls", tls_port, tls_port + shift)
            )
    _refuse_clashes(moves, stays)
    return moves


def _refuse_clashes(moves: list[PortMove], stays: list[PortMove]) -> None:
    """Two listeners of the same transport on one port after the flip is an error.

    PJSIP transports of different protocols may share a port number (udp and tcp 5060); tcp,
    tls, ws and wss all use TCP ports.
    """
    after: dict[tuple[str, int], PortMove] = {}
    for m in [*stays, *moves]:
        if m.protocol == "peer":
            continue
        key = ("udp" if m.protocol == "udp" else "tcp", m.new)
        other = after.get(key)
        same_stack_diff_proto = (
            other is not None and other.file == m.file and other.protocol != m.protocol
        )
        if other is not None and not same_stack_diff_proto:
            raise ParseError(
                f"after the flip {m.file} [{m.section}] {m.key} and {other.file} "
                f"[{other.section}] {other.key} would both use {m.new}"
            )
        after.setdefault(key, m)


def mapping_frame(moves: list[PortMove]) -> pd.DataFrame:
    """The mapping as a table (file, section, key, protocol, old, new)."""
    cols = [f.name for f in dataclasses.fields(PortMove)]
    return pd.DataFrame([dataclasses.astuple(m) for m in moves], columns=cols)


def target_mapping(target: Target, values: dict[str, Any]) -> list[PortMove]:
    """The mapping computed from a target's live files."""
    return port_mapping(
        target.read_text(values["pjsip_conf"]) or "",
        target.read_text(values["sip_conf"]) or "",
        pjsip_base=values["pjsip_base"],
        sip_base=values["sip_base"],
        pbx_sections=values["pbx_sections"],
    )


def _edit_pjsip(v: dict[str, Any]):
    def edit(doc: ConfDocument) -> None:
        shift = v["pjsip_base"] - v["sip_base"]
        for t in find_effective(doc, type="transport"):
            bind = effective_value(doc, t, "bind") or ""
            old = _port_of(bind)
            if old is not None and v["pjsip_base"] <= old < v["pjsip_base"] + 10:
                if "bind" not in t:
                    raise ParameterError(f"[{t.name}] inherits bind from a template: edit by hand")
                t.set("bind", _with_port(bind, old - shift))

    return edit


def _edit_sip(v: dict[str, Any]):
    def edit(doc: ConfDocument) -> None:
        mask_live_secrets(doc)  # diffs show ******** for the secrets around the edits
        shift = v["pjsip_base"] - v["sip_base"]
        g = doc.section("general")
        old = int(g.get("bindport") or "5060")
        if not v["sip_base"] <= old < v["sip_base"] + 10:
            return  # already flipped: nothing to do
        g.set("bindport", str(old + shift))
        tls = g.get("tlsbindaddr")
        tls_port = _port_of(tls or "")
        if tls and tls_port and v["sip_base"] <= tls_port < v["sip_base"] + 10:
            g.set("tlsbindaddr", _with_port(tls, tls_port + shift))
        for name in v["pbx_sections"]:
            for s in doc.find(name):
                s.set("port", str(old + shift))

    return edit


def _show_mapping(v: dict[str, Any]):
    def probe(target: Target) -> str:
        moves = target_mapping(target, v)
        if not moves:
            return "nothing to move: no listener on the old ports"
        return "; ".join(
            f"{m.file} [{m.section}] {m.key} {m.protocol} {m.old}->{m.new}" for m in moves
        )

    return probe


def _expected(v: dict[str, Any]) -> dict[str, set[int]]:
    """Ports that must be listened on after the flip, per transport (udp / tcp)."""
    s, p = v["sip_base"], v["pjsip_base"]
    return {"udp": {s, p}, "tcp": set()}


def _transports(text: str) -> list[tuple[str, str, int | None]]:
    """(name, protocol, port) of every loaded PJSIP transport."""
    return [(t.name, t.protocol, t.port) for t in parse_pjsip_transports(text)]


def _transports_moved(v: dict[str, Any]):
    low, high = v["pjsip_base"], v["pjsip_base"] + 10

    def expect(transports) -> tuple[Verdict, str]:
        old = [f"{n}:{p}" for n, _, p in transports if p and low <= p < high]
        now = ", ".join(f"{n} {proto} {p}" for n, proto, p in transports)
        if not transports:
            return Verdict.FAIL, "no PJSIP transport loaded"
        if old:
            return Verdict.FAIL, f"still on the old ports: {', '.join(old)} (now: {now})"
        return Verdict.PASS, f"PJSIP transports: {now}"

    return expect


def _listeners(v: dict[str, Any]):
    wanted = _expected(v)

    def expect(table) -> tuple[Verdict, str]:
        missing = []
        for proto, ports in wanted.items():
            for p in sorted(ports):
                if not table.listening(p, proto):
                    missing.append(f"{proto}/{p}")
        if missing:
            return Verdict.FAIL, f"nothing listens on {', '.join(missing)}"
        return Verdict.PASS, "listening: " + ", ".join(
            f"{proto}/{p}" for proto, ports in wanted.items() for p in sorted(ports)
        )

    return expect


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 10 for validated parameter values ``v``."""
    restart = RESTARTS[v["restart"]]
    return [
        Manual(
            id="phones-and-firewall",
            title="Plan the move of the phones and the firewall",
            phase=Phase.BEFORE,
            where="provisioning, DNS SRV records, firewall",
            detail=f"PJSIP phones registered to port {v['pjsip_base']} must move to "
            f"{v['sip_base']}; open the new ports; flip every node in the same window "
            "(each node's section for the other nodes points at the new chan_sip port).",
        ),
        Check(
            id="port-mapping",
            title="Port mapping computed from the live files",
            phase=Phase.BEFORE,
            probe=_show_mapping(v),
            expect=lambda text: (Verdict.PASS, text),
        ),
        Check(
            id="transports-before",
            title="PJSIP transports loaded now",
            phase=Phase.BEFORE,
            command=cmd("asterisk", "-rx", "pjsip show transports"),
            parse=_transports,
            expect=lambda ts: (
                Verdict.PASS,
                ", ".join(f"{n} {pr} {p}" for n, pr, p in ts) or "none",
            ),
        ),
        conf_edit(
            "pjsip-ports",
            "Move the PJSIP transports to the standard ports",
            v["pjsip_conf"],
            _edit_pjsip(v),
            summary=f"PJSIP {v['pjsip_base']}+n -> {v['sip_base']}+n",
        ),
        conf_edit(
            "sip-ports",
            "Move chan_sip out of the way (bindport, node sections)",
            v["sip_conf"],
            _edit_sip(v),
            summary=f"chan_sip {v['sip_base']}+n -> {v['pjsip_base']}+n",
        ),
        Command(
            id="restart",
            title="Restart Asterisk (both stacks re-bind)",
            command=restart,
            risk=Risk.SERVICE_AFFECTING,
            when_changed=("pjsip-ports", "sip-ports"),
            undo=restart,
            timeout=600,
            failure=failure_lines(r"unable to connect", r"no such command"),
        ),
        Check(
            id="transports-after",
            title="No PJSIP transport left on the old ports",
            command=cmd("asterisk", "-rx", "pjsip show transports"),
            parse=_transports,
            expect=_transports_moved(v),
        ),
        Check(
            id="listeners",
            title="Listeners on the new ports",
            command=cmd("ss", "-lnu"),
            parse=lambda text: parse_ss(text, proto_hint="udp"),
            expect=_listeners(v),
        ),
    ]


RUNBOOK = RunbookDef(
    page=10,
    slug="flipping-chan-sip-pjsip-default-protocol",
    title="Flipping chan_sip/PJSIP default protocol",
    scope="node",
    params=PARAMS,
    build=build,
    summary="PJSIP to 5060/5061, chan_sip to 5080, computed from the live files",
    verification=Verification(
        mirta_page="Extensions page: PJSIP phones show registered again on the new port; "
        "calls between nodes still work (they stay on chan_sip).",
        asterisk_log="In /var/log/asterisk/full after the restart: no 'Unable to bind' or "
        "'Address already in use' lines for 5060/5061/5080.",
        status_menu="Status menu: both SIP stacks up; registered endpoints count back to normal.",
    ),
)
