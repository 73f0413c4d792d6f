"""Writers of the text formats :mod:`mirtalib.events.sources` reads: AMI event packets with
``Timestamp`` (``timestampevents = yes``) and Asterisk ``full`` log device-state lines. Used by the
demo PBX to write its captures, and by tests to build inputs in exactly the shape Asterisk uses."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from mirtalib.asterisk.states import DEVICE_STATES

#: ast_devstate2str() of each device state code
DEVICE_STATE_TEXT = (
    "Unknown",
    "Not in use",
    "In use",
    "Busy",
    "Invalid",
    "Unavailable",
    "Ringing",
    "Ring+Inuse",
    "On Hold",
)
#: device state a channel state implies (ast_state_chan2dev): Down, Ring, Ringing, Up
CHANNEL_DEVICE_CODE = {0: 1, 4: 2, 5: 6, 6: 2}


def epoch_text(t: datetime | pd.Timestamp, timezone: str) -> str:
    """AMI ``Timestamp`` value of a naive PBX-local time (seconds with 6 decimals)."""
    return f"{pd.Timestamp(t).tz_localize(timezone).timestamp():.6f}"


def ami_packet(event: str, stamp: str, headers: list[tuple[str, str]]) -> str:
    """One AMI event packet (CRLF lines, blank line at the end)."""
    lines = [f"Event: {event}", "Privilege: call,all", f"Timestamp: {stamp}"]
    lines += [f"{k}: {v}" for k, v in headers]
    return "\r\n".join(lines) + "\r\n\r\n"


def device_state_packet(stamp: str, device: str, state: str) -> str:
    """``DeviceStateChange`` for a device (``Custom:100-DEVEL``) and a DEVICE_STATES name."""
    return ami_packet("DeviceStateChange", stamp, [("Device", device), ("State", state)])


def channel_packet(event: str, stamp: str, channel: str, channel_state: int, uid: str) -> str:
    """``Newchannel`` / ``Newstate`` (with ChannelState) or ``Hangup`` (normal clearing)."""
    if event == "Hangup":
        headers = [("Channel", channel), ("Cause", "16"), ("Cause-txt", "Normal Clearing")]
    else:
        headers = [("Channel", channel), ("ChannelState", str(channel_state))]
    return ami_packet(event, stamp, [*headers, ("Uniqueid", uid)])


def full_log_line(t: datetime | pd.Timestamp, device: str, code: int, thread: int = 2211) -> str:
    """A ``full`` log line of devicestate.c (debug level 3) for a device state code."""
    return (
        f"[{pd.Timestamp(t):%Y-%m-%d %H:%M:%S}] DEBUG[{thread}] devicestate.c: Changing state "
        f"for {device} - state {code} ({DEVICE_STATE_TEXT[code]})\n"
    )


def state_code(state: str) -> int:
    """Numeric device state code of a DEVICE_STATES name."""
    return DEVICE_STATES.index(state)
