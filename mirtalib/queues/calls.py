"""Queue calls and agent sessions from queue_log events (:func:`mirtalib.queues.load_queue_log`).

Meaning of the data values (``apps/app_queue.c`` of Asterisk 22):

============================  ==================================================================
event                         data
============================  ==================================================================
ENTERQUEUE                    url | caller id number | original position [| caller id name]
CONNECT                       holdtime (s, entry to answer) | member's uniqueid | ring time (s)
COMPLETECALLER/COMPLETEAGENT  holdtime | talk time (s) | original position (who hung up first)
ABANDON, EXITWITHTIMEOUT,     position when leaving | original position | wait (s)
EXITEMPTY, WITHDRAW
EXITWITHKEY                   key | position when leaving | original position | wait (s)
RINGNOANSWER, RINGCANCELED    ring time (ms) of one member (no answer / caller gave up)
BLINDTRANSFER                 exten | context | holdtime | talk time | original position
ATTENDEDTRANSFER              BRIDGE|id, APP|app or LINK|chan|chan, then holdtime | talk time |
                              original position (older Asterisk: TRANSFER like BLINDTRANSFER)
ADDMEMBER / REMOVEMEMBER      ("PAUSED" when added paused) - agent = member name
PAUSE / UNPAUSE               reason (per queue; PAUSEALL/UNPAUSEALL precede them for all queues)
AGENTLOGIN / AGENTLOGOFF      channel [| seconds logged in] (chan_agent / app_agent_pool)
QUEUESTART                    (Asterisk started: the calls waiting then are gone)
============================  ==================================================================

A queue call is one ENTERQUEUE (callid = the caller channel's uniqueid, one queue) and the events
of the same callid and queue after it, up to the event that ends it. Its ``outcome``:
``answered`` (CONNECT, then COMPLETECALLER/COMPLETEAGENT or nothing more), ``transferred``
(the agent transferred the answered caller), ``abandoned`` (caller hung up waiting),
``timeout`` (EXITWITHTIMEOUT), ``exitempty``, ``exitkey``, ``withdrawn`` (WITHDRAW, Asterisk 20+),
``failed`` (SYSCOMPAT), ``unfinished`` (no end in the data, or Asterisk restarted: QUEUESTART).
Events of a callid and queue without an ENTERQUEUE before them (a call that entered before the
data begins) make no call; :func:`orphan_events` counts them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mirtalib.cdr.naming import node_of
from mirtalib.queues.reader import numbers, tenant_of_queue

OUTCOMES = (
    "answered",
    "transferred",
    "abandoned",
    "timeout",
    "exitempty",
    "exitkey",
    "withdrawn",
    "failed",
    "unfinished",
)
ANSWERED_OUTCOMES = ("answered", "transferred")
OPEN_FLAGS = ("open_start", "open_end")
_ENDS = {
    "ABANDON": "abandoned",
    "EXITWITHTIMEOUT": "timeout",
    "EXITEMPTY": "exitempty",
    "EXITWITHKEY": "exitkey",
    "WITHDRAW": "withdrawn",
    "SYSCOMPAT": "failed",
    "COMPLETECALLER": "answered",
    "COMPLETEAGENT": "answered",
    "BLINDTRANSFER": "transferred",
    "ATTENDEDTRANSFER": "transferred",
    "TRANSFER": "transferred",
}
CALL_COLUMNS = {
    "callid": "str",
    "node": "str",
    "tenant": "str",
    "queue": "str",
    "caller": "str",
    "enter": "datetime64[ns]",
    "connect": "datetime64[ns]",
    "end": "datetime64[ns]",
    "outcome": "str",
    "answered": "bool",
    "wait": "Int64",
    "talk": "Int64",
    "agent": "str",
    "ring_no_answer": "int64",
    "position": "Int64",
    "exit_position": "Int64",
    "key": "str",
    "hangup_by": "str",
}


def _data(row) -> list[str]:
    return [row.data1, row.data2, row.data3, row.data4, row.data5]


def _new_call(row) -> dict:
    nums, _, _ = numbers("ENTERQUEUE", _data(row))
    return {
        "callid": row.callid,
        "queue": row.queuename,
        "caller": row.data2,
        "enter": row.time,
        "connect": pd.NaT,
        "end": pd.NaT,
        "outcome": "unfinished",
        "wait": None,
        "talk": None,
        "agent": "",
        "ring_no_answer": 0,
        "position": nums.get("position"),
        "exit_position": None,
        "key": "",
        "hangup_by": "",
    }


def _close(call: dict, row, event: str) -> None:
    nums, _, _ = numbers(event, _data(row))
    call["end"] = row.time
    outcome = _ENDS[event]
    call["outcome"] = outcome
    if outcome in ANSWERED_OUTCOMES:
        call["wait"] = nums.get("holdtime", call["wait"])
        call["talk"] = nums.get("calltime")
        if row.agent and row.agent != "NONE":
            call["agent"] = row.agent
        if event.startswith("COMPLETE"):
            call["hangup_by"] = "caller" if event == "COMPLETECALLER" else "agent"
    else:
        call["wait"] = nums.get("wait")
        call["exit_position"] = nums.get("exit_position")
        if event == "EXITWITHKEY":
            call["key"] = row.data1
    if call["position"] is None:
        call["position"] = nums.get("position")


def queue_calls(events: pd.DataFrame) -> pd.DataFrame:
    """One row per call that entered a queue (see the module docstring).

    Columns (:data:`CALL_COLUMNS`): ``callid`` (the caller channel's uniqueid), ``node`` (its
    prefix), ``tenant`` (of the queue name), ``queue``, ``caller`` (caller id number at entry),
    ``enter``, ``connect`` (NaT unless answered), ``end`` (time of the ending event, NaT when
    unfinished), ``outcome`` (:data:`OUTCOMES`), ``answered`` (answered or transferred),
    ``wait`` (seconds from entry to answer, or to leaving; app_queue's own count), ``talk``
    (seconds from answer to hangup or transfer), ``agent`` (member name that answered),
    ``ring_no_answer`` (RINGNOANSWER events before the answer or the end), ``position`` (the
    caller's position when entering), ``exit_position`` (position when leaving unanswered),
    ``key`` (EXITWITHKEY's digit), ``hangup_by`` (caller/agent, from COMPLETECALLER/AGENT).
    Sorted by entry time then callid.
    """
    rows: list[dict] = []
    open_calls: dict[tuple[str, str], dict] = {}
    ordered = events.sort_values("time", kind="stable")
    for row in ordered.itertuples(index=False):
        event = row.event
        if event == "QUEUESTART":
            open_calls.clear()  # their rows stay: unfinished, or answered without an end
            continue
        key = (row.callid, row.queuename)
        if event == "ENTERQUEUE":
            call = _new_call(row)
            open_calls[key] = call
            rows.append(call)
            continue
        call = open_calls.get(key)
        if call is None:
            continue
        if event == "CONNECT":
            nums, _, _ = numbers(event, _data(row))
            call["connect"] = row.time
            call["wait"] = nums.get("holdtime")
            call["agent"] = row.agent
            call["outcome"] = "answered"
        elif event == "RINGNOANSWER" and pd.isna(call["connect"]):
            call["ring_no_answer"] += 1
        elif event in _ENDS:
            _close(call, row, event)
            del open_calls[key]
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in CALL_COLUMNS.items()})
    calls = pd.DataFrame(rows)
    calls["node"] = node_of(calls["callid"].astype("str"))
    calls["tenant"] = tenant_of_queue(calls["queue"])
    calls["answered"] = calls["outcome"].isin(ANSWERED_OUTCOMES)
    for col, dtype in CALL_COLUMNS.items():
        if dtype == "Int64":
            calls[col] = pd.array([None if v is None or pd.isna(v) else int(v)
                                   for v in calls[col]], dtype="Int64")  # fmt: skip
        elif dtype == "datetime64[ns]":
            calls[col] = pd.to_datetime(calls[col]).astype("datetime64[ns]")
        else:
            calls[col] = calls[col].astype(dtype)
    calls = calls[list(CALL_COLUMNS)]
    return calls.sort_values(["enter", "callid"], kind="stable", ignore_index=True)


def orphan_events(events: pd.DataFrame) -> int:
    """Call events whose call has no ENTERQUEUE in the data (it entered before it begins)."""
    calls = events[events["event"].isin(set(_ENDS) | {"CONNECT", "RINGNOANSWER"})]
    enter = events[events["event"].eq("ENTERQUEUE")]
    entered = set(zip(enter["callid"], enter["queuename"], strict=True))
    keys = list(zip(calls["callid"], calls["queuename"], strict=True))
    return int(sum(k not in entered for k in keys))


@dataclass
class AgentSessions:
    """Result of :func:`agent_sessions`.

    Attributes:
        sessions: ``agent, queue, login, logoff, seconds, how`` (ADDMEMBER or AGENTLOGIN;
            queue "" for an agent login), ``open_start``/``open_end`` (True where the login or
            logoff is outside the data and the period's edge was used).
        pauses: ``agent, queue, start, end, seconds, reason, open_start, open_end``.
        agents: per agent: ``agent, tenant, logged_in_s`` (union over queues; NA when the data
            has no login of the agent: a static member), ``paused_s`` (union over queues),
            ``calls`` (answered), ``talk_s``, ``ring_no_answer``, ``occupancy`` (talk_s /
            (logged_in_s - paused_s), NA when unknown).
        pause_reasons: ``agent, reason, seconds`` (union per reason over queues).
    """

    sessions: pd.DataFrame
    pauses: pd.DataFrame
    agents: pd.DataFrame
    pause_reasons: pd.DataFrame


def _intervals(
    events: pd.DataFrame,
    opens: set[str],
    closes: set[str],
    first,
    last,
    keep_reason: bool,
    soft: frozenset[str] = frozenset(),
) -> list[dict]:
    """Open/close pairs per (agent, queue); missing edges are the data's first/last times;
    a ``soft`` closing event closes only an open interval."""
    out: list[dict] = []
    state: dict[tuple[str, str], dict] = {}
    for row in events.itertuples(index=False):
        key = (row.agent, row.queuename)
        if row.event in opens:
            if key in state:
                continue  # already open (a second PAUSE changes nothing)
            state[key] = {"start": row.time, "reason": row.data1 if keep_reason else "",
                          "open_start": False}  # fmt: skip
        elif row.event in closes or (row.event in soft and key in state):
            item = state.pop(key, None)
            if item is None:
                item = {"start": first, "reason": "", "open_start": True}
            out.append({"agent": row.agent, "queue": row.queuename, **item, "end": row.time,
                        "open_end": False})  # fmt: skip
    for (agent, queue), item in state.items():
        out.append({"agent": agent, "queue": queue, **item, "end": last, "open_end": True})
    return out


def _union_seconds(frame: pd.DataFrame, by: list[str]) -> pd.Series:
    """Seconds covered by the union of [start, end) intervals per group."""
    if frame.empty:
        return pd.Series(dtype="float64")
    out = {}
    for key, part in frame.sort_values("start").groupby(by, sort=True):
        total, cur_s, cur_e = 0.0, None, None
        for s, e in zip(part["start"], part["end"], strict=True):
            if cur_e is None or s > cur_e:
                if cur_e is not None:
                    total += (cur_e - cur_s).total_seconds()
                cur_s, cur_e = s, e
            else:
                cur_e = max(cur_e, e)
        total += (cur_e - cur_s).total_seconds()
        out[key[0] if len(by) == 1 else key] = total
    return pd.Series(out, dtype="float64")


def agent_sessions(events: pd.DataFrame, start=None, end=None) -> AgentSessions:
    """Logins, pauses and occupancy of the agents (queue members) in the events.

    A session runs from ADDMEMBER to REMOVEMEMBER of one agent in one queue (or AGENTLOGIN to
    AGENTLOGOFF); a pause from PAUSE to UNPAUSE (or REMOVEMEMBER) in one queue, with the PAUSE's
    reason; one open at the start or end of the data runs from ``start`` / to ``end`` (default:
    the first / last event's time). ADDMEMBER with PAUSED starts a pause with reason "".
    Occupancy = talk time of the calls the agent answered / (time logged in - time paused).
    """
    ev = events.sort_values("time", kind="stable")
    first = pd.Timestamp(start) if start is not None else (ev["time"].min() if len(ev) else pd.NaT)
    last = pd.Timestamp(end) if end is not None else (ev["time"].max() if len(ev) else pd.NaT)
    members = ev[ev["event"].isin({"ADDMEMBER", "REMOVEMEMBER"})]
    sessions = pd.DataFrame(
        _intervals(members, {"ADDMEMBER"}, {"REMOVEMEMBER"}, first, last, False)
    ).assign(how="ADDMEMBER")
    agents_ev = ev[ev["event"].isin({"AGENTLOGIN", "AGENTLOGOFF"})].assign(queuename="")
    logins = pd.DataFrame(
        _intervals(agents_ev, {"AGENTLOGIN"}, {"AGENTLOGOFF"}, first, last, False)
    ).assign(how="AGENTLOGIN")
    sessions = pd.concat([sessions, logins], ignore_index=True)
    paused_add = ev["event"].eq("ADDMEMBER") & ev["data1"].str.upper().eq("PAUSED")
    pause_ev = ev[ev["event"].isin({"PAUSE", "UNPAUSE", "REMOVEMEMBER"}) | paused_add].copy()
    pause_ev.loc[pause_ev["event"].eq("ADDMEMBER"), ["event", "data1"]] = ["PAUSE", ""]
    pauses = pd.DataFrame(
        _intervals(pause_ev, {"PAUSE"}, {"UNPAUSE"}, first, last, True, frozenset({"REMOVEMEMBER"}))
    )
    session_cols = ["agent", "queue", "login", "logoff", "seconds", "how", *OPEN_FLAGS]
    sessions = _finish(sessions, session_cols, {"start": "login", "end": "logoff"})
    pause_cols = ["agent", "queue", "start", "end", "seconds", "reason", *OPEN_FLAGS]
    pauses = _finish(pauses, pause_cols, {})
    calls = queue_calls(ev)
    return AgentSessions(
        sessions, pauses, _agent_table(ev, calls, sessions, pauses), _reasons(pauses)
    )


def _finish(frame: pd.DataFrame, cols: list[str], rename: dict) -> pd.DataFrame:
    frame = frame.rename(columns=rename)
    if frame.empty:
        out = {c: pd.Series(dtype="str") for c in cols}
        for c in cols:
            if c in ("login", "logoff", "start", "end"):
                out[c] = pd.Series(dtype="datetime64[ns]")
            elif c == "seconds":
                out[c] = pd.Series(dtype="float64")
            elif c.startswith("open"):
                out[c] = pd.Series(dtype="bool")
        return pd.DataFrame(out)[cols]
    s, e = ("login", "logoff") if "login" in cols else ("start", "end")
    frame[s] = pd.to_datetime(frame[s]).astype("datetime64[ns]")
    frame[e] = pd.to_datetime(frame[e]).astype("datetime64[ns]")
    frame["seconds"] = (frame[e] - frame[s]).dt.total_seconds()
    for c in ("open_start", "open_end"):
        frame[c] = frame[c].astype(bool)
    return frame[cols].sort_values(["agent", s], kind="stable", ignore_index=True)


def _reasons(pauses: pd.DataFrame) -> pd.DataFrame:
    secs = _union_seconds(pauses, ["agent", "reason"])
    if secs.empty:
        return pd.DataFrame({"agent": pd.Series(dtype="str"), "reason": pd.Series(dtype="str"),
                             "seconds": pd.Series(dtype="float64")})  # fmt: skip
    out = secs.rename("seconds").reset_index()
    out.columns = ["agent", "reason", "seconds"]
    return out


def _agent_table(ev, calls, sessions, pauses) -> pd.DataFrame:
    names = set(calls.loc[calls["agent"].ne(""), "agent"]) | set(sessions["agent"])
    names |= set(pauses["agent"]) | set(ev.loc[ev["event"].eq("RINGNOANSWER"), "agent"])
    names.discard("NONE")
    names.discard("")
    agents = sorted(names)
    logged = _union_seconds(sessions.rename(columns={"login": "start", "logoff": "end"}), ["agent"])
    paused = _union_seconds(pauses, ["agent"])
    answered = calls[calls["answered"]]
    talk = answered.groupby("agent")["talk"].sum()
    n = answered.groupby("agent").size()
    rna = ev[ev["event"].eq("RINGNOANSWER")].groupby("agent").size()
    out = pd.DataFrame({"agent": pd.Series(agents, dtype="str")})
    out["tenant"] = tenant_of_queue(out["agent"])
    out["logged_in_s"] = out["agent"].map(logged).astype("float64")
    out["paused_s"] = out["agent"].map(paused).fillna(0.0).astype("float64")
    out["calls"] = out["agent"].map(n).fillna(0).astype("int64")
    out["talk_s"] = out["agent"].map(talk).fillna(0).astype("float64")
    out["ring_no_answer"] = out["agent"].map(rna).fillna(0).astype("int64")
    available = out["logged_in_s"] - out["paused_s"]
    out["occupancy"] = (out["talk_s"] / available.where(available > 0)).astype("float64")
    return out


def wait_array(calls: pd.DataFrame, outcome: str | tuple[str, ...]) -> np.ndarray:
    """Waits (s) of the calls with these outcomes, known waits only."""
    sel = calls["outcome"].isin([outcome] if isinstance(outcome, str) else list(outcome))
    return calls.loc[sel, "wait"].dropna().to_numpy(dtype="int64")
