"""Checks shared by the integration runbooks (pages 01, 02, 03, 05, 06).

* :func:`listener_check`: who listens on a TCP port, from ``ss -lntp`` parsed by
  :func:`mirtalib.asterisk.sockets.parse_ss`; a listener on every address when only loopback is
  needed is a warning (the service is then reachable from the network);
* :func:`websocket_check`: the RFC 6455 opening handshake sent *from the node*
  (:mod:`mirtalib.net.websocket`), which is where Asterisk connects from;
* :func:`file_mode_check`: ``stat -c '%a %U:%G'`` of a file holding secrets (no access for
  others);
* :func:`version_text`: ``Python 3.12.5`` / ``Poetry (version 1.8.3)`` banners.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from mirtalib.asterisk.sockets import parse_ss
from mirtalib.errors import ParseError
from mirtalib.net.websocket import Handshake, node_command, parse_node_output
from mirtalib.runbook import Check, Phase, Verdict
from mirtalib.validate import cmd

SS_LISTEN = cmd("ss", "-lntp")
_LOOPBACK = ("127.", "::1")
_VERSION = re.compile(r"(\d+(?:\.\d+)+)")


def _listeners(port: int):
    def parse(text: str) -> list[tuple[str, str]]:
        table = parse_ss(text)
        return [(s.local_address, s.program) for s in table.listening(port, "tcp")]

    return parse


def listener_check(
    id: str,
    title: str,
    port: int,
    *,
    loopback_only: bool = False,
    programs: Sequence[str] = (),
    phase: Phase = Phase.VERIFICATION,
) -> Check:
    """TCP ``port`` has a listener (owned by one of ``programs`` when given)."""

    def expect(found: list[tuple[str, str]]) -> tuple[Verdict, str]:
        if not found:
            return Verdict.FAIL, f"nothing listens on TCP port {port}"
        shown = ", ".join(f"{a}:{port} ({p or 'process not shown'})" for a, p in found)
        owners = {p for _, p in found if p}
        if programs and owners and not owners & set(programs):
            return Verdict.FAIL, f"port {port} is held by {sorted(owners)}, not {list(programs)}"
        if loopback_only and any(not a.startswith(_LOOPBACK) for a, _ in found):
            return Verdict.WARN, (
                f"{shown}: reachable from the network although only this node needs it; bind it "
                "to 127.0.0.1 or firewall the port"
            )
        return Verdict.PASS, f"listening: {shown}"

    return Check(
        id=id, title=title, command=SS_LISTEN, parse=_listeners(port), expect=expect, phase=phase
    )


def websocket_check(
    id: str,
    title: str,
    host: str,
    port: int,
    path: str = "/",
    protocols: Sequence[str] = (),
    *,
    phase: Phase = Phase.VERIFICATION,
) -> Check:
    """The WebSocket handshake from the node to ``ws://host:port/path`` with ``protocols``."""

    def parse(text: str) -> Handshake:
        return parse_node_output(text, host, port, path, protocols)

    def expect(hs: Handshake) -> tuple[Verdict, str]:
        return (Verdict.PASS if hs.ok else Verdict.FAIL), hs.summary()

    return Check(
        id=id,
        title=title,
        command=node_command(host, port, path, protocols),
        parse=parse,
        expect=expect,
        phase=phase,
    )


def file_mode_check(id: str, title: str, path: str, *, phase: Phase = Phase.VERIFICATION) -> Check:
    """A file with secrets: present, and no permission bit for 'others'."""

    def parse(text: str) -> tuple[int, str]:
        parts = text.split()
        if len(parts) != 2 or not re.fullmatch(r"[0-7]{3,4}", parts[0]):
            raise ParseError(f"stat: expected 'MODE USER:GROUP', got {text.strip()[:80]!r}")
        return int(parts[0], 8), parts[1]

    def expect(value: tuple[int, str]) -> tuple[Verdict, str]:
        mode, owner = value
        if mode & 0o007:
            return (
                Verdict.FAIL,
                f"{path} is mode {mode:04o} ({owner}): others can read it; chmod 600",
            )
        return Verdict.PASS, f"{path} is mode {mode:04o} ({owner})"

    return Check(
        id=id,
        title=title,
        command=cmd("stat", "-c", "%a %U:%G", path),
        parse=parse,
        expect=expect,
        phase=phase,
    )


def version_text(text: str) -> tuple[int, ...]:
    """The first dotted version number in a banner (``Python 3.12.5`` -> (3, 12, 5))."""
    m = _VERSION.search(str(text))
    if not m:
        raise ParseError(f"no version number in {str(text).strip()[:80]!r}")
    return tuple(int(p) for p in m.group(1).split("."))
