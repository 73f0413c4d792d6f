"""``asterisk -rx 'http show status'``: is the built-in HTTP(S) server bound, and where (page 18).

Output shape (res/http.c)::

    HTTP Server Status:
    Prefix:
    Server: Asterisk/16.30.0
    Server Enabled and Bound to 127.0.0.1:8088

    HTTPS Server Enabled and Bound to 0.0.0.0:8089

    Enabled URI's:
    /httpstatus => Asterisk HTTP General Status
    /ws => Asterisk HTTP WebSocket

    Enabled Redirects:
      None.

A disabled server prints ``Server Disabled``.
"""

from __future__ import annotations

import dataclasses
import re

from mirtalib.errors import ParseError

_BOUND = re.compile(r"^(HTTPS )?Server Enabled and Bound to (\S+)$")


@dataclasses.dataclass(frozen=True)
class HttpStatus:
    """What the HTTP server reports.

    Attributes:
        http: ``addr:port`` of the plain listener, "" when disabled.
        https: ``addr:port`` of the TLS listener, "" when not enabled.
        prefix: the URI prefix ("" when none).
        uris: path -> description of every enabled URI (``/ws`` for WebSocket).
    """

    http: str
    https: str
    prefix: str
    uris: dict[str, str]

    def port_of(self, which: str) -> int | None:
        """Port of ``http`` or ``https`` (None when that listener is off)."""
        bound = getattr(self, which)
        return int(bound.rsplit(":", 1)[1]) if bound else None


def parse_http_status(text: str | bytes) -> HttpStatus:
    """Parse ``http show status``; ParseError when the output is something else."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    lines = [ln.rstrip() for ln in str(text).splitlines()]
    if not any(ln.strip() == "HTTP Server Status:" for ln in lines):
        raise ParseError("not the output of 'http show status' (no 'HTTP Server Status:' line)")
    http = https = prefix = ""
    uris: dict[str, str] = {}
    in_uris = False
    for line in lines:
        s = line.strip()
        m = _BOUND.match(s)
        if m:
            port = m.group(2).rsplit(":", 1)
            if len(port) != 2 or not port[1].isdigit():
                raise ParseError(f"http show status: bad address {m.group(2)!r}")
            if m.group(1):
                https = m.group(2)
            else:
                http = m.group(2)
            continue
        if s.startswith("Prefix:"):
            prefix = s.removeprefix("Prefix:").strip()
        elif s == "Enabled URI's:":
            in_uris = True
        elif s.startswith("Enabled Redirects"):
            in_uris = False
        elif in_uris and " => " in s:
            path, _, desc = s.partition(" => ")
            uris[path.strip()] = desc.strip()
    return HttpStatus(http, https, prefix, uris)
