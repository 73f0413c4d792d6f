"""Parsers of the Asterisk CLI outputs that show extension state.

* ``devstate list``: the custom device states (``Custom:100-DEVEL``) the MiRTA state daemon sets;
* ``queue show``: queue members and the status Asterisk derives from their state interface;
* ``core show hints``: the hints (BLF) and the state of the device each one watches.

Every parser accepts plain CLI text and both AMI shapes (see :mod:`mirtalib.asterisk.ami`), returns
a pandas DataFrame, and raises nothing but :class:`mirtalib.errors.ParseError`. Lines a parser does
not recognise are never silently dropped: they are listed in ``df.attrs["unparsed"]`` (and logged);
when *no* line is recognised the text is not the output of that command and ParseError is raised.

:func:`normalize_state` maps the many spellings of a state (``NOT_INUSE``, ``NOT INUSE``,
``Not in use``, ``Idle`` ...) onto the device-state names of Asterisk's ``devstate list``.
"""

from __future__ import annotations

import logging
import re

import pandas as pd

from mirtalib.asterisk.ami import unwrap_command_output
from mirtalib.errors import ParseError

log = logging.getLogger(__name__)

DEVICE_STATES = (
    "UNKNOWN",
    "NOT_INUSE",
    "INUSE",
    "BUSY",
    "INVALID",
    "UNAVAILABLE",
    "RINGING",
    "RINGINUSE",
    "ONHOLD",
)
_ALIASES = {
    # devstate names and the MiRTA spellings
    "NOTINUSE": "NOT_INUSE",
    "IDLE": "NOT_INUSE",
    "FREE": "NOT_INUSE",
    "INUSE": "INUSE",
    "BUSY": "BUSY",
    "RINGING": "RINGING",
    "RINGINUSE": "RINGINUSE",
    "INUSERINGING": "RINGINUSE",
    "ONHOLD": "ONHOLD",
    "HOLD": "ONHOLD",
    "INUSEHOLD": "ONHOLD",
    "UNAVAILABLE": "UNAVAILABLE",
    "INVALID": "INVALID",
    "UNKNOWN": "UNKNOWN",
}
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# an extension name, possibly followed by a channel suffix (SIP/100-DEVEL-0000001a)
EXTENSION_RE = re.compile(r"(?<![\w*#-])([0-9*#]+-[A-Z0-9_]+)(?!\w)(?!-(?![0-9a-f]{8}\b))")


def normalize_state(value: object) -> str:
    """Map a state as written by Asterisk or MiRTA onto a :data:`DEVICE_STATES` name.

    ``"NOT INUSE"``, ``"Not in use"``, ``"Idle"`` -> ``NOT_INUSE``; ``"In use"``, ``"InUse"`` ->
    ``INUSE``; ``"Ring+Inuse"``, ``"InUse&Ringing"`` -> ``RINGINUSE``; ``"On Hold"``, ``"Hold"``
    -> ``ONHOLD``. Numeric device-state codes (0-8, as in ``Changing state for ... - state 2``) are
    accepted too. Anything else (and empty or missing values) gives ``UNKNOWN``.
    """
    if value is None or (isinstance(value, float) and value != value):
        return "UNKNOWN"
    text = str(value).strip()
    if text.isdigit():
        code = int(text)
        return DEVICE_STATES[code] if code < len(DEVICE_STATES) else "UNKNOWN"
    key = re.sub(r"[^A-Z]", "", text.upper())
    return _ALIASES.get(key, "UNKNOWN")


def extension_of(text: str) -> str:
    """The MiRTA extension name (``100-DEVEL``) inside a device, channel or member name, or ''."""
    m = EXTENSION_RE.search(text or "")
    return m.group(1) if m else ""


def _lines(text: str | bytes, command: str) -> list[str]:
    try:
        body = unwrap_command_output(text)
    except ParseError as exc:
        raise ParseError(f"{command}: {exc}") from None
    return [_ANSI.sub("", line).rstrip() for line in body.split("\n")]


def _finish(rows: list[dict], columns: list[str], unparsed: list[str], seen: bool, command: str):
    if not seen and unparsed:
        raise ParseError(
            f"{command}: not the output of this command (first line: {unparsed[0][:80]!r})"
        )
    if unparsed:
        log.warning("%s: %d line(s) not understood, first: %r", command, len(unparsed), unparsed[0])
    df = pd.DataFrame(rows, columns=columns)
    df.attrs["unparsed"] = unparsed
    return df


_DEVSTATE = re.compile(r"^-*\s*Name:\s*'(?P<device>[^']*)'\s+State:\s*'(?P<state>[^']*)'\s*$")
_DEVSTATE_CHROME = re.compile(r"^[-\s]*(Custom [Dd]evice [Ss]tates[-\s]*(end)?[-\s]*)?$")


def parse_devstate_list(text: str | bytes) -> pd.DataFrame:
    """Parse ``devstate list``.

    Returns:
        DataFrame ``device`` (``Custom:100-DEVEL``), ``extension`` (``100-DEVEL`` or ''),
        ``state`` (as printed), ``devstate`` (normalized).
    """
    rows, unparsed, seen = [], [], False
    for line in _lines(text, "devstate list"):
        m = _DEVSTATE.match(line)
        if m:
            seen = True
            device = m.group("device")
            rows.append(
                {
                    "device": device,
                    "extension": extension_of(device),
                    "state": m.group("state"),
                    "devstate": normalize_state(m.group("state")),
                }
            )
        elif _DEVSTATE_CHROME.match(line):
            seen = seen or "evice" in line
        else:
            unparsed.append(line)
    return _finish(
        rows, ["device", "extension", "state", "devstate"], unparsed, seen, "devstate list"
    )


_QUEUE_HEAD = re.compile(
    r"^(?P<queue>\S+) has (?P<calls>\d+) calls? \(max (?P<max>[^)]*)\) in '(?P<strategy>[^']*)'"
)
_MEMBER = re.compile(
    r"^\s+(?P<name>\S.*?)"
    r"(?: \((?P<interface>[^()\s]*/[^()\s]*)(?: from (?P<stateif>[^()\s]+))?\))?"
    r"(?: with penalty (?P<penalty>\d+))?"
    r"(?P<flags>(?: \([^()]*\))*?)"
    r" \((?P<status>[^()]*)\)"
    r" has taken (?:(?P<taken>\d+) calls? \(last was (?P<last>\d+) secs? ago\)|no calls yet)\s*$"
)
_QUEUE_CHROME = re.compile(r"^\s*(Members:|No Members|Callers:|No Callers|\d+\. \S+ \(wait:.*)")


def parse_queue_show(text: str | bytes) -> pd.DataFrame:
    """Parse ``queue show`` into one row per queue member.

    Member lines look like ``100-DEVEL (Local/AG-000-NF-12@fromotherpbx from Custom:100-DEVEL)
    (ringinuse disabled) (dynamic) (paused) (In use) has taken 3 calls (last was 42 secs ago)``;
    the parenthesised interface part is printed only when it differs from the member name.

    Returns:
        DataFrame ``queue, member, interface, state_interface, extension, status`` (as printed),
        ``member_state`` (normalized), ``paused`` (bool), ``ringinuse`` (bool or None),
        ``calls_taken`` (int), ``last_call_secs`` (Int64, NA when no calls).
    """
    cols = [
        "queue",
        "member",
        "interface",
        "state_interface",
        "extension",
        "status",
        "member_state",
        "paused",
        "ringinuse",
        "calls_taken",
        "last_call_secs",
    ]
    rows, unparsed, seen, queue = [], [], False, ""
    for line in _lines(text, "queue show"):
        if not line.strip():
            continue
        head = _QUEUE_HEAD.match(line)
        if head:
            seen, queue = True, head.group("queue")
            continue
        m = _MEMBER.match(line)
        if m and queue:
            flags = m.group("flags") or ""
            interface = m.group("interface") or m.group("name")
            stateif = m.group("stateif") or interface
            ring = re.search(r"ringinuse (enabled|disabled)", flags)
            rows.append(
                {
                    "queue": queue,
                    "member": m.group("name"),
                    "interface": interface,
                    "state_interface": stateif,
                    "extension": extension_of(stateif) or extension_of(m.group("name")),
                    "status": m.group("status"),
                    "member_state": normalize_state(m.group("status")),
                    "paused": "(paused" in flags,
                    "ringinuse": None if ring is None else ring.group(1) == "enabled",
                    "calls_taken": int(m.group("taken") or 0),
                    "last_call_secs": int(m.group("last")) if m.group("last") else pd.NA,
                }
            )
        elif _QUEUE_CHROME.match(line) or line.strip() == "No such queue.":
            seen = True
        else:
            unparsed.append(line)
    df = _finish(rows, cols, unparsed, seen, "queue show")
    df["last_call_secs"] = df["last_call_secs"].astype("Int64")
    df["calls_taken"] = df["calls_taken"].astype("int64")
    return df


_HINT = re.compile(
    r"^\s*(?P<hint>[^:\s][^:]*?)\s*:\s*(?P<device>\S.*?)?\s+State:(?P<state>\S+)\s*"
    r"(?:Presence:(?P<presence>\S*)\s*)?Watchers\s+(?P<watchers>\d+)\s*$"
)
_HINT_CHROME = re.compile(
    r"^\s*(-= Registered Asterisk Dial Plan Hints =-|- \d+ hints? registered)"
)


def parse_core_show_hints(text: str | bytes) -> pd.DataFrame:
    """Parse ``core show hints`` (current layout with Presence, and the older 20-column one).

    Returns:
        DataFrame ``hint`` (``100-DEVEL@authentica``; may be cut at 30 characters by Asterisk),
        ``extension`` (''), ``device`` (``Custom:100-DEVEL``), ``state`` (as printed),
        ``hint_state`` (normalized), ``presence`` ('' when absent), ``watchers`` (int).
    """
    cols = ["hint", "extension", "device", "state", "hint_state", "presence", "watchers"]
    rows, unparsed, seen = [], [], False
    for line in _lines(text, "core show hints"):
        if not line.strip():
            continue
        m = _HINT.match(line)
        if m:
            seen = True
            device = (m.group("device") or "").strip()
            rows.append(
                {
                    "hint": m.group("hint"),
                    "extension": extension_of(device) or extension_of(m.group("hint")),
                    "device": device,
                    "state": m.group("state"),
                    "hint_state": normalize_state(m.group("state")),
                    "presence": m.group("presence") or "",
                    "watchers": int(m.group("watchers")),
                }
            )
        elif _HINT_CHROME.match(line):
            seen = True
        else:
            unparsed.append(line)
    df = _finish(rows, cols, unparsed, seen, "core show hints")
    df["watchers"] = df["watchers"].astype("int64")
    return df


CHANNEL_FIELDS = (
    "channel",
    "context",
    "exten",
    "priority",
    "state",
    "application",
    "data",
    "callerid",
    "accountcode",
    "peeraccount",
    "amaflags",
    "duration",
    "bridgeid",
    "uniqueid",
)


def parse_channels_concise(text: str | bytes) -> pd.DataFrame:
    """Parse ``core show channels concise`` (14 ``!``-separated fields per channel).

    Returns:
        DataFrame of :data:`CHANNEL_FIELDS` (``duration`` as int, -1 when not a number) plus
        ``extension`` (the MiRTA extension whose channel it is, '' for trunks and Local channels).
    """
    rows, unparsed = [], []
    for line in _lines(text, "core show channels concise"):
        if not line.strip():
            continue
        parts = line.split("!")
        if len(parts) != len(CHANNEL_FIELDS) or "/" not in parts[0]:
            unparsed.append(line)
            continue
        row = dict(zip(CHANNEL_FIELDS, parts, strict=True))
        row["duration"] = int(row["duration"]) if row["duration"].isdigit() else -1
        chan = row["channel"]
        row["extension"] = "" if chan.startswith("Local/") else extension_of(chan)
        rows.append(row)
    df = _finish(
        rows,
        [*CHANNEL_FIELDS, "extension"],
        unparsed,
        bool(rows) or not unparsed,
        "core show channels concise",
    )
    df["duration"] = df["duration"].astype("int64")
    return df
