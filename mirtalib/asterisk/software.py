"""Version banners: ``php -v`` (ionCube), ``java -version``, ``asterisk -V``/``core show version``.

Seed page 27 reads ``php -v`` to learn the PHP version and the ionCube loader version (the web
interface needs ionCube 10 or later); page 26 moves PHP 5 to 7.3/7.4; page 38 checks the Asterisk
version before and after an upgrade; ``java -version`` tells which JRE the Java helpers run on.
"""

from __future__ import annotations

import dataclasses
import logging
import re

from mirtalib.asterisk._common import as_text, parser
from mirtalib.errors import ParseError

log = logging.getLogger(__name__)

_PHP = re.compile(
    r"^PHP (?P<version>\d+\.\d+\.\d+\S*) \((?P<sapi>[^)]*)\)"
    r"(?: \(built: (?P<built>[^)]*)\))?(?P<rest>.*)$",
    re.ASCII,
)
_ZEND = re.compile(r"\bZend Engine v(\S+?),", re.ASCII)
_WITH = re.compile(
    r"^with (?P<what>.+?)(?: v(?P<version>\d+(?:\.\d+)*\S*?))?,\s*Copyright", re.ASCII
)
_IONCUBE = re.compile(r"ionCube (?:PHP )?Loader.*? v(\d+(?:\.\d+)*)", re.ASCII)
_JAVA = re.compile(r'^(?P<vendor>\S+) version "(?P<version>[^"]+)"(?: (?P<date>\S+))?', re.ASCII)
_AST = re.compile(
    r"^Asterisk (?P<version>\S+)(?: built by (?P<by>\S+) @ (?P<host>\S+) on a (?P<arch>\S+) "
    r"running (?P<os>\S+) on (?P<date>.+?))?\s*$",
    re.ASCII,
)


def _version_tuple(text: str) -> tuple[int, ...]:
    m = re.match(r"^(\d+(?:\.\d+)*)", text, re.ASCII)
    return tuple(int(p) for p in m.group(1).split(".")) if m else ()


@dataclasses.dataclass(frozen=True)
class PhpExtension:
    """A ``with ...`` line of ``php -v`` (a Zend extension such as the ionCube loader, OPcache)."""

    name: str
    version: str


@dataclasses.dataclass(frozen=True)
class PhpVersion:
    """``php -v``.

    Attributes:
        version: ``7.4.33``; ``version_tuple`` ``(7, 4, 33)``.
        sapi: ``cli``; built: build date text; thread_safety: ``NTS``/``ZTS`` or "".
        zend_engine: Zend Engine version; extensions: the ``with ...`` lines.
        ioncube: ionCube loader version (``13.0.2``) or None when the loader is not loaded.
    """

    version: str
    version_tuple: tuple[int, ...]
    sapi: str
    built: str
    thread_safety: str
    zend_engine: str
    extensions: tuple[PhpExtension, ...]
    ioncube: str | None

    @property
    def ioncube_major(self) -> int | None:
        """Major version of the ionCube loader (page 27: the web interface needs >= 10)."""
        return _version_tuple(self.ioncube)[0] if self.ioncube else None

    @property
    def loader_file(self) -> str:
        """The ionCube loader file matching this PHP: ``ioncube_loader_lin_7.4.so``."""
        major, minor = self.version_tuple[:2]
        return f"ioncube_loader_lin_{major}.{minor}.so"


@parser
def parse_php_version(text: str | bytes) -> PhpVersion:
    """Parse ``php -v`` output (PHP 5 to 8, with or without ionCube / OPcache)."""
    lines = [ln.strip() for ln in as_text(text, what="php -v", ami=False).split("\n")]
    lines = [ln for ln in lines if ln]
    start = next((i for i, ln in enumerate(lines) if ln.startswith("PHP ")), None)
    if start is None:
        raise ParseError("php -v: no 'PHP x.y.z (sapi)' line in the output")
    m = _PHP.match(lines[start])
    if not m:
        raise ParseError(f"php -v: cannot read the version line {lines[start][:120]!r}")
    ts = re.search(r"\b(NTS|ZTS)\b", m.group("rest") or "")
    zend, extensions, ioncube = "", [], None
    body = " ".join(lines[start + 1 :])
    for part in re.split(r"(?=\bwith )", body):
        part = part.strip()
        zm = _ZEND.search(part)
        if zm and not zend:
            zend = zm.group(1)
        if not part.startswith("with "):
            continue
        im = _IONCUBE.search(part)
        if im:
            ioncube = im.group(1)
            extensions.append(PhpExtension("ionCube PHP Loader", im.group(1)))
            continue
        wm = _WITH.match(part)
        if wm:
            extensions.append(PhpExtension(wm.group("what").strip(), wm.group("version") or ""))
    version = m.group("version")
    vt = _version_tuple(version)
    if len(vt) < 2:
        raise ParseError(f"php -v: version {version!r} has no major.minor")
    return PhpVersion(
        version=version,
        version_tuple=vt,
        sapi=m.group("sapi"),
        built=m.group("built") or "",
        thread_safety=ts.group(1) if ts else "",
        zend_engine=zend,
        extensions=tuple(extensions),
        ioncube=ioncube,
    )


@dataclasses.dataclass(frozen=True)
class JavaVersion:
    """``java -version`` (printed on stderr).

    Attributes:
        vendor: ``openjdk`` or ``java`` (Oracle) as printed; version: ``17.0.15`` / ``1.8.0_381``.
        major: feature release (``1.8.0_381`` -> 8, ``17.0.15`` -> 17).
        release_date: ``2025-04-15`` when printed (JDK 10+), else "".
        runtime, vm: the second and third lines.
    """

    vendor: str
    version: str
    major: int
    release_date: str
    runtime: str
    vm: str

    @property
    def is_64bit(self) -> bool:
        """True when the VM line says 64-Bit."""
        return "64-Bit" in self.vm


@parser
def parse_java_version(text: str | bytes) -> JavaVersion:
    """Parse ``java -version`` output (skips ``Picked up _JAVA_OPTIONS`` notices)."""
    lines = [ln.strip() for ln in as_text(text, what="java -version", ami=False).split("\n")]
    idx = next((i for i, ln in enumerate(lines) if _JAVA.match(ln)), None)
    if idx is None:
        raise ParseError("java -version: no '... version \"x\"' line in the output")
    m = _JAVA.match(lines[idx])
    assert m is not None
    version = m.group("version")
    vt = _version_tuple(version)
    if not vt:
        raise ParseError(f"java -version: {version!r} is not a version")
    major = vt[1] if vt[0] == 1 and len(vt) > 1 else vt[0]
    rest = [ln for ln in lines[idx + 1 :] if ln]
    date = m.group("date") or ""
    return JavaVersion(
        vendor=m.group("vendor"),
        version=version,
        major=major,
        release_date=date if re.fullmatch(r"\d{4}-\d{2}-\d{2}", date) else "",
        runtime=rest[0] if rest else "",
        vm=rest[1] if len(rest) > 1 else "",
    )


@dataclasses.dataclass(frozen=True)
class AsteriskVersion:
    """``asterisk -V`` or ``core show version``.

    Attributes:
        version: ``20.12.0``, ``certified/18.9-cert5``, ``GIT-master-1a2b3c``.
        version_tuple: numeric prefix (``(20, 12, 0)``, ``(18, 9)`` for certified, ``()`` for GIT).
        certified: a certified release; built_by, host, arch, os, build_date: from
            ``core show version`` ("" from ``asterisk -V``).
    """

    version: str
    version_tuple: tuple[int, ...]
    certified: bool
    built_by: str
    host: str
    arch: str
    os: str
    build_date: str

    @property
    def major(self) -> int | None:
        """Major release (20 for 20.12.0; 1 for the old 1.8 series), None when unknown."""
        return self.version_tuple[0] if self.version_tuple else None


@parser
def parse_asterisk_version(text: str | bytes) -> AsteriskVersion:
    """Parse ``asterisk -V`` or ``asterisk -rx 'core show version'`` (plain or AMI)."""
    lines = [ln.strip() for ln in as_text(text, what="asterisk version").split("\n")]
    line = next((ln for ln in lines if ln.startswith("Asterisk ")), None)
    if line is None:
        raise ParseError("asterisk version: no 'Asterisk <version>' line in the output")
    m = _AST.match(line)
    if not m:
        raise ParseError(f"asterisk version: cannot read {line[:120]!r}")
    version = m.group("version")
    certified = version.startswith("certified/") or "-cert" in version
    numeric = version.removeprefix("certified/")
    return AsteriskVersion(
        version=version,
        version_tuple=_version_tuple(numeric),
        certified=certified,
        built_by=m.group("by") or "",
        host=m.group("host") or "",
        arch=m.group("arch") or "",
        os=m.group("os") or "",
        build_date=m.group("date") or "",
    )
