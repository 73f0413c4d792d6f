"""``KEY=value`` files: Java ``.properties`` (Amirouter, pages 02/06) and dotenv ``.env`` (page 01).

:func:`parse_keyvalue` reads the effective values (the last occurrence of a key wins, as in
``java.util.Properties`` and python-dotenv); comment lines (``#``, and ``!`` for properties) and
blank lines are skipped; a line that is neither is reported in ``rejects``, never dropped silently.
:func:`set_keyvalues` changes values in place: the first line of a key gets the new value, later
duplicates are removed (they would win otherwise), missing keys are appended; every other byte of
the file is kept, and applying it twice changes nothing.

Simplifications (stated, not hidden): properties line continuations (a trailing ``\\``) and
``key value`` / ``key:value`` separators are read as one ``key=value`` style only when ``=`` or
``:`` separates them; dotenv values may be single- or double-quoted (quotes are removed when
reading; :func:`set_keyvalues` with ``dotenv=True`` quotes values that need it).
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Mapping

from mirtalib.asterisk._common import Reject, parser, reject
from mirtalib.errors import ParameterError

log = logging.getLogger(__name__)

_LINE = re.compile(
    r"^(?P<indent>\s*)(?:export\s+)?(?P<key>[^\s=:#!]+)\s*(?P<sep>[=:])(?P<value>.*)$"
)
_KEY = re.compile(r"^[A-Za-z0-9_.\-]+$")
_SAFE_DOTENV = re.compile(r"^[A-Za-z0-9_./:@%+,\-=?&]*$")


@dataclasses.dataclass
class KeyValues:
    """Effective values of a ``KEY=value`` file, the line of each, and the lines not understood."""

    values: dict[str, str]
    lines: dict[str, int]
    rejects: list[Reject]


def _unquote(value: str) -> str:
    v = value.strip()
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
        inner = v[1:-1]
        return inner.replace('\\"', '"').replace("\\\\", "\\") if v[0] == '"' else inner
    return v


@parser
def parse_keyvalue(text: str | bytes, *, dotenv: bool = False) -> KeyValues:
    """Parse a ``.properties`` (default) or a dotenv file (``dotenv=True``: quotes removed)."""
    if isinstance(text, bytes | bytearray):
        text = bytes(text).decode("utf-8", errors="replace")
    values: dict[str, str] = {}
    where: dict[str, int] = {}
    rejects: list[Reject] = []
    for n, raw in enumerate(str(text).splitlines(), 1):
        stripped = raw.strip()
        if not stripped or stripped[0] in ("#", "!"):
            continue
        m = _LINE.match(raw)
        if not m:
            rejects.append(reject(n, "not a KEY=value line", raw))
            continue
        value = m.group("value")
        values[m.group("key")] = _unquote(value) if dotenv else value.strip()
        where[m.group("key")] = n
    return KeyValues(values, where, rejects)


def _render_value(value: str, dotenv: bool) -> str:
    if any(c in value for c in "\r\n\x00"):
        raise ParameterError("a KEY=value file value cannot contain a newline or NUL")
    if dotenv and not _SAFE_DOTENV.match(value):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return value


def set_keyvalues(text: str, wanted: Mapping[str, str], *, dotenv: bool = False) -> str:
    """Return ``text`` with every key of ``wanted`` set (in place, duplicates removed, appended
    when missing); other lines byte-identical."""
    for key in wanted:
        if not _KEY.match(key):
            raise ParameterError(f"{key!r} is not a KEY=value file key (A-Z a-z 0-9 _ . -)")
    lines = text.splitlines(keepends=True)
    seen: set[str] = set()
    out: list[str] = []
    for raw in lines:
        body = raw.rstrip("\r\n")
        eol = raw[len(body) :]
        m = _LINE.match(body) if body.strip()[:1] not in ("#", "!") else None
        key = m.group("key") if m else None
        if key is None or key not in wanted:
            out.append(raw)
            continue
        if key in seen:
            continue  # a later duplicate would override the value just set
        seen.add(key)
        rendered = _render_value(wanted[key], dotenv)
        current = m.group("value")
        if (_unquote(current) if dotenv else current.strip()) == (
            wanted[key] if dotenv else wanted[key].strip()
        ):
            out.append(raw)
        else:
            lead = len(current) - len(current.lstrip(" \t"))
            out.append(body[: m.start("value") + lead] + rendered + eol)
    missing = [k for k in wanted if k not in seen]
    if missing and out and not out[-1].endswith(("\n", "\r")):
        out[-1] += "\n"
    out.extend(f"{k}={_render_value(wanted[k], dotenv)}\n" for k in missing)
    return "".join(out)
