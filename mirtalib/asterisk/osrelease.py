"""``/etc/os-release`` (os-release(5)): which distribution and version a node runs.

The file is a list of ``KEY=value`` lines in shell syntax (values may be double- or single-quoted,
with backslash escapes inside double quotes); ``#`` lines and blank lines are ignored.
:func:`parse_os_release` keeps every key and :class:`OsRelease` answers the questions the install
runbooks ask: the family (``rhel`` for CentOS/Rocky/Alma/RHEL, ``debian`` for Debian/Ubuntu) and
the major version.
"""

from __future__ import annotations

import dataclasses
import re

from mirtalib.errors import ParseError

_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$")
_RHEL_IDS = {"centos", "rhel", "rocky", "almalinux", "ol", "fedora"}
_DEBIAN_IDS = {"debian", "ubuntu", "raspbian"}


def _unquote(raw: str, lineno: int) -> str:
    raw = raw.strip()
    if not raw:
        return ""
    if raw[0] in "\"'":
        quote = raw[0]
        if len(raw) < 2 or raw[-1] != quote:
            raise ParseError(f"os-release line {lineno}: unterminated quote in {raw[:60]!r}")
        body = raw[1:-1]
        if quote == '"':
            body = re.sub(r'\\([\\"$`])', r"\1", body)
        return body
    if any(c in raw for c in " \t\"'`$"):
        raise ParseError(f"os-release line {lineno}: unquoted value with special characters")
    return raw


@dataclasses.dataclass(frozen=True)
class OsRelease:
    """The identification of an operating system.

    Attributes:
        values: every key of the file (``ID``, ``VERSION_ID``, ``PRETTY_NAME`` ...).
    """

    values: dict[str, str]

    def __repr__(self) -> str:
        return f"OsRelease({self.pretty!r}, platform={self.platform!r})"

    @property
    def id(self) -> str:
        """Lower-case distribution id (``centos``, ``rocky``, ``debian``); ``linux`` if absent."""
        return self.values.get("ID", "linux").lower()

    @property
    def like(self) -> tuple[str, ...]:
        """The ``ID_LIKE`` ids."""
        return tuple(self.values.get("ID_LIKE", "").lower().split())

    @property
    def family(self) -> str:
        """``rhel``, ``debian`` or ``other``."""
        ids = {self.id, *self.like}
        if ids & _RHEL_IDS:
            return "rhel"
        if ids & _DEBIAN_IDS:
            return "debian"
        return "other"

    @property
    def major(self) -> int | None:
        """Major version from ``VERSION_ID`` (``7``, ``9``, ``12``), None when absent."""
        m = re.match(r"(\d+)", self.values.get("VERSION_ID", ""))
        return int(m.group(1)) if m else None

    @property
    def pretty(self) -> str:
        """``PRETTY_NAME`` or ``ID VERSION_ID``."""
        return self.values.get("PRETTY_NAME") or f"{self.id} {self.values.get('VERSION_ID', '')}"

    @property
    def platform(self) -> str:
        """Install plan key: ``centos7``, ``el8``, ``el9``, ``debian`` or ``other``."""
        if self.family == "rhel" and self.major is not None:
            return "centos7" if self.major <= 7 else f"el{self.major}"
        return "debian" if self.family == "debian" else "other"


def parse_os_release(text: str | bytes) -> OsRelease:
    """Parse an os-release file; ParseError on a line that is not ``KEY=value``."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    values: dict[str, str] = {}
    for lineno, line in enumerate(str(text).splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        m = _LINE.match(stripped)
        if not m:
            raise ParseError(f"os-release line {lineno} is not KEY=value: {stripped[:60]!r}")
        values[m.group(1)] = _unquote(m.group(2), lineno)
    if not values:
        raise ParseError("os-release is empty")
    return OsRelease(values)
