"""Parsers for small host facts the runbooks read.

* ``uname -r`` -> :class:`KernelRelease` (seed page 41: which kernel runs, is it a tested
  CentOS 9 ``5.14.0-362``/``-378`` build, an elrepo ``kernel-lt``?);
* ``grubby --info=ALL`` / ``--info=DEFAULT`` -> list of :class:`BootEntry` (page 41, and page 46's
  permanent ``clocksource=`` kernel argument);
* ``current_clocksource`` + ``available_clocksource`` files -> :class:`ClockSource` (page 46);
* ``/proc/loadavg`` -> :class:`LoadAverage` (page 17: load should stay under the core count);
* ``update-crypto-policies --show`` -> :class:`CryptoPolicy` (page 04: ``LEGACY`` for old TLS).
"""

from __future__ import annotations

import dataclasses
import logging
import re
import shlex

from mirtalib.asterisk._common import as_text, parser
from mirtalib.errors import ParseError

log = logging.getLogger(__name__)

_RELEASE = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?(?:\.(\d+))?([-+_~.][\x21-\x7e]*)?$")
_ARCHES = ("x86_64", "aarch64", "i686", "i386", "ppc64le", "s390x", "noarch", "amd64", "arm64")
_DIST = re.compile(r"^(el\d+(?:_\d+)?|fc\d+|elrepo|centos|alt)$")
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_POLICY = re.compile(r"^[A-Z0-9][A-Z0-9_-]*(?::[A-Za-z0-9][A-Za-z0-9_-]*)*$")


def _lines(text: str) -> list[str]:
    return [ln.strip() for ln in text.split("\n") if ln.strip()]


def _single(text: str | bytes, what: str) -> str:
    lines = _lines(as_text(text, what=what, ami=False))
    if len(lines) != 1:
        raise ParseError(f"{what}: expected one line of output, got {len(lines)}")
    return lines[0]


@dataclasses.dataclass(frozen=True)
class KernelRelease:
    """A kernel release string such as ``5.14.0-362.18.1.el9_3.x86_64``.

    Attributes:
        release: the whole string.
        version: numeric version, e.g. ``(5, 14, 0)``.
        build: the part after the first ``-`` without dist/arch (``362.18.1``; "" if none).
        build_number: first number of ``build`` (``362``), None if it does not start with one.
        dist: distribution tags found (``el9_3``, ``elrepo``), in order.
        arch: machine suffix (``x86_64``) or "".
    """

    release: str
    version: tuple[int, ...]
    build: str
    build_number: int | None
    dist: tuple[str, ...]
    arch: str

    @property
    def major_minor(self) -> tuple[int, int]:
        """``(5, 14)`` for ``5.14.0-362...``."""
        return self.version[0], self.version[1]


@parser
def parse_kernel_release(text: str | bytes) -> KernelRelease:
    """Parse ``uname -r`` output (also a ``vmlinuz-<release>`` path's release part)."""
    release = _single(text, "uname -r")
    m = _RELEASE.match(release)
    if not m:
        raise ParseError(f"uname -r: {release!r} is not a kernel release")
    version = tuple(int(g) for g in m.group(1, 2, 3, 4) if g is not None)
    rest = (m.group(5) or "").lstrip("-+_~.")
    parts = rest.split(".") if rest else []
    arch = ""
    if parts and parts[-1] in _ARCHES:
        arch = parts.pop()
    elif parts and "-" in parts[-1] and parts[-1].rsplit("-", 1)[1] in _ARCHES:
        last, arch = parts[-1].rsplit("-", 1)
        parts[-1] = last
    dist = tuple(p for p in parts if _DIST.match(p))
    build = ".".join(p for p in parts if not _DIST.match(p))
    num = re.match(r"^(\d+)", build)
    return KernelRelease(
        release=release,
        version=version,
        build=build,
        build_number=int(num.group(1)) if num else None,
        dist=dist,
        arch=arch,
    )


@dataclasses.dataclass(frozen=True)
class BootEntry:
    """One ``grubby --info`` entry.

    Attributes:
        index: boot entry index (None when the output has no ``index=`` line).
        kernel: the kernel path (``/boot/vmlinuz-5.14.0-362.18.1.el9_3.x86_64``).
        args: the kernel command line as a list of words (``ro``, ``clocksource=acpi_pm`` ...).
        root, initrd, title, id: as printed ("" when absent).
        fields: every ``key=value`` of the entry, unquoted.
    """

    index: int | None
    kernel: str
    args: tuple[str, ...]
    root: str
    initrd: str
    title: str
    id: str
    fields: dict[str, str]

    def arg(self, name: str) -> str | None:
        """Kernel argument ``name`` (``clocksource``): value, "" for a bare flag, None if absent."""
        found = None
        for a in self.args:
            key, sep, value = a.partition("=")
            if key == name:
                found = value if sep else ""
        return found


def _unquote(value: str, lineno: int) -> str:
    if value.startswith('"'):
        if len(value) < 2 or not value.endswith('"'):
            raise ParseError(f"grubby line {lineno}: unterminated quote in {value!r}")
        return value[1:-1]
    return value


def _entry(fields: dict[str, str]) -> BootEntry:
    idx = fields.get("index")
    if idx is not None and not (idx.isascii() and idx.isdigit()):
        raise ParseError(f"grubby: index {idx!r} is not a number")
    try:
        args = tuple(shlex.split(fields.get("args", "")))
    except ValueError:
        args = tuple(fields.get("args", "").split())
    return BootEntry(
        index=int(idx) if idx is not None else None,
        kernel=fields.get("kernel", ""),
        args=args,
        root=fields.get("root", ""),
        initrd=fields.get("initrd", ""),
        title=fields.get("title", ""),
        id=fields.get("id", ""),
        fields=dict(fields),
    )


@parser
def parse_grubby_info(text: str | bytes) -> list[BootEntry]:
    """Parse ``grubby --info=ALL`` (or ``--info=DEFAULT``/``--info=<kernel>``) output.

    Entries start at each ``index=`` line; lines like ``non linux entry`` are kept in ``fields``
    under ``note``.
    """
    text = as_text(text, what="grubby --info", ami=False)
    entries: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    for lineno, line in enumerate(text.split("\n"), start=1):
        line = line.strip()
        if not line:
            continue
        key, sep, value = line.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            if current is None:
                raise ParseError(f"grubby line {lineno}: {line[:80]!r} is not key=value")
            current["note"] = (current.get("note", "") + " " + line).strip()
            continue
        if key == "index" or current is None or key in current:
            current = {}
            entries.append(current)
        current[key] = _unquote(value, lineno)
    if not entries:
        raise ParseError("grubby --info: no boot entry in the output")
    return [_entry(e) for e in entries]


@dataclasses.dataclass(frozen=True)
class ClockSource:
    """The kernel clock source and the alternatives (``/sys/devices/system/clocksource/...``)."""

    current: str
    available: tuple[str, ...]

    @property
    def current_is_available(self) -> bool:
        """False would mean the two files were read from different moments or machines."""
        return self.current in self.available


@parser
def parse_clocksource(current: str | bytes, available: str | bytes) -> ClockSource:
    """Parse the contents of ``current_clocksource`` and ``available_clocksource``.

    Raises:
        ParseError: when a file does not hold clock source names (``tsc hpet acpi_pm``).
    """
    cur = _single(current, "current_clocksource")
    if not _NAME.match(cur):
        raise ParseError(f"current_clocksource: {cur!r} is not a clock source name")
    names = tuple(as_text(available, what="available_clocksource", ami=False).split())
    if not names:
        raise ParseError("available_clocksource: the file is empty")
    for n in names:
        if not _NAME.match(n):
            raise ParseError(f"available_clocksource: {n!r} is not a clock source name")
    return ClockSource(cur, names)


@dataclasses.dataclass(frozen=True)
class LoadAverage:
    """``/proc/loadavg``: load over 1/5/15 minutes, runnable/total tasks, last pid."""

    load1: float
    load5: float
    load15: float
    running: int
    tasks: int
    last_pid: int

    def per_core(self, cores: int) -> tuple[float, float, float]:
        """Loads divided by ``cores`` (above 1.0 the box is overloaded, seed page 17)."""
        if cores <= 0:
            raise ParseError(f"core count must be positive, got {cores}")
        return self.load1 / cores, self.load5 / cores, self.load15 / cores


@parser
def parse_loadavg(text: str | bytes) -> LoadAverage:
    """Parse ``/proc/loadavg`` (``0.52 0.58 0.59 1/1234 56789``)."""
    line = _single(text, "/proc/loadavg")
    m = re.fullmatch(r"(\d+\.\d+) (\d+\.\d+) (\d+\.\d+) (\d+)/(\d+) (\d+)", line)
    if not m or not line.isascii():
        raise ParseError(f"/proc/loadavg: {line[:80]!r} is not 'l1 l5 l15 run/total pid'")
    g = m.groups()
    return LoadAverage(float(g[0]), float(g[1]), float(g[2]), int(g[3]), int(g[4]), int(g[5]))


@dataclasses.dataclass(frozen=True)
class CryptoPolicy:
    """``update-crypto-policies --show``: ``DEFAULT``, ``LEGACY``, ``DEFAULT:SHA1`` ..."""

    policy: str
    subpolicies: tuple[str, ...]

    @property
    def name(self) -> str:
        """The full policy string as ``--set`` takes it."""
        return ":".join((self.policy, *self.subpolicies))


@parser
def parse_crypto_policy(text: str | bytes) -> CryptoPolicy:
    """Parse ``update-crypto-policies --show`` output (RHEL/CentOS 8+)."""
    line = _single(text, "update-crypto-policies --show")
    if not _POLICY.match(line):
        raise ParseError(f"update-crypto-policies --show: {line[:80]!r} is not a policy name")
    policy, *subs = line.split(":")
    return CryptoPolicy(policy, tuple(subs))
