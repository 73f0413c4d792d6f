"""Each source of the incident view, read through the library that owns it.

Every ``gather_*`` function takes the :class:`~mirtalib.incident.params.IncidentParams`, the
window and what earlier sources found (:class:`Scope`), adds its tables and findings to the
:class:`Collected` and says in one line what it read, or what it would have checked and why it
could not (a source not given, not configured or unreadable never stops the others).
Findings come from the owners' rules, never restated here: the events findings of
:func:`mirtalib.events.findings.find_all`, the recording gaps of the coverage audit
(:func:`mirtalib.recording.report.run_coverage`), the queue outcomes of
:func:`mirtalib.queues.queue_calls`, pages 17's and 40's CPU rules in
:mod:`mirtalib.vmware.perf_findings` / :mod:`mirtalib.vmware.findings`, page 11's state copies
(:func:`mirtalib.runbooks.p11_extension_state.three_way`) and page 43's registration command.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from mirtalib.cdr.calls import calls_and_legs
from mirtalib.cdr.load import normalize_tenants
from mirtalib.data.db import Database, demo_selected, open_database
from mirtalib.errors import MirtaError
from mirtalib.incident.params import NONE, IncidentParams

log = logging.getLogger(__name__)

FINDING_COLUMNS = (
    "kind", "source", "subject", "node", "start", "end", "strength", "subject_match", "text",
)  # fmt: skip
CHECKED_COLUMNS = ("source", "status", "what")
LEG_COLUMNS = (
    "call_id", "start", "answer", "end", "disposition", "billsec", "src", "dst", "channel",
    "dstchannel", "lastapp", "lastdata", "wherelanded", "node", "trunk", "uniqueid",
)  # fmt: skip
LEVEL_STRENGTH = {"harmful": 1.0, "at risk": 0.6}
_LOST = ("abandoned", "timeout", "exitempty", "exitkey", "withdrawn", "failed")


@dataclass
class Scope:
    """What the complaint is about, widened by what the sources found."""

    extensions: list[str] = field(default_factory=list)
    nodes: list[str] = field(default_factory=list)
    uniqueids: set[str] = field(default_factory=set)
    db: Database | None = None


@dataclass
class Collected:
    """Tables, findings (with their evidence rows) and the line per source."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    findings: list[dict] = field(default_factory=list)
    evidence: list[pd.DataFrame] = field(default_factory=list)
    checked: list[dict] = field(default_factory=list)
    series: dict[str, pd.DataFrame] = field(default_factory=dict)

    def add(self, evidence: pd.DataFrame, **finding) -> None:
        """One finding (:data:`FINDING_COLUMNS`) and the rows behind it."""
        self.findings.append({c: finding.get(c, "") for c in FINDING_COLUMNS})
        self.evidence.append(evidence.reset_index(drop=True))

    def line(self, source: str, status: str, what: str) -> None:
        """The line saying what a source gave (``read``) or why not (``absent``/``failed``)."""
        self.checked.append({"source": source, "status": status, "what": what})


def short(text: str) -> str:
    """A description without folders (reports carry no absolute paths)."""
    return re.sub(r"(?:[A-Za-z]:)?[\\/](?:[^\s\\/,]+[\\/])*([^\s\\/,]+)", r"\1", str(text))


def hm(t) -> str:
    """``10:42`` (``10:42:05`` when the seconds matter)."""
    t = pd.Timestamp(t)
    return f"{t:%H:%M}" if t.second == 0 else f"{t:%H:%M:%S}"


def context(p: IncidentParams, w0, w1) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The period events and calls are read for: ``context_hours`` around the window, so a
    state stuck since the morning is seen from its start to its end."""
    ctx = pd.Timedelta(hours=float(p.context_hours))
    return w0 - ctx, w1 + ctx


def _overlaps(frame: pd.DataFrame, w0, w1, start="start", end="end") -> pd.Series:
    end_ = frame[end].fillna(frame[start])
    return (frame[start] <= w1) & (end_ >= w0)


# ---- CDR ------------------------------------------------------------------------------------
def _digits(series: pd.Series) -> pd.Series:
    return series.fillna("").astype(str).str.replace(r"\D", "", regex=True)


def _number_hit(legs: pd.DataFrame, digits: str) -> pd.Series:
    hit = pd.Series(False, index=legs.index)
    if not digits:
        return hit
    for col in ("src", "dst", "realsrc", "firstdst", "lastdst", "clid"):
        if col not in legs:
            continue
        d = _digits(legs[col])
        longer = d.str.endswith(digits) if len(digits) >= 6 else d.eq(digits)
        shorter = d.map(lambda v: len(v) >= 6 and digits.endswith(v))
        hit |= d.ne("") & (d.eq(digits) | longer | shorter)
    return hit


def _extension_hit(
    legs: pd.DataFrame, ext: str, cols=("channel", "dstchannel", "wherelanded", "lastdata")
) -> pd.Series:
    """Legs whose channels, landing point or dial string name the extension."""
    if not ext:
        return pd.Series(False, index=legs.index)
    pat = rf"(?:^|/){re.escape(ext)}(?:[-@;&,]|$)"
    hit = pd.Series(False, index=legs.index)
    for col in [c for c in cols if c in legs]:
        hit |= legs[col].fillna("").astype(str).str.contains(pat, regex=True)
    return hit


def gather_calls(p: IncidentParams, w0, w1, scope: Scope, out: Collected) -> None:
    """The calls and legs touching the extension / number / queue / node in the window."""
    from mirtalib.cdr import load_legs
    from mirtalib.cdr.report import resolve_source

    try:
        src = resolve_source(p.source)
        if isinstance(src, Database):
            scope.db = src
        t0, t1 = context(p, w0, w1)
        load = load_legs(src, t0, t1, p.tenants, columns=p.columns or None)
    except MirtaError as exc:
        out.line("CDR", "absent", f"calls and legs of the window not read: {exc}")
        out.tables["legs"] = pd.DataFrame(columns=list(LEG_COLUMNS))
        out.tables["calls"] = pd.DataFrame()
        out.tables["context_legs"] = pd.DataFrame()
        return
    out.tables["context_legs"] = load.legs
    calls, legs = calls_and_legs(load.legs, p.timezone)
    legs = legs.reset_index(drop=True)
    in_window = _overlaps(legs, w0, w1)
    ext = p.extension.strip()
    match = _extension_hit(legs, ext) | _number_hit(legs, p.digits())
    if p.queue:
        q = p.queue.strip()
        match |= legs["lastdata"].astype(str).str.contains(re.escape(q)) | legs["dst"].eq(q)
    if not (ext or p.number or p.queue):
        match = legs["node"].eq(p.node) if p.node else pd.Series(True, index=legs.index)
    ids = set(legs.loc[match & in_window, "call_id"])
    mine = legs[legs["call_id"].isin(ids)].sort_values(["start", "call_id"], kind="stable")
    mine = mine[[c for c in LEG_COLUMNS if c in mine]].reset_index(drop=True)
    chosen = calls[calls["call_id"].isin(ids)].sort_values("start", kind="stable")
    out.tables["legs"] = mine
    out.tables["calls"] = chosen.reset_index(drop=True)
    scope.uniqueids |= set(mine["uniqueid"]) | set(chosen["call_id"])
    nodes = [n for n in dict.fromkeys(mine["node"]) if n]
    scope.nodes = [p.node] if p.node else nodes
    if ext:
        scope.extensions = [ext]
    else:
        from mirtalib.events.calls import extension_activity

        act = extension_activity(load.legs[load.legs["uniqueid"].isin(set(mine["uniqueid"]))])
        scope.extensions = sorted(set(act["extension"]))[:6]
    what = "who" if ext or p.number or p.queue else "every call"
    out.line(
        "CDR",
        "read",
        f"{len(chosen)} call(s), {len(mine)} leg(s) in the window ({what} matched) from "
        f"{short(load.source)}; {len(load.rejects)} row(s) rejected",
    )
    _unanswered(p, w0, w1, mine, out)


def _unanswered(p: IncidentParams, w0, w1, legs: pd.DataFrame, out: Collected) -> None:
    """Calls to the extension (or of the number) in the window that nobody answered."""
    ext = p.extension.strip()
    if ext:
        to_ext = legs[_extension_hit(legs, ext, ("dstchannel", "wherelanded", "lastdata"))]
        who = f"to {ext}"
    elif p.number:
        to_ext = legs[_number_hit(legs, p.digits())]
        who = f"of {p.number}"
    else:
        return
    if to_ext.empty:
        return
    per_call = to_ext.groupby("call_id").agg(
        start=("start", "min"),
        end=("end", "max"),
        answered=("disposition", lambda d: bool((d == "ANSWERED").any())),
        disposition=("disposition", "last"),
    )
    lost = per_call[~per_call["answered"]]
    if lost.empty:
        return
    kinds = ", ".join(f"{k} {n}" for k, n in lost["disposition"].value_counts().items())
    out.add(
        to_ext[to_ext["call_id"].isin(lost.index)],
        kind="calls_unanswered",
        source="CDR",
        subject=ext or p.number,
        node=", ".join(sorted(set(to_ext["node"]) - {""})),
        start=lost["start"].min(),
        end=lost["end"].max(),
        strength=round(len(lost) / len(per_call), 3),
        subject_match=True,
        text=f"{len(lost)} of {len(per_call)} call(s) {who} between {hm(w0)} and {hm(w1)} "
        f"were not answered ({kinds})",
    )


# ---- extension events -----------------------------------------------------------------------
_EVENT_STRENGTH = {
    "stuck": 1.0,
    "inuse_without_call": 1.0,
    "flapping": 0.8,
    "log_gap": 0.8,
    "call_without_inuse": 0.6,
}


def _event_source(p: IncidentParams, t0, w1, scope: Scope) -> tuple[pd.DataFrame, str, str]:
    """Events of the extensions' tenants: the event log, else the AMI captures of logs_dir."""
    from mirtalib.events import load_event_log, load_log_files

    notes = []
    tenants = normalize_tenants(p.tenants) or sorted(
        {e.rsplit("-", 1)[-1] for e in scope.extensions}
    )
    try:
        db = scope.db or open_database()
        load = load_event_log(db, t0, w1, tenants=tenants or None)
        ev = load.events
        if ev["extension"].isin(scope.extensions).any() or (ev.size and not scope.extensions):
            return ev, "event log", f"{len(ev)} event-log row(s) of {short(db.description)}"
        notes.append("the event log has no row for them")
    except MirtaError as exc:
        notes.append(f"event log: {exc}")
    folder = _folder(p.logs_dir, "logs_dir", "logs_dir")
    if folder is None:
        notes.append("no logs_dir with AMI captures given")
        raise LookupError("; ".join(notes))
    logs = load_log_files(folder, timezone=p.timezone)
    ev = logs.events
    ev = ev[ev["source"].str.startswith("ami:") & ev["kind"].eq("custom")]
    ev = ev[(ev["time"] >= t0) & (ev["time"] < w1)].assign(source="ami")
    if ev.empty:
        notes.append("the AMI captures have no custom device state in the period")
        raise LookupError("; ".join(notes))
    return ev.reset_index(drop=True), "AMI capture", f"{len(ev)} AMI custom device state event(s)"


def _folder(value: str, what: str, attr: str) -> Path | None:
    text = (value or "").strip()
    if text == NONE:
        return None
    if text:
        return Path(text)
    if demo_selected():
        from mirtalib.demo import require_demo

        return Path(getattr(require_demo(what), attr))
    return None


def gather_events(p: IncidentParams, w0, w1, scope: Scope, out: Collected) -> None:
    """State timeline of the extensions and the events findings touching the window."""
    from mirtalib.events import build_timeline, clip, extension_activity, find_all

    if not scope.extensions:
        out.line(
            "events",
            "absent",
            "no extension given or found in the calls: state timeline "
            "and stuck/flapping/node-move/log-gap findings not checked",
        )
        return
    t0, t1 = context(p, w0, w1)
    try:
        events, kind, described = _event_source(p, t0, t1, scope)
    except (LookupError, MirtaError) as exc:
        out.line(
            "events",
            "absent",
            f"state timeline of {', '.join(scope.extensions)} and the "
            f"stuck/flapping/node-move/log-gap findings not checked: {exc}",
        )
        return
    legs = out.tables.get("context_legs")
    act = extension_activity(legs if legs is not None and len(legs) else pd.DataFrame())
    timeline = build_timeline(events, until=t1)
    found = find_all(
        events, timeline, act, until=t1,
        slack_s=float(p.stuck_slack_min) * 60, min_s=float(p.min_inuse_s),
    )  # fmt: skip
    mine = timeline[timeline["extension"].isin(scope.extensions)]
    out.tables["states"] = clip(mine, w0, w1).reset_index(drop=True)
    ev_w = events[events["extension"].isin(scope.extensions)]
    out.tables["events"] = ev_w[(ev_w["time"] >= w0) & (ev_w["time"] <= w1)].reset_index(drop=True)
    if not scope.nodes:
        scope.nodes = [n for n in dict.fromkeys(ev_w["node"]) if n][-1:]
    table = found.table
    near = table[_overlaps(table, w0, w1)]
    near = near[
        near["extension"].isin(scope.extensions)
        | (near["extension"].eq("") & near["node"].isin(scope.nodes))
    ]
    calls = act[act["extension"].isin(scope.extensions)]
    for r in near.itertuples(index=False):
        ev_rows, call_rows = found.evidence(r.finding)
        strength = _EVENT_STRENGTH.get(r.kind, 0.6)
        if r.kind == "node_move":
            strength = 1.0 if "INUSE at the move" in r.detail else 0.6
        text = _event_text(r, calls, w0, w1)
        evidence = (
            pd.concat(
                [
                    ev_rows.assign(row="event")[
                        ["row", "time", "extension", "state", "event", "node"]
                    ],
                    call_rows.assign(
                        row="call",
                        time=call_rows["start"],
                        state=call_rows["disposition"],
                        event=call_rows["role"],
                    )[["row", "time", "extension", "state", "event", "node"]],
                ],
                ignore_index=True,
            )
            if len(call_rows)
            else ev_rows.assign(row="event")[["row", "time", "extension", "state", "event", "node"]]
        )
        out.add(
            evidence,
            kind=r.kind,
            source=kind,
            subject=r.extension or r.node,
            node=r.node,
            start=r.start,
            end=r.end,
            strength=strength,
            subject_match=bool(r.extension) or r.node in scope.nodes,
            text=text,
        )
    out.line(
        "events",
        "read",
        f"{described}; {len(mine)} state interval(s) of "
        f"{', '.join(scope.extensions)}; {len(near)} finding(s) in the window",
    )


def _event_text(r, calls: pd.DataFrame, w0, w1) -> str:
    where = f" on {r.node}" if r.node else ""
    span = f"from {hm(r.start)} to {hm(r.end)}"
    if r.kind in ("stuck", "inuse_without_call"):
        state = r.detail.split(" for ", 1)[0]
        inside = calls[
            (calls["role"] == "callee")
            & (calls["start"] >= max(r.start, w0))
            & (calls["start"] <= min(r.end, w1))
        ]
        text = f"{state} without a call {span}{where} ({r.detail})"
        if len(inside):
            lost = inside[inside["answer"].isna()]
            text += (
                f": {len(inside)} call(s) to {r.extension} in that window, {len(lost)} not answered"
            )
        return text
    label = str(r.kind).replace("_", " ")
    return f"{label} {r.extension or r.node} {span}{where}: {r.detail}"


# ---- recordings -----------------------------------------------------------------------------
_GAP_KIND = {"missing": "recording_missing", "broken": "recording_broken"}


def gather_recordings(p: IncidentParams, w0, w1, scope: Scope, out: Collected) -> None:
    """The coverage audit of the window, kept for the calls found."""
    from mirtalib.recording.report import run_coverage

    if (p.recordings_dir or "").strip() == NONE:
        out.line(
            "recordings",
            "absent",
            "recordings_dir is '-': whether the calls should have "
            "been recorded (and were) not checked",
        )
        return
    if not scope.uniqueids:
        out.line("recordings", "absent", "no call found: no recording to audit")
        return
    folder = _folder(p.recordings_dir, "recordings_dir", "recordings_dir")
    db_url = p.source if "://" in (p.source or "") else None
    try:
        result = run_coverage(
            w0.floor("min"), w1.ceil("min"), p.tenants, db_url=db_url,
            inventory_source="local" if folder else "db",
            recordings_dir=folder or "",
        )  # fmt: skip
    except MirtaError as exc:
        out.line(
            "recordings",
            "absent",
            f"recording policy, files and transcripts of the calls not checked: {exc}",
        )
        return
    audit = result.audit
    legs = audit.legs[audit.legs["uniqueid"].isin(scope.uniqueids)]
    cols = [
        c
        for c in (
            "uniqueid",
            "parties",
            "policy",
            "policy_owner",
            "status",
            "n_recordings",
            "quality",
            "transcript_due",
            "transcript_present",
        )
        if c in legs
    ]
    recs = audit.recordings
    rec = recs[recs["uniqueid"].isin(scope.uniqueids)] if "uniqueid" in recs else recs.iloc[:0]
    paths = rec.groupby("uniqueid")["relpath"].agg(", ".join) if len(rec) else pd.Series(dtype=str)
    table = legs[cols].copy()
    table["recording"] = table["uniqueid"].map(dict(paths.items())).astype(object).fillna("")
    out.tables["recordings"] = table.reset_index(drop=True)
    gaps = audit.gaps
    gaps = gaps[gaps["uniqueid"].isin(scope.uniqueids) | gaps["linkedid"].isin(scope.uniqueids)]
    legs_by_uid = out.tables["legs"].drop_duplicates("uniqueid").set_index("uniqueid")
    for g in gaps.itertuples(index=False):
        when = legs_by_uid["start"].get(g.uniqueid, w0)
        until = legs_by_uid["end"].get(g.uniqueid, when)
        kind = _GAP_KIND.get(g.gap, "recording_other")
        strength = 1.0 if kind != "recording_other" else (0.5 if g.gap == "unexpected" else 0.6)
        what = {"missing": "should have been recorded but no recording was found"}.get(
            g.gap, str(g.gap).replace("_", " ")
        )
        out.add(
            gaps[gaps["uniqueid"] == g.uniqueid],
            kind=kind,
            source="recording audit",
            subject=g.parties or g.uniqueid,
            node=g.uniqueid.split("-", 1)[0] if "-" in g.uniqueid else "",
            start=when,
            end=until,
            strength=strength,
            subject_match=True,
            text=f"call {g.parties} at {hm(when)} ({g.uniqueid}) {what}: {g.detail}",
        )
    out.line(
        "recordings",
        "read",
        f"{len(table)} leg(s) of the calls audited "
        f"({result.inventory_source} inventory); {len(gaps)} gap(s)",
    )


# ---- queue log ------------------------------------------------------------------------------
def gather_queue(p: IncidentParams, w0, w1, scope: Scope, out: Collected) -> None:
    """Queue calls and events of the calls found (or of the queue / extension named)."""
    from mirtalib.cdr.report import resolve_source
    from mirtalib.queues import load_queue_log, queue_calls

    text = (p.queue_log or "").strip()
    if text == NONE:
        out.line(
            "queue log",
            "absent",
            "queue_log is '-': queue waits, abandons and ring-no-answers of the calls not checked",
        )
        return
    try:
        src = text if text else (scope.db or resolve_source(p.source))
        if isinstance(src, str) and not text:
            raise MirtaError("the CDR source is a file; give queue_log")
        load = load_queue_log(src, w0 - pd.Timedelta(hours=1), w1, p.tenants, p.timezone)
    except MirtaError as exc:
        out.line(
            "queue log", "absent", f"queue waits, abandons and ring-no-answers not checked: {exc}"
        )
        return
    ev = load.events
    calls = queue_calls(ev)
    ext, q = p.extension.strip(), p.queue.strip()
    hit = calls["callid"].isin(scope.uniqueids)
    if q:
        hit |= calls["queue"].eq(q)
    if ext:
        hit |= calls["agent"].eq(ext)
    mine = calls[hit & _overlaps(calls, w0, w1, start="enter")].reset_index(drop=True)
    events = ev[ev["callid"].isin(set(mine["callid"]))]
    rna = (
        ev[
            (ev["event"] == "RINGNOANSWER")
            & ev["agent"].eq(ext)
            & (ev["time"] >= w0)
            & (ev["time"] <= w1)
        ]
        if ext
        else ev.iloc[:0]
    )
    cols = ["time", "callid", "queuename", "agent", "event", "data1", "data2", "data3"]
    out.tables["queue_calls"] = mine
    out.tables["queue_events"] = (
        pd.concat([events, rna]).drop_duplicates().sort_values("time")[cols].reset_index(drop=True)
    )
    lost = mine[mine["outcome"].isin(_LOST)]
    if len(lost):
        kinds = ", ".join(f"{k} {n}" for k, n in lost["outcome"].value_counts().items())
        out.add(
            lost,
            kind="queue_lost",
            source="queue log",
            subject=", ".join(sorted(set(lost["queue"]))),
            node=", ".join(sorted(set(lost["node"]) - {""})),
            start=lost["enter"].min(),
            end=lost["end"].max(),
            strength=round(len(lost) / len(mine), 3),
            subject_match=True,
            text=f"{len(lost)} of {len(mine)} queue call(s) lost ({kinds}); longest wait "
            f"{int(lost['wait'].max()) if lost['wait'].notna().any() else 0} s",
        )
    if len(rna):
        out.add(
            rna[cols],
            kind="queue_ring_no_answer",
            source="queue log",
            subject=ext,
            node="",
            start=rna["time"].min(),
            end=rna["time"].max(),
            strength=min(1.0, len(rna) / 3),
            subject_match=True,
            text=f"{ext} did not answer {len(rna)} queue ring(s) between {hm(rna['time'].min())} "
            f"and {hm(rna['time'].max())}",
        )
    out.line(
        "queue log",
        "read",
        f"{len(mine)} queue call(s) and {len(out.tables['queue_events'])} "
        f"event(s) of the window from {short(load.source)}",
    )


# ---- CPU ------------------------------------------------------------------------------------
def gather_cpu(p: IncidentParams, w0, w1, scope: Scope, out: Collected) -> None:
    """Load against cores, steal, VMware ready / co-stop of the node(s) in the window."""
    from mirtalib.vmware import assess, load_folder
    from mirtalib.vmware.findings import DEFAULT_THRESHOLDS as TH
    from mirtalib.vmware.perf_findings import (
        counter_findings,
        counter_stats,
        guest_findings,
        load_finding,
    )

    if not scope.nodes:
        out.line(
            "CPU", "absent", "no node given or found: load, steal, ready and co-stop not checked"
        )
        return
    folder = _folder(p.vmware_dir, "vmware_dir", "vmware_dir")
    if folder is None:
        out.line(
            "CPU",
            "absent",
            f"no vmware_dir given: load against cores (page 17), steal, "
            f"VMware ready and co-stop (page 40) of {', '.join(scope.nodes)} not checked",
        )
        return
    try:
        inputs = load_folder(folder)
        result = assess(inputs, TH)
    except MirtaError as exc:
        out.line("CPU", "absent", f"VMware / guest exports not read: {exc}")
        return
    vms = p.vm_of()
    vcpus = dict(zip(inputs.inventory.vms["vm"], inputs.inventory.vms["vcpus"], strict=True))
    stats_parts, said = [], []
    for node in scope.nodes:
        vm = vms.get(node, node)
        pct = result.pct[
            (result.pct["vm"] == vm) & (result.pct["time"] >= w0) & (result.pct["time"] <= w1)
        ]
        guest = inputs.guests.get(vm)
        if guest is not None:
            guest = guest[(guest["time"] >= w0) & (guest["time"] <= w1)]
        rows = []
        if len(pct):
            stats = counter_stats(pct)
            stats_parts.append(stats)
            for source, part in stats.groupby("source", sort=True):
                rows.append(counter_findings(part, [vm], TH).assign(source=source))
            for counter in ("demand", "usage"):
                u = pct[pct["counter"] == counter]
                if len(u) and vm in vcpus:
                    busy = (u["pct"] / 100.0 * vcpus[vm]).reset_index(drop=True)
                    rows.append(
                        pd.DataFrame(
                            [
                                load_finding(
                                    vm, busy, float(vcpus[vm]), what=f"busy vCPUs (cpu.{counter})"
                                )
                            ]
                        ).assign(source="")
                    )
                    break
            shown = pct[pct["counter"].isin(["ready", "costop"])]
            for (counter, source), part in shown.groupby(["counter", "source"]):
                out.series[f"{node} {counter} ({source})"] = part[["time", "pct"]]
        if guest is not None and len(guest):
            rows.append(guest_findings(vm, guest, TH).assign(source=""))
            out.series[f"{node} steal (guest)"] = guest[["time", "steal_pct"]].rename(
                columns={"steal_pct": "pct"}
            )
        if not rows:
            said.append(f"{node}: no counter or guest sample of VM {vm} in the window")
            continue
        found = pd.concat(rows, ignore_index=True)
        config = result.findings[
            (result.findings["subject"] == vm)
            & result.findings["check"].isin(
                ["host vCPU:core ratio", "PBX width", "CPU reservation"]
            )
        ]
        for f in found.itertuples(index=False):
            if f.level not in LEVEL_STRENGTH:
                continue
            source = f.source
            since = _since(pct[pct["source"] == source] if source else pct, guest, f.check, w0)
            out.add(
                found[(found["check"] == f.check) & found["source"].eq(f.source)],
                kind="cpu",
                source="VMware/guest",
                subject=node,
                node=node,
                start=since,
                end=w1,
                strength=LEVEL_STRENGTH[f.level],
                subject_match=True,
                text=f"{f.check} on {node} from {hm(since)}: {f.value} ({f.level}; {f.threshold})",
            )
        for f in config.itertuples(index=False):
            if f.level in LEVEL_STRENGTH:
                out.add(
                    config[config["check"] == f.check],
                    kind="vm_config",
                    source="VMware inventory",
                    subject=node,
                    node=node,
                    start=w0,
                    end=w1,
                    strength=LEVEL_STRENGTH[f.level],
                    subject_match=False,
                    text=f"{f.check} of {node}: {f.value} ({f.level}; {f.action})",
                )
        said.append(
            f"{node}: {len(pct)} counter value(s), "
            f"{0 if guest is None else len(guest)} guest sample(s)"
        )
    out.tables["cpu"] = pd.concat(stats_parts, ignore_index=True) if stats_parts else pd.DataFrame()
    out.line("CPU", "read", "; ".join(said) + f" ({', '.join(inputs.files)})")


def _since(pct: pd.DataFrame, guest: pd.DataFrame | None, check: str, w0) -> pd.Timestamp:
    """First sample in the window at or above the rule's 'at risk' threshold."""
    from mirtalib.vmware.findings import DEFAULT_THRESHOLDS as TH

    if check.startswith("ready"):
        s, limit = pct[pct["counter"] == "ready"], TH.ready_risk
    elif check.startswith("co-stop"):
        s, limit = pct[pct["counter"] == "costop"], TH.costop_risk
    elif check.startswith("steal") and guest is not None:
        s, limit = guest.rename(columns={"steal_pct": "pct"}), TH.steal_risk
    else:
        return pd.Timestamp(w0)
    over = s[s["pct"] >= limit]
    return pd.Timestamp(over["time"].min()) if len(over) else pd.Timestamp(w0)


# ---- registrations and state copies now (targets) -------------------------------------------
def gather_targets(p: IncidentParams, at, scope: Scope, out: Collected) -> None:
    """Registrations of the phone and page 11's three copies of its state, on each target now."""
    if not (p.targets or "").strip():
        out.line(
            "registrations",
            "absent",
            "no targets given: where the phone is registered and "
            "page 11's state copies (DB, device state, queue) not checked",
        )
        return
    if not scope.extensions:
        out.line("registrations", "absent", "no extension given or found: nothing to look up")
        return
    from mirtalib.asterisk.pjsip import parse_pjsip_show
    from mirtalib.runbooks.p11_extension_state import RUNBOOK as P11
    from mirtalib.runbooks.p11_extension_state import three_way
    from mirtalib.runbooks.p43_clustering_and_high_availability import CONTACT_COMMANDS

    try:
        rb = P11.open(p.targets, extensions=",".join(scope.extensions), tenant="")
    except MirtaError as exc:
        out.line("registrations", "absent", f"targets not opened: {exc}")
        return
    regs, copies = [], []
    try:
        for t in rb.targets:
            try:
                res = t.run(CONTACT_COMMANDS["pjsip"])
                for c in parse_pjsip_show(res.stdout).contacts:
                    if c.aor in scope.extensions:
                        regs.append(
                            {
                                "node": t.name,
                                "extension": c.aor,
                                "status": c.status,
                                "rtt_ms": c.rtt_ms,
                                "contact": c.uri,
                            }
                        )
                table, _errors = three_way(t, rb.values)
                copies.append(table.assign(node=t.name))
            except MirtaError as exc:
                out.line("registrations", "failed", f"{t.name}: {exc}")
    finally:
        rb.close()
    reg = pd.DataFrame(regs, columns=["node", "extension", "status", "rtt_ms", "contact"])
    out.tables["registrations"] = reg
    out.tables["state_copies"] = pd.concat(copies, ignore_index=True) if copies else pd.DataFrame()
    for ext in scope.extensions:
        mine = reg[reg["extension"] == ext]
        good = mine[mine["status"].isin(["Avail", "NonQual", "Created"])]
        if good.empty:
            how = (
                "unreachable (" + ", ".join(mine["node"] + " " + mine["status"]) + ")"
                if len(mine)
                else "not registered on any target"
            )
            out.add(
                mine,
                kind="registration",
                source="targets (page 43)",
                subject=ext,
                node=", ".join(mine["node"]),
                start=at,
                end=at,
                strength=0.8,
                subject_match=True,
                text=f"{ext} is {how} now",
            )
        elif scope.nodes and not set(good["node"]) & set(scope.nodes):
            out.add(
                good,
                kind="registration",
                source="targets (page 43)",
                subject=ext,
                node=", ".join(good["node"]),
                start=at,
                end=at,
                strength=0.5,
                subject_match=True,
                text=f"{ext} is registered on {', '.join(good['node'])} now, its calls went "
                f"through {', '.join(scope.nodes)}",
            )
    for table in copies:
        bad = table[
            (table["agree"].astype(str) != "True") & table["extension"].isin(scope.extensions)
        ]
        for r in bad.itertuples(index=False):
            out.add(
                bad[bad["extension"] == r.extension],
                kind="state_copies",
                source="targets (page 11)",
                subject=r.extension,
                node=r.node,
                start=at,
                end=at,
                strength=0.8,
                subject_match=True,
                text=f"the state copies of {r.extension} on {r.node} disagree now "
                f"({r.stage}): {r.next_step}",
            )
    out.line(
        "registrations",
        "read",
        f"{len(reg)} contact(s) of {', '.join(scope.extensions)} on "
        f"{len(rb.targets)} target(s); state copies compared (page 11)",
    )


def empty_findings() -> pd.DataFrame:
    """A findings frame with no row."""
    return pd.DataFrame({c: pd.Series(dtype="object") for c in FINDING_COLUMNS}).assign(
        strength=pd.Series(dtype="float64"),
        start=pd.Series(dtype="datetime64[ns]"),
        end=pd.Series(dtype="datetime64[ns]"),
    )


__all__ = [
    "CHECKED_COLUMNS",
    "FINDING_COLUMNS",
    "Collected",
    "Scope",
    "empty_findings",
    "gather_calls",
    "gather_cpu",
    "gather_events",
    "gather_queue",
    "gather_recordings",
    "gather_targets",
]
