"""Parser for chan_sip's ``sip show peers`` (plain or AMI), Asterisk 1.8 to 16 layouts.

The table is printed with fixed column widths (``Name/username`` 25, ``Host`` 39, ``Dyn`` 3,
``Forcerport``/``Comedia`` 10, ``ACL`` 3, then ``Port``, ``Status``, ``Description``), so the
columns up to ``Port`` are cut where the header puts them (empty cells stay empty); ``Port``,
``Status`` and the rest are read with a pattern because a long status pushes them right.
Seed pages 10, 23, 35 and 36 check the node-to-node peers (``[pbx]`` / host accounts) this way.
"""

from __future__ import annotations

import dataclasses
import logging
import re

from mirtalib.asterisk._common import Reject, as_text, parser, reject
from mirtalib.errors import ParseError

log = logging.getLogger(__name__)

_STATUS = r"(?:(?P<ok>OK|LAGGED) \((?P<ms>\d+) ms\)|(?P<word>UNREACHABLE|UNKNOWN|Unmonitored))"
_TAIL = re.compile(
    rf"^(?P<port>\d+)\s+{_STATUS}\s*(?P<desc>.*?)\s*(?P<rt>Cached RT)?\s*$", re.ASCII
)
_LOOSE = re.compile(
    rf"^(?P<name>\S+)\s+(?P<host>\S+)\s+(?P<mid>.*?)\s*(?P<rest>\d+\s+{_STATUS}.*)$"
)
_FOOTER = re.compile(
    r"^(?P<n>\d+) sip peers? \[Monitored: (?P<mon_on>\d+) online, (?P<mon_off>\d+) offline"
    r"\s+Unmonitored: (?P<un_on>\d+) online, (?P<un_off>\d+) offline\]",
    re.ASCII,
)


@dataclasses.dataclass(frozen=True)
class SipPeer:
    """One peer line.

    Attributes:
        name, username: from ``name/username`` (username "" when the same name is shown alone).
        host: IP or ``(Unspecified)``; dynamic: ``D`` in Dyn; forcerport, comedia: as printed
            (``Yes``, ``No``, ``Auto (No)``); acl: ``A`` in ACL; port: 0 when unregistered.
        status: ``OK``, ``LAGGED``, ``UNREACHABLE``, ``UNKNOWN`` or ``Unmonitored``;
            latency_ms: for OK/LAGGED; description: free text; realtime: ``Cached RT`` peer.
    """

    name: str
    username: str
    host: str
    dynamic: bool
    forcerport: str
    comedia: str
    acl: bool
    port: int
    status: str
    latency_ms: int | None
    description: str
    realtime: bool

    @property
    def reachable(self) -> bool:
        """OK or LAGGED (qualify answered)."""
        return self.status in {"OK", "LAGGED"}


@dataclasses.dataclass
class SipPeers:
    """``sip show peers``: peers, the footer counts (None when absent) and unreadable lines."""

    peers: list[SipPeer]
    total: int | None
    monitored_online: int | None
    monitored_offline: int | None
    unmonitored_online: int | None
    unmonitored_offline: int | None
    rejects: list[Reject]

    def get(self, name: str) -> SipPeer | None:
        """The peer called ``name`` (None when absent)."""
        return next((p for p in self.peers if p.name == name), None)


def _columns(header: str) -> dict[str, tuple[int, int]]:
    spans = [(m.start(), m.group(0)) for m in re.finditer(r"\S+", header)]
    out = {}
    for i, (start, name) in enumerate(spans):
        end = spans[i + 1][0] if i + 1 < len(spans) else len(header)
        out[name] = (start, end)
    return out


def _peer(fields: dict[str, str], tail: re.Match[str]) -> SipPeer:
    name, _, user = fields.get("Name/username", "").partition("/")
    if not name:
        raise ParseError("empty peer name")
    status = tail.group("ok") or tail.group("word")
    return SipPeer(
        name=name,
        username=user,
        host=fields.get("Host", ""),
        dynamic=fields.get("Dyn", "") == "D",
        forcerport=fields.get("Forcerport", fields.get("Nat", "")),
        comedia=fields.get("Comedia", ""),
        acl=fields.get("ACL", "") == "A",
        port=int(tail.group("port")),
        status=status,
        latency_ms=int(tail.group("ms")) if tail.group("ms") else None,
        description=tail.group("desc") or "",
        realtime=bool(tail.group("rt")),
    )


@parser
def parse_sip_peers(text: str | bytes) -> SipPeers:
    """Parse ``sip show peers`` output into :class:`SipPeers`.

    Raises:
        ParseError: when no line is a peer, the header or the footer (not this command's output);
            :class:`~mirtalib.asterisk.ami.CommandNotFound` on an Asterisk without chan_sip
            (Asterisk 21 and later: ``No such command 'sip show peers'``).
    """
    text = as_text(text, what="sip show peers")
    peers: list[SipPeer] = []
    rejects: list[Reject] = []
    cols: dict[str, tuple[int, int]] | None = None
    footer = None
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        if line.startswith("Name/username"):
            cols = _columns(line)
            continue
        fm = _FOOTER.match(line.strip())
        if fm:
            footer = fm
            continue
        try:
            if cols is not None and "Port" in cols:
                port_at = cols["Port"][0]
                fields = {
                    k: line[a:b].strip() if k != "Port" else ""
                    for k, (a, b) in cols.items()
                    if a < port_at
                }
                tail = _TAIL.match(line[port_at:].strip())
                if tail is None:
                    raise ParseError("port/status columns not where the header puts them")
            else:
                lm = _LOOSE.match(line.strip())
                if lm is None:
                    raise ParseError("not a peer line")
                name, host = lm.group("name"), lm.group("host")
                fields = {"Name/username": name, "Host": host, "Dyn": ""}
                if "D" in lm.group("mid").split():
                    fields["Dyn"] = "D"
                tail = _TAIL.match(lm.group("rest"))
                if tail is None:
                    raise ParseError("port/status not readable")
            peers.append(_peer(fields, tail))
        except ParseError as exc:
            rejects.append(reject(lineno, str(exc), line))
    if not (peers or cols is not None or footer):
        first = rejects[0].raw[:80] if rejects else ""
        raise ParseError(f"sip show peers: not the output of this command (first line {first!r})")
    g = (lambda k: int(footer.group(k))) if footer else (lambda k: None)
    if footer and int(footer.group("n")) != len(peers):
        log.debug("sip show peers: footer says %s peers, read %d", footer.group("n"), len(peers))
    return SipPeers(peers, g("n"), g("mon_on"), g("mon_off"), g("un_on"), g("un_off"), rejects)
