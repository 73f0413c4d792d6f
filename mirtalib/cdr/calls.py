"""From legs to calls: one row per call, no double counting of fan-out and transfers.

A call is the set of legs sharing a ``linkedid`` (Asterisk gives every leg of a call, transfers
included, the linkedid of the oldest channel). Where linkedid is missing (old layouts, cdr_csv
without ``newcdrcolumns``), legs are joined by these rules, as a union-find (:data:`LINK_RULES`):
legs sharing a uniqueid (several CDRs of one channel); a leg with MiRTA's ``prevuniqueid``
belongs with that leg; legs naming either half of one Local channel (``Local/x@ctx-0001;1`` or
``;2``, as channel or dstchannel); and a leg whose channel is the dstchannel of another leg.

Every rule but prevuniqueid (MiRTA's explicit pointer) links legs by a shared *name*, and a
name is unique only for a while: Asterisk numbers channels (``Local/...-00000000``,
``PJSIP/101-ACME-00000001``) from zero again after every restart, so the same name names
unrelated calls hours or weeks apart, and a uniqueid is only as unique as the node's clock and
name. A channel lives without interruption, and each CDR naming it covers part of its life, so
legs are linked by a name only where their times overlap or lie at most
:data:`LINK_TOLERANCE_S` apart (CDR times are whole seconds): never across a gap longer than
that. Uniqueids and Local names are swept in start order (a leg joins the chain of the legs
before it when it starts no later than the tolerance after their latest end); a channel and a
dstchannel link the two legs when their own intervals are that close.

A call whose legs still leave a gap longer than the tolerance (legs joined by prevuniqueid, a
linkedid or uniqueid written twice) is a defect of the data or of the grouping:
:func:`gap_findings` lists it. (A call may well be longer than each of its legs: a transferred
caller's channel writes one CDR per party it talked to, so only a *gap* between the legs shows
a wrong join.)

Times: legs carry naive PBX-local times. For durations and overlaps, every leg is placed on the
UTC axis: ``start`` is localized in the PBX time zone (in the repeated hour of a DST change the
occurrence closest to the epoch in the uniqueid is chosen, else the first), then ``end_utc =
start_utc + duration`` and ``answer_utc = end_utc - billsec``. Calls crossing midnight or a DST
change therefore keep their true length. (The name rules compare the naive times.)

Billable time follows Asterisk's own meaning of billsec: the union of ``[end - billsec, end]``
of the legs whose disposition is ANSWERED and billsec > 0. A NO ANSWER or FAILED leg that
carries an answer time (or billsec) adds nothing; the DuckDB engine (:mod:`mirtalib.cdr.engine`)
counts the same intervals.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from mirtalib.cdr.findings import empty_findings, make_findings, severity
from mirtalib.cdr.naming import EXT_NAME, extension_of, leg_direction, leg_tenant, node_of, trunk_of
from mirtalib.errors import ParameterError

log = logging.getLogger(__name__)

# Outcome of a call from its legs' dispositions: the first found in this order.
CALL_OUTCOME_ORDER = ("ANSWERED", "NO ANSWER", "BUSY", "CONGESTION", "FAILED")
#: Seconds of slack when legs are linked by a shared name (uniqueid, Local channel, channel =
#: dstchannel): their intervals must overlap or lie at most this far apart (CDR times are whole
#: seconds). Also the largest gap between the legs of a call that is not a finding.
LINK_TOLERANCE_S = 2.0
LOCAL_TOLERANCE_S = LINK_TOLERANCE_S  # its first name, when only Local names were bounded
#: The rules joining legs without linkedid, in the order they are applied.
LINK_RULES = ("uniqueid", "prevuniqueid", "Local channel halves", "channel/dstchannel")
#: A Local channel whose exten is an extension name (``Local/101-ACME@phones-00000001;1``).
_LOCAL_EXT = rf"^Local/{EXT_NAME}@[^;]*;[12]$"
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

    def union(self, a: int, b: int) -> bool:
        """Join the sets of ``a`` and ``b``; True when they were apart."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        self.parent[max(ra, rb)] = min(ra, rb)
        return True


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
    return call_grouping(legs)[0]


def call_grouping(legs: pd.DataFrame) -> tuple[pd.Series, dict[str, int]]:
    """:func:`call_keys`, and how many links each of :data:`LINK_RULES` made.

    A link joins two groups of legs that were apart (a rule repeating what an earlier rule
    already joined is not counted); all counts are 0 when every leg has a linkedid.
    """
    links = dict.fromkeys(LINK_RULES, 0)
    key = legs["linkedid"].str.strip()
    missing = key.eq("")
    if not missing.any():
        return key.astype("str"), links
    sub = legs.loc[missing]
    n = len(sub)
    uf = _UnionFind(n)
    start, end = _naive_span(sub)
    uids = sub["uniqueid"].to_numpy(dtype=object)
    has = np.flatnonzero(sub["uniqueid"].ne("").to_numpy())
    links["uniqueid"] = _link_chains(uids[has], start[has], end[has], has, uf)
    pos = {u: i for i, u in enumerate(uids) if u}
    for i, prev in enumerate(sub["prevuniqueid"]):
        if prev and prev in pos:
            links["prevuniqueid"] += uf.union(pos[prev], i)
    links["Local channel halves"] = _link_local_channels(sub, start, end, uf)
    by_dst: dict[str, list[int]] = {}
    for i, d in enumerate(sub["dstchannel"]):
        if d:
            by_dst.setdefault(d, []).append(i)
    tol = LINK_TOLERANCE_S
    for i, ch in enumerate(sub["channel"]):
        for j in by_dst.get(ch, ()):
            if j != i and start[i] <= end[j] + tol and start[j] <= end[i] + tol:
                links["channel/dstchannel"] += uf.union(i, j)
    roots = np.array([uf.find(i) for i in range(n)], dtype="int64")
    ids = sub["uniqueid"].where(sub["uniqueid"].ne(""), "row" + sub.index.astype(str))
    fallback = pd.Series(ids.to_numpy()[roots], index=sub.index)
    # a uniqueid written again later roots another call: number its calls (``uid#2``, ...)
    heads = pd.Series(roots).drop_duplicates()
    nth = heads.groupby(ids.to_numpy()[heads.to_numpy()]).cumcount().to_numpy()
    if (nth > 0).any():
        suffix = dict(zip(heads.to_numpy(), nth, strict=True))
        tag = np.array([f"#{suffix[r] + 1}" if suffix[r] else "" for r in roots], dtype=object)
        fallback = fallback + tag
    key = key.where(~missing, fallback)
    return key.astype("str"), links


def grouping_note(legs: pd.DataFrame, links: dict[str, int] | None = None) -> str:
    """A sentence saying how the calls of ``legs`` were grouped when some legs have no linkedid
    (which rules joined how many legs, and their time bound); "" when every leg has one.

    ``links``: the counts of :func:`call_grouping` when already known (``annotate_legs(legs)
    .attrs["links"]``), else they are computed.
    """
    without = int(legs["linkedid"].str.strip().eq("").sum())
    if not without:
        return ""
    if links is None:
        links = call_grouping(legs)[1]
    return grouping_sentence(without, len(legs), links)


def grouping_sentence(without: int, total: int, links: dict[str, int]) -> str:
    """:func:`grouping_note` from the counts: ``without`` of ``total`` legs have no linkedid,
    and the links each of :data:`LINK_RULES` made; "" when every leg has one."""
    if not without:
        return ""
    used = [f"{rule} ({n:,} links)" for rule, n in links.items() if n]
    unused = [rule for rule, n in links.items() if not n]
    if without == total:
        text = "this CDR source has no linkedid: its calls were joined by "
    else:
        text = f"{without:,} of {total:,} CDR rows have no linkedid: their calls were joined by "
    text += _and(used) if used else "no rule (one call per row)"
    text += (
        f"; legs sharing a uniqueid or a channel name are joined only where their times overlap "
        f"or lie within {LINK_TOLERANCE_S:g} s"
    )
    if unused:
        text += f" ({_and(unused)} joined none)"
    return text


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _naive_span(sub: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Start and end of every leg as naive seconds; the end is at least start + duration."""
    start = sub["start"].to_numpy(dtype="datetime64[ns]").astype("int64") / 1e9
    end = sub["end"].to_numpy(dtype="datetime64[ns]").astype("int64") / 1e9
    end = np.fmax(np.where(sub["end"].isna().to_numpy(), np.nan, end), start)
    end = np.fmax(end, start + sub["duration"].to_numpy(dtype=float))
    return start, end


def _link_chains(
    names: np.ndarray, s: np.ndarray, e: np.ndarray, idx: np.ndarray, uf: _UnionFind
) -> int:
    """Union the legs ``idx`` sharing a name whose times chain; returns the links made.

    Per name, the legs are swept in start order: a leg starting no later than
    :data:`LINK_TOLERANCE_S` after the latest end seen so far joins the chain, otherwise a new
    chain (another call, e.g. after a restart reused the name) begins.
    """
    if not len(idx):
        return 0
    named = pd.DataFrame({"base": names, "s": s, "e": e, "i": idx})
    named = named.sort_values(["base", "s", "i"], kind="stable")
    base = named["base"].to_numpy()
    s, e, i = named["s"].to_numpy(), named["e"].to_numpy(), named["i"].to_numpy()
    same = np.r_[False, base[1:] == base[:-1]]
    group = np.cumsum(~same)
    reach = pd.Series(e).groupby(group).cummax().to_numpy()  # latest end so far in the name
    prev_reach = np.r_[-np.inf, reach[:-1]]
    joins = np.flatnonzero(same & (s <= prev_reach + LINK_TOLERANCE_S))
    return sum(uf.union(int(i[k - 1]), int(i[k])) for k in joins)


def _link_local_channels(
    sub: pd.DataFrame, start: np.ndarray, end: np.ndarray, uf: _UnionFind
) -> int:
    """Union legs naming the same Local channel (either half) whose times chain (see
    :func:`_link_chains`); returns the links made."""
    bases, starts, ends, idxs = [], [], [], []
    for col in ("channel", "dstchannel"):
        base = sub[col].str.extract(r"^(Local/[^;]+);[12]$")[0].to_numpy()
        idx = np.flatnonzero(pd.notna(base))
        bases.append(base[idx])
        starts.append(start[idx])
        ends.append(end[idx])
        idxs.append(idx)
    return _link_chains(
        np.concatenate(bases), np.concatenate(starts), np.concatenate(ends),
        np.concatenate(idxs), uf,
    )  # fmt: skip


def billed(frame: pd.DataFrame) -> pd.Series:
    """True for the legs whose time is billable: disposition ANSWERED and billsec > 0 (an
    answer time on a NO ANSWER or FAILED leg does not count, as in Asterisk)."""
    return frame["disposition"].eq("ANSWERED") & frame["billsec"].gt(0)


def _union_length(frame: pd.DataFrame) -> pd.Series:
    """Per call, the length of the union of the billable intervals ``[end_utc - billsec,
    end_utc]`` of its :func:`billed` legs (seconds)."""
    ans = frame.loc[billed(frame), ["call_id", "end_utc", "billsec"]]
    ans = ans.assign(begin=ans["end_utc"] - ans["billsec"].astype(float))
    ans = ans.sort_values(["call_id", "begin"])
    if ans.empty:
        return pd.Series(dtype=float)
    prev_end = ans.groupby("call_id")["end_utc"].cummax()
    prev_end = prev_end.groupby(ans["call_id"]).shift(1)
    begin = np.fmax(ans["begin"].to_numpy(), prev_end.to_numpy())
    part = np.clip(ans["end_utc"].to_numpy() - begin, 0, None)
    return pd.Series(part, index=ans.index).groupby(ans["call_id"]).sum()


def annotate_legs(legs: pd.DataFrame, tz: str = "Europe/Rome") -> pd.DataFrame:
    """Legs plus ``call_id, tenant, direction, node, trunk`` and the UTC times, sorted by call."""
    out = legs.copy()
    out["call_id"], links = call_grouping(legs)
    out["tenant"] = leg_tenant(legs)
    out["direction"] = leg_direction(legs)
    out["node"] = node_of(legs["uniqueid"])
    trunk = trunk_of(legs["channel"])
    out["trunk"] = trunk.where(trunk.ne(""), trunk_of(legs["dstchannel"]))
    out = pd.concat([out, utc_seconds(legs, tz)], axis=1)
    out = out.sort_values(["call_id", "start_utc", "uniqueid", "sequence"], kind="stable")
    out.attrs["links"] = links  # for grouping_note
    return out


def answering_party(legs: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Who took each (answered) leg, as (person, fallback, rank).

    ``person``: the extension in dstchannel (an extension's PJSIP/SIP/IAX2 channel, or a Local
    channel dialing an extension by name, ``Local/101-ACME@phones-00000001;1``), else MiRTA's
    wherelanded (queue members behind Local channels), else, for the far (``;2``) half of a
    Local channel that dialed nobody, the extension its dialplan ended in (``dst`` =
    ``100-DEVEL`` after a queue member's ``Local/AG-000-NF-1@fromotherpbx`` went to the
    phone), else "". ``fallback``: the application when there is no dstchannel
    (``VoiceMail``, ``Park``), else the dialed number.

    ``rank`` orders the legs for the call's party (lowest first, then leg order): 0 a leg with
    a person; 1 any other leg; 2 the near (``;1``) half of a Local channel that dialed nobody.
    Such a leg is the side that *placed* the call through the Local channel (an originated
    call's ``Wait``/``AppDial2``): it answers because the far side answered, so it never names
    the party while another answered leg can. On production CDRs, where phones are PJSIP
    channels, the first person is the same as before; only the fallback changes, from the
    originate application to what really answered (``Park``, ``VoiceMail``, the dialed
    number).
    """
    dstchannel = legs["dstchannel"]
    person = extension_of(dstchannel)
    local = dstchannel.str.extract(_LOCAL_EXT)
    person = person.where(person.ne(""), (local["number"] + "-" + local["tenant"]).fillna(""))
    person = person.where(person.ne(""), legs["wherelanded"])
    no_dst = dstchannel.eq("")
    far = no_dst & legs["channel"].str.match(r"^Local/[^;]+;2$")
    by_dst = extension_of(legs["dst"]).where(far, "")
    person = person.where(person.ne(""), by_dst).astype("str")
    app = legs["lastapp"].where(no_dst, "")
    fallback = app.where(app.ne(""), legs["dst"]).astype("str")
    near = no_dst & legs["channel"].str.match(r"^Local/[^;]+;1$")
    rank = pd.Series(np.where(person.ne(""), 0, np.where(near, 2, 1)), index=legs.index)
    return person, fallback, rank


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
        channel, else ``src``); ``legs`` (count); first and last leg uniqueids;
        ``disposition`` (ANSWERED if any leg answered, else NO ANSWER, BUSY, CONGESTION,
        FAILED in this order); ``answered``; ``who_answered`` (the party of the first answered
        leg with a person, else the fallback of the first answered leg of the best rank, see
        :func:`answering_party`); ``landed`` (MiRTA's wherelanded of the last leg, else the
        party of the last answered leg chosen the same way, else the last leg's dst);
        ``duration`` (first start to last end, seconds) and ``billable`` (union of the
        billable intervals of the ANSWERED legs with billsec > 0, seconds: parallel legs are
        not added twice); ``start_utc``/``end_utc`` (epoch seconds).
    """
    return calls_and_legs(legs, tz)[0]


def calls_and_legs(
    legs: pd.DataFrame, tz: str = "Europe/Rome"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`to_calls` and the legs it grouped (:func:`annotate_legs`), for checks on both."""
    if legs.empty:
        return _empty_calls(), annotate_legs(legs, tz)
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
    person, fallback, rank = answering_party(ans)
    party = person.where(person.ne(""), fallback)
    best = rank.where(party.ne(""), 9)
    best = best.eq(best.groupby(ans["call_id"], sort=False).transform("min")) & party.ne("")
    chosen = party[best].groupby(ans.loc[best, "call_id"], sort=False)
    pick = {
        how: chosen.agg(how).reindex(calls.index).fillna("").astype("str")
        for how in ("first", "last")
    }
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
    return calls[list(CALL_COLUMNS)], a


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


GAP_KIND = "call longer than its legs"


def leg_gaps(annotated: pd.DataFrame) -> pd.DataFrame:
    """Per call, how much of it its legs cover and the largest gap between them.

    Args:
        annotated: legs with ``call_id`` and UTC times (:func:`annotate_legs`).

    Returns:
        One row per call: ``call_id``, ``span`` (first start to last end), ``covered`` (the
        union of the legs' ``[start, start + duration]``) and ``gap`` (the longest stretch
        no leg covers), seconds.
    """
    if annotated.empty:
        cols = {"call_id": "str", "span": "float64", "covered": "float64", "gap": "float64"}
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in cols.items()})
    legs = annotated[["call_id", "start_utc", "end_utc"]].sort_values(["call_id", "start_utc"])
    s, e = legs["start_utc"].to_numpy(), np.fmax(legs["end_utc"], legs["start_utc"]).to_numpy()
    by = legs["call_id"].to_numpy()
    reach = pd.Series(e).groupby(by).cummax().to_numpy()
    prev = pd.Series(reach).groupby(by).shift(1).to_numpy()
    first = np.isnan(prev)
    gap = np.where(first, 0.0, np.clip(s - prev, 0, None))
    part = np.clip(e - np.where(first, s, np.fmax(s, prev)), 0, None)
    frame = pd.DataFrame({"call_id": by, "s": s, "e": e, "gap": gap, "part": part})
    out = frame.groupby("call_id", sort=False).agg(
        first=("s", "min"), last=("e", "max"), covered=("part", "sum"), gap=("gap", "max")
    )
    out["span"] = out["last"] - out["first"]
    return out.reset_index()[["call_id", "span", "covered", "gap"]]


def gap_findings(
    calls: pd.DataFrame, annotated: pd.DataFrame, tolerance: float = LINK_TOLERANCE_S
) -> pd.DataFrame:
    """Calls longer than their legs: a gap of more than ``tolerance`` seconds between legs.

    Legs are linked by names only across gaps up to the tolerance, so such a call holds legs
    joined by a linkedid or uniqueid written twice (clock or node name reused) or by
    prevuniqueid: the call (and so its counts, duration and concurrency) is suspect. One
    finding per call, with its legs in the reason; strength = the gap in seconds (severity
    medium from a minute, high from an hour).
    """
    gaps = leg_gaps(annotated)
    gaps = gaps[gaps["gap"] > tolerance]
    if gaps.empty:
        return empty_findings()
    info = calls.set_index("call_id")
    rows = []
    for r in gaps.itertuples(index=False):
        call = info.loc[r.call_id]
        legs = annotated[annotated["call_id"] == r.call_id]
        shown = [
            f"{(leg.uniqueid or leg.channel or '?')} {leg.start:%Y-%m-%d %H:%M:%S} "
            f"+{int(leg.duration)} s"
            for leg in legs.head(6).itertuples()
        ]
        more = f" and {len(legs) - 6} more" if len(legs) > 6 else ""
        rows.append(
            {
                "kind": GAP_KIND,
                "tenant": call["tenant"],
                "subject": r.call_id,
                "start": call["start"],
                "end": call["end"],
                "calls": 1,
                "call_ids": [r.call_id],
                "strength": float(r.gap),
                "severity": severity(float(r.gap), 60, 3600),
                "reason": f"{len(legs)} legs cover {r.covered:,.0f} s of the call's "
                f"{r.span:,.0f} s, with a gap of {r.gap:,.0f} s between them (more than "
                f"{tolerance:g} s): legs {'; '.join(shown)}{more}",
            }
        )
    return make_findings(rows)


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
