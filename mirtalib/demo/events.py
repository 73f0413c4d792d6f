"""Demo plug-in: the extension event log, ``st_states``, AMI captures and ``full`` logs.

The events follow the demo's CDR legs (:func:`mirtalib.events.calls.implied_events`: what a
perfect pair of daemons would log), from the node each phone is registered to, except for the
deliberate faults below, which are listed in ``<demo root>/events-truth.json`` for the tests:

* ``stuck``: 100-DEVEL loses the hangup of the call ending nearest 2026-10-14 10:42 and stays INUSE
  until the daemons are restarted at 15:10 (every event in between says INUSE); 101-ACME loses a
  hangup on 2026-10-31 and is still INUSE when the period ends (so its ``st_states`` row is too);
* ``phantom``: short INUSE episodes with no call; ``lost_setup``: answered calls whose setup
  events were lost (NOT INUSE while talking); ``flapping``: bursts of INUSE / NOT INUSE;
* ``move``: phones re-registering on the other node, one of them in the middle of a call (the
  new node's daemon knows nothing of it: INUSE is lost);
* ``gap``: the event daemon of srv02 is down on 2026-10-21 from 09:05 to 11:50.

Files under ``paths.logs_dir/<node>/``: ``ami-events.txt`` (AMI capture with
``timestampevents=yes``: DeviceStateChange of the custom states as logged, Newchannel / Newstate /
Hangup from the CDR legs) and ``full`` (the Asterisk 22 ``full`` log's state lines, in the shape
of the real log in tests/fixtures/realpbx/logs/full: ``devicestate.c: Changing state for
PJSIP/100-DEVEL - state 2 (In use)`` at debug level 3 for the phones' own devices, and the
dialplan's ``pbx.c: Executing [s@phone-state:1] Set("PJSIP/100-DEVEL-0000001a",
"DEVICE_STATE(Custom:100-DEVEL)=INUSE") in new stack`` at verbose level 3 for the custom states,
which Asterisk never logs as "Changing state for Custom:..."), both for the day of the reported
problem, 2026-10-14.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Connection, insert

from mirtalib.data.schema import Schema
from mirtalib.demo.model import TIMEZONE, DemoModel
from mirtalib.events import formats as fmt
from mirtalib.events.calls import extension_activity, implied_events

log = logging.getLogger(__name__)

TRUTH_FILE = "events-truth.json"
LOG_DAY = pd.Timestamp("2026-10-14")
STUCK = ("100-DEVEL", pd.Timestamp("2026-10-14 10:42"), pd.Timestamp("2026-10-14 15:10"))
STUCK_OPEN = ("101-ACME", pd.Timestamp("2026-10-31 12:00"))
GAP = ("srv02", pd.Timestamp("2026-10-21 09:05"), pd.Timestamp("2026-10-21 11:50"))
MOVES = [  # extension, not before, move during a call?
    ("110-ACME", pd.Timestamp("2026-10-14 09:00"), True),
    ("116-ACME", pd.Timestamp("2026-10-20 02:00"), False),
    ("104-VERDI", pd.Timestamp("2026-10-25 03:00"), False),
]


def _truth_state(ev: pd.DataFrame, ext: str, t: pd.Timestamp) -> str:
    rows = ev[(ev["extension"] == ext) & (ev["time"] <= t)]
    return "NOT_INUSE" if rows.empty else str(rows["state"].iloc[-1])


def _idle_at(ev: pd.DataFrame, ext: str, t0: pd.Timestamp, t1: pd.Timestamp) -> bool:
    inside = ev[(ev["extension"] == ext) & (ev["time"] >= t0) & (ev["time"] <= t1)]
    return inside.empty and _truth_state(ev, ext, t0) == "NOT_INUSE"


def _in_gap(t: pd.Timestamp) -> bool:
    return GAP[1] - pd.Timedelta(hours=1) <= t <= GAP[2] + pd.Timedelta(hours=1)


def _stuck(ev, act, ext, near, restart, faults) -> pd.DataFrame:
    calls = act[(act["extension"] == ext) & act["answer"].notna()]
    if calls.empty:
        return ev
    call = calls.iloc[int((calls["end"] - near).abs().argmin())]
    t_hang = call["end"]
    truth = ev.copy()
    mine = (ev["extension"] == ext) & (ev["time"] >= t_hang)
    if restart is not None:
        later = truth[(truth["extension"] == ext) & (truth["time"] >= restart)]
        idle = later[later["state"] == "NOT_INUSE"]
        restart = max(restart, idle["time"].iloc[0]) if not idle.empty else restart
        mine &= ev["time"] < restart
    ev = ev.copy()
    ev.loc[mine, "state"] = np.where(
        ev.loc[mine, "state"].isin(["RINGING", "RINGINUSE"]), "RINGINUSE", "INUSE"
    )
    if restart is not None:
        ev = pd.concat(
            [
                ev,
                pd.DataFrame(
                    [
                        {
                            "time": restart,
                            "extension": ext,
                            "event": "Restart",
                            "state": _truth_state(truth, ext, restart),
                            "uniqueid": "",
                            "node": "",
                        }
                    ]
                ),
            ],
            ignore_index=True,
        )
    faults.append(
        {
            "kind": "stuck",
            "extension": ext,
            "since": str(call["start"]),
            "hangup_lost": str(t_hang),
            "until": str(restart) if restart else "open",
            "uniqueid": call["uniqueid"],
        }
    )
    return ev


def _phantoms(ev, rng, exts, n, faults) -> pd.DataFrame:
    rows, done = [], 0
    for _attempt in range(200 * n):
        if done == n:
            break
        ext = str(rng.choice(exts))
        day = int(rng.integers(1, 31))
        t = pd.Timestamp(2026, 10, day, int(rng.integers(9, 18)), int(rng.integers(0, 60)))
        length = pd.Timedelta(seconds=int(rng.integers(150, 480)))
        if _in_gap(t) or not _idle_at(
            ev, ext, t - pd.Timedelta(minutes=10), t + length + pd.Timedelta(minutes=5)
        ):
            continue
        rows += [
            {"time": t, "extension": ext, "state": "INUSE", "event": "Newstate"},
            {"time": t + length, "extension": ext, "state": "NOT_INUSE", "event": "Hangup"},
        ]
        faults.append(
            {"kind": "phantom", "extension": ext, "start": str(t), "end": str(t + length)}
        )
        done += 1
    return pd.concat([ev, pd.DataFrame(rows).assign(uniqueid="", node="")], ignore_index=True)


def _lost_setups(ev, act, rng, n, faults) -> pd.DataFrame:
    talk = act[act["answer"].notna() & ((act["end"] - act["answer"]).dt.total_seconds() >= 180)]
    alone = talk.groupby("extension")["start"].transform("size") > 20
    picks = talk[alone].sample(n=n, random_state=rng.integers(1 << 31))
    drop = pd.Series(False, index=ev.index)
    for r in picks.itertuples():
        hit = (ev["extension"] == r.extension) & (ev["uniqueid"] == r.uniqueid)
        hit &= ev["event"] != "Hangup"
        others = ev[
            (ev["extension"] == r.extension) & (ev["time"] > r.start) & (ev["time"] < r.end) & ~hit
        ]
        if others.empty:
            drop |= hit
            faults.append(
                {
                    "kind": "lost_setup",
                    "extension": r.extension,
                    "uniqueid": r.uniqueid,
                    "answer": str(r.answer),
                    "end": str(r.end),
                }
            )
    return ev[~drop]


def _flaps(ev, rng, exts, faults) -> pd.DataFrame:
    rows = []
    for ext, day in zip(rng.choice(exts, size=2, replace=False), (9, 27), strict=True):
        t = pd.Timestamp(2026, 10, day, 11, int(rng.integers(0, 50)))
        if not _idle_at(ev, str(ext), t - pd.Timedelta(minutes=5), t + pd.Timedelta(minutes=5)):
            t += pd.Timedelta(hours=3)
        for i in range(14):
            t += pd.Timedelta(seconds=int(rng.integers(3, 7)))
            rows.append(
                {
                    "time": t,
                    "extension": str(ext),
                    "event": "Newstate",
                    "state": "INUSE" if i % 2 == 0 else "NOT_INUSE",
                }
            )
        faults.append(
            {
                "kind": "flapping",
                "extension": str(ext),
                "start": str(rows[-14]["time"]),
                "end": str(t),
            }
        )
    return pd.concat([ev, pd.DataFrame(rows).assign(uniqueid="", node="")], ignore_index=True)


def _nodes(ev, act, model, faults) -> pd.DataFrame:
    home = model.extensions.set_index("name")["node"]
    ev = ev.assign(node=ev["extension"].map(home).fillna("srv01"))
    other = {"srv01": "srv02", "srv02": "srv01"}
    for ext, after, in_call in MOVES:
        if ext not in home.index:
            continue
        old = home[ext]
        t = after
        if in_call:
            calls = act[
                (act["extension"] == ext)
                & act["answer"].notna()
                & (act["answer"] > after)
                & ((act["end"] - act["answer"]).dt.total_seconds() > 120)
            ]
            if calls.empty:
                continue
            c = calls.iloc[0]
            t = c["answer"] + (c["end"] - c["answer"]) / 2
        moved = (ev["extension"] == ext) & (ev["time"] >= t)
        ev.loc[moved, "node"] = other[old]
        ev.loc[moved & (ev["time"] < (c["end"] if in_call else t)), "state"] = "NOT_INUSE"
        ev = pd.concat(
            [
                ev,
                pd.DataFrame(
                    [
                        {
                            "time": t,
                            "extension": ext,
                            "event": "Register",
                            "state": "NOT_INUSE" if in_call else _truth_state(ev, ext, t),
                            "uniqueid": "",
                            "node": other[old],
                        }
                    ]
                ),
            ],
            ignore_index=True,
        )
        faults.append(
            {
                "kind": "move",
                "extension": ext,
                "at": str(t),
                "from": old,
                "to": other[old],
                "during_call": in_call,
            }
        )
    return ev


def _gap(ev, faults) -> pd.DataFrame:
    node, t0, t1 = GAP
    truth = ev.copy()
    down = (ev["node"] == node) & (ev["time"] >= t0) & (ev["time"] < t1)
    ev = ev[~down]
    before = truth[truth["time"] < t1].groupby("extension")["node"].last()
    exts = sorted(before.index[before == node])
    restart = pd.DataFrame(
        [
            {
                "time": t1,
                "extension": e,
                "event": "Restart",
                "uniqueid": "",
                "node": node,
                "state": _truth_state(truth, e, t1),
            }
            for e in exts
        ]
    )
    faults.append(
        {
            "kind": "gap",
            "node": node,
            "start": str(t0),
            "end": str(t1),
            "events_lost": int(down.sum()),
        }
    )
    return pd.concat([ev, restart], ignore_index=True)


def build_events(model: DemoModel, rng: np.random.Generator) -> tuple[pd.DataFrame, list[dict]]:
    """The event log of the demo (columns time, extension, state, event, uniqueid, node) and the
    list of faults put in it."""
    act = extension_activity(model.legs)
    ev = implied_events(act)
    starts = model.extensions[["name", "node"]].rename(columns={"name": "extension"})
    ev = pd.concat(
        [
            starts.assign(
                time=pd.Timestamp(model.period_start),
                state="NOT_INUSE",
                event="Register",
                uniqueid="",
            ),
            ev,
        ],
        ignore_index=True,
    )
    faults: list[dict] = []
    exts = sorted(set(act["extension"]) - {STUCK[0], STUCK_OPEN[0]} - {m[0] for m in MOVES})
    ev = _stuck(ev, act, STUCK[0], STUCK[1], STUCK[2], faults)
    ev = _stuck(ev, act, STUCK_OPEN[0], STUCK_OPEN[1], None, faults)
    ev = _phantoms(ev, rng, exts, 4, faults)
    ev = _lost_setups(ev, act[act["extension"].isin(exts)], rng, 4, faults)
    ev = _flaps(ev, rng, exts, faults)
    ev = _nodes(ev, act, model, faults)
    ev = _gap(ev, faults)
    ev = ev.sort_values(["time", "extension", "event"], kind="stable", ignore_index=True)
    return ev, faults


def _mirta_state(state: str) -> str:
    return "NOT INUSE" if state == "NOT_INUSE" else state


_PHONE_CHANNEL = r"^(PJSIP|SIP)/\d+-[A-Z]"
#: PBX thread ids (LWP) of the first call of the day on each node, callids (C-%08x) likewise
_THREAD_BASE = {"srv01": 31407, "srv02": 27861}
_CALLID_BASE = {"srv01": 0x2A7C, "srv02": 0x1F05}


def _channel_marks(legs: pd.DataFrame, day: pd.Timestamp, end: pd.Timestamp):
    """(channel, time, channel state, event, uniqueid) of the phones' channels in one day: one
    Newchannel / Newstate / Hangup per channel even when several legs share it (transfers)."""
    parts = []
    for col, first in (("channel", 4), ("dstchannel", 5)):
        part = legs[legs[col].str.match(_PHONE_CHANNEL)]
        parts.append(
            pd.DataFrame(
                {
                    "chan": part[col],
                    "start": part["start"],
                    "answer": part["answer"],
                    "end": part["end"],
                    "first": first,
                    "uniqueid": part["uniqueid"],
                }
            )
        )
    rows = pd.concat(parts).sort_values(["start", "chan"], kind="stable")
    chans = rows.groupby("chan", sort=True).agg(
        start=("start", "min"),
        answer=("answer", "min"),
        end=("end", "max"),
        first=("first", "first"),
        uniqueid=("uniqueid", "first"),
    )
    out = []
    for chan, r in chans.iterrows():
        for t, cstate, event in (
            (r["start"], r["first"], "Newchannel"),
            (r["answer"], 6, "Newstate"),
            (r["end"], 0, "Hangup"),
        ):
            if pd.notna(t) and day <= t < end:
                out.append((str(chan), pd.Timestamp(t), int(cstate), event, r["uniqueid"]))
    return out


def _device_lines(marks, order: dict[str, int]) -> list[tuple[pd.Timestamp, int, str]]:
    """devicestate.c lines of the phones' own devices: at each channel event, the state of the
    device (``PJSIP/100-DEVEL``) over its live channels, as chan_pjsip combines them."""
    live: dict[str, dict[str, int]] = {}
    lines = []
    for chan, t, cstate, event, _uid in sorted(marks, key=lambda m: (m[1], order[m[3]], m[0])):
        device = chan.rsplit("-", 1)[0]
        channels = live.setdefault(device, {})
        if event == "Hangup":
            channels.pop(chan, None)
        else:
            channels[chan] = fmt.CHANNEL_DEVICE_CODE[cstate]
        code = fmt.aggregate_device_code(tuple(channels.values()))
        lines.append((t, order[event], fmt.device_state_log_line(t, device, code)))
    return lines


def _set_lines(
    ev: pd.DataFrame, legs: pd.DataFrame, node: str, home: dict[tuple[str, str], str]
) -> list[tuple[pd.Timestamp, str]]:
    """The dialplan lines setting the custom states of one node's events (verbose level 3).

    The demo nodes set ``Custom:<ext>`` from the dialplan, like the project's real test PBX
    (tests/integration/realpbx/etc/extensions.conf, which does it on the Local channel into the
    phone and in the hangup handler ``s@phone-hangup``), here on the phone's own channel of the
    call (the leg's channel or destination channel): a Gosub ``s@phone-state`` when the phone
    rings, answers or dials out, the hangup handler ``s@phone-hangup`` when its channel hangs up,
    with the state the daemons computed. The phone's channel lives on the node the call's first
    event came from (``home``: (uniqueid, extension) -> node). States set with no call of the node
    (a phone registering, the daemons restarting, the node a phone moved to during a call) are set
    over AMI: they reach the AMI stream but write no line.
    """
    chans: dict[tuple[str, str], tuple[str, str]] = {}  # (uniqueid, ext) -> channel, linkedid
    for col in ("dstchannel", "channel"):  # the caller's channel wins when both are the phone
        part = legs[legs[col].str.match(_PHONE_CHANNEL)]
        for chan, uid, linked in part[[col, "uniqueid", "linkedid"]].itertuples(index=False):
            chans[(uid, str(chan).rsplit("-", 1)[0].split("/", 1)[1])] = (chan, linked or uid)
    threads: dict[str, int] = {}
    callids: dict[str, int] = {}
    out = []
    for r in ev.itertuples():
        hit = chans.get((r.uniqueid, r.extension)) if r.uniqueid else None
        if hit is None or home.get((r.uniqueid, r.extension)) != node:
            continue
        chan, linked = hit
        thread = threads.setdefault(r.uniqueid, _THREAD_BASE[node] + 4 * len(threads))
        callid = callids.setdefault(linked, _CALLID_BASE[node] + len(callids))
        location = "s@phone-hangup:1" if r.event == "Hangup" else "s@phone-state:1"
        line = fmt.set_device_state_log_line(
            r.time,
            chan,
            f"Custom:{r.extension}",
            r.state,
            location=location,
            thread=thread,
            callid=callid,
        )
        out.append((r.time, line))
    return out


def write_logs(ev: pd.DataFrame, legs: pd.DataFrame, logs_dir: Path, day: pd.Timestamp) -> None:
    """Write ``<node>/ami-events.txt`` and ``<node>/full`` for one day."""
    end = day + pd.Timedelta(days=1)
    ev = ev[(ev["time"] >= day) & (ev["time"] < end) & ev["node"].ne("")]
    legs = legs[(legs["start"] < end) & (legs["end"] >= day)]
    order = {"Newchannel": 0, "Newstate": 1, "DeviceStateChange": 2, "Hangup": 3}
    home = ev.groupby(["uniqueid", "extension"])["node"].first().to_dict()
    for node in ("srv01", "srv02"):
        mine = ev[ev["node"] == node]
        marks = _channel_marks(legs[legs["node"] == node], day, end)
        packets: list[tuple[pd.Timestamp, int, str]] = [
            (
                r.time,
                order["DeviceStateChange"],
                fmt.device_state_packet(
                    fmt.epoch_text(r.time, TIMEZONE), f"Custom:{r.extension}", r.state
                ),
            )
            for r in mine.itertuples()
        ]
        packets += [
            (t, order[event], fmt.channel_packet(event, fmt.epoch_text(t, TIMEZONE), c, cs, uid))
            for c, t, cs, event, uid in marks
        ]
        packets.sort(key=lambda x: (x[0], x[1], x[2]))
        lines = [(t, o, i, line) for i, (t, o, line) in enumerate(_device_lines(marks, order))]
        lines += [
            (t, order["DeviceStateChange"], i, line)
            for i, (t, line) in enumerate(_set_lines(mine, legs, node, home))
        ]
        lines.sort(key=lambda x: x[:3])
        folder = logs_dir / node
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / "ami-events.txt", "w", newline="") as fh:
            fh.write("Asterisk Call Manager/5.0.1\r\n")
            fh.writelines(packet for _, _, packet in packets)
        with open(folder / "full", "w") as fh:
            fh.writelines(line for *_, line in lines)


def generate(
    model: DemoModel, rng: np.random.Generator, paths, conn: Connection, schema: Schema
) -> None:
    """Write ``ee_extensionevents``, ``st_states``, the logs and the truth file (plug-in)."""
    ev, faults = build_events(model, rng)
    ee = schema.table("ee_extensionevents")
    rows = [
        {
            "ee_id": i + 1,
            "ee_time": t.to_pydatetime(),
            "ee_extension": x,
            "ee_event": e,
            "ee_state": _mirta_state(s),
            "ee_uniqueid": u,
            "ee_node": n,
        }
        for i, (t, x, e, s, u, n) in enumerate(
            ev[["time", "extension", "event", "state", "uniqueid", "node"]].itertuples(index=False)
        )
    ]
    for i in range(0, len(rows), 20000):
        conn.execute(insert(ee), rows[i : i + 20000])
    last = ev.groupby("extension").tail(1).sort_values("extension")
    st = schema.table("st_states")
    conn.execute(
        insert(st),
        [
            {
                "st_id": i + 1,
                "st_extension": r.extension,
                "st_state": _mirta_state(r.state),
                "st_lastupdate": r.time.to_pydatetime(),
                "st_node": r.node,
            }
            for i, r in enumerate(last.itertuples())
        ],
    )
    write_logs(ev, model.legs, Path(paths.logs_dir), LOG_DAY)
    truth = {"faults": faults, "events": len(ev), "period_end": str(model.period_end)}
    (Path(paths.root) / TRUTH_FILE).write_text(json.dumps(truth, indent=1) + "\n")
    log.info(
        "demo events: %d event-log rows, %d st_states rows, %d faults",
        len(ev),
        len(last),
        len(faults),
    )
