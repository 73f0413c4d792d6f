"""What a real Asterisk's AMI stream says about extension state, read without mirtalib.

The real-Asterisk events tests (unit tests on the recorded fixtures, integration tests on the
session's node) derive the expected state sequences here, independently of the library's readers:
``DeviceStateChange`` packets (``Device``, ``State``, ``Timestamp``) per device, and the
``ExtensionStatus`` packets of the BLF hints (``Status`` codes of ``ast_extension_state``).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pandas as pd

#: State values a DeviceStateChange carries (ast_devstate_str)
DEVICE_STATES = frozenset(
    {"UNKNOWN", "NOT_INUSE", "INUSE", "BUSY", "INVALID", "UNAVAILABLE", "RINGING", "RINGINUSE",
     "ONHOLD"}
)  # fmt: skip
#: ExtensionStatus Status code -> the device state of a hint on one device (AST_EXTENSION_*)
HINT_STATUS = {
    "0": "NOT_INUSE",
    "1": "INUSE",
    "2": "BUSY",
    "4": "UNAVAILABLE",
    "8": "RINGING",
    "9": "RINGINUSE",
    "16": "ONHOLD",
}


def packets(text: str) -> list[dict[str, str]]:
    """Every packet of a capture (blank-line separated), headers by name (first one wins)."""
    out = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        headers: dict[str, str] = {}
        for line in block.split("\n"):
            key, sep, value = line.partition(": ")
            if sep:
                headers.setdefault(key, value)
            elif line.endswith(":"):
                headers.setdefault(line[:-1], "")
        if headers:
            out.append(headers)
    return out


def local_time(stamp: str, timezone: str) -> pd.Timestamp:
    """Naive PBX-local time of an AMI ``Timestamp`` (exact to the microsecond)."""
    micros = int(Decimal(stamp) * 1_000_000)
    utc = pd.Timestamp(micros, unit="us", tz="UTC")
    return utc.tz_convert(timezone).tz_localize(None)


def _collapse(rows: list[tuple[pd.Timestamp, str]]) -> list[tuple[pd.Timestamp, str]]:
    out: list[tuple[pd.Timestamp, str]] = []
    for when, state in rows:
        if not out or out[-1][1] != state:
            out.append((when, state))
    return out


def device_sequences(text: str, timezone: str) -> dict[str, list[tuple[pd.Timestamp, str]]]:
    """Per device: (time, state) of every DeviceStateChange, in stream order (not collapsed)."""
    seq: dict[str, list[tuple[pd.Timestamp, str]]] = defaultdict(list)
    for p in packets(text):
        if p.get("Event") != "DeviceStateChange":
            continue
        if p["State"] not in DEVICE_STATES:
            raise AssertionError(f"unexpected device state {p['State']!r} in {p}")
        seq[p["Device"]].append((local_time(p["Timestamp"], timezone), p["State"]))
    return dict(seq)


def custom_state_changes(text: str, timezone: str) -> dict[str, list[tuple[pd.Timestamp, str]]]:
    """Per extension (``Custom:<ext>`` devices): the state changes, repeats collapsed."""
    return {
        device[len("Custom:") :]: _collapse(rows)
        for device, rows in device_sequences(text, timezone).items()
        if device.startswith("Custom:")
    }


def hint_changes(
    text: str, timezone: str, context: str = "authentica"
) -> dict[str, list[tuple[pd.Timestamp, str]]]:
    """Per hint ``<ext>@context`` watching ``Custom:<ext>``: its status changes as device states."""
    seq: dict[str, list[tuple[pd.Timestamp, str]]] = defaultdict(list)
    for p in packets(text):
        if p.get("Event") != "ExtensionStatus" or p.get("Context") != context:
            continue
        if p.get("Hint") != f"Custom:{p['Exten']}":
            continue  # park:801@parkedcalls_DEVEL and the like
        seq[p["Exten"]].append((local_time(p["Timestamp"], timezone), HINT_STATUS[p["Status"]]))
    return {ext: _collapse(rows) for ext, rows in seq.items()}


def timeline_changes(
    intervals: pd.DataFrame, kind: str
) -> dict[str, list[tuple[pd.Timestamp, str]]]:
    """Per extension: (start, state) of the intervals of one kind, in time order."""
    part = intervals[intervals["kind"] == kind].sort_values(["extension", "start"], kind="stable")
    return {
        ext: list(zip(rows["start"], rows["state"], strict=True))
        for ext, rows in part.groupby("extension", sort=True)
    }
