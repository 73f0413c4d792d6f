"""Parser for chan_sip's ``sip show registry`` (outbound registrations, plain or AMI).

Asterisk 11-16 print a header ``Host dnsmgr Username Refresh State Reg.Time``, then one line per
registration (columns padded with spaces)::

    sip.flowroute.com:5060   N   49088751   105 Registered   Mon, 02 Nov 2026 09:31:12

and a footer ``1 SIP registrations.``.
Older versions have no ``dnsmgr`` column. States: Registered, Unregistered, Request Sent,
Auth. Sent, Rejected, No Authentication, Failed, Timeout, Unreachable.
"""

from __future__ import annotations

import dataclasses
import re

from mirtalib.asterisk._common import Reject, as_text, parser, reject
from mirtalib.errors import ParseError

_ROW = re.compile(
    r"^(?P<host>\S+)\s+(?:(?P<dnsmgr>[YN])\s+)?(?P<user>\S+)\s+(?P<refresh>\d+)\s+"
    r"(?P<state>\S+(?: \S+)*?)(?:\s{2,}(?P<regtime>\S.*?))?\s*$",
    re.ASCII,
)
_FOOTER = re.compile(r"^(\d+) SIP registrations?\.?\s*$", re.ASCII)


@dataclasses.dataclass(frozen=True)
class Registration:
    """One outbound registration."""

    host: str
    port: int | None
    username: str
    refresh: int
    state: str
    reg_time: str

    @property
    def registered(self) -> bool:
        """True when the provider accepted the registration."""
        return self.state == "Registered"


@dataclasses.dataclass
class RegistryList:
    """``sip show registry``: registrations, the footer count, unreadable lines."""

    registrations: list[Registration]
    count: int | None
    rejects: list[Reject]

    def find(self, username: str, host: str) -> Registration | None:
        """The registration of ``username`` at ``host`` (host compared case-insensitively)."""
        return next(
            (
                r
                for r in self.registrations
                if r.username == username and r.host.lower() == host.lower()
            ),
            None,
        )


@parser
def parse_sip_registry(text: str | bytes) -> RegistryList:
    """Parse ``sip show registry``.

    Raises:
        ParseError: when no line is a registration, the header or the footer (not this command's
            output); :class:`~mirtalib.asterisk.ami.CommandNotFound` on an Asterisk without
            chan_sip (Asterisk 21 and later: ``No such command 'sip show registry'``).
    """
    text = as_text(text, what="sip show registry")
    regs: list[Registration] = []
    rejects: list[Reject] = []
    count = None
    header = False
    for lineno, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("Host "):
            header = True
            continue
        fm = _FOOTER.match(stripped)
        if fm:
            count = int(fm.group(1))
            continue
        m = _ROW.match(stripped)
        if not m:
            rejects.append(reject(lineno, "not 'host [dnsmgr] user refresh state [time]'", line))
            continue
        host, sep, port = m.group("host").rpartition(":")
        if not sep or not port.isdigit():
            host, port = m.group("host"), ""
        regs.append(
            Registration(
                host=host,
                port=int(port) if port else None,
                username=m.group("user"),
                refresh=int(m.group("refresh")),
                state=m.group("state"),
                reg_time=m.group("regtime") or "",
            )
        )
    if not (regs or header or count is not None):
        first = rejects[0].raw[:80] if rejects else ""
        raise ParseError(
            f"sip show registry: not the output of this command (first line {first!r})"
        )
    return RegistryList(regs, count, rejects)


__all__ = ["Registration", "RegistryList", "parse_sip_registry"]
