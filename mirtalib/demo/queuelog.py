"""Demo plug-in: Asterisk's queue log of the demo's queue calls (file per node and table).

Made from the CDR legs of the queue calls (call kind ``queue``: one leg per member rung, all
from the caller's channel, whose uniqueid is the queue log's callid), so the two agree: per call
an ENTERQUEUE at the first leg's start (caller id = src; position = callers of that queue waiting
then, plus one); for an rrmemory queue a RINGNOANSWER (15000 ms) per member that rang its full
15 s; a CONNECT when a leg was answered (agent = the member, holdtime = answer - entry, ring time
= answer - that leg's start; the member's uniqueid is made up from the caller's: the demo CDR
has only the caller's view), then COMPLETECALLER or COMPLETEAGENT at its end (talk = billsec);
else RINGCANCELED for the members ringing when the caller gave up and ABANDON (wait = the last
leg's end - entry; the demo queues have a 300 s limit and callers give up earlier, so no
EXITWITHTIMEOUT). Agents (the queue members, by extension name as with
``log_membername_as_agent``): ADDMEMBER / REMOVEMEMBER over AMI (callid ``MANAGER``) around each
day they work (weekdays from about 08:00 to 18:00, longer when a queue call rings them earlier
or later; weekend days only when rung), and PAUSE / UNPAUSE (callid ``NONE``) at gaps between
their rings and talks: a "Lunch" pause between 12:00 and 15:00 and up to two "Break" pauses,
never while they ring or talk.

Written: ``<logs>/<node>/queue_log`` (epoch seconds, the node of the callid; agent events on the
node of the member's phone) and the ``queue_log`` table (PBX-local DATETIME, data1..data5).
Times in the repeated hour of 2026-10-25 are placed by the legs' order (real time).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from mirtalib.data.schema import Schema
from mirtalib.demo.model import TIMEZONE, DemoModel

log = logging.getLogger(__name__)

RING_S = 15  # rrmemory: seconds a member rings (mirtalib.demo.fanout)
COLUMNS = ("time", "epoch", "callid", "queuename", "agent", "event", "data", "node", "order")


def _epochs(local: pd.Series, later: pd.Series) -> np.ndarray:
    """Epoch seconds of naive Europe/Rome times; ``later`` says, for times of the repeated hour,
    that they are its second pass (standard time)."""
    stamps = pd.DatetimeIndex(local)
    first = stamps.tz_localize(TIMEZONE, ambiguous=np.ones(len(stamps), dtype=bool),
                               nonexistent="shift_forward")  # fmt: skip
    second = stamps.tz_localize(TIMEZONE, ambiguous=np.zeros(len(stamps), dtype=bool),
                                nonexistent="shift_forward")  # fmt: skip
    zero = pd.Timestamp(0, tz="UTC")
    secs_first = (first - zero) // pd.Timedelta(seconds=1)
    secs_second = (second - zero) // pd.Timedelta(seconds=1)
    return np.where(later.to_numpy(dtype=bool), secs_second, secs_first).astype(np.int64)


def _after_fall_back(legs: pd.DataFrame) -> pd.Series:
    """True for legs after the clocks went back (the legs are in real-time order)."""
    back = legs["start"] < legs["start"].cummax() - pd.Timedelta(minutes=30)
    if not back.any():
        return pd.Series(False, index=legs.index)
    first = int(np.flatnonzero(back.to_numpy())[0])
    return pd.Series(np.arange(len(legs)) >= first, index=legs.index)


def call_events(model: DemoModel) -> pd.DataFrame:
    """The queue call events (:data:`COLUMNS` but ``node`` = the callid's node)."""
    legs = model.legs
    later = _after_fall_back(legs)
    q = legs[legs["call_kind"].eq("queue")].copy()
    q["queue"] = q["lastdata"].str.split(",").str[0]
    q["t_start"] = _epochs(q["start"], later[q.index])
    q["t_end"] = q["t_start"] + q["duration"]
    q["t_answer"] = np.where(q["answer"].notna(), q["t_end"] - q["billsec"], -1)
    strategy = dict(zip(model.queues["name"], model.queues["qu_strategy"], strict=True))
    rows: list[tuple] = []
    calls = []
    for callid, legs_of in q.groupby("uniqueid", sort=False):
        legs_of = legs_of.sort_values(["t_start", "sequence"], kind="stable")
        first = legs_of.iloc[0]
        queue = first["queue"]
        t0 = int(legs_of["t_start"].min())
        won = legs_of[legs_of["t_answer"] >= 0]
        leave = int(won["t_answer"].iloc[0]) if len(won) else int(legs_of["t_end"].max())
        calls.append((callid, queue, t0, leave, first["src"], len(won) > 0, first["node"]))
        rows.append((t0, callid, queue, "NONE", "ENTERQUEUE", None, 0))
        if strategy.get(queue) == "rrmemory":
            for r in legs_of.itertuples():
                if r.t_answer < 0 and r.t_end - r.t_start >= RING_S:
                    rows.append((int(r.t_end), callid, queue, r.to_ext, "RINGNOANSWER",
                                 str(RING_S * 1000), 1))  # fmt: skip
        if len(won):
            w = won.iloc[0]
            t_ans = int(w["t_answer"])
            peer = f"{callid}{int(w['sequence']) % 7 + 1}"
            rows.append((t_ans, callid, queue, w["to_ext"], "CONNECT",
                         f"{t_ans - t0}|{peer}|{t_ans - int(w['t_start'])}", 2))  # fmt: skip
            rows.append((int(w["t_end"]), callid, queue, w["to_ext"], "COMPLETE",
                         f"{t_ans - t0}|{int(w['billsec'])}", 3))  # fmt: skip
        else:
            ringing = legs_of[legs_of["t_end"] >= leave]
            for r in ringing.itertuples():
                rows.append((leave, callid, queue, r.to_ext, "RINGCANCELED",
                             str((leave - int(r.t_start)) * 1000), 2))  # fmt: skip
            rows.append((leave, callid, queue, "NONE", "ABANDON", f"{leave - t0}", 3))
    frame = pd.DataFrame(rows, columns=["epoch", "callid", "queuename", "agent", "event",
                                        "data", "order"])  # fmt: skip
    info = pd.DataFrame(calls, columns=["callid", "queue", "t0", "leave", "src", "won", "node"])
    return _positions(frame, info)


def _positions(frame: pd.DataFrame, info: pd.DataFrame) -> pd.DataFrame:
    """Fill in ENTERQUEUE / ABANDON / COMPLETE data with the callers' positions."""
    pos, exit_pos = {}, {}
    for _, part in info.groupby("queue", sort=False):
        t0, leave = part["t0"].to_numpy(), part["leave"].to_numpy()
        order = np.arange(len(part))
        for k, callid in enumerate(part["callid"]):
            ahead = ((t0 < t0[k]) | ((t0 == t0[k]) & (order < k))) & (leave > t0[k])
            pos[callid] = int(ahead.sum()) + 1
            still = ahead & (leave > leave[k])
            exit_pos[callid] = int(still.sum()) + 1
    src = dict(zip(info["callid"], info["src"], strict=True))
    node = dict(zip(info["callid"], info["node"], strict=True))
    data = []
    for r in frame.itertuples():
        p = pos[r.callid]
        if r.event == "ENTERQUEUE":
            data.append(f"|{src[r.callid]}|{p}")
        elif r.event == "ABANDON":
            data.append(f"{exit_pos[r.callid]}|{p}|{r.data}")
        elif r.event == "COMPLETE":
            data.append(f"{r.data}|{p}")
        else:
            data.append(r.data)
    frame = frame.assign(data=data, node=frame["callid"].map(node))
    return frame


def agent_events(model: DemoModel, rng: np.random.Generator, calls: pd.DataFrame) -> pd.DataFrame:
    """ADDMEMBER / REMOVEMEMBER and PAUSE / UNPAUSE of every member (see the module docstring)."""
    legs = model.legs
    later = _after_fall_back(legs)
    q = legs[legs["call_kind"].eq("queue")]
    t_start = pd.Series(_epochs(q["start"], later[q.index]), index=q.index)
    busy = pd.DataFrame(
        {
            "agent": q["to_ext"],
            "queue": q["lastdata"].str.split(",").str[0],
            "s": t_start,
            "e": t_start + q["duration"],
        }
    )
    node_of = dict(zip(model.extensions["name"], model.extensions["node"], strict=True))
    days = pd.date_range(model.period_start, model.period_end, freq="D", inclusive="left")
    day_epochs = _epochs(pd.Series(days), pd.Series(False, index=range(len(days))))
    rows: list[tuple] = []
    members = model.queue_members.sort_values(["queue", "extension"])
    for m in members.itertuples():
        mine = busy[(busy["agent"] == m.extension) & (busy["queue"] == m.queue)]
        for day, d0 in zip(days, day_epochs, strict=True):
            d1 = d0 + 86400 + (3600 if day == pd.Timestamp("2026-10-25") else 0)
            today = mine[(mine["s"] >= d0) & (mine["s"] < d1)].sort_values("s")
            node = node_of.get(m.extension, "srv01")
            for login, logout, pauses in _sessions(rng, day, d0, today):
                rows.append((login, "MANAGER", m.queue, m.extension, "ADDMEMBER", "", node, 0))
                for s, e, reason in pauses:
                    rows.append((s, "NONE", m.queue, m.extension, "PAUSE", reason, node, 0))
                    rows.append((e, "NONE", m.queue, m.extension, "UNPAUSE", reason, node, 0))
                rows.append((logout, "MANAGER", m.queue, m.extension, "REMOVEMEMBER", "", node, 4))
    return pd.DataFrame(rows, columns=["epoch", "callid", "queuename", "agent", "event", "data",
                                       "node", "order"])  # fmt: skip


def _sessions(rng, day: pd.Timestamp, d0: int, today: pd.DataFrame) -> list[tuple]:
    """A member's sessions of one day: the working day (weekdays, or a weekend day with a ring
    in it) with its pauses, and a short session around each ring outside it (sessions that
    touch are merged)."""
    login = d0 + 8 * 3600 + int(rng.integers(0, 1800))
    logout = d0 + 18 * 3600 + int(rng.integers(0, 2700))
    inside = (today["s"] >= login + 60) & (today["e"] <= logout - 60)
    spans: list[list[int]] = []
    if day.day_of_week < 5 or inside.any():
        spans.append([login, logout])
    for s, e in zip(today.loc[~inside, "s"], today.loc[~inside, "e"], strict=True):
        spans.append([int(s) - int(rng.integers(60, 600)), int(e) + int(rng.integers(60, 600))])
    merged: list[list[int]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    out = []
    for a, b in merged:
        working = a <= login and logout <= b
        rings = today[(today["s"] >= a) & (today["e"] <= b)]
        out.append((a, b, _pauses(rng, d0, a, b, rings) if working else []))
    return out


def _pauses(rng, d0: int, login: int, logout: int, busy: pd.DataFrame) -> list[tuple]:
    """Pauses in the gaps of one member's day: a lunch and up to two breaks."""
    edges = [(login, login), *list(zip(busy["s"], busy["e"], strict=True)), (logout, logout)]
    gaps = []
    reach = login
    for s, e in edges:
        if s - reach > 0:
            gaps.append((reach, int(s)))
        reach = max(reach, int(e))
    out = []
    windows = (("Lunch", 12, 15, 1200, (900, 3600)), ("Break", 9.5, 12, 600, (300, 900)),
               ("Break", 15, 17.5, 600, (300, 900)))  # fmt: skip
    for reason, h0, h1, need, (lo, hi) in windows:
        if reason == "Break" and rng.random() < 0.4:
            continue
        w0, w1 = d0 + int(h0 * 3600), d0 + int(h1 * 3600)
        fits = [(max(a, w0), min(b, w1)) for a, b in gaps if min(b, w1) - max(a, w0) >= need]
        if not fits:
            continue
        a, b = fits[int(rng.integers(0, len(fits)))]
        start = a + 60
        length = min(int(rng.integers(lo, hi)), b - 60 - start)
        if length > 0:
            out.append((start, start + length, reason))
    return out


def build_queue_log(model: DemoModel, rng: np.random.Generator) -> pd.DataFrame:
    """Every queue_log event of the demo in time order (:data:`COLUMNS`)."""
    calls = call_events(model)
    events = pd.concat([calls, agent_events(model, rng, calls)], ignore_index=True)
    complete = events["event"].eq("COMPLETE")
    by_agent = rng.random(len(events)) < 0.5
    events.loc[complete, "event"] = np.where(by_agent[complete.to_numpy()], "COMPLETEAGENT",
                                             "COMPLETECALLER")  # fmt: skip
    events = events.sort_values(["epoch", "order", "callid", "agent"], kind="stable",
                                ignore_index=True)  # fmt: skip
    stamps = pd.to_datetime(events["epoch"], unit="s", utc=True).dt.tz_convert(TIMEZONE)
    events["time"] = stamps.dt.tz_localize(None).astype("datetime64[ns]")
    return events[list(COLUMNS)]


def generate(
    model: DemoModel, rng: np.random.Generator, paths, conn: Connection, schema: Schema
) -> None:
    """Write ``<logs>/<node>/queue_log`` files and the ``queue_log`` table (plug-in)."""
    from mirtalib.demo.build import bulk_insert  # the core's bulk writer

    events = build_queue_log(model, rng)
    for node, part in events.groupby("node", sort=True):
        folder = Path(paths.logs_dir) / str(node)
        folder.mkdir(parents=True, exist_ok=True)
        lines = [f"{e}|{c}|{q}|{a}|{v}|{d}\n" for e, c, q, a, v, d in
                 part[["epoch", "callid", "queuename", "agent", "event", "data"]].itertuples(
                     index=False)]  # fmt: skip
        (folder / "queue_log").write_text("".join(lines), encoding="utf-8")
    split = [(d.split("|", 4) + [""] * 5)[:5] for d in events["data"]]
    table = pd.DataFrame(
        {
            "id": np.arange(1, len(events) + 1, dtype=np.int64),
            "time": events["time"],
            "callid": events["callid"],
            "queuename": events["queuename"],
            "agent": events["agent"],
            "event": events["event"],
            **{f"data{i + 1}": pd.Series([v[i] for v in split], dtype="str") for i in range(5)},
        }
    )
    bulk_insert(conn, schema.table("queue_log"), table)
    log.info("demo queue log: %d events", len(events))
