"""Writers of the text formats :mod:`mirtalib.events.sources` reads, in the shape a real Asterisk 22
writes them (compare tests/fixtures/realpbx/logs/): AMI event packets with ``Timestamp``
(``timestampevents = yes``) and the two kinds of state lines of the ``full`` log.

The ``full`` log (``dateformat = %F %T``) has the state of a device only where Asterisk computes it:
``DEBUG[<tid>] devicestate.c: Changing state for PJSIP/100-DEVEL - state 2 (In use)`` (debug level
3, a phone's own device; never a ``Custom:`` device, whose state is published with its value
known). A custom state reaches it only as the dialplan line setting it, at verbose level 3:
``VERBOSE[<tid>][C-<callid>] pbx.c: Executing [s@phone-hangup:1] Set("<channel>",
"DEVICE_STATE(Custom:100-DEVEL)=NOT_INUSE") in new stack``. Used by the demo PBX to write its
captures, and by tests to build inputs.
"""

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


def aggregate_device_code(codes: list[int] | tuple[int, ...], idle: int = 1) -> int:
    """Device state code of a device with channels in the given device states, the way Asterisk
    combines them (``ast_devstate_aggregate_add``: ringing and in use give Ring+Inuse, otherwise the
    most significant state); ``idle`` (Not in use: a registered endpoint) when there is none."""
    if not codes:
        return idle
    rank = (1, 3, 6, 7, 0, 2, 5, 8, 4)  # state_order[] of devicestate.c, by code
    state, ringing, inuse = 4, False, False  # starts INVALID
    for code in codes:
        ringing |= code == 6
        inuse |= code in (2, 3, 8)
        if ringing and inuse:
            state = 7
        elif rank[code] > rank[state]:
            state = code
    return state


def device_state_log_line(
    t: datetime | pd.Timestamp, device: str, code: int, thread: int = 2211
) -> str:
    """A ``full`` log line of devicestate.c (``ast_debug(3, ...)``, written by the thread that
    processes queued state changes) for a device whose state Asterisk computes: a phone
    (``PJSIP/100-DEVEL``), a Local channel. ``Custom:`` devices never get this line."""
    if device.lower().startswith("custom:"):
        raise ValueError(f"Asterisk logs no 'Changing state for' line for {device}")
    return (
        f"[{pd.Timestamp(t):%Y-%m-%d %H:%M:%S}] DEBUG[{thread}] devicestate.c: Changing state "
        f"for {device} - state {code} ({DEVICE_STATE_TEXT[code]})\n"
    )


def set_device_state_log_line(
    t: datetime | pd.Timestamp,
    channel: str,
    device: str,
    state: str,
    *,
    location: str,
    thread: int,
    callid: int,
) -> str:
    """The ``full`` log line (verbose level 3) of the dialplan setting a custom device state:
    ``Set(DEVICE_STATE(<device>)=<state>)`` executed by ``channel`` at ``location``
    (``exten@context:priority``), with the arguments as Asterisk logs them (variables
    substituted), the PBX thread of the channel and the call's id (``C-%08x``)."""
    if state not in DEVICE_STATES:
        raise ValueError(f"unknown device state {state!r}")
    return (
        f"[{pd.Timestamp(t):%Y-%m-%d %H:%M:%S}] VERBOSE[{thread}][C-{callid:08x}] pbx.c: "
        f'Executing [{location}] Set("{channel}", "DEVICE_STATE({device})={state}") in new stack\n'
    )


def state_code(state: str) -> int:
    """Numeric device state code of a DEVICE_STATES name."""
    return DEVICE_STATES.index(state)
