"""Findings on extension state timelines, each with the event and call rows that prove it.

Kinds (thresholds are parameters of :func:`find_all`):

``stuck``               a busy episode (INUSE, BUSY, RINGINUSE, ONHOLD in a row) that outlived the
                        extension's CDR calls by more than ``slack_s``, or lasted over
                        ``stuck_after_s``
``inuse_without_call``  a shorter busy state (at least ``min_s``) with no CDR call at all
``call_without_inuse``  the reverse: an answered call of at least ``min_s`` during which the log
                        kept the extension NOT_INUSE for 90 % or more of the talk time
``flapping``            ``flap_changes`` or more state changes within ``flap_window_s``
``node_move``           consecutive events of one extension from two nodes (the phone moved
                        between servers: the case in which the runbook says INUSE gets lost)
``log_gap``             no event from a node for ``gap_s`` or more while the CDRs show calls of
                        extensions whose events came from that node (its daemon was probably down);
                        calls inside a gap are not reported again as ``call_without_inuse``
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd

from mirtalib.errors import ParameterError
from mirtalib.events.calls import calls_between
from mirtalib.events.coverage import Coverage
from mirtalib.events.model import BUSY_STATES, IDLE_STATES

log = logging.getLogger(__name__)

FINDING_COLUMNS = (
    "finding",
    "kind",
    "extension",
    "tenant",
    "node",
    "start",
    "end",
    "duration_s",
    "detail",
)
KINDS = (
    "stuck",
    "inuse_without_call",
    "call_without_inuse",
    "flapping",
    "node_move",
    "log_gap",
)


@dataclass
class Findings:
    """Findings table plus the evidence rows of each finding.

    Attributes:
        table: one row per finding (:data:`FINDING_COLUMNS`), ids ``F001`` ... in table order.
        events: finding id -> the event rows behind it.
        calls: finding id -> the CDR activity rows behind it.
    """

    table: pd.DataFrame
    events: dict[str, pd.DataFrame] = field(default_factory=dict)
    calls: dict[str, pd.DataFrame] = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        """Number of findings per kind (every kind listed, zero included)."""
        counts = (
            self.table["kind"].value_counts() if not self.table.empty else pd.Series(dtype="int64")
        )
        return pd.DataFrame({"kind": KINDS, "findings": [int(counts.get(k, 0)) for k in KINDS]})

    def of_kind(self, kind: str) -> pd.DataFrame:
        """The findings of one kind."""
        if kind not in KINDS:
            raise ParameterError(f"kind {kind!r} is not one of {', '.join(KINDS)}")
        return self.table[self.table["kind"] == kind].reset_index(drop=True)

    def evidence(self, finding: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(events, calls) behind a finding id such as ``F003``."""
        if finding not in self.events:
            raise ParameterError(f"no finding {finding!r} (known: {len(self.events)} findings)")
        return self.events[finding], self.calls[finding]


@dataclass
class _Builder:
    events: pd.DataFrame
    activity: pd.DataFrame
    rows: list[dict] = field(default_factory=list)
    ev: list[pd.DataFrame] = field(default_factory=list)
    ca: list[pd.DataFrame] = field(default_factory=list)
    ev_node: pd.Series | None = None

    def add(self, kind, ext, node, start, end, detail, margin_s: float = 60.0) -> None:
        margin = pd.Timedelta(seconds=margin_s)
        e = self.events
        sel = (e["time"] >= start - margin) & (e["time"] <= end + margin)
        if ext:
            sel &= e["extension"] == ext
        elif node:
            sel &= e["node"] == node
        self.rows.append(
            {
                "kind": kind,
                "extension": ext,
                "tenant": ext.rsplit("-", 1)[-1] if ext else "",
                "node": node,
                "start": start,
                "end": end,
                "duration_s": (end - start).total_seconds(),
                "detail": detail,
            }
        )
        self.ev.append(e[sel].reset_index(drop=True))
        if ext:
            self.ca.append(calls_between(self.activity, ext, start - margin, end + margin))
        else:
            a = self.activity
            self.ca.append(
                a[(a["node"] == node) & (a["start"] >= start) & (a["start"] < end)].reset_index(
                    drop=True
                )
            )


def busy_episodes(tl: pd.DataFrame) -> pd.DataFrame:
    """Merge consecutive busy intervals (INUSE, RINGINUSE, ...) of each extension into episodes.

    Returns:
        Frame ``extension, node, start, end, duration_s, states, open`` (one row per episode).
    """
    busy = tl["state"].isin(BUSY_STATES)
    new = busy.ne(busy.shift()) | tl["extension"].ne(tl["extension"].shift())
    ep = tl.assign(ep=new.cumsum())[busy]
    if ep.empty:
        return pd.DataFrame(
            columns=["extension", "node", "start", "end", "duration_s", "states", "open"]
        )
    out = ep.groupby("ep", sort=True).agg(
        extension=("extension", "first"),
        node=("node", "first"),
        start=("start", "first"),
        end=("end", "last"),
        open=("open", "last"),
        states=("state", lambda s: "/".join(dict.fromkeys(s))),
    )
    out["duration_s"] = (out["end"] - out["start"]).dt.total_seconds()
    return out.reset_index(drop=True)


def _busy_findings(b: _Builder, tl, cov: Coverage, gaps, slack_s, stuck_after_s, min_s) -> None:
    for r in busy_episodes(tl).itertuples(index=False):
        covered = cov.seconds(r.extension, r.start, r.end)
        unexplained = r.duration_s - covered
        if unexplained > slack_s or r.duration_s > stuck_after_s:
            why = f"{r.states} for {r.duration_s / 60:.0f} min; "
            why += f"CDR calls cover {covered / 60:.0f} min"
            why += " (still open at the end of the window)" if r.open else ""
            if gaps.seconds(r.node, r.start, r.end) > 0:
                why += f"; the log of {r.node} has a gap meanwhile"
            b.add("stuck", r.extension, r.node, r.start, r.end, why)
        elif covered == 0 and r.duration_s >= min_s:
            why = f"{r.states} for {r.duration_s:.0f} s with no CDR call"
            b.add("inuse_without_call", r.extension, r.node, r.start, r.end, why)


def _event_node(activity: pd.DataFrame, events: pd.DataFrame) -> pd.Series:
    """For each activity row, the node of the extension's latest event before the call."""
    ev = events[events["node"].ne("")].sort_values("time")[["time", "extension", "node"]]
    ev = ev.astype({"time": "datetime64[ns]"})
    act = activity[["extension", "start"]].astype({"start": "datetime64[ns]"})
    act = act.reset_index(names="_row").sort_values("start")
    merged = pd.merge_asof(
        act,
        ev.rename(columns={"time": "start", "node": "ev_node"}),
        on="start",
        by="extension",
        direction="backward",
    )
    return merged.set_index("_row")["ev_node"].reindex(activity.index).fillna("")


def _reverse_findings(b: _Builder, tl: pd.DataFrame, gaps: Coverage, min_s: float) -> None:
    idle = Coverage(tl[tl["state"].isin(IDLE_STATES)])
    first = tl.groupby("extension")["start"].min()
    talk = b.activity.assign(ev_node=b.ev_node)
    talk = talk[talk["answer"].notna() & talk["extension"].isin(first.index)]
    talk = talk[(talk["end"] - talk["answer"]).dt.total_seconds() >= min_s]
    for r in talk.itertuples(index=False):
        if r.answer < first[r.extension] or gaps.seconds(r.ev_node, r.answer, r.end) > 0:
            continue  # before the log starts, or during a gap (reported as such)
        length = (r.end - r.answer).total_seconds()
        if idle.seconds(r.extension, r.answer, r.end) >= 0.9 * length:
            why = (
                f"{r.role} of call {r.linkedid or r.uniqueid}: talked {length:.0f} s "
                "while the log said NOT_INUSE"
            )
            b.add("call_without_inuse", r.extension, r.node, r.answer, r.end, why)


def _flapping(b: _Builder, tl: pd.DataFrame, window_s: float, changes: int) -> None:
    win = np.int64(window_s * 1e9)
    for ext, rows in tl.groupby("extension", sort=True):
        t = rows["start"].to_numpy("datetime64[ns]").astype(np.int64)[1:]  # change instants
        if len(t) < changes:
            continue
        j = np.searchsorted(t, t + win, side="right")
        hot = np.flatnonzero(j - np.arange(len(t)) >= changes)
        if hot.size == 0:
            continue
        # merge overlapping hot windows into episodes
        s_idx, e_idx = hot[0], j[hot[0]] - 1
        for i in hot[1:]:
            if i <= e_idx:
                e_idx = max(e_idx, j[i] - 1)
                continue
            _flap(b, ext, rows, t, s_idx, e_idx)
            s_idx, e_idx = i, j[i] - 1
        _flap(b, ext, rows, t, s_idx, e_idx)


def _flap(b, ext, rows, t, s_idx, e_idx) -> None:
    start, end = pd.Timestamp(t[s_idx]), pd.Timestamp(t[e_idx])
    n = int(e_idx - s_idx + 1)
    node = rows["node"].iloc[s_idx + 1]
    b.add(
        "flapping",
        ext,
        node,
        start,
        end,
        f"{n} state changes in {(end - start).total_seconds():.0f} s",
        margin_s=0,
    )


def _node_moves(b: _Builder, events: pd.DataFrame, cov: Coverage) -> None:
    ev = events[events["node"].ne("")].sort_values(["extension", "time"], kind="stable")
    prev_node = ev.groupby("extension")["node"].shift()
    prev_state = ev.groupby("extension")["state"].shift()
    prev_time = ev.groupby("extension")["time"].shift()
    moved = prev_node.notna() & ev["node"].ne(prev_node)
    for idx in ev.index[moved]:
        r = ev.loc[idx]
        in_call = cov.seconds(r["extension"], r["time"] - pd.Timedelta(seconds=1), r["time"]) > 0
        detail = (
            f"{prev_node[idx]} -> {r['node']}: last state on {prev_node[idx]} "
            f"{prev_state[idx]}, first on {r['node']} {r['state']}"
        )
        if prev_state[idx] in BUSY_STATES or in_call:
            detail += "; INUSE at the move" + (" (CDR call in progress)" if in_call else "")
        b.add("node_move", r["extension"], r["node"], prev_time[idx], r["time"], detail)


def _log_gaps(b: _Builder, events: pd.DataFrame, gap_s: float, until) -> pd.DataFrame:
    """Find silent stretches per node with calls of that node's extensions; return them."""
    act = b.activity.assign(ev_node=b.ev_node)
    found = []
    for node, rows in events[events["node"].ne("")].groupby("node", sort=True):
        t = rows["time"].sort_values().to_numpy("datetime64[ns]")
        t = np.append(t, np.datetime64(pd.Timestamp(until).to_datetime64()))
        gaps = np.flatnonzero(np.diff(t).astype(np.int64) >= np.int64(gap_s * 1e9))
        mine = act[act["ev_node"] == node]
        for i in gaps:
            start, end = pd.Timestamp(t[i]), pd.Timestamp(t[i + 1])
            inside = mine[(mine["start"] > start) & (mine["start"] < end)]
            if inside.empty:
                continue
            found.append({"node": node, "start": start, "end": end})
            why = (
                f"no event from {node} for {(end - start).total_seconds() / 60:.0f} min "
                f"while the CDRs show {len(inside)} call legs of its "
                f"{inside['extension'].nunique()} extensions"
            )
            b.add("log_gap", "", node, start, end, why, margin_s=0)
    return pd.DataFrame(found, columns=["node", "start", "end"])


def find_all(
    events: pd.DataFrame,
    timeline: pd.DataFrame,
    activity: pd.DataFrame,
    *,
    until: datetime | str,
    slack_s: float = 600.0,
    stuck_after_s: float = 4 * 3600.0,
    min_s: float = 60.0,
    flap_window_s: float = 120.0,
    flap_changes: int = 12,
    gap_s: float = 1800.0,
) -> Findings:
    """Run every check on one source's events and timeline against the CDR activity.

    Args:
        events: the events of one source (normally the event log).
        timeline: :func:`mirtalib.events.timeline.build_timeline` of those events.
        activity: :func:`mirtalib.events.calls.extension_activity` of the period's CDR legs.
        until: end of the observed window (for gaps at the end).
        slack_s, stuck_after_s, min_s, flap_window_s, flap_changes, gap_s: thresholds (see the
            module docstring).

    Returns:
        Findings sorted by kind (in :data:`KINDS` order), then start, then extension.
    """
    for name, value in [
        ("slack_s", slack_s),
        ("stuck_after_s", stuck_after_s),
        ("min_s", min_s),
        ("flap_window_s", flap_window_s),
        ("gap_s", gap_s),
    ]:
        if not value > 0:
            raise ParameterError(f"{name}={value!r}: must be a positive number of seconds")
    for frame, what in ((events, "events"), (timeline, "timeline")):
        if frame["source"].nunique() > 1:
            raise ParameterError(
                f"{what}: pass the rows of one source (got "
                f"{', '.join(sorted(frame['source'].unique()))})"
            )
    if flap_changes < 2:
        raise ParameterError(f"flap_changes={flap_changes!r}: must be at least 2")
    b = _Builder(events, activity)
    b.ev_node = _event_node(activity, events)
    cov = Coverage(activity)
    gaps = Coverage(_log_gaps(b, events, gap_s, until), key="node")
    _busy_findings(b, timeline, cov, gaps, slack_s, stuck_after_s, min_s)
    _reverse_findings(b, timeline, gaps, min_s)
    _flapping(b, timeline, flap_window_s, flap_changes)
    _node_moves(b, events, cov)
    table = pd.DataFrame(b.rows, columns=[c for c in FINDING_COLUMNS if c != "finding"])
    order = (
        table.assign(k=table["kind"].map(KINDS.index))
        .sort_values(["k", "start", "extension"], kind="stable")
        .index
    )
    table = table.loc[order].reset_index(drop=True)
    ids = [f"F{i + 1:03d}" for i in range(len(table))]
    table.insert(0, "finding", ids)
    return Findings(
        table,
        {i: b.ev[k] for i, k in zip(ids, order, strict=True)},
        {i: b.ca[k] for i, k in zip(ids, order, strict=True)},
    )
