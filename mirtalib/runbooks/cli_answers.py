"""What a node's Asterisk answers when a page asks for something it does not have.

``asterisk -rx`` exits 0 and prints ``No such command 'sip show peers' (type 'core show help sip
show' for other possible commands)`` for a command that no loaded module provides. Two cases the
pages meet on current nodes (found on a real Asterisk 22.10.1):

* chan_sip's commands (``sip show peers``, ``sip show peer X``) on Asterisk 21 and later, which
  have no chan_sip at all (and on older nodes where chan_sip is not loaded);
* ``parkedcalls show`` on Asterisk 12 and later, where res_parking replaced the parking of
  features.c (its command is ``parking show <lot>``).

Handed that answer, a parser either refuses it ("output not understood") or reads it as an empty
list, so a page would fail for the wrong reason or claim an empty, healthy node. The pages look
at the answer first (:func:`missing_command`, :func:`tolerant`) and turn it into a finding that
names the cause (:func:`chan_sip_missing`). The few extra commands that name the node's version
and whether chan_sip is loaded (:func:`chan_sip_state`) only run on that path.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

from mirtalib.asterisk.cli import parse_module_show
from mirtalib.asterisk.software import AsteriskVersion, parse_asterisk_version
from mirtalib.errors import ParseError
from mirtalib.runbook.checks import missing_program
from mirtalib.validate import cmd

FIRST_WITHOUT_CHAN_SIP = 21  # Asterisk 21 removed chan_sip
FIRST_WITH_RES_PARKING = 12  # Asterisk 12 replaced features.c parking with res_parking
VERSION_COMMAND = cmd("asterisk", "-V")
CHAN_SIP_MODULES = cmd("asterisk", "-rx", "module show like chan_sip")

_NO_SUCH = re.compile(r"^(?:Output: )?No such command '(?P<command>[^']*)'")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@dataclasses.dataclass(frozen=True)
class MissingCommand:
    """Asterisk said it has no such command (``command`` as Asterisk echoed it)."""

    command: str
    answer: str

    def __repr__(self) -> str:
        return f"this Asterisk has no command {self.command!r}"


def missing_command(text: str | bytes) -> MissingCommand | None:
    """The "No such command" answer in ``text`` (its first non-empty line), else None.

    >>> missing_command("No such command 'sip show peers' (type 'core show help sip show' ...)")
    this Asterisk has no command 'sip show peers'
    >>> missing_command("Name/username  Host  Dyn ...") is None
    True
    """
    if isinstance(text, bytes | bytearray):
        text = bytes(text).decode("utf-8", errors="replace")
    for line in str(text).replace("\r", "\n").split("\n"):
        line = _ANSI.sub("", line).strip()
        if line:
            m = _NO_SUCH.match(line)
            return MissingCommand(m.group("command"), line[:300]) if m else None
    return None


def tolerant(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """``parse`` that returns a :class:`MissingCommand` for a "No such command" answer."""

    def read(text: str) -> Any:
        return missing_command(text) or parse(text)

    return read


@dataclasses.dataclass(frozen=True)
class ChanSipState:
    """Whether chan_sip is loaded on a node, and the node's Asterisk version (None: unknown)."""

    loaded: bool
    version: AsteriskVersion | None

    @property
    def removed(self) -> bool:
        """True when the node's Asterisk is 21 or later, which has no chan_sip at all."""
        major = self.version.major if self.version else None
        return major is not None and major >= FIRST_WITHOUT_CHAN_SIP

    def to_dict(self) -> dict[str, Any]:
        """JSON form (for probes)."""
        return {"loaded": self.loaded, "version": self.version.version if self.version else ""}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChanSipState:
        """Back from :meth:`to_dict` (ParseError when it is not that)."""
        try:
            loaded, version = bool(data["loaded"]), str(data["version"])
        except (KeyError, TypeError) as exc:
            raise ParseError(f"not a chan_sip state: {exc}") from None
        return cls(loaded, parse_asterisk_version(f"Asterisk {version}") if version else None)


def read_version(target) -> AsteriskVersion | None:
    """``asterisk -V`` on the target (None when it does not answer with a version)."""
    out = target.run(VERSION_COMMAND)
    if out.exit_code != 0:
        return None
    try:
        return parse_asterisk_version(out.stdout)
    except ParseError:
        return None


def chan_sip_state(target) -> ChanSipState:
    """Ask the node whether chan_sip is loaded (``module show like chan_sip``) and its version.

    Raises:
        ParseError: when ``module show`` cannot be read (Asterisk not running, refused ...).
    """
    out = target.run(CHAN_SIP_MODULES)
    if out.exit_code != 0:
        raise ParseError(
            missing_program(out, target.name)
            or f"{CHAN_SIP_MODULES} exited {out.exit_code}: {(out.stderr or out.stdout)[:200]}"
        )
    loaded = "chan_sip.so" in parse_module_show(out.stdout).running()
    return ChanSipState(loaded, read_version(target))


def node_words(version: AsteriskVersion | str | None) -> str:
    """``this Asterisk 22 node`` (``this node`` when the version is unknown)."""
    if isinstance(version, str):
        try:
            version = parse_asterisk_version(f"Asterisk {version}") if version else None
        except ParseError:
            version = None
    major = version.major if version is not None else None
    return f"this Asterisk {major} node" if major is not None else "this node"


def chan_sip_missing(what: str, version: AsteriskVersion | str | None = None) -> str:
    """The finding: ``chan_sip is not loaded on this Asterisk 22 node (<cause>): <what>``.

    ``what`` says what the page could not do; the cause is the removal of chan_sip in Asterisk
    21 when the version says so (both causes when the version is unknown), else "not loaded".
    """
    if isinstance(version, str):
        try:
            version = parse_asterisk_version(f"Asterisk {version}") if version else None
        except ParseError:
            version = None
    major = version.major if version is not None else None
    if major is not None and major < FIRST_WITHOUT_CHAN_SIP:
        why = "load chan_sip.so in modules.conf if the node needs it"
    elif major is not None:
        why = f"Asterisk {FIRST_WITHOUT_CHAN_SIP} and later have no chan_sip, only PJSIP"
    else:
        why = (
            f"Asterisk {FIRST_WITHOUT_CHAN_SIP} and later have no chan_sip; on older versions "
            "load chan_sip.so"
        )
    return f"chan_sip is not loaded on {node_words(version)} ({why}): {what}"
