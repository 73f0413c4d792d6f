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

A node without chan_sip (Asterisk 21 and later have none; found on a real Asterisk 22 node, which
has no sip.conf at all): there is nothing of chan_sip to move. The mapping then holds the PJSIP
moves only and says "chan_sip is not loaded on this Asterisk 22 node: ..." (a warning), and verify
expects no chan_sip listener. Give ``sip_conf=""`` for such a node: the sip.conf step is left out
(an existing sip.conf without ``[general]`` is left alone too). With a sip.conf path that does not
exist on a node without chan_sip, the mapping check fails, so apply stops before it writes
anything (it would create an empty sip.conf and restart Asterisk for it). Whether chan_sip is
loaded and the version are asked from the node only when sip.conf has no ``[general]`` or
chan_sip's new port is not listened on.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pandas as pd

from mirtalib.asterisk.conf import ConfDocument, parse_conf
from mirtalib.asterisk.conftree import effective_value, find_effective
from mirtalib.asterisk.pjsip import parse_pjsip_transports
from mirtalib.asterisk.sockets import SocketTable, parse_ss
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
from mirtalib.runbooks.cli_answers import ChanSipState, chan_sip_missing, chan_sip_state
from mirtalib.runbooks.sipconf import mask_live_secrets
from mirtalib.validate import asterisk_name, cmd

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
    Param("pjsip_conf", "/etc/asterisk/pjsip.conf", "pjsip.conf", kind="path"),
    Param(
        "sip_conf",
        "/etc/asterisk/sip.conf",
        "chan_sip [general] and the node sections",
        kind="path",
        optional=True,
    ),
    Param("pjsip_base", 5080, "first port PJSIP uses today (5080 udp/tcp, 5081 tls)", kind="port"),
    Param("sip_base", 5060, "first port chan_sip uses today", kind="port"),
    Param(
        "pbx_sections",
        "srv01,srv02",
        "sip.conf sections of the cluster nodes (each node edits those it has)",
        check=_sections,
    ),
    Param(
        "restart",
        "core restart when convenient",
        'or "systemctl restart asterisk" (drops calls at once)',
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
    pjsip_text: str,
    sip_text: str,
    *,
    pjsip_base: int,
    sip_base: int,
    pbx_sections=(),
    chan_sip: bool = True,
) -> list[PortMove]:
    """The listeners that swap: PJSIP ``pjsip_base+n`` -> ``sip_base+n`` and chan_sip the reverse.

    ``chan_sip=False`` (the node has no chan_sip): only the PJSIP moves; sip.conf is not read.

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
    if not chan_sip:
        _refuse_clashes(moves, stays)
        return moves
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


def has_general(sip_text: str | None) -> bool:
    """True when sip.conf has a ``[general]`` section (what chan_sip's ports are read from)."""
    return bool(parse_conf(sip_text or "").find("general"))


def target_mapping(target: Target, values: dict[str, Any], chan_sip: bool = True) -> list[PortMove]:
    """The mapping computed from a target's live files (``chan_sip=False``: PJSIP moves only)."""
    sip_conf = values["sip_conf"]
    return port_mapping(
        target.read_text(values["pjsip_conf"]) or "",
        (target.read_text(sip_conf) or "") if sip_conf and chan_sip else "",
        pjsip_base=values["pjsip_base"],
        sip_base=values["sip_base"],
        pbx_sections=values["pbx_sections"],
        chan_sip=chan_sip,
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
        if not doc.find("general"):
            return  # no chan_sip settings (a node without chan_sip): the mapping says why
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


@dataclasses.dataclass(frozen=True)
class MappingFound:
    """What the mapping probe found: ``verdict`` and the text shown (also the evidence)."""

    verdict: Verdict
    text: str
    evidence: str = ""

    def __repr__(self) -> str:
        return self.evidence or self.text


def _moves_text(moves: list[PortMove]) -> str:
    return "; ".join(f"{m.file} [{m.section}] {m.key} {m.protocol} {m.old}->{m.new}" for m in moves)


def _show_mapping(v: dict[str, Any]):
    def probe(target: Target) -> str:
        sip_conf = v["sip_conf"]
        sip_text = target.read_text(sip_conf) if sip_conf else None
        if has_general(sip_text):
            moves = target_mapping(target, v)
            text = _moves_text(moves) or "nothing to move: no listener on the old ports"
            return json.dumps({"verdict": Verdict.PASS.value, "text": text})
        state = chan_sip_state(target)
        if state.loaded:
            raise ParseError(
                f"{sip_conf or 'sip_conf'} has no [general] section but chan_sip is loaded (it "
                "listens on 5060 by default): give sip.conf a [general] with bindport first"
            )
        moves = target_mapping(target, v, chan_sip=False)
        pjsip = _moves_text(moves) or (
            f"no PJSIP transport on {v['pjsip_base']}-{v['pjsip_base'] + 9}, nothing to move"
        )
        verdict, what = Verdict.WARN, "there is no chan_sip listener to move out of the way"
        if sip_conf and sip_text is None:
            verdict = Verdict.FAIL
            what += (
                f"; {sip_conf} does not exist: give sip_conf='' to leave chan_sip out (apply "
                "would create an empty sip.conf and restart Asterisk for it)"
            )
        text = chan_sip_missing(
            f"{what}; PJSIP can take {v['sip_base']} by itself. PJSIP: {pjsip}", state.version
        )
        short = f"chan_sip not loaded ({state.version.version if state.version else '?'}); {pjsip}"
        return json.dumps({"verdict": verdict.value, "text": text, "evidence": short})

    return probe


def mapping_text(target: Target, values: dict[str, Any]) -> str:
    """The notebook's port mapping of one node: the table of its moves when chan_sip has its
    ``[general]``, else what the plan says there (no sip.conf, chan_sip not loaded, Asterisk not
    installed), or why there is none (two listeners that would clash)."""
    try:
        found = _read_mapping(_show_mapping(values)(target))
        if found.verdict is not Verdict.PASS:
            return f"{found.verdict.value}: {found.text}"
        return mapping_frame(target_mapping(target, values)).to_string(index=False)
    except ParseError as exc:
        return f"no mapping: {exc}"


def _read_mapping(text: str) -> MappingFound:
    data = _read_json(text)
    try:
        return MappingFound(
            Verdict(data["verdict"]), str(data["text"]), str(data.get("evidence", ""))
        )
    except (KeyError, ValueError) as exc:
        raise ParseError(f"not the mapping probe's JSON: {exc}") from None


def _read_json(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ParseError(f"not the probe's JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ParseError("not the probe's JSON object")
    return data


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


def _listener_probe(v: dict[str, Any]):
    def probe(target: Target) -> str:
        out = target.run(cmd("ss", "-lnu"))
        if out.exit_code != 0:
            raise ParseError(f"ss -lnu exited {out.exit_code}: {out.stderr.strip()[:200]}")
        found: dict[str, Any] = {"ss": out.stdout}
        if not parse_ss(out.stdout, proto_hint="udp").listening(v["pjsip_base"], "udp"):
            found["chan_sip"] = chan_sip_state(target).to_dict()  # is there a chan_sip at all?
        return json.dumps(found)

    return probe


@dataclasses.dataclass(frozen=True)
class Listeners:
    """The UDP listeners, and chan_sip's state when it was asked (chan_sip's port was idle)."""

    table: SocketTable
    chan_sip: ChanSipState | None

    def __repr__(self) -> str:
        return repr(self.table)


def _read_listeners(text: str) -> Listeners:
    data = _read_json(text)
    table = parse_ss(str(data.get("ss", "")), proto_hint="udp")
    state = ChanSipState.from_dict(data["chan_sip"]) if "chan_sip" in data else None
    return Listeners(table, state)


def _listeners(v: dict[str, Any]):
    def expect(found: Listeners) -> tuple[Verdict, str]:
        table, state = found.table, found.chan_sip
        wanted = _expected(v)
        note = ""
        if not v["sip_conf"]:
            wanted["udp"].discard(v["pjsip_base"])
            note = "; sip_conf='': no chan_sip listener expected"
        elif state is not None and not state.loaded:
            wanted["udp"].discard(v["pjsip_base"])
            note = "; " + chan_sip_missing(
                f"no chan_sip listener on {v['pjsip_base']} is expected", state.version
            )
        missing = []
        for proto, ports in wanted.items():
            for p in sorted(ports):
                if not table.listening(p, proto):
                    missing.append(f"{proto}/{p}")
        if missing:
            return Verdict.FAIL, f"nothing listens on {', '.join(missing)}" + note
        return Verdict.PASS, "listening: " + ", ".join(
            f"{proto}/{p}" for proto, ports in wanted.items() for p in sorted(ports)
        ) + note

    return expect


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 10 for validated parameter values ``v``."""
    restart = RESTARTS[v["restart"]]
    with_sip = bool(v["sip_conf"])  # sip_conf="": a node without chan_sip
    sip_steps = (
        [
            conf_edit(
                "sip-ports",
                "Move chan_sip out of the way (bindport, node sections)",
                v["sip_conf"],
                _edit_sip(v),
                summary=f"chan_sip {v['sip_base']}+n -> {v['pjsip_base']}+n",
            )
        ]
        if with_sip
        else []
    )
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
            parse=_read_mapping,
            expect=lambda found: (found.verdict, found.text),
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
        *sip_steps,
        Command(
            id="restart",
            title="Restart Asterisk (both stacks re-bind)" if with_sip else "Restart Asterisk",
            command=restart,
            risk=Risk.SERVICE_AFFECTING,
            when_changed=("pjsip-ports", "sip-ports") if with_sip else ("pjsip-ports",),
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
            probe=_listener_probe(v),
            parse=_read_listeners,
            expect=_listeners(v),
        ),
    ]


RUNBOOK = RunbookDef(
    page=10,
    demo_targets="replay:srv01,replay:srv02",
    slug="flipping-chan-sip-pjsip-default-protocol",
    title="Flipping chan_sip/PJSIP default protocol",
    scope="node",
    roles=("pbx",),
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
