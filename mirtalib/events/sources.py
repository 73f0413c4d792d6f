"""Further sources of extension state: AMI event captures and Asterisk's ``full`` log.

AMI capture (a text file of the manager stream, e.g. recorded by a small AMI client; events need
``timestampevents = yes`` in ``manager.conf`` so that each carries ``Timestamp: <epoch>``):

* ``DeviceStateChange`` (``Device: Custom:100-DEVEL``, ``State: INUSE``) gives the custom device
  state MiRTA's daemon set (kind ``custom``), or the phone's own device state for
  ``Device: PJSIP/100-DEVEL`` (kind ``device``);
* ``Newchannel`` / ``Newstate`` / ``Hangup`` of the phone's channels (``SIP/100-DEVEL-0000001a``)
  give what the calls imply (kind ``channel``): the channel states are mapped to device states the
  way Asterisk does (Ringing/Pre-ring -> RINGING, Busy -> BUSY, Down -> NOT_INUSE, others INUSE)
  and combined over the extension's live channels.

``full`` log: the device-state lines (``devicestate.c: Changing state for PJSIP/100-DEVEL -
state 2 (In use)``, written with ``core set debug 3 devicestate.c``) and the dialplan setting a
custom state (``pbx.c: Executing [...] Set("...", "DEVICE_STATE(Custom:100-DEVEL)=INUSE")``,
written when the ``full`` channel has verbose level 3: ``full => ...,verbose(3)`` in
``logger.conf``). Asterisk 22 logs "Changing state for" only for devices whose state it computes
(the phones' channel technologies, Local channels); a custom state is published with its value
known and never gets that line, so the ``full`` log shows custom states only through the dialplan's
``Set(DEVICE_STATE(...))`` lines (a state set over AMI or with ``devstate change`` has none).
Timestamps ``[2026-10-05 10:42:13]`` (optionally with milliseconds) or the old
``[Oct  5 10:42:13]`` (give ``year``). Other lines are counted as skipped; device-state lines that
cannot be read are rejects.

Device names: only ``Custom:<extension>`` (kind ``custom``) and a phone's own device
(``PJSIP/100-DEVEL``, ``SIP/100-DEVEL``: kind ``device``) are extension state. ``Local/...``
devices (``Local/100-DEVEL@phones``, queue members ``Local/AG-000-NF-12@fromotherpbx``) say that
a Local channel into that extension exists, which starts while the phone is still ringing:
they, queues (``Queue:support-DEVEL``) and parking spaces (``park:801@parkedcalls_DEVEL``) are
counted as skipped, like trunks.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mirtalib.asterisk.states import extension_of, normalize_state
from mirtalib.errors import DataSourceError, ParameterError
from mirtalib.events.model import EventLoad, make_events, make_rejects

log = logging.getLogger(__name__)

#: Asterisk channel state number -> device state (ast_state_chan2dev)
CHANNEL_TO_DEVICE = {
    0: "NOT_INUSE",
    1: "INUSE",
    2: "INUSE",
    3: "INUSE",
    4: "INUSE",
    5: "RINGING",
    6: "INUSE",
    7: "BUSY",
    8: "INUSE",
    9: "RINGING",
}
_CHANNEL_DESC = {
    "down": 0,
    "rsrvd": 1,
    "offhook": 2,
    "dialing": 3,
    "ring": 4,
    "ringing": 5,
    "up": 6,
    "busy": 7,
    "dialing offhook": 8,
    "pre-ring": 9,
}


def _read_text(source: str | Path) -> tuple[str, str]:
    path = Path(source)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataSourceError(f"cannot read {path.name}: {exc.strerror}") from None
    return data.decode("utf-8", errors="replace"), path.name


def _tz(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ParameterError(f"timezone: {timezone!r} is not an IANA time zone name") from None


def _kind_of(device: str) -> str:
    return "custom" if device.lower().startswith("custom:") else "device"


def device_extension(device: str) -> str:
    """The extension whose state a device carries: ``Custom:100-DEVEL`` and a phone's own device
    (``PJSIP/100-DEVEL``) give ``100-DEVEL``; Local channels, queues, parking spaces, trunks and
    anything else give ''."""
    head = device.split("/", 1)[0] if "/" in device else ""
    if device.lower().startswith("custom:"):
        return extension_of(device[len("custom:") :])
    if not head or ":" in head or head.lower() == "local":
        return ""
    return extension_of(device)


def _combine(channels: dict[str, str]) -> str:
    states = set(channels.values())
    busy = states & {"INUSE", "BUSY"}
    if busy and "RINGING" in states:
        return "RINGINUSE"
    if busy:
        return "BUSY" if busy == {"BUSY"} else "INUSE"
    return "RINGING" if "RINGING" in states else "NOT_INUSE"


def _packets(text: str) -> Iterable[tuple[int, dict[str, str], str]]:
    """(first line number, headers, raw text) of each blank-line separated AMI packet."""
    headers: dict[str, str] = {}
    raw: list[str] = []
    first = 0
    for number, line in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        if not line.strip():
            if headers:
                yield first, headers, "\n".join(raw)
            headers, raw = {}, []
            continue
        if not raw:
            first = number
        raw.append(line)
        key, sep, value = line.partition(":")
        if sep:
            headers.setdefault(key.strip().lower(), value.strip())
    if headers:
        yield first, headers, "\n".join(raw)


def read_ami_capture(
    source: str | Path, node: str = "", timezone: str = "Europe/Rome", *, text: str | None = None
) -> EventLoad:
    """Read device-state and channel events from an AMI capture file.

    Args:
        source: the capture file (or, with ``text``, just a name for messages).
        node: node the capture was taken on (else ``SystemName`` or the uniqueid prefix).
        timezone: zone of the PBX's local time (event timestamps are epoch seconds).
        text: the capture's content, when it is not read from ``source``.

    Returns:
        EventLoad, kinds ``custom``, ``device``, ``channel`` (``source = ami:<node>/<file>``).
    """
    tz = _tz(timezone)
    if text is None:
        text, name = _read_text(source)
    else:
        name = Path(str(source)).name
    src = f"ami:{node}/{name}" if node else f"ami:{name}"
    rows, rejects, skipped = [], [], 0
    live: dict[str, dict[str, str]] = {}  # extension -> channel -> state
    for line_no, h, raw in _packets(text):
        event = h.get("event", "")
        if event not in {"DeviceStateChange", "Newchannel", "Newstate", "Hangup"}:
            skipped += 1
            continue
        ref = f"line {line_no}"
        try:
            stamp = datetime.fromtimestamp(float(h["timestamp"]), tz).replace(tzinfo=None)
        except (KeyError, ValueError, OverflowError, OSError):
            rejects.append(
                {
                    "source": src,
                    "ref": ref,
                    "raw": raw,
                    "reason": "no usable Timestamp (set timestampevents=yes)",
                }
            )
            continue
        uid = h.get("uniqueid", "")
        where = node or h.get("systemname", "") or (uid.split("-", 1)[0] if "-" in uid else "")
        if event == "DeviceStateChange":
            device = h.get("device", "")
            ext = device_extension(device)
            state = normalize_state(h.get("state"))
            if not ext:
                skipped += 1  # Local channels, trunks, queues, parking: not extension state
                continue
            if state == "UNKNOWN":
                reason = "state not understood"
                rejects.append({"source": src, "ref": ref, "raw": raw, "reason": reason})
                continue
            rows.append(
                {
                    "time": stamp,
                    "extension": ext,
                    "state": state,
                    "event": event,
                    "node": where,
                    "kind": _kind_of(device),
                    "ref": ref,
                }
            )
            continue
        channel = h.get("channel", "")
        ext = device_extension(channel)
        if not ext:
            skipped += 1
            continue
        chans = live.setdefault(ext, {})
        if event == "Hangup":
            chans.pop(channel, None)
        else:
            code = h.get("channelstate", "")
            desc = h.get("channelstatedesc", "").lower()
            num = int(code) if code.isdigit() else _CHANNEL_DESC.get(desc, -1)
            if num not in CHANNEL_TO_DEVICE:
                rejects.append(
                    {
                        "source": src,
                        "ref": ref,
                        "raw": raw,
                        "reason": "channel state not understood",
                    }
                )
                continue
            chans[channel] = CHANNEL_TO_DEVICE[num]
            if num == 0:
                chans.pop(channel)
        rows.append(
            {
                "time": stamp,
                "extension": ext,
                "state": _combine(chans),
                "event": event,
                "uniqueid": uid,
                "node": where,
                "kind": "channel",
                "ref": ref,
            }
        )
    return _finish(rows, rejects, src, skipped)


def _finish(rows: list[dict], rejects: list[dict], src: str, skipped: int) -> EventLoad:
    for row in rows:
        row["tenant"] = row["extension"].rsplit("-", 1)[-1]
        row["source"] = src
    if rejects:
        log.warning("%s: %d record(s) rejected", src, len(rejects))
    return EventLoad(make_events(rows), make_rejects(rejects), [src], skipped)


_LOG_TIME = re.compile(
    r"^\[(?:(?P<iso>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)|"
    r"(?P<old>[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}))\]"
)
_CHANGING = re.compile(
    r"Changing state for (?P<device>\S+) - state (?P<code>\d+)(?: \((?P<desc>[^)]*)\))?"
)
_SET = re.compile(r"DEVICE_STATE\((?P<device>[^)]+)\)=(?P<state>[A-Za-z_]+)")


def read_full_log(
    source: str | Path, node: str = "", year: int | None = None, *, text: str | None = None
) -> EventLoad:
    """Read the device-state lines of an Asterisk ``full`` log.

    Args:
        source: the log file (or, with ``text``, a name for messages).
        node: node whose log this is.
        year: year of old-style timestamps without one (``[Oct  5 10:42:13]``).
        text: the log's content, when it is not read from ``source``.

    Returns:
        EventLoad (``source = full:<node>/<file>``); kinds ``custom`` and ``device``.
    """
    if text is None:
        text, name = _read_text(source)
    else:
        name = Path(str(source)).name
    src = f"full:{node}/{name}" if node else f"full:{name}"
    rows, rejects, skipped = [], [], 0
    for line_no, line in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        m = _CHANGING.search(line) or _SET.search(line)
        if not m:
            skipped += 1 if line.strip() else 0
            continue
        ref = f"line {line_no}"
        device = m.group("device")
        ext = device_extension(device)
        if not ext:
            skipped += 1  # Local channels, trunks, queues, parking: not extension state
            continue
        state = normalize_state(m.groupdict().get("state") or m.groupdict().get("code"))
        t = _LOG_TIME.match(line)
        stamp = None
        if t and t.group("iso"):
            stamp = datetime.fromisoformat(t.group("iso"))
        elif t and year is not None:
            try:
                stamp = datetime.strptime(f"{year} {t.group('old')}", "%Y %b %d %H:%M:%S")
            except ValueError:
                stamp = None
        if stamp is None or state == "UNKNOWN":
            reason = "no usable timestamp" if stamp is None else "state not understood"
            if stamp is None and t and year is None:
                reason = "timestamp without year (pass year=)"
            rejects.append({"source": src, "ref": ref, "raw": line, "reason": reason})
            continue
        rows.append(
            {
                "time": stamp,
                "extension": ext,
                "state": state,
                "event": "devicestate" if "Changing" in m.group(0) else "DEVICE_STATE()",
                "node": node,
                "kind": _kind_of(device),
                "ref": ref,
            }
        )
    return _finish(rows, rejects, src, skipped)


def discover_logs(logs_dir: str | Path) -> list[tuple[str, str, Path]]:
    """Find ``<node>/full`` and ``<node>/ami-events*.txt`` under a logs folder.

    Returns:
        (kind, node, path) triples sorted by node then kind, kind being ``full`` or ``ami``.
    """
    root = Path(logs_dir)
    if not root.is_dir():
        raise DataSourceError(f"logs folder {root.name!r} does not exist")
    found = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        for path in sorted(folder.glob("full*")):
            found.append(("full", folder.name, path))
        for path in sorted(folder.glob("ami-events*.txt")):
            found.append(("ami", folder.name, path))
    return found


def load_log_files(
    logs_dir: str | Path, timezone: str = "Europe/Rome", year: int | None = None
) -> EventLoad:
    """Read every AMI capture and ``full`` log found by :func:`discover_logs`."""
    total = EventLoad()
    for kind, node, path in discover_logs(logs_dir):
        part = (
            read_full_log(path, node=node, year=year)
            if kind == "full"
            else read_ami_capture(path, node=node, timezone=timezone)
        )
        total = total + part
    return total
