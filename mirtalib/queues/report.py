"""The queue report: parameters in, every table out (what notebooks/analytics/queue-report shows).

The queue log comes from the ``source`` parameter (as the CDR report's: "" is the configured
database, whose ``queue_log`` table is read; ``env:NAME``; a URL without password; else
``queue_log`` files); the CDR of the cross-check from ``cdr_source`` ("" = the same database as
the queue log; files: Master.csv paths; "-" = no cross-check).

Every table is shown with the formats of :data:`FORMATS` (:func:`queue_table`: shares in %,
waits as ``m:ss``, the agents' times in hours), in the notebook and on the tenant pages alike;
:func:`queue_findings` lists what a supervisor should look at first (queues below the service
level target, agents who let many calls ring, calls on which the queue log and the CDR disagree).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from mirtalib.cdr.load import _as_datetime, load_legs, normalize_tenants
from mirtalib.cdr.report import describe_source, resolve_source
from mirtalib.data.db import Database
from mirtalib.errors import ParameterError
from mirtalib.queues.calls import AgentSessions, agent_sessions, orphan_events, queue_calls
from mirtalib.queues.reader import load_queue_log
from mirtalib.queues.stats import (
    CDR_ANSWERED_QUEUE_NOT,
    NOT_IN_CDR,
    QUEUE_ANSWERED_CDR_NOT,
    abandon_curve,
    cross_check,
    cross_counts,
    hourly_offered,
    queue_stats,
    wait_histogram,
)
from mirtalib.reporting import fmt

log = logging.getLogger(__name__)


@dataclass
class QueueReportParams:
    """Everything the queue report depends on (the notebook's parameters).

    Attributes:
        source: where the queue log is ("" = the configured database's ``queue_log`` table,
            ``env:NAME``, a database URL without password, or ``queue_log`` files / a glob).
        cdr_source: the CDR for the cross-check ("" = the queue log's database; Master.csv
            files; "-" = none).
        start, end: the period [start, end), ISO dates, PBX-local time.
        tenants: "all" or tenant codes separated by commas.
        timezone: the PBX's time zone (queue_log files hold epoch seconds).
        sl_seconds: service level: answered within this many seconds.
        wait_bin_s: width of the wait-time histogram's bins (s).
        sl_target_pct: the service level a queue should reach (%); a queue below it is a
            finding (:func:`queue_findings`).
    """

    source: str = ""
    cdr_source: str = ""
    start: str = "2026-10-01"
    end: str = "2026-11-01"
    tenants: str = "all"
    timezone: str = "Europe/Rome"
    sl_seconds: int = 20
    wait_bin_s: int = 10
    sl_target_pct: int = 80


@dataclass
class QueueReport:
    """What :func:`build_queue_report` computed (tables: see there)."""

    params: QueueReportParams
    source: str
    cdr_source: str
    tables: dict[str, pd.DataFrame]
    calls: pd.DataFrame
    agents: AgentSessions
    rejects: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def tenants(self) -> list[str]:
        """Tenants with queue calls or agents in the report."""
        names = set(self.calls["tenant"]) | set(self.agents.agents["tenant"])
        return sorted(t for t in names if t)


def _check(params: QueueReportParams):
    start = _as_datetime(params.start or None, "start")
    end = _as_datetime(params.end or None, "end")
    if start and end and end <= start:
        raise ParameterError(f"end={params.end!r} is not after start={params.start!r}")
    if not isinstance(params.sl_seconds, int) or params.sl_seconds < 0:
        raise ParameterError(f"sl_seconds={params.sl_seconds!r}: a whole number of seconds >= 0")
    if not isinstance(params.wait_bin_s, int) or params.wait_bin_s < 1:
        raise ParameterError(f"wait_bin_s={params.wait_bin_s!r}: a whole number of seconds >= 1")
    target = params.sl_target_pct
    if isinstance(target, bool) or not isinstance(target, int | float) or not 0 <= target <= 100:
        raise ParameterError(f"sl_target_pct={target!r}: a percentage from 0 to 100")
    return start, end, normalize_tenants(params.tenants)


def agent_table(agents: AgentSessions) -> pd.DataFrame:
    """Per agent: calls, talk, ring-no-answer, logged-in and paused time, pause time by reason
    (one ``pause_<reason>_s`` column each) and occupancy."""
    table = agents.agents.copy()
    if len(agents.pause_reasons):
        wide = agents.pause_reasons.pivot_table(
            index="agent", columns="reason", values="seconds", aggfunc="sum", fill_value=0.0
        )
        wide.columns = [f"pause_{c or 'no reason'}_s" for c in wide.columns]
        table = table.merge(wide, left_on="agent", right_index=True, how="left")
        table[list(wide.columns)] = table[list(wide.columns)].fillna(0.0)
    cols = [c for c in table.columns if c != "occupancy"] + ["occupancy"]
    return table[cols].sort_values(["tenant", "agent"], ignore_index=True)


def build_queue_report(params: QueueReportParams | None = None) -> QueueReport:
    """Read the queue log (and the CDR) and compute the report's tables.

    Tables: ``by_queue`` (tenant, queue), ``by_day`` (tenant, queue, day), ``by_hour`` (tenant,
    queue, hour of day), ``by_day_hour`` (tenant, queue, day, hour) with the figures of
    :mod:`mirtalib.queues.stats`; ``outcomes`` (calls per tenant and outcome), ``hourly``
    (offered/answered per hour, all tenants), ``wait_histogram``, ``abandon_curve``, ``agents``
    (:func:`agent_table`), ``cross_counts`` and ``cross_check`` (queue log vs CDR), ``rejects``
    (per reason and field).
    """
    params = params or QueueReportParams()
    start, end, tenants = _check(params)
    source = resolve_source(params.source)
    load = load_queue_log(source, start, end, tenants, params.timezone)
    calls = queue_calls(load.events)
    agents = agent_sessions(load.events, start, end)
    sl = params.sl_seconds
    tables = {
        "by_queue": queue_stats(calls, ("tenant", "queue"), sl),
        "by_day": queue_stats(calls, ("tenant", "queue", "day"), sl),
        "by_hour": queue_stats(calls, ("tenant", "queue", "hour"), sl),
        "by_day_hour": queue_stats(calls, ("tenant", "queue", "day", "hour"), sl),
        "outcomes": calls.groupby(["tenant", "outcome"]).size().rename("calls").reset_index(),
        "hourly": hourly_offered(calls),
        "wait_histogram": wait_histogram(calls, params.wait_bin_s),
        "abandon_curve": abandon_curve(calls),
        "agents": agent_table(agents),
        "rejects": load.reject_counts(by_field=True),
    }
    notes = []
    orphans = orphan_events(load.events)
    if orphans:
        notes.append(f"{orphans:,} call events belong to calls that entered a queue before the "
                     "data begins: not counted")  # fmt: skip
    static = agents.agents["logged_in_s"].isna()
    if static.any():
        notes.append(f"{int(static.sum())} agents have no login in the queue log (static "
                     "members): their occupancy is unknown")  # fmt: skip
    cdr_text = (params.cdr_source or "").strip()
    cdr_described = ""
    if cdr_text == "-":
        notes.append("cross-check with the CDR: not asked (cdr_source='-')")
        mismatches = cross_check(calls.iloc[0:0], pd.DataFrame(), params.timezone)
    else:
        if cdr_text:
            cdr = resolve_source(cdr_text)
        elif isinstance(source, Database):
            cdr = source
        else:
            raise ParameterError(
                "cdr_source: the queue log comes from files, so name the CDR of the cross-check "
                "(a database or Master.csv files), or '-' for none"
            )
        legs_load = load_legs(cdr, start, end, tenants)
        cdr_described = describe_source(cdr, legs_load.source)
        mismatches = cross_check(calls, legs_load.legs, params.timezone)
    tables["cross_counts"] = cross_counts(calls, mismatches)
    tables["cross_check"] = mismatches
    return QueueReport(
        params=params,
        source=describe_source(source, load.source),
        cdr_source=cdr_described,
        tables=tables,
        calls=calls,
        agents=agents,
        rejects=load.rejects,
        notes=notes,
    )


def tenant_tables(report: QueueReport, tenant: str) -> dict[str, pd.DataFrame]:
    """The report's tables with a tenant column, restricted to one tenant."""
    return {
        name: table[table["tenant"] == tenant].reset_index(drop=True)
        for name, table in report.tables.items()
        if "tenant" in table.columns
    }


def render_tenant_html(report: QueueReport, tenant: str, figures: bool = True) -> str:
    """The HTML page of one tenant (no secrets: scrubbed), with the main report's formats.

    Raises:
        ParameterError: when the tenant is not in the report.
    """
    from jinja2 import Environment, PackageLoader, select_autoescape
    from markupsafe import Markup

    from mirtalib.queues.plots import plot_abandon_curve, plot_offered_answered
    from mirtalib.reporting.charts import png_base64
    from mirtalib.reporting.summary import source_text
    from mirtalib.secrets import scrub

    env = Environment(
        loader=PackageLoader("mirtalib.reporting", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )

    if tenant not in report.tenants:
        raise ParameterError(f"tenant {tenant!r} is not in the report ({report.tenants})")
    tables = tenant_tables(report, tenant)
    tables["outcomes"] = outcome_table(tables["outcomes"])
    tables["findings"] = findings_table(queue_findings(report, tenant))
    for name in ("by_queue", "by_day", "by_hour"):
        tables[name] = drop_unused_outcomes(tables[name])
    mine = report.calls[report.calls["tenant"] == tenant]
    figs = {}
    if figures:
        figs["hourly"] = png_base64(
            plot_offered_answered(hourly_offered(mine), f"Queue calls by hour of day, {tenant}")
        )
        figs["abandon"] = png_base64(
            plot_abandon_curve(abandon_curve(mine), f"Abandon curve, {tenant}")
        )
    p = report.params
    page = env.get_template("queue_tenant.html.j2").render(
        tenant=tenant,
        period=f"{p.start} to {p.end}",
        timezone=p.timezone,
        # the demo PBX named as the demo, never as a server's data
        source=scrub(source_text(p.source, report.source)),
        cdr_source=scrub(source_text(p.cdr_source, report.cdr_source) if report.cdr_source else "")
        or "none",
        sl_seconds=p.sl_seconds,
        sl_target_pct=p.sl_target_pct,
        notes=report.notes,
        # queue_table escapes every cell: the markup is safe to insert as is
        tables={n: Markup(queue_table(t, max_rows=None).html) for n, t in tables.items()},  # noqa: S704
        figures=figs,
        n_mismatches=len(tables.get("cross_check", ())),
        n_findings=len(tables["findings"]),
    )
    return scrub(page)


def write_tenant_reports(
    report: QueueReport, folder: str | Path, tenants: list[str] | None = None
) -> dict[str, Path]:
    """Write ``queue-<TENANT>-<start>.html`` for every tenant of the report (or those given)."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    for tenant in tenants or report.tenants:
        path = out / f"queue-{tenant}-{report.params.start}.html"
        path.write_text(render_tenant_html(report, tenant), encoding="utf-8")
        written[tenant] = path
    log.info("wrote %d queue tenant reports", len(written))
    return written


def export_report(report: QueueReport, folder: str | Path) -> list[Path]:
    """Every table of the report (and the findings) as ``<name>.csv`` and ``queue-report.xlsx``,
    with the raw values (seconds, shares as ratios)."""
    from mirtalib.cdr.export import export_tables

    tables = {**report.tables, "findings": queue_findings(report)}
    return export_tables(tables, folder, workbook="queue-report.xlsx")


def hours(seconds: object) -> str:
    """A total of seconds in hours: ``20668`` -> ``5.7 h`` ("" when missing)."""
    if seconds is None or pd.isna(seconds):
        return ""
    return f"{fmt.number(float(seconds) / 3600, 1)} h"


_RATIOS = ("service_level", "occupancy", "share", "abandon_rate")
_WAITS = (
    "abandon_wait_avg",
    "wait_avg",
    "wait_p90",
    "longest_wait",
    "aht",
    "wait",
    "wait_from",
    "within",
    "talk",
    "cdr_billable",
)
#: column -> formatter of the queue tables (the other columns: fmt.column_formatter)
FORMATS: dict[str, fmt.Formatter] = {
    **dict.fromkeys(_RATIOS, fmt.percent),
    **dict.fromkeys(_WAITS, fmt.duration),
}


def formats(frame: pd.DataFrame) -> dict[str, fmt.Formatter]:
    """The formatter of each column of a queue table: :data:`FORMATS`, and the agents' second
    totals (``logged_in_s``, ``paused_s``, ``talk_s``, ``pause_<reason>_s``) in hours."""
    out = {c: FORMATS[c] for c in map(str, frame.columns) if c in FORMATS}
    out.update({c: hours for c in map(str, frame.columns) if c.endswith("_s") and c not in out})
    return out


def queue_table(
    frame: pd.DataFrame,
    *,
    full: str | Path | None = None,
    max_rows: int | None = fmt.MAX_ROWS,
    caption: str = "",
    empty: str = "none",
) -> fmt.HtmlTable:
    """A queue table as HTML with its units (:func:`formats`), capped at ``max_rows`` with a link
    to ``full`` (its CSV export). Columns shown in hours lose their ``_s`` (``talk_s`` ->
    ``talk``: the cells carry the unit)."""
    shown = formats(frame)
    renamed = {c: c[:-2] for c, f in shown.items() if f is hours}
    shown = {renamed.get(c, c): f for c, f in shown.items()}
    return fmt.html_table(
        frame.rename(columns=renamed), shown, full=full, max_rows=max_rows, caption=caption,
        empty=empty,
    )  # fmt: skip


_RARE_OUTCOMES = ("timeout", "exitempty", "exitkey", "other")


def drop_unused_outcomes(frame: pd.DataFrame) -> pd.DataFrame:
    """The table without the columns of the rare outcomes (timeout, exitempty, exitkey, other)
    no call had: the page stays readable; the exports keep every column."""
    unused = [c for c in _RARE_OUTCOMES if c in frame and not frame[c].fillna(0).astype(bool).any()]
    return frame.drop(columns=unused)


def outcome_table(outcomes: pd.DataFrame) -> pd.DataFrame:
    """The ``outcomes`` table (tenant, outcome, calls) one row per tenant: offered, then the
    calls of each outcome and the share abandoned."""
    if outcomes.empty:
        return pd.DataFrame({"tenant": pd.Series(dtype="str"), "offered": pd.Series(dtype="int64")})
    wide = outcomes.pivot_table(
        index="tenant", columns="outcome", values="calls", aggfunc="sum", fill_value=0
    ).astype("int64")
    wide.columns = [str(c) for c in wide.columns]
    wide.insert(0, "offered", wide.sum(axis=1))
    wide["abandon_rate"] = wide.get("abandoned", 0) / wide["offered"]
    return wide.reset_index()


def abandon_within(curve: pd.DataFrame, limits=(10, 30, 60)) -> pd.DataFrame:
    """From the abandon curve: how many abandoning callers had given up ``within`` each limit
    (s), and their share of all abandoned calls."""
    total = int(curve["abandoned"].max()) if len(curve) else 0
    rows = []
    for limit in limits:
        gone = curve.loc[curve["wait"] <= limit, "abandoned"]
        n = int(gone.iloc[-1]) if len(gone) else 0
        rows.append(
            {"within": limit, "abandoned": n, "share": n / total if total else float("nan")}
        )
    return pd.DataFrame(rows).astype({"within": "int64", "abandoned": "int64"})


FINDING_COLUMNS = ("severity", "kind", "tenant", "subject", "detail", "strength", "value")
SL_BELOW_TARGET = "service level below target"
RINGS_NOT_ANSWERED = "rings not answered"


def queue_findings(
    report: QueueReport,
    tenant: str | None = None,
    min_offered: int = 20,
    rna_min: int = 10,
    rna_share: float = 0.2,
) -> pd.DataFrame:
    """What a supervisor should look at first, most serious first.

    * a queue offered at least ``min_offered`` calls whose service level is below
      ``sl_target_pct``: high when below half the target, else medium; strength: the level;
    * an agent with at least ``rna_min`` rings not answered (RINGNOANSWER) making ``rna_share`` or
      more of its rings (answered calls + rings not answered): high from half, else medium;
    * per tenant and kind, the queue calls on which the queue log and the CDR disagree (medium;
      "not in the CDR": low).

    Columns :data:`FINDING_COLUMNS`, ordered by severity, then kind (queues, agents, CDR), then
    ``value``, the number behind ``strength`` (level below target, share of rings, calls).
    """
    p = report.params
    target = p.sl_target_pct / 100
    rows = []
    q = report.tables["by_queue"]
    q = q[(q["offered"] >= min_offered) & (q["service_level"] < target)]
    for r in q.itertuples():
        rows.append({
            "severity": "high" if r.service_level < target / 2 else "medium",
            "kind": SL_BELOW_TARGET,
            "tenant": r.tenant,
            "subject": r.queue,
            "detail": f"{fmt.count(r.answered)} of {fmt.count(r.offered)} calls answered, "
            f"{fmt.count(r.abandoned)} abandoned; target {fmt.percent(target, 0)}",
            "strength": f"{fmt.percent(r.service_level)} answered within {p.sl_seconds} s",
            "value": target - r.service_level,
        })  # fmt: skip
    a = report.tables["agents"]
    rung = a["calls"] + a["ring_no_answer"]
    share = (a["ring_no_answer"] / rung.where(rung > 0)).fillna(0.0)
    for r, s in zip(a.itertuples(), share, strict=True):
        if r.ring_no_answer >= rna_min and s >= rna_share:
            rows.append({
                "severity": "high" if s >= 0.5 else "medium",
                "kind": RINGS_NOT_ANSWERED,
                "tenant": r.tenant,
                "subject": r.agent,
                "detail": f"{fmt.count(r.ring_no_answer)} rings not answered, "
                f"{fmt.count(r.calls)} calls answered",
                "strength": f"{fmt.percent(s)} of its rings not answered",
                "value": s,
            })  # fmt: skip
    counts = report.tables["cross_counts"]
    words = {
        CDR_ANSWERED_QUEUE_NOT: "answered in the CDR, not in the queue log",
        QUEUE_ANSWERED_CDR_NOT: "answered in the queue log, not in the CDR",
        NOT_IN_CDR: "not found in the CDR",
    }
    for r in counts.to_dict("records"):
        for kind, said in words.items():
            n = int(r.get(kind, 0))
            if n:
                rows.append({
                    "severity": "low" if kind == NOT_IN_CDR else "medium",
                    "kind": f"queue log vs CDR: {kind}",
                    "tenant": r["tenant"],
                    "subject": "queue calls",
                    "detail": f"{fmt.count(n)} queue calls {said} (listed below)",
                    "strength": f"{fmt.count(n)} of {fmt.count(r['queue_calls'])} calls "
                    f"({fmt.percent(n / r['queue_calls'] if r['queue_calls'] else None)})",
                    "value": float(n),
                })  # fmt: skip
    out = pd.DataFrame(rows, columns=list(FINDING_COLUMNS))
    if tenant is not None:
        out = out[out["tenant"] == tenant]
    if out.empty:
        return out.astype({"value": "float64"}).reset_index(drop=True)
    rank = out["severity"].map({"high": 0, "medium": 1, "low": 2})
    kind = out["kind"].map({SL_BELOW_TARGET: 0, RINGS_NOT_ANSWERED: 1}).fillna(2)
    out = out.assign(_rank=rank, _kind=kind).sort_values(
        ["_rank", "_kind", "value"], ascending=[True, True, False], kind="stable"
    )
    return out.drop(columns=["_rank", "_kind"]).reset_index(drop=True)


def findings_table(findings: pd.DataFrame) -> pd.DataFrame:
    """The findings as a reader sees them (the ranking value left out)."""
    return findings.drop(columns=["value"], errors="ignore")
