"""``php -i`` (CLI phpinfo) and ``uname -m``: where PHP loads extensions from, on what machine.

Seed pages 26 and 27 copy an ionCube loader into PHP's extension folder. The right loader file
depends on the PHP version (``php -v``, :mod:`mirtalib.asterisk.software`), on thread safety
(``Thread Safety => enabled`` needs the ``_ts`` loader) and on the CPU architecture (``uname -m``
chooses the download); the folder is ``extension_dir``. :func:`parse_php_info` reads the
``key => value`` lines of ``php -i`` (two-column directive lines ``key => local => master`` keep
the local value) and :func:`parse_machine` the single word of ``uname -m``.
"""

from __future__ import annotations

import dataclasses
import re

from mirtalib.asterisk._common import Reject, as_text, parser
from mirtalib.errors import ParseError

_KEY = re.compile(r"^[^\x00-\x1f\x7f]{1,200}$")
_MACHINE = re.compile(r"^[A-Za-z0-9_]{1,32}$")


@dataclasses.dataclass(frozen=True)
class PhpInfo:
    """The ``key => value`` lines of ``php -i``.

    Attributes:
        values: key -> local value (first occurrence wins; sections repeat some keys).
        rejects: lines with ``=>`` that could not be read (never silently dropped).
    """

    values: dict[str, str]
    rejects: tuple[Reject, ...] = ()

    @property
    def extension_dir(self) -> str | None:
        """``extension_dir`` (``/usr/lib64/php/modules``), None when absent."""
        return self.values.get("extension_dir") or None

    @property
    def thread_safe(self) -> bool | None:
        """True for a ZTS build (``Thread Safety => enabled``), None when not printed."""
        value = self.values.get("Thread Safety", "").strip().lower()
        return {"enabled": True, "disabled": False}.get(value)

    @property
    def scan_dir(self) -> str | None:
        """The folder of additional .ini files (``/etc/php.d``), None when "(none)"/absent."""
        value = self.values.get("Scan this dir for additional .ini files", "")
        return value if value.startswith("/") else None

    @property
    def loaded_ini(self) -> str | None:
        """``Loaded Configuration File`` (``/etc/php.ini``), None when "(none)"/absent."""
        value = self.values.get("Loaded Configuration File", "")
        return value if value.startswith("/") else None


@parser
def parse_php_info(text: str | bytes) -> PhpInfo:
    """Parse ``php -i`` (or just its ``grep extension_dir`` lines).

    Raises:
        ParseError: when no ``key => value`` line is found at all.
    """
    values: dict[str, str] = {}
    rejects: list[Reject] = []
    for lineno, line in enumerate(as_text(text, what="php -i", ami=False).split("\n"), 1):
        if " => " not in line and not line.rstrip().endswith(" =>"):
            continue
        key, _, rest = line.partition(" =>")
        key = key.strip()
        if not _KEY.match(key):
            rejects.append(Reject(lineno, "not a 'key => value' line", line[:500]))
            continue
        local = rest.strip().split(" => ")[0].strip()
        values.setdefault(key, "" if local == "no value" else local)
    if not values:
        raise ParseError("php -i: no 'key => value' line in the output")
    return PhpInfo(values, tuple(rejects))


@parser
def parse_machine(text: str | bytes) -> str:
    """The machine hardware name printed by ``uname -m`` (``x86_64``, ``aarch64``, ``i686``)."""
    words = as_text(text, what="uname -m", ami=False).split()
    if len(words) != 1 or not _MACHINE.match(words[0]):
        raise ParseError(f"uname -m: expected one word, got {' '.join(words)[:80]!r}")
    return words[0]
