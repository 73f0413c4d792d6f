"""From legs to calls: one row per call, no double counting of fan-out and transfers.

A call is the set of legs sharing a ``linkedid`` (Asterisk gives every leg of a call, transfers
included, the linkedid of the oldest channel). Where linkedid is missing (old layouts), legs are
joined by these rules, as a union-find: a leg with MiRTA's ``prevuniqueid`` belongs with that
leg; legs naming either half of one Local channel (``Local/x@ctx-0001;1`` or ``;2``, as
channel or dstchannel) belong together when their times overlap (within
:data:`LOCAL_TOLERANCE_S`); a leg whose channel is the dstchannel of another leg it overlaps in
time belongs with that leg; and legs sharing a uniqueid belong together.

The time bound on Local names matters: Asterisk numbers Local channels from ``-00000000`` again
after every restart, so the same name names unrelated calls hours or weeks apart. A Local
channel lives without interruption, and every CDR naming it covers part of its life, so the legs
of one call naming it form one chain of overlapping intervals; a gap means another call.

Times: legs carry naive PBX-local times. For durations and overlaps, every leg is placed on the
UTC axis: ``start`` is localized in the PBX time zone (in the repeated hour of a DST change the
occurrence closest to the epoch in the uniqueid is chosen, else the first), then ``end_utc =
start_utc + duration`` and ``answer_utc = end_utc - billsec``. Calls crossing midnight or a DST
change therefore keep their true length.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from mirtalib.cdr.naming import extension_of, leg_direction, leg_tenant, node_of, trunk_of
from mirtalib.errors import ParameterError

log = logging.getLogger(__name__)

# Outcome of a call from its legs' dispositions: the first found in this order.
CALL_OUTCOME_ORDER = ("ANSWERED", "NO ANSWER", "BUSY", "CONGESTION", "FAILED")
#: Seconds of slack when legs naming one Local channel are joined: their intervals must overlap
#: or lie at most this far apart (CDR times are whole seconds).
LOCAL_TOLERANCE_S = 2.0
CALL_COLUMNS = (
    "call_id", "tenant", "direction", "node", "trunk", "start", "end", "day", "hour",
    "weekday", "src", "dst", "caller", "legs", "first_uniqueid", "last_uniqueid", "disposition",
    "answered", "who_answered", "landed", "duration", "billable", "start_utc", "end_utc",
)  # fmt: skip


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = np.arange(n)

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:
            self.parent[i], i = root, self.parent[i]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def utc_seconds(legs: pd.DataFrame, tz: str = "Europe/Rome") -> pd.DataFrame:
    """Start, answer and end of every leg as float seconds since the epoch (UTC).

    Returns:
        DataFrame with ``start_utc``, ``answer_utc`` (NaN when unanswered), ``end_utc``.
    """
    start = legs["start"]
    first = start.dt.tz_localize(
        tz, ambiguous=np.ones(len(start), bool), nonexistent="shift_forward"
    )
    second = start.dt.tz_localize(
        tz, ambiguous=np.zeros(len(start), bool), nonexistent="shift_forward"
    )
    s1 = first.astype("int64").to_numpy() / 1e9 if len(start) else np.array([])
    s2 = second.astype("int64").to_numpy() / 1e9 if len(start) else np.array([])
    epoch = pd.to_numeric(
        legs["uniqueid"].str.extract(r"(\d{9,})\.\d+$")[0], errors="coerce"
    ).to_numpy(dtype=float)
    pick_second = (s1 != s2) & np.isfinite(epoch) & (np.abs(s2 - epoch) < np.abs(s1 - epoch))
    s = np.where(pick_second, s2, s1)
    end = s + legs["duration"].to_numpy(dtype=float)
    answered = legs["answer"].notna().to_numpy()
    answer = np.where(answered, end - legs["billsec"].to_numpy(dtype=float), np.nan)
    return pd.DataFrame({"start_utc": s, "answer_utc": answer, "end_utc": end}, index=legs.index)


def call_keys(legs: pd.DataFrame) -> pd.Series:
    """The call each leg belongs to: its linkedid, else a key joined by the fallback rules."""
    key = legs["linkedid"].str.strip()
    missing = key.eq("")
    if not missing.any():
        return key.astype("str")
    sub = legs.loc[missing]
    n = len(sub)
    uf = _UnionFind(n)
    pos = {u: i for i, u in enumerate(sub["uniqueid"]) if u}
    for i, u in enumerate(sub["uniqueid"]):  # same uniqueid -> same call
        if u and pos[u] != i:
            uf.union(pos[u], i)
    for i, prev in enumerate(sub["prevuniqueid"]):
        if prev and prev in pos:
            uf.union(pos[prev], i)
    starts = sub["start"].to_numpy()
    ends = sub["end"].fillna(sub["start"]).to_numpy()
    _link_local_channels(sub, uf)
    by_dst: dict[str, list[int]] = {}
    for i, d in enumerate(sub["dstchannel"]):
        if d:
            by_dst.setdefault(d, []).append(i)
    for i, ch in enumerate(sub["channel"]):
        for j in by_dst.get(ch, ()):
            if j != i and starts[i] <= ends[j] and starts[j] <= ends[i]:
                uf.union(i, j)
    roots = [uf.find(i) for i in range(n)]
    ids = sub["uniqueid"].where(sub["uniqueid"].ne(""), "row" + sub.index.astype(str))
    fallback = pd.Series(ids.to_numpy()[roots], index=sub.index)
    key = key.where(~missing, fallback)
    return key.astype("str")


def _link_local_channels(sub: pd.DataFrame, uf: _UnionFind) -> None:
    """Union legs naming the same Local channel (either half) whose times overlap.

    Per Local name, the legs are swept in start order: a leg starting no later than
    :data:`LOCAL_TOLERANCE_S` after the latest end seen so far joins the chain, otherwise a new
    chain (another call, e.g. after a restart reused the name) begins.
    """
    start = sub["start"].to_numpy(dtype="datetime64[ns]").astype("int64") / 1e9
    end = sub["end"].to_numpy(dtype="datetime64[ns]").astype("int64") / 1e9
    end = np.fmax(np.where(sub["end"].isna().to_numpy(), np.nan, end), start)
    end = np.fmax(end, start + sub["duration"].to_numpy(dtype=float))
    parts = []
    for col in ("channel", "dstchannel"):
        base = sub[col].str.extract(r"^(Local/[^;]+);[12]$")[0].to_numpy()
        has = pd.notna(base)
        idx = np.flatnonzero(has)
        parts.append(pd.DataFrame({"base": base[has], "s": start[idx], "e": end[idx], "i": idx}))
    named = pd.concat(parts, ignore_index=True).sort_values(["base", "s", "i"], kind="stable")
    if named.empty:
        return
    base = named["base"].to_numpy()
    s, e, i = named["s"].to_numpy(), named["e"].to_numpy(), named["i"].to_numpy()
    same = np.r_[False, base[1:] == base[:-1]]
    group = np.cumsum(~same)
    reach = pd.Series(e).groupby(group).cummax().to_numpy()  # latest end so far in the name
    prev_reach = np.r_[-np.inf, reach[:-1]]
    joins = np.flatnonzero(same & (s <= prev_reach + LOCAL_TOLERANCE_S))
    for k in joins:
        uf.union(int(i[k - 1]), int(i[k]))


def _union_length(frame: pd.DataFrame) -> pd.Series:
    """Per call, the length of the union of [answer_utc, end_utc] intervals (seconds)."""
    ans = frame.dropna(subset=["answer_utc"]).sort_values(["call_id", "answer_utc"])
    if ans.empty:
        return pd.Series(dtype=float)
    prev_end = ans.groupby("call_id")["end_utc"].cummax()
    prev_end = prev_end.groupby(ans["call_id"]).shift(1)
    begin = np.fmax(ans["answer_utc"].to_numpy(), prev_end.to_numpy())
    part = np.clip(ans["end_utc"].to_numpy() - begin, 0, None)
    return pd.Series(part, index=ans.index).groupby(ans["call_id"]).sum()


def annotate_legs(legs: pd.DataFrame, tz: str = "Europe/Rome") -> pd.DataFrame:
    """Legs plus ``call_id, tenant, direction, node, trunk`` and the UTC times, sorted by call."""
    out = legs.copy()
    out["call_id"] = call_keys(legs)
    out["tenant"] = leg_tenant(legs)
    out["direction"] = leg_direction(legs)
    out["node"] = node_of(legs["uniqueid"])
    trunk = trunk_of(legs["channel"])
    out["trunk"] = trunk.where(trunk.ne(""), trunk_of(legs["dstchannel"]))
    out = pd.concat([out, utc_seconds(legs, tz)], axis=1)
    return out.sort_values(["call_id", "start_utc", "uniqueid", "sequence"], kind="stable")


def answering_party(legs: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Who took each (answered) leg, as (person, fallback).

    ``person``: the extension in dstchannel, else MiRTA's wherelanded (queue members behind
    Local channels), else "". ``fallback``: the application when there is no dstchannel
    (``VoiceMail``, ``Playback``), else the dialed number.
    """
    person = extension_of(legs["dstchannel"])
    person = person.where(person.ne(""), legs["wherelanded"]).astype("str")
    app = legs["lastapp"].where(legs["dstchannel"].eq(""), "")
    fallback = app.where(app.ne(""), legs["dst"]).astype("str")
    return person, fallback


def _first_nonempty(frame: pd.DataFrame, col: str) -> pd.Series:
    vals = frame[col].where(frame[col].ne(""))
    return vals.groupby(frame["call_id"], sort=False).first().fillna("").astype("str")


def to_calls(legs: pd.DataFrame, tz: str = "Europe/Rome") -> pd.DataFrame:
    """One row per call (see the module docstring for how legs are grouped).

    Args:
        legs: normalized legs (``load_legs(...).legs``).
        tz: the PBX time zone of the naive timestamps.

    Returns:
        DataFrame with :data:`CALL_COLUMNS`: ``call_id``; ``tenant`` (first leg with one);
        ``direction`` (first leg's: MiRTA's userfield, else from channels); ``node`` (uniqueid
        prefix of the first leg); ``trunk`` (first outside channel); ``start``/``end`` (local);
        ``day``, ``hour``, ``weekday`` (of the start); ``src`` (realsrc or src of the first leg),
        ``dst`` (firstdst or dst of the first leg); ``caller`` (extension of the first leg's
        channel,
        else ``src``); ``legs`` (count); first and last leg
        uniqueids; ``disposition`` (ANSWERED if any leg answered, else NO ANSWER, BUSY,
        CONGESTION, FAILED in this order); ``answered``; ``who_answered`` (the first answered leg's
        person, else its fallback, see :func:`answering_party`); ``landed`` (MiRTA's
        wherelanded of the last leg, else the party of the last answered leg, else the last
        leg's dst); ``duration`` (first start to last
        end, seconds) and ``billable`` (union of the answered intervals of all legs, seconds:
        parallel legs are not added twice); ``start_utc``/``end_utc`` (epoch seconds).
    """
    if legs.empty:
        return _empty_calls()
    a = annotate_legs(legs, tz)
    g = a.groupby("call_id", sort=False)
    first = g.head(1).set_index("call_id")
    last = g.tail(1).set_index("call_id")
    calls = pd.DataFrame(index=first.index)
    calls["tenant"] = _first_nonempty(a, "tenant")
    calls["direction"] = first["direction"]
    calls["node"] = first["node"]
    calls["trunk"] = _first_nonempty(a, "trunk")
    calls["start_utc"] = g["start_utc"].min()
    calls["end_utc"] = g["end_utc"].max()
    calls["start"] = g["start"].min()
    end = pd.to_datetime(calls["end_utc"].round(), unit="s", utc=True)
    calls["end"] = end.dt.tz_convert(tz).dt.tz_localize(None).astype("datetime64[ns]")
    calls["src"] = first["realsrc"].where(first["realsrc"].ne(""), first["src"])
    calls["dst"] = first["firstdst"].where(first["firstdst"].ne(""), first["dst"])
    caller = extension_of(first["channel"])
    caller = caller.where(caller.ne(""), extension_of(first["src"]))
    calls["caller"] = caller.where(caller.ne(""), calls["src"]).astype("str")
    calls["legs"] = g.size()
    calls["first_uniqueid"] = first["uniqueid"]
    calls["last_uniqueid"] = last["uniqueid"]
    rank = a["disposition"].map({d: i for i, d in enumerate(CALL_OUTCOME_ORDER)}).fillna(9)
    best = rank.groupby(a["call_id"], sort=False).min().astype(int)
    calls["disposition"] = best.map(dict(enumerate(CALL_OUTCOME_ORDER))).astype("str")
    calls["answered"] = calls["disposition"].eq("ANSWERED")
    ans = a[a["disposition"].eq("ANSWERED")]
    person, fallback = answering_party(ans)
    by_call = ans["call_id"]
    pick = {}
    for how in ("first", "last"):
        strong = person.where(person.ne("")).groupby(by_call, sort=False).agg(how)
        weak = fallback.where(fallback.ne("")).groupby(by_call, sort=False).agg(how)
        pick[how] = strong.combine_first(weak).reindex(calls.index).fillna("").astype("str")
    calls["who_answered"] = pick["first"]
    final = pick["last"]
    landed = last["wherelanded"].where(last["wherelanded"].ne(""), final)
    calls["landed"] = landed.where(landed.ne(""), last["dst"]).astype("str")
    calls["duration"] = (calls["end_utc"] - calls["start_utc"]).round().astype("int64")
    billable = _union_length(a).reindex(calls.index).fillna(0)
    calls["billable"] = billable.round().astype("int64")
    calls["day"] = calls["start"].dt.normalize()
    calls["hour"] = calls["start"].dt.hour.astype("int64")
    calls["weekday"] = calls["start"].dt.day_of_week.astype("int64")
    calls = calls.reset_index().sort_values(["start", "call_id"], ignore_index=True)
    return calls[list(CALL_COLUMNS)]


def _empty_calls() -> pd.DataFrame:
    types = {
        "start": "datetime64[ns]",
        "end": "datetime64[ns]",
        "day": "datetime64[ns]",
        "answered": "bool",
        "start_utc": "float64",
        "end_utc": "float64",
    }
    ints = {"hour", "weekday", "legs", "duration", "billable"}
    return pd.DataFrame(
        {c: pd.Series(dtype=types.get(c, "int64" if c in ints else "str")) for c in CALL_COLUMNS}
    )


def call_legs(legs: pd.DataFrame, call_id: str, tz: str = "Europe/Rome") -> pd.DataFrame:
    """Drill-down: the legs of one call (with their tenant, direction, node, trunk, UTC times).

    Raises:
        ParameterError: when no leg belongs to ``call_id``.
    """
    a = annotate_legs(legs, tz)
    out = a[a["call_id"] == call_id]
    if out.empty:
        raise ParameterError(f"call_id: no call {call_id!r} among {a['call_id'].nunique()} calls")
    return out.reset_index(drop=True)
