"""GRUB boot menus: GRUB 2 ``menuentry`` lines and legacy GRUB ``/etc/grub.conf`` (CentOS 6).

Seed page 41 finds the new kernel's position with ``grep '^menuentry' /boot/grub2/grub.cfg`` and
sets ``GRUB_DEFAULT`` to it (CentOS 7); :func:`parse_grub_menuentries` reads those lines. Seed page
46 makes a clock source permanent by adding ``clocksource=acpi_pm`` to the ``kernel`` line of
``/etc/grub.conf`` on CentOS 6; :func:`parse_grub_legacy` reads that file and
:func:`set_legacy_kernel_arg` edits it, leaving every other byte alone (on CentOS 7 and later the
same change is ``grubby --update-kernel=ALL --args=clocksource=acpi_pm``).
"""

from __future__ import annotations

import dataclasses
import logging
import re

from mirtalib.asterisk._common import as_text, parser
from mirtalib.asterisk.host import BootEntry
from mirtalib.errors import ParameterError, ParseError

log = logging.getLogger(__name__)

_MENUENTRY = re.compile(r"""^menuentry\s+(?:'([^']*)'|"((?:[^"\\]|\\.)*)")(.*)$""")
_ID = re.compile(r"""\$menuentry_id_option\s+'([^']*)'""")
_ARG_NAME = re.compile(r"^[A-Za-z0-9_.\-]+$")
_ARG_VALUE = re.compile(r"^[A-Za-z0-9_.,:/@+\-=]*$")
_LINES = re.compile(r"[^\n]*\n|[^\n]+")


@dataclasses.dataclass(frozen=True)
class GrubMenuEntry:
    """A top-level GRUB 2 ``menuentry``: its position (``GRUB_DEFAULT`` index), title and id."""

    index: int
    title: str
    id: str


@parser
def parse_grub_menuentries(text: str | bytes) -> list[GrubMenuEntry]:
    """Parse ``grep '^menuentry' /boot/grub2/grub.cfg`` output (or the whole grub.cfg).

    Only top-level entries count (the lines starting with ``menuentry``), as for ``GRUB_DEFAULT``.
    """
    text = as_text(text, what="grub.cfg menuentry", ami=False)
    entries = []
    for line in text.split("\n"):
        if not line.startswith("menuentry"):
            continue
        m = _MENUENTRY.match(line)
        if not m:
            raise ParseError(f"grub.cfg: cannot read the title of {line[:120]!r}")
        title = m.group(1) if m.group(1) is not None else re.sub(r"\\(.)", r"\1", m.group(2))
        idm = _ID.search(m.group(3))
        entries.append(GrubMenuEntry(len(entries), title, idm.group(1) if idm else ""))
    if not entries:
        raise ParseError("grub.cfg: no 'menuentry' line")
    return entries


@dataclasses.dataclass
class LegacyGrub:
    """``/etc/grub.conf``: the ``default=`` index (None if absent) and the boot entries."""

    default: int | None
    entries: list[BootEntry]

    @property
    def default_entry(self) -> BootEntry | None:
        """The entry GRUB boots (None when ``default`` is missing or out of range)."""
        if self.default is None or not 0 <= self.default < len(self.entries):
            return None
        return self.entries[self.default]


@parser
def parse_grub_legacy(text: str | bytes) -> LegacyGrub:
    """Parse a legacy GRUB ``grub.conf``: ``default=`` and the ``title`` entries."""
    text = as_text(text, what="grub.conf", ami=False)
    default = None
    entries: list[dict[str, str]] = []
    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key = stripped.split(None, 1)[0].split("=", 1)[0]
        value = stripped[len(key) :].lstrip(" \t=")
        if key == "default" and not entries:
            if not (value.isascii() and value.isdigit()):
                raise ParseError(f"grub.conf: default={value!r} is not an entry number")
            default = int(value)
        elif key == "title":
            entries.append({"title": value})
        elif entries and key in {"root", "kernel", "initrd"}:
            entries[-1][key] = value
    boot = []
    for i, e in enumerate(entries):
        kernel, _, args = e.get("kernel", "").partition(" ")
        boot.append(
            BootEntry(
                index=i,
                kernel=kernel,
                args=tuple(args.split()),
                root=e.get("root", ""),
                initrd=e.get("initrd", ""),
                title=e["title"],
                id="",
                fields=dict(e),
            )
        )
    return LegacyGrub(default, boot)


def set_legacy_kernel_arg(text: str, name: str, value: str | None) -> str:
    """Set ``name=value`` on every ``kernel`` line of a legacy grub.conf (None removes it).

    An existing ``name=...`` word is replaced in place; otherwise ``name=value`` is appended to the
    line. Idempotent; comments, indentation and other lines are kept byte for byte.

    Raises:
        ParameterError: for a name or value that is not a plain kernel argument.
    """
    if not isinstance(name, str) or not _ARG_NAME.match(name):
        raise ParameterError(f"kernel argument name {name!r} is not valid")
    if value is not None and (not isinstance(value, str) or not _ARG_VALUE.match(value)):
        raise ParameterError(f"kernel argument {name}={value!r}: value has unsafe characters")
    out = []
    for chunk in _LINES.findall(text):
        body = chunk.rstrip("\r\n")
        eol = chunk[len(body) :]
        m = re.match(r"^(\s*kernel\s+\S+)(.*?)(\s*)$", body)
        if m:
            words = m.group(2).split()
            same = [i for i, w in enumerate(words) if w.split("=", 1)[0] == name]
            new = [w for i, w in enumerate(words) if i not in same[1:]]
            if value is None:
                new = [w for w in new if w.split("=", 1)[0] != name]
            else:
                word = f"{name}={value}" if value else name
                if same:
                    new[same[0]] = word
                else:
                    new.append(word)
            if new != words:
                body = m.group(1) + "".join(" " + w for w in new) + m.group(3)
        out.append(body + eol)
    return "".join(out)
