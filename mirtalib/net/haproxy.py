"""HAProxy runtime API: parsing ``show stat`` (CSV) into proxies and servers.

``echo 'show stat' | socat stdio UNIX-CONNECT:/var/lib/haproxy/stats`` prints one CSV line per
frontend, server and backend, after a header line starting with ``# pxname,svname,...``. The
column set grows with HAProxy versions, so columns are read by name; unknown columns are kept in
``fields``. Lines that do not fit the header are returned as rejects, never dropped silently.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import logging
import socket

from mirtalib.asterisk._common import Reject, parser, reject
from mirtalib.errors import ParseError, TargetError

log = logging.getLogger(__name__)

_REQUIRED = ("pxname", "svname", "status")


@dataclasses.dataclass(frozen=True)
class StatRow:
    """One ``show stat`` line.

    Attributes:
        proxy: ``pxname`` (the listen/frontend/backend name).
        name: ``svname``: a server name, ``FRONTEND`` or ``BACKEND``.
        status: ``UP``, ``DOWN``, ``OPEN``, ``MAINT``, ``no check``, ``UP 1/3`` (going down) ...
        active, backup: the server is an active / backup server (``act``/``bck`` columns).
        check_status: last health check (``L4OK``, ``L4CON``, ``L7STS`` ...; "" when none).
        weight: server weight (0 for a backup not in use on some versions), None when empty.
        fields: every column of the line by header name.
    """

    proxy: str
    name: str
    status: str
    active: bool
    backup: bool
    check_status: str
    weight: int | None
    fields: dict[str, str]

    @property
    def is_server(self) -> bool:
        """True for a server line (not FRONTEND/BACKEND)."""
        return self.name not in {"FRONTEND", "BACKEND"}

    @property
    def up(self) -> bool:
        """True when HAProxy sends traffic to it (``UP``, or ``no check``)."""
        return self.status.startswith("UP") or self.status == "no check" or self.status == "OPEN"


@dataclasses.dataclass
class StatTable:
    """Parsed ``show stat``: rows in order and unreadable lines."""

    rows: list[StatRow]
    rejects: list[Reject]

    def __repr__(self) -> str:
        shown = ", ".join(f"{r.proxy}/{r.name} {r.status}" for r in self.rows[:12])
        more = f" ... {len(self.rows) - 12} more" if len(self.rows) > 12 else ""
        return f"StatTable({shown}{more}; {len(self.rejects)} rejects)"

    def servers(self, proxy: str) -> list[StatRow]:
        """Server lines of ``proxy``."""
        return [r for r in self.rows if r.proxy == proxy and r.is_server]

    def get(self, proxy: str, name: str) -> StatRow | None:
        """The line of ``name`` (a server, FRONTEND or BACKEND) in ``proxy``."""
        return next((r for r in self.rows if r.proxy == proxy and r.name == name), None)

    def proxies(self) -> list[str]:
        """Proxy names in order of appearance."""
        return list(dict.fromkeys(r.proxy for r in self.rows))


def _int(value: str) -> int | None:
    value = value.strip()
    return int(value) if value.isascii() and value.isdigit() else None


@parser
def parse_show_stat(text: str | bytes) -> StatTable:
    """Parse the output of the runtime API command ``show stat``.

    Raises:
        ParseError: when there is no ``# pxname,svname,...`` header.
    """
    if isinstance(text, bytes | bytearray):
        text = bytes(text).decode("utf-8", errors="replace")
    if not isinstance(text, str):
        raise ParseError(f"show stat: expected text, got {type(text).__name__}")
    lines = text.replace("\r\n", "\n").split("\n")
    start = next((i for i, ln in enumerate(lines) if ln.startswith("# pxname,")), None)
    if start is None:
        raise ParseError("show stat: no '# pxname,svname,...' header line")
    header = lines[start][2:].split(",")
    if header and header[-1] == "":
        header = header[:-1]
    rows: list[StatRow] = []
    rejects: list[Reject] = []
    for offset, line in enumerate(lines[start + 1 :], start=start + 2):
        if not line.strip():
            continue
        try:
            values = next(csv.reader(io.StringIO(line)))
        except (csv.Error, StopIteration):
            rejects.append(reject(offset, "not a CSV line", line))
            continue
        if values and values[-1] == "" and len(values) == len(header) + 1:
            values = values[:-1]
        if len(values) != len(header):
            rejects.append(reject(offset, f"{len(values)} fields, header has {len(header)}", line))
            continue
        f = dict(zip(header, values, strict=True))
        if not all(f.get(k) for k in _REQUIRED):
            rejects.append(reject(offset, "pxname, svname or status is empty", line))
            continue
        rows.append(
            StatRow(
                proxy=f["pxname"],
                name=f["svname"],
                status=f["status"],
                active=f.get("act", "") == "1",
                backup=f.get("bck", "") == "1",
                check_status=f.get("check_status", ""),
                weight=_int(f.get("weight", "")),
                fields=f,
            )
        )
    log.debug("show stat: %d rows, %d rejects", len(rows), len(rejects))
    return StatTable(rows, rejects)


def runtime_command(socket_path: str, command: str, *, timeout: float = 5.0) -> str:
    """Send one runtime API command over the stats socket (here, not through a target)."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(socket_path)
            s.sendall(command.encode() + b"\n")
            chunks = []
            while chunk := s.recv(65536):
                chunks.append(chunk)
    except OSError as exc:
        raise TargetError(f"haproxy stats socket {socket_path}: {exc}") from exc
    return b"".join(chunks).decode("utf-8", errors="replace")


__all__ = ["StatRow", "StatTable", "parse_show_stat", "runtime_command"]
