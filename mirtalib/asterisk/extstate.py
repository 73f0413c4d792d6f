"""Words shared by the extension-state parsers (:mod:`~mirtalib.asterisk.states`,
:mod:`~mirtalib.asterisk.queues`): device-state names, MiRTA extension names, and the line
reading and result building every one of those parsers does the same way.
"""

from __future__ import annotations

import logging
import re

import pandas as pd

from mirtalib.asterisk.ami import read_command_output
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


def command_lines(text: str | bytes, command: str) -> list[str]:
    """The lines of a command's output (plain or AMI), colour codes removed, right-stripped.

    Raises:
        ParseError: for an AMI error, an unknown command
            (:class:`~mirtalib.asterisk.ami.CommandNotFound`) or another refusal of Asterisk.
    """
    body = read_command_output(text, what=command)
    return [line.rstrip() for line in body.split("\n")]


def finish(
    rows: list[dict], columns: list[str], unparsed: list[str], seen: bool, command: str
) -> pd.DataFrame:
    """The result frame; ParseError when no line at all belonged to ``command``'s output.

    Lines not understood go to ``df.attrs["unparsed"]`` (and a warning), never silently away.
    """
    if not seen:
        first = next((line for line in unparsed if line.strip()), "")
        raise ParseError(
            f"{command}: not the output of this command (first line: {first[:80]!r})"
            if first
            else f"{command}: the output is empty (Asterisk always prints something here)"
        )
    if unparsed:
        log.warning("%s: %d line(s) not understood, first: %r", command, len(unparsed), unparsed[0])
    df = pd.DataFrame(rows, columns=columns)
    df.attrs["unparsed"] = unparsed
    return df
