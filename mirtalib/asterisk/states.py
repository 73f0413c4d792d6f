"""Parsers of the Asterisk CLI outputs that show extension state.

* ``devstate list``: the custom device states (``Custom:100-DEVEL``) the MiRTA state daemon sets;
* ``queue show``: queue members and the status Asterisk derives from their state interface;
* ``core show hints``: the hints (BLF) and the state of the device each one watches;
* ``core show channels concise``: the live channels.

``queue show`` is read by :mod:`mirtalib.asterisk.queues` (re-exported here).

Every parser accepts plain CLI text (colour codes and all) and both AMI shapes (see
:mod:`mirtalib.asterisk.ami`), returns a pandas DataFrame, and raises nothing but
:class:`mirtalib.errors.ParseError`. Lines a parser does not recognise are never silently dropped:
they are listed in ``df.attrs["unparsed"]`` (and logged); when *no* line is recognised the text
is not the output of that command and ParseError is raised, as it is when Asterisk answers
``No such command`` (:class:`~mirtalib.asterisk.ami.CommandNotFound`) or refuses the command.

:func:`normalize_state` maps the many spellings of a state (``NOT_INUSE``, ``NOT INUSE``,
``Not in use``, ``Idle`` ...) onto the device-state names of Asterisk's ``devstate list``.
"""

from __future__ import annotations

import logging
import re

import pandas as pd

from mirtalib.asterisk.extstate import (
    DEVICE_STATES,
    EXTENSION_RE,
    command_lines,
    extension_of,
    finish,
    normalize_state,
)
from mirtalib.asterisk.queues import parse_queue_show, queue_callers, queue_summary

__all__ = [
    "CHANNEL_FIELDS",
    "DEVICE_STATES",
    "EXTENSION_RE",
    "extension_of",
    "normalize_state",
    "parse_channels_concise",
    "parse_core_show_hints",
    "parse_devstate_list",
    "parse_queue_show",
    "queue_callers",
    "queue_summary",
]

log = logging.getLogger(__name__)

_DEVSTATE = re.compile(r"^-*\s*Name:\s*'(?P<device>[^']*)'\s+State:\s*'(?P<state>[^']*)'\s*$")
_DEVSTATE_CHROME = re.compile(r"^[-\s]*(Custom [Dd]evice [Ss]tates[-\s]*(end)?[-\s]*)?$")


def parse_devstate_list(text: str | bytes) -> pd.DataFrame:
    """Parse ``devstate list``.

    Returns:
        DataFrame ``device`` (``Custom:100-DEVEL``), ``extension`` (``100-DEVEL`` or ''),
        ``state`` (as printed), ``devstate`` (normalized).
    """
    rows, unparsed, seen = [], [], False
    for line in command_lines(text, "devstate list"):
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
    return finish(
        rows, ["device", "extension", "state", "devstate"], unparsed, seen, "devstate list"
    )


_HINT = re.compile(
    r"^\s*(?P<hint>[^:\s][^:]*?)\s*:\s*(?P<device>\S.*?)?\s+State:(?P<state>\S+)\s*"
    r"(?:Presence:(?P<presence>\S*)\s*)?Watchers\s+(?P<watchers>\d+)\s*$"
)
_HINT_CHROME = re.compile(r"^\s*(-= Registered Asterisk Dial Plan Hints =-|-+)\s*$")
# footers: "- 26 hints registered" (core show hints), "2 hints matching extension 100" and
# "No hints matching extension 999" (core show hint X), the answer of a node without hints
_HINT_COUNT = re.compile(
    r"^\s*(?:- (?P<registered>\d+) hints? registered"
    r"|(?P<matching>\d+|No) hints? matching extension .*"
    r"|There are no registered dialplan hints)\s*$"
)


def parse_core_show_hints(text: str | bytes) -> pd.DataFrame:
    """Parse ``core show hints`` or ``core show hint <exten>`` (current layout with Presence, and
    the older 20-column one).

    Returns:
        DataFrame ``hint`` (``100-DEVEL@authentica``; may be cut at 30 characters by Asterisk),
        ``extension`` (''), ``device`` (``Custom:100-DEVEL``; cut at 60), ``state`` (as printed),
        ``hint_state`` (normalized), ``presence`` ('' when absent), ``watchers`` (int).
        ``attrs["count"]``: the number the footer gives (``- 26 hints registered``; 0 for "There
        are no registered dialplan hints"), None without footer; a count that disagrees with the
        rows read is logged as a warning.
    """
    cols = ["hint", "extension", "device", "state", "hint_state", "presence", "watchers"]
    rows, unparsed, seen, count = [], [], False, None
    for line in command_lines(text, "core show hints"):
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
        elif c := _HINT_COUNT.match(line):
            seen = True
            number = c.group("registered") or c.group("matching") or "0"
            count = int(number) if number.isdigit() else 0
        elif _HINT_CHROME.match(line):
            seen = True
        else:
            unparsed.append(line)
    df = finish(rows, cols, unparsed, seen, "core show hints")
    df["watchers"] = df["watchers"].astype("int64")
    df.attrs["count"] = count
    if count is not None and count != len(df):
        log.warning("core show hints: the footer says %d hints, %d read", count, len(df))
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

    The application data may itself hold ``!``: the first 6 and the last 7 fields are taken from
    the ends, the rest is ``data``. An empty output is a node without channels.

    Returns:
        DataFrame of :data:`CHANNEL_FIELDS` (``duration`` as int, -1 when not a number) plus
        ``extension`` (the MiRTA extension whose channel it is, '' for trunks and Local channels).
    """
    rows, unparsed = [], []
    n = len(CHANNEL_FIELDS)
    for line in command_lines(text, "core show channels concise"):
        if not line.strip():
            continue
        parts = line.split("!")
        if len(parts) < n or "/" not in parts[0]:
            unparsed.append(line)
            continue
        parts = [*parts[:6], "!".join(parts[6 : len(parts) - 7]), *parts[-7:]]
        row = dict(zip(CHANNEL_FIELDS, parts, strict=True))
        row["duration"] = int(row["duration"]) if row["duration"].isdigit() else -1
        chan = row["channel"]
        row["extension"] = "" if chan.startswith("Local/") else extension_of(chan)
        rows.append(row)
    df = finish(
        rows,
        [*CHANNEL_FIELDS, "extension"],
        unparsed,
        bool(rows) or not unparsed,
        "core show channels concise",
    )
    df["duration"] = df["duration"].astype("int64")
    return df
