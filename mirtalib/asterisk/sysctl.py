"""Kernel parameters: ``sysctl -a`` / ``sysctl NAME`` / ``sysctl -n NAME`` output and sysctl.conf.

Seed page 16 (TCP port exhaustion) adds ``net.ipv4.tcp_fin_timeout=1`` and
``net.ipv4.tcp_tw_reuse=1`` to ``/etc/sysctl.conf``: :func:`parse_sysctl_conf` reads such a file
(comments and order kept), :func:`set_sysctl_conf` edits it (existing lines changed in place, new
keys appended; everything else byte-identical), and :func:`parse_sysctl` reads what the kernel
reports so a verify step can compare the two.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Mapping

from mirtalib.asterisk._common import Reject, as_text, parser, reject
from mirtalib.errors import ParameterError, ParseError

log = logging.getLogger(__name__)

_KEY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-/*:@]*$", re.ASCII)


def normalize_key(key: str) -> str:
    """``net/ipv4/tcp_fin_timeout`` -> ``net.ipv4.tcp_fin_timeout`` (sysctl's own rule).

    When the first separator is ``/``, slashes separate levels and dots are part of a name
    (``net/ipv4/conf/eth0.100/rp_filter``); sysctl then prints dots as slashes, so we do too.
    """
    if "/" in key and ("." not in key or key.index("/") < key.index(".")):
        return ".".join(part.replace(".", "/") for part in key.split("/"))
    return key


@dataclasses.dataclass
class SysctlValues:
    """Values reported by ``sysctl -a`` or ``sysctl NAME ...``.

    Attributes:
        values: name -> value (multi-line keys such as ``dev.cdrom.info`` joined with ``\\n``).
        errors: ``sysctl: ...`` messages found in the text (permission denied, unknown key).
        rejects: lines that are neither.
    """

    values: dict[str, str]
    errors: list[str]
    rejects: list[Reject]

    def get(self, name: str, default: str | None = None) -> str | None:
        """Value of ``name`` (slash or dot form)."""
        return self.values.get(normalize_key(name), default)

    def get_ints(self, name: str) -> tuple[int, ...]:
        """Whitespace-separated integers of ``name`` (``ip_local_port_range`` -> (32768, 60999)).

        Raises:
            ParseError: when the key is missing or not made of integers.
        """
        value = self.get(name)
        if value is None:
            raise ParseError(f"sysctl: {name} is not in the output")
        try:
            return tuple(int(v) for v in value.split())
        except ValueError as exc:
            raise ParseError(f"sysctl: {name} = {value!r} is not a list of integers") from exc

    def get_int(self, name: str) -> int:
        """Single integer value of ``name`` (``net.ipv4.tcp_fin_timeout`` -> 60)."""
        values = self.get_ints(name)
        if len(values) != 1:
            raise ParseError(f"sysctl: {name} has {len(values)} values, expected one")
        return values[0]


@parser
def parse_sysctl(text: str | bytes) -> SysctlValues:
    """Parse ``sysctl -a`` or ``sysctl NAME [NAME ...]`` output (``name = value`` lines)."""
    text = as_text(text, what="sysctl", ami=False)
    values: dict[str, str] = {}
    errors: list[str] = []
    rejects: list[Reject] = []
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        if line.startswith("sysctl:"):
            errors.append(line.strip())
            continue
        key, sep, value = line.partition(" = ")
        if not sep:
            key, sep, value = line.partition("=")
            if not sep and line.rstrip().endswith(" ="):
                key, sep, value = line.rstrip()[:-2], "=", ""
        key = key.strip()
        if not sep or not _KEY.match(key):
            rejects.append(reject(lineno, "not 'name = value'", line))
            continue
        key = normalize_key(key)
        value = value.strip()
        values[key] = f"{values[key]}\n{value}" if key in values else value
    if not values and not errors:
        raise ParseError("sysctl: no 'name = value' line in the output")
    return SysctlValues(values, errors, rejects)


@parser
def parse_sysctl_value(text: str | bytes) -> str:
    """Parse ``sysctl -n NAME`` output (the bare value; multi-line values are kept)."""
    text = as_text(text, what="sysctl -n", ami=False).strip("\n")
    if text.startswith("sysctl:"):
        raise ParseError(f"sysctl -n failed: {text.splitlines()[0][:200]}")
    return text.strip()


@dataclasses.dataclass(frozen=True)
class SysctlConfEntry:
    """One setting line of a sysctl.conf / sysctl.d file."""

    lineno: int
    key: str
    value: str
    ignore_errors: bool  # leading '-': sysctl --system ignores a failure of this key


@dataclasses.dataclass
class SysctlConf:
    """A parsed sysctl.conf: settings in order, comments skipped, bad lines rejected."""

    entries: list[SysctlConfEntry]
    rejects: list[Reject]

    def effective(self) -> dict[str, str]:
        """name -> value that applies (the last line of a key wins)."""
        return {e.key: e.value for e in self.entries}


def _conf_line(line: str) -> tuple[str, str, bool] | str | None:
    stripped = line.strip()
    if not stripped or stripped[0] in "#;":
        return None
    ignore = stripped.startswith("-")
    if ignore:
        stripped = stripped[1:].lstrip()
    key, sep, value = stripped.partition("=")
    key = key.strip()
    if not sep or not _KEY.match(key):
        return "not 'name = value'"
    return normalize_key(key), value.strip(), ignore


@parser
def parse_sysctl_conf(text: str | bytes) -> SysctlConf:
    """Parse sysctl.conf lines (``#``/``;`` comments, ``key = value``, ``-key = value``)."""
    text = as_text(text, what="sysctl.conf", ami=False)
    entries: list[SysctlConfEntry] = []
    rejects: list[Reject] = []
    for lineno, line in enumerate(text.split("\n"), start=1):
        parsed = _conf_line(line)
        if parsed is None:
            continue
        if isinstance(parsed, str):
            rejects.append(reject(lineno, parsed, line))
            continue
        entries.append(SysctlConfEntry(lineno, *parsed))
    return SysctlConf(entries, rejects)


def _check_setting(key: str, value: object) -> str:
    if not isinstance(key, str) or not _KEY.match(key):
        raise ParameterError(f"sysctl name {key!r} is not a valid kernel parameter name")
    text = str(value) if isinstance(value, int | str) and not isinstance(value, bool) else None
    if text is None or "\n" in text or "\r" in text or not text.strip():
        raise ParameterError(f"sysctl value {value!r} for {key} must be a one-line string or int")
    return text.strip()


def set_sysctl_conf(text: str, settings: Mapping[str, str | int]) -> str:
    """Return ``text`` with every key of ``settings`` set; all other bytes unchanged.

    Existing active lines of a key get the new value in place (same spacing and ``-`` prefix); a key
    not present is appended as ``key = value``. Order of appended keys follows ``settings``.

    Raises:
        ParameterError: for a bad key or value.
    """
    if not isinstance(text, str):
        raise ParameterError("set_sysctl_conf edits text (str)")
    wanted = {normalize_key(k): _check_setting(k, v) for k, v in settings.items()}
    chunks = re.findall(r"[^\n]*\n|[^\n]+", text)
    seen: set[str] = set()
    out: list[str] = []
    for chunk in chunks:
        body = chunk.rstrip("\r\n")
        eol = chunk[len(body) :]
        parsed = _conf_line(body)
        if isinstance(parsed, tuple) and parsed[0] in wanted:
            key = parsed[0]
            seen.add(key)
            eq = body.index("=")
            after = body[eq + 1 :]
            lead = after[: len(after) - len(after.lstrip())]
            trail = after[len(after.rstrip()) :]
            body = body[: eq + 1] + lead + wanted[key] + trail
        out.append(body + eol)
    missing = [k for k in wanted if k not in seen]
    if missing:
        if out and not out[-1].endswith("\n"):
            out[-1] += "\n"
        out.extend(f"{k} = {wanted[k]}\n" for k in missing)
    return "".join(out)
