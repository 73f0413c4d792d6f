"""Parsers for socket listings: ``ss -lntp`` (and other ``ss`` flags) and ``netstat -nap``/``-an``.

Both return a :class:`SocketTable`: one :class:`Socket` per internet socket line, states
normalized to the netstat spelling (``ss``'s ``ESTAB``/``TIME-WAIT`` become ``ESTABLISHED``/
``TIME_WAIT``), plus the lines that could not be read (:attr:`SocketTable.rejects`) and the
count of non-internet lines skipped on purpose (UNIX domain sockets, netlink ...). The runbooks
ask it "is anything listening on TCP 5091, and which program?" (seed page 03) or "how many
TIME_WAIT sockets touch the AMI port 5038?" (seed page 16, which greps ``netstat -an``).
"""

from __future__ import annotations

import dataclasses
import logging
import re

import pandas as pd

from mirtalib.asterisk._common import Reject, as_text, parser, reject
from mirtalib.errors import ParseError

log = logging.getLogger(__name__)

NETSTAT_STATES = frozenset(
    {
        "ESTABLISHED",
        "SYN_SENT",
        "SYN_RECV",
        "FIN_WAIT1",
        "FIN_WAIT2",
        "TIME_WAIT",
        "CLOSE",
        "CLOSE_WAIT",
        "LAST_ACK",
        "LISTEN",
        "CLOSING",
        "UNKNOWN",
    }
)
_SS_STATES = {
    "ESTAB": "ESTABLISHED",
    "SYN-SENT": "SYN_SENT",
    "SYN-RECV": "SYN_RECV",
    "FIN-WAIT-1": "FIN_WAIT1",
    "FIN-WAIT-2": "FIN_WAIT2",
    "TIME-WAIT": "TIME_WAIT",
    "UNCONN": "UNCONN",
    "CLOSE-WAIT": "CLOSE_WAIT",
    "LAST-ACK": "LAST_ACK",
    "LISTEN": "LISTEN",
    "CLOSING": "CLOSING",
    "CLOSED": "CLOSE",
    "UNKNOWN": "UNKNOWN",
}
_INET_PROTOS = frozenset({"tcp", "tcp6", "udp", "udp6", "raw", "raw6", "udpl", "udpl6", "sctp"})
_SS_USER = re.compile(r'\("((?:[^"\\]|\\.)*)",pid=(\d+),fd=(\d+)\)')
_NETSTAT_PROG = re.compile(r"^(\d+)/(.*)$")


@dataclasses.dataclass(frozen=True)
class Process:
    """A process holding a socket (``users:(("sshd",pid=1022,fd=3))`` or ``1022/sshd``)."""

    name: str
    pid: int
    fd: int | None = None


@dataclasses.dataclass(frozen=True)
class Socket:
    """One internet socket line.

    Attributes:
        proto: ``tcp``, ``udp``, ``tcp6`` ... (``ss -t``/``-u`` output has no Netid column: then
            ``proto_hint`` says which).
        state: netstat spelling (``LISTEN``, ``ESTABLISHED``, ``TIME_WAIT``, ``UNCONN``; "" for
            stateless netstat UDP lines).
        local_address, peer_address: address without brackets (``*``/``0.0.0.0``/``::`` = any).
        local_port, peer_port: port number, None for ``*`` or a service name.
        processes: owning processes when the listing has them (``-p``).
    """

    proto: str
    state: str
    recv_q: int
    send_q: int
    local_address: str
    local_port: int | None
    peer_address: str
    peer_port: int | None
    processes: tuple[Process, ...] = ()

    @property
    def program(self) -> str:
        """Name of the first owning process ("" when unknown)."""
        return self.processes[0].name if self.processes else ""


@dataclasses.dataclass
class SocketTable:
    """Result of a socket listing parser."""

    sockets: list[Socket]
    rejects: list[Reject]
    skipped: int = 0

    def listening(self, port: int | None = None, proto: str | None = None) -> list[Socket]:
        """Listening sockets (TCP ``LISTEN``; UDP ``UNCONN`` or stateless), optionally filtered.

        ``proto`` ``"tcp"`` matches ``tcp`` and ``tcp6``.
        """
        out = []
        for s in self.sockets:
            if s.state not in {"LISTEN", "UNCONN", ""}:
                continue
            if s.state in {"UNCONN", ""} and s.peer_port is not None:
                continue
            if port is not None and s.local_port != port:
                continue
            if proto is not None and not s.proto.startswith(proto):
                continue
            out.append(s)
        return out

    def count(self, state: str = "TIME_WAIT", port: int | None = None) -> int:
        """Sockets in ``state`` whose local *or* peer port is ``port`` (any port if None)."""
        return sum(
            1
            for s in self.sockets
            if s.state == state and (port is None or port in (s.local_port, s.peer_port))
        )

    def state_counts(self, state: str = "TIME_WAIT") -> pd.DataFrame:
        """Per port: sockets in ``state`` with it as local port, as peer port, and in total.

        Columns ``port, as_local, as_peer, total``, sorted by total (descending) then port.
        """
        local: dict[int, int] = {}
        peer: dict[int, int] = {}
        for s in self.sockets:
            if s.state != state:
                continue
            if s.local_port is not None:
                local[s.local_port] = local.get(s.local_port, 0) + 1
            if s.peer_port is not None:
                peer[s.peer_port] = peer.get(s.peer_port, 0) + 1
        ports = sorted(set(local) | set(peer))
        df = pd.DataFrame(
            {
                "port": pd.Series(ports, dtype="int64"),
                "as_local": pd.Series([local.get(p, 0) for p in ports], dtype="int64"),
                "as_peer": pd.Series([peer.get(p, 0) for p in ports], dtype="int64"),
            }
        )
        df["total"] = df["as_local"] + df["as_peer"]
        return df.sort_values(["total", "port"], ascending=[False, True]).reset_index(drop=True)


def split_endpoint(text: str) -> tuple[str, int | None]:
    """Split ``0.0.0.0:22``, ``[::]:22``, ``:::22``, ``*:*``, ``::1%lo:53`` into (address, port).

    Raises:
        ParseError: when there is no ``:port`` part or the port is out of range.
    """
    host, sep, port = text.rpartition(":")
    if not sep:
        raise ParseError(f"socket address {text!r} has no ':port'")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if port == "*":
        return host, None
    if port.isascii() and port.isdigit():
        value = int(port)
        if value > 65535:
            raise ParseError(f"socket address {text!r}: port {value} is out of range")
        return host, value
    if port and all(c.isalnum() or c in "-_." for c in port):
        return host, None  # a service name (netstat without -n)
    raise ParseError(f"socket address {text!r} has a bad port {port!r}")


def _queue(value: str, lineno: int) -> int:
    if not (value.isascii() and value.isdigit()):
        raise ParseError(f"line {lineno}: queue size {value!r} is not a number")
    return int(value)


def _ss_processes(rest: str) -> tuple[Process, ...]:
    return tuple(
        Process(m.group(1), int(m.group(2)), int(m.group(3))) for m in _SS_USER.finditer(rest)
    )


@parser
def parse_ss(text: str | bytes, *, proto_hint: str = "tcp") -> SocketTable:
    """Parse ``ss -lntp`` (also ``-ltn``, ``-lnup``, ``-antp``, ``-lnp`` with a Netid column).

    Args:
        text: the command output.
        proto_hint: protocol to record when the output has no Netid column (``ss -t`` -> tcp,
            ``ss -u`` -> udp).
    """
    text = as_text(text, what="ss", ami=False)
    sockets: list[Socket] = []
    rejects: list[Reject] = []
    skipped = 0
    has_netid = False
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        tokens = line.split()
        if tokens[0] in {"State", "Netid"}:
            has_netid = tokens[0] == "Netid"
            continue
        proto = proto_hint
        if has_netid:
            proto = tokens.pop(0)
            if proto not in _INET_PROTOS:
                skipped += 1
                continue
        if len(tokens) < 5:
            rejects.append(reject(lineno, "fewer than 5 columns", line))
            continue
        state = _SS_STATES.get(tokens[0])
        if state is None:
            rejects.append(reject(lineno, f"unknown socket state {tokens[0]!r}", line))
            continue
        try:
            recv_q, send_q = _queue(tokens[1], lineno), _queue(tokens[2], lineno)
            local, lport = split_endpoint(tokens[3])
            peer, pport = split_endpoint(tokens[4])
        except ParseError as exc:
            rejects.append(reject(lineno, str(exc), line))
            continue
        procs = _ss_processes(" ".join(tokens[5:]))
        sockets.append(Socket(proto, state, recv_q, send_q, local, lport, peer, pport, procs))
    log.debug("ss: %d sockets, %d rejects, %d skipped", len(sockets), len(rejects), skipped)
    return SocketTable(sockets, rejects, skipped)


@parser
def parse_netstat(text: str | bytes) -> SocketTable:
    """Parse ``netstat -nap``, ``netstat -an``, ``netstat -lntp`` (net-tools) output.

    UNIX domain socket lines and section titles are skipped (counted in ``skipped``).
    """
    text = as_text(text, what="netstat", ami=False)
    sockets: list[Socket] = []
    rejects: list[Reject] = []
    skipped = 0
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        tokens = line.split()
        proto = tokens[0]
        if proto in {"Proto", "Active"}:
            continue
        if proto not in _INET_PROTOS:
            skipped += 1
            continue
        if len(tokens) < 5:
            rejects.append(reject(lineno, "fewer than 5 columns", line))
            continue
        try:
            recv_q, send_q = _queue(tokens[1], lineno), _queue(tokens[2], lineno)
            local, lport = split_endpoint(tokens[3])
            peer, pport = split_endpoint(tokens[4])
        except ParseError as exc:
            rejects.append(reject(lineno, str(exc), line))
            continue
        rest = tokens[5:]
        state = ""
        if rest and (rest[0] in NETSTAT_STATES or (rest[0].isdigit() and proto.startswith("raw"))):
            state = rest.pop(0)
        procs: tuple[Process, ...] = ()
        if rest and rest[0] != "-":
            m = _NETSTAT_PROG.match(" ".join(rest))
            if m is None:
                rejects.append(reject(lineno, f"unexpected column {rest[0]!r}", line))
                continue
            procs = (Process(m.group(2).strip(), int(m.group(1))),)
        sockets.append(Socket(proto, state, recv_q, send_q, local, lport, peer, pport, procs))
    log.debug("netstat: %d sockets, %d rejects, %d skipped", len(sockets), len(rejects), skipped)
    return SocketTable(sockets, rejects, skipped)
