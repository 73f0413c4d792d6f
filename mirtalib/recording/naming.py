"""Recording file names: the (assumed) MiRTA naming convention as a configurable regex.

MiRTA's own naming of recording files is not public. The default below is an *assumption* that
carries everything the audit needs to tie a file to a call, and every function takes the pattern as
a parameter so a deployment can describe its real layout::

    <TENANT>/<yyyy>/<mm>/<dd>/<yyyymmdd>-<hhmmss>-<src>-<dst>-<uniqueid>.wav

e.g. ``DEVEL/2026/10/05/20261005-093012-100-0612345678-srv01-1791185412.42.wav``. The uniqueid comes
last because cluster uniqueids contain a dash (``srv02-1509806457.625``); ``src`` and ``dst`` must
not. A custom pattern is a Python regex matched against the path relative to the recordings root
(with ``/`` separators); it must have a named group ``uniqueid`` or ``linkedid`` and may have
``tenant``, ``date`` (yyyymmdd), ``time`` (hhmmss), ``src`` and ``dst``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from mirtalib.errors import ParameterError, ParseError

DEFAULT_NAME_PATTERN = (
    r"^(?P<tenant>[A-Za-z0-9_]+)/(?P<yyyy>\d{4})/(?P<mm>\d{2})/(?P<dd>\d{2})/"
    r"(?P<date>\d{8})-(?P<time>\d{6})-(?P<src>[^-/]*)-(?P<dst>[^-/]*)-(?P<uniqueid>[^/]+)\.wav$"
)
"""Assumed default: ``<tenant>/<yyyy>/<mm>/<dd>/<yyyymmdd>-<hhmmss>-<src>-<dst>-<uniqueid>.wav``."""

_SAFE_PART = re.compile(r"[^A-Za-z0-9+*#_.]")


@dataclass(frozen=True)
class RecordingName:
    """What a file name says about its recording ("" / None where the pattern lacks a field)."""

    relpath: str
    uniqueid: str
    linkedid: str
    tenant: str
    start: datetime | None
    src: str
    dst: str


def compile_pattern(pattern: str | None) -> re.Pattern[str]:
    """Compile a name pattern ("" or None = :data:`DEFAULT_NAME_PATTERN`).

    Raises:
        ParameterError: when the regex is invalid or has no ``uniqueid``/``linkedid`` group.
    """
    text = pattern or DEFAULT_NAME_PATTERN
    try:
        compiled = re.compile(text)
    except re.error as exc:
        raise ParameterError(f"name_pattern {text!r} is not a valid regex: {exc}") from None
    if not {"uniqueid", "linkedid"} & set(compiled.groupindex):
        raise ParameterError(
            f"name_pattern {text!r} needs a named group (?P<uniqueid>...) or (?P<linkedid>...)"
        )
    return compiled


def parse_name(relpath: str, pattern: re.Pattern[str] | str | None = None) -> RecordingName:
    """Read the call identifiers out of a recording's path relative to the recordings root.

    Raises:
        ParseError: when the path does not match the pattern or its date/time is not a real instant.
    """
    regex = pattern if isinstance(pattern, re.Pattern) else compile_pattern(pattern)
    path = relpath.replace("\\", "/").lstrip("/")
    match = regex.search(path)
    if not match:
        raise ParseError(f"recording name {path!r} does not match the name pattern")
    groups = {k: (v or "") for k, v in match.groupdict().items()}
    start = None
    if groups.get("date"):
        stamp = groups["date"] + (groups.get("time") or "000000")
        try:
            start = datetime.strptime(stamp, "%Y%m%d%H%M%S")
        except ValueError:
            raise ParseError(
                f"recording name {path!r}: {stamp!r} is not a valid date-time"
            ) from None
    if start is not None and groups.get("yyyy"):
        folder = (groups["yyyy"], groups.get("mm", ""), groups.get("dd", ""))
        if folder != (f"{start:%Y}", f"{start:%m}", f"{start:%d}"):
            raise ParseError(f"recording name {path!r}: folder date differs from the file's date")
    uniqueid = groups.get("uniqueid", "")
    linkedid = groups.get("linkedid", "")
    if not uniqueid and not linkedid:
        raise ParseError(f"recording name {path!r} carries no uniqueid/linkedid")
    return RecordingName(
        relpath=path,
        uniqueid=uniqueid,
        linkedid=linkedid,
        tenant=groups.get("tenant", ""),
        start=start,
        src=groups.get("src", ""),
        dst=groups.get("dst", ""),
    )


def format_name(tenant: str, start: datetime, src: str, dst: str, uniqueid: str) -> str:
    """Build a relative path in the default (assumed) convention; unsafe characters become ``_``."""
    src_part = _SAFE_PART.sub("_", src or "") or "unknown"
    dst_part = _SAFE_PART.sub("_", dst or "") or "unknown"
    return f"{tenant}/{start:%Y/%m/%d}/{start:%Y%m%d-%H%M%S}-{src_part}-{dst_part}-{uniqueid}.wav"
