"""The summary block of each analytics report (:class:`~mirtalib.reporting.summary.Summary`).

One function per report, fed with what the report computed: :func:`cdr_summary`,
:func:`coverage_summary`, :func:`events_summary`, :func:`queue_summary`,
:func:`vcpu_summary`. Each gives the period, the source, the tenants, the headline figures
with their units and the top findings with their strength.
"""

from __future__ import annotations

import pandas as pd

from mirtalib.reporting import fmt
from mirtalib.reporting.summary import (
    DEMO_SOURCE,
    Summary,
    period_text,
    source_text,
    tenants_text,
    top_findings,
)

# what a CDR finding's strength counts, per kind (mirtalib.cdr.fraud, .quality, .calls)
_CDR_STRENGTH = {
    "off-hours international": lambda v: f"{fmt.number(v, 0)} min",
    "outbound minute spike": lambda v: f"{fmt.number(v, 1)} x the caller's baseline",
    "sequential dialing": lambda v: f"{fmt.count(v)} numbers in a row",
    "failure burst": lambda v: f"{fmt.count(v)} failed calls",
    "ASR drop": lambda v: f"{fmt.number(v, 1)} standard errors below the baseline",
    "call longer than its legs": lambda v: f"gap of {fmt.duration(v)}",
}


def cdr_strength(kind: str, value: object) -> str:
    """A CDR finding's strength with its unit (``238.8`` minutes -> ``239 min``)."""
    return _CDR_STRENGTH.get(kind, lambda v: fmt.number(v, 1))(value)


def cdr_findings_table(findings: pd.DataFrame) -> pd.DataFrame:
    """The findings as a reader sees them: strength with its unit, the call ids left out."""
    out = findings.drop(columns=["call_ids"], errors="ignore").copy()
    if len(out):
        out["strength"] = [
            cdr_strength(k, v) for k, v in zip(out["kind"], out["strength"], strict=True)
        ]
    return out


def cdr_summary(report, source: str = "") -> Summary:
    """The CDR report's answer: calls, answered, ACD, minutes, peak channels, top findings.

    Args:
        report: a :class:`mirtalib.cdr.report.CdrReport`.
        source: the notebook's ``source`` parameter (to name the demo PBX as such).
    """
    p = report.params
    kp = report.tables["kpis_tenant"]
    attempts = int(kp["attempts"].sum())
    answered = int(kp["answered"].sum())
    acd = (kp["acd"] * kp["answered"]).sum() / answered if answered else None
    figures = [
        ("Calls", fmt.count(attempts)),
        (
            "Answered",
            f"{fmt.count(answered)} ({fmt.percent(answered / attempts if attempts else None)})",
        ),
        ("Mean answered call (ACD)", fmt.duration(acd)),
        ("Billable time", fmt.minutes(kp["minutes"].sum())),
    ]
    conc = report.tables.get("concurrency")
    if conc is not None and len(conc.query("dim == 'all'")):
        top = conc.query("dim == 'all'").iloc[0]
        figures.append(
            ("Peak concurrent calls", f"{fmt.count(top['peak'])} ({fmt.when(top['peak_at'])})")
        )
    f = report.findings
    serious = int(f["severity"].isin(["high", "medium"]).sum()) if len(f) else 0
    figures.append(("Findings", f"{fmt.count(len(f))} ({serious} high or medium)"))
    lines, more = top_findings(
        f,
        lambda r: (
            f"{r['kind']}: {r['tenant']} {r['subject']}, {fmt.when(r['start'])}, "
            f"{fmt.count(r['calls'])} call{'' if r['calls'] == 1 else 's'}"
        ),
        strength=lambda r: cdr_strength(r["kind"], r["strength"]),
        order="strength",
    )
    notes = []
    if len(report.rejects):
        notes.append(f"{fmt.count(len(report.rejects))} CDR rows could not be used (see below).")
    return Summary(
        title="CDR report",
        period=period_text(p.start, p.end),
        source=source_text(source, report.source),
        tenants=", ".join(report.tenants) or tenants_text(p.tenants),
        figures=figures,
        findings=lines,
        more_findings=more,
        notes=notes,
    )


def coverage_summary(result, start: object, end: object, tenants: object = "") -> Summary:
    """The recording audit's answer: coverage, gaps by kind, storage, the calls to check first.

    Args:
        result: a :class:`mirtalib.recording.report.CoverageResult`.
        start, end, tenants: the period and tenants audited.
    """
    t = result.audit.totals()
    figures = [
        ("Coverage", fmt.percent(t.get("coverage_pct"), ratio=False)),
        ("Recorded / expected", f"{fmt.count(t.get('recorded'))} / {fmt.count(t.get('expected'))}"),
        ("Missing", fmt.count(t.get("missing"))),
        ("Broken", fmt.count(t.get("broken"))),
        ("Unexpected (privacy)", fmt.count(t.get("unexpected"))),
        ("Transcripts missing", fmt.count(t.get("transcripts_missing"))),
        ("Storage", fmt.size(t.get("storage_bytes"))),
    ]
    gaps = result.audit.gaps
    rank = {"unexpected": 0, "missing": 1, "broken": 1}
    rows = gaps.assign(
        severity=gaps["gap"].map(
            lambda g: "high" if rank.get(g) == 0 else "medium" if g in rank else "low"
        )
    )
    lines, more = top_findings(
        rows,
        lambda r: (
            f"{r['gap']}: {r['tenant']} {fmt.day(r['day'])}, {r['parties'] or r['relpath'] or ''}"
            f" ({r['detail']})".replace(" ()", "")
        ),
    )
    sources = getattr(result, "sources", {}) or {}
    described = ", ".join(f"{k}: {v}" for k, v in sources.items())
    return Summary(
        title="Recording coverage",
        period=period_text(start, end),
        source=source_text("", described),
        tenants=", ".join(sorted(result.audit.summary["tenant"].unique()))
        if len(result.audit.summary)
        else tenants_text(tenants),
        figures=figures,
        findings=lines,
        more_findings=more,
    )


def events_summary(run, start: object, end: object, tenants: object = "") -> Summary:
    """The extension-event audit's answer: extensions, findings per kind, the strongest first.

    Args:
        run: a :class:`mirtalib.events.report.Analysis`.
        start, end, tenants: the period and tenants analysed.
    """
    table = run.findings.table
    per_kind = run.findings.summary()
    figures = [
        (
            "Extensions with events",
            fmt.count(run.timeline["extension"].nunique() if len(run.timeline) else 0),
        ),
        ("Event-log rows", fmt.count(len(run.load.events))),
        ("Findings", fmt.count(len(table))),
    ]
    figures += [
        (str(r.kind).replace("_", " "), fmt.count(r.findings)) for r in per_kind.itertuples()
    ]
    severity = {
        "stuck": "high",
        "node_move": "medium",
        "log_gap": "medium",
        "inuse_without_call": "medium",
    }
    rows = table.assign(severity=table["kind"].map(lambda k: severity.get(k, "low")))
    lines, more = top_findings(
        rows,
        lambda r: (
            f"{r['finding']} {str(r['kind']).replace('_', ' ')}: {r['extension']} on {r['node']}, "
            f"{fmt.when(r['start'])}: {r['detail']}"
        ),
        strength=lambda r: fmt.duration(r["duration_s"]),
        order="duration_s",
    )
    return Summary(
        title="Extension events",
        period=period_text(start, end),
        source=source_text("", "MiRTA database"),
        tenants=", ".join(sorted(t for t in rows["tenant"].dropna().unique() if t))
        if len(rows)
        else tenants_text(tenants),
        figures=figures,
        findings=lines,
        more_findings=more,
    )


def queue_summary(report, source: str = "") -> Summary:
    """The queue report's answer: offered, answered, abandoned, service level, waits, AHT, and
    the findings of :func:`mirtalib.queues.report.queue_findings`.

    Args:
        report: a :class:`mirtalib.queues.report.QueueReport`.
        source: the notebook's ``source`` parameter (to name the demo PBX as such).
    """
    from mirtalib.queues.report import queue_findings
    from mirtalib.queues.stats import overall

    p = report.params
    f = overall(report.calls, p.sl_seconds)
    offered = f["offered"]

    def part(n: int) -> str:
        return f"{fmt.count(n)} ({fmt.percent(n / offered)})" if offered else fmt.count(n)

    abandoned = part(f["abandoned"])
    if f["abandoned"]:
        abandoned += f", after {fmt.duration(f['abandon_wait_avg'])} on average"
    figures = [
        ("Offered", fmt.count(offered)),
        ("Answered", part(f["answered"])),
        ("Abandoned", abandoned),
        (f"Service level ({p.sl_seconds} s)", fmt.percent(f["service_level"])),
        ("Average wait (answered)", fmt.duration(f["wait_avg"])),
        ("90th-percentile wait", fmt.duration(f["wait_p90"])),
        ("Longest wait", fmt.duration(f["longest_wait"])),
        ("Average handle time", fmt.duration(f["aht"])),
    ]
    findings = queue_findings(report)
    serious = int(findings["severity"].isin(["high", "medium"]).sum())
    figures.append(("Findings", f"{fmt.count(len(findings))} ({serious} high or medium)"))
    # one line per kind: its strongest finding, and how many more of that kind
    per_kind = findings.groupby("kind", sort=False)["kind"].transform("size")
    worst = findings.assign(_others=per_kind - 1).groupby("kind", sort=False).head(1)

    def describe(r) -> str:
        others = f" ({fmt.count(r['_others'])} more like it)" if r["_others"] else ""
        return f"{r['kind']}: {r['tenant']} {r['subject']}: {r['detail']}{others}"

    lines, _ = top_findings(worst, describe, strength=lambda r: r["strength"])
    more = len(findings) - len(lines)
    notes = [] if offered else ["No queue call in the period."]
    if len(report.rejects):
        notes.append(f"{fmt.count(len(report.rejects))} queue_log lines could not be used.")
    notes += report.notes
    return Summary(
        title="Queue report",
        period=period_text(p.start, p.end),
        source=source_text(source, report.source),
        tenants=", ".join(report.tenants) or tenants_text(p.tenants),
        figures=figures,
        findings=lines,
        more_findings=more,
        notes=notes,
    )


def vcpu_summary(result, inputs, source: str = "") -> Summary:
    """The vCPU report's answer: the verdict of every PBX VM with the change it needs.

    Args:
        result: a :class:`mirtalib.vmware.report.Assessment`.
        inputs: what :func:`mirtalib.vmware.load_folder` read.
        source: the notebook's ``vmware_dir`` ("" = the demo PBX's exports).
    """
    inv = inputs.inventory
    verdicts = result.verdicts
    counts = verdicts["verdict"].value_counts() if len(verdicts) else pd.Series(dtype=int)
    figures = [
        ("PBX VMs", fmt.count(len(verdicts))),
        ("Harmful", fmt.count(counts.get("harmful", 0))),
        ("At risk", fmt.count(counts.get("at risk", 0))),
        ("OK", fmt.count(counts.get("OK", 0))),
        ("Hosts", fmt.count(len(inv.hosts))),
        ("VMs powered on", fmt.count(len(inv.powered_on()))),
    ]
    lines, _ = top_findings(
        verdicts,
        lambda r: f"{r['vm']}: {r['why']}",
        severity="verdict",
        strength=lambda r: f"change: {r['change']}",
        limit=len(verdicts),
    )
    return Summary(
        title="vCPU oversubscription",
        period="as exported (counters of every interval in the files)",
        source=f"exports in {source}" if source else DEMO_SOURCE,
        figures=figures,
        findings=lines,
    )
