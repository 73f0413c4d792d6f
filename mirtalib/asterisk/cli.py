"""Parsers for Asterisk CLI listings: ``core show channels concise`` and ``module show [like X]``.

Both accept plain ``asterisk -rx`` text and AMI ``Action: Command`` captures (``Output:`` lines or
``Response: Follows ... --END COMMAND--``). Seed page 38 compares loaded modules before and after an
Asterisk upgrade; page 17 counts live channels per tenant when judging load.
"""

from __future__ import annotations

import dataclasses
import logging
import re

import pandas as pd

from mirtalib.asterisk._common import Reject, as_text, parser, reject, to_frame
from mirtalib.errors import ParseError

log = logging.getLogger(__name__)

CONCISE_FIELDS = 14
_MODULE = re.compile(
    r"^(?P<name>\S+)\s+(?P<desc>.*?)\s+(?P<use>-?\d+)"
    r"(?:\s+(?P<status>Running|Not Running|Declined|Failed|Unloaded|Stopped)"
    r"(?:\s+(?P<support>core|extended|deprecated|external|unknown|\S+))?)?\s*$",
    re.ASCII,
)
_MODULES_FOOTER = re.compile(r"^(\d+) modules? loaded\s*$", re.ASCII)
_MODULES_HEADER = re.compile(r"^Module\s+Description\b")


@dataclasses.dataclass(frozen=True)
class Channel:
    """One line of ``core show channels concise`` (``!``-separated, 14 fields).

    ``bridge`` is the bridge uniqueid on Asterisk 12+ (the bridged channel on older versions),
    "" for ``(None)``; ``duration`` is in seconds.
    """

    channel: str
    context: str
    exten: str
    priority: int
    state: str
    application: str
    data: str
    callerid: str
    accountcode: str
    peeraccount: str
    amaflags: int
    duration: int
    bridge: str
    uniqueid: str

    @property
    def tech(self) -> str:
        """``PJSIP``, ``SIP``, ``Local`` ... (the part before ``/``)."""
        return self.channel.partition("/")[0]


@dataclasses.dataclass
class ChannelList:
    """Channels and the lines that could not be read."""

    channels: list[Channel]
    rejects: list[Reject]

    def frame(self) -> pd.DataFrame:
        """One row per channel, columns as the :class:`Channel` fields."""
        if not self.channels:
            return pd.DataFrame(columns=[f.name for f in dataclasses.fields(Channel)])
        return to_frame(self.channels)


def _int(value: str, what: str) -> int:
    v = value.strip()
    if not (v.isascii() and v.lstrip("-").isdigit()):
        raise ParseError(f"{what} {value!r} is not a number")
    return int(v)


@parser
def parse_channels_concise(text: str | bytes) -> ChannelList:
    """Parse ``core show channels concise``.

    The ``data`` field may itself contain ``!``: fields are taken 6 from the left and 7 from the
    right, the middle is ``data``.
    """
    text = as_text(text, what="core show channels concise")
    channels: list[Channel] = []
    rejects: list[Reject] = []
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        f = line.rstrip("\r").split("!")
        if len(f) < CONCISE_FIELDS:
            rejects.append(reject(lineno, f"{len(f)} '!' fields, expected {CONCISE_FIELDS}", line))
            continue
        head, tail = f[:6], f[-7:]
        data = "!".join(f[6:-7])
        try:
            ch = Channel(
                channel=head[0],
                context=head[1],
                exten=head[2],
                priority=_int(head[3], "priority"),
                state=head[4],
                application=head[5],
                data=data,
                callerid=tail[0],
                accountcode=tail[1],
                peeraccount=tail[2],
                amaflags=_int(tail[3], "amaflags"),
                duration=_int(tail[4], "duration"),
                bridge="" if tail[5] == "(None)" else tail[5],
                uniqueid=tail[6],
            )
        except ParseError as exc:
            rejects.append(reject(lineno, str(exc), line))
            continue
        channels.append(ch)
    return ChannelList(channels, rejects)


@dataclasses.dataclass(frozen=True)
class Module:
    """One ``module show`` line: ``res_pjsip.so  Basic SIP resource  97  Running  core``.

    ``status`` and ``support_level`` are "" on Asterisk 11 and older (no such columns);
    ``description`` is cut to 40 characters by Asterisk.
    """

    name: str
    description: str
    use_count: int
    status: str
    support_level: str


@dataclasses.dataclass
class ModuleList:
    """``module show``: modules in order, the ``N modules loaded`` footer, unreadable lines."""

    modules: list[Module]
    loaded: int | None
    rejects: list[Reject]

    def get(self, name: str) -> Module | None:
        """The module called ``name`` (``res_pjsip`` or ``res_pjsip.so``; built-in parts of the
        core such as ``cdr`` or ``manager`` are listed without ``.so``), None when absent."""
        wanted = {name, name.removesuffix(".so"), name.removesuffix(".so") + ".so"}
        exact = next((m for m in self.modules if m.name == name), None)
        return exact or next((m for m in self.modules if m.name in wanted), None)

    def running(self) -> list[str]:
        """Names of modules whose status is Running (all listed modules on old versions)."""
        return [m.name for m in self.modules if m.status in {"Running", ""}]


@parser
def parse_module_show(text: str | bytes) -> ModuleList:
    """Parse ``module show`` / ``module show like X`` (plain CLI or AMI ``Output:`` form).

    Raises:
        ParseError: when no line is a module, the header or the ``N modules loaded`` footer (not
            this command's output), or Asterisk refused the command.
    """
    text = as_text(text, what="module show")
    modules: list[Module] = []
    rejects: list[Reject] = []
    loaded = None
    header = False
    for lineno, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if _MODULES_HEADER.match(stripped):
            header = True
            continue
        fm = _MODULES_FOOTER.match(stripped)
        if fm:
            loaded = int(fm.group(1))
            continue
        m = _MODULE.match(stripped)
        if not m:
            rejects.append(reject(lineno, "not 'name description usecount [status support]'", line))
            continue
        modules.append(
            Module(
                m.group("name"),
                m.group("desc").strip(),
                int(m.group("use")),
                m.group("status") or "",
                m.group("support") or "",
            )
        )
    if not (modules or header or loaded is not None):
        first = rejects[0].raw[:80] if rejects else ""
        raise ParseError(f"module show: not the output of this command (first line {first!r})")
    if loaded is not None and loaded != len(modules):
        log.warning("module show: the footer says %d modules, %d read", loaded, len(modules))
    return ModuleList(modules, loaded, rejects)
