"""The queue report: parameters in, every table out (what notebooks/analytics/queue-report shows).

The queue log comes from the ``source`` parameter (as the CDR report's: "" is the configured
database, whose ``queue_log`` table is read; ``env:NAME``; a URL without password; else
``queue_log`` files); the CDR of the cross-check from ``cdr_source`` ("" = the same database as
the queue log; files: Master.csv paths; "-" = no cross-check).
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
    abandon_curve,
    cross_check,
    cross_counts,
    hourly_offered,
    queue_stats,
    wait_histogram,
)

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
    """

    source: str = ""
    cdr_source: str = ""
    start: str = "2026-10-01"
    end: str = "2026-11-01"
    tenants: str = "all"
    timezone: str = "Europe/Rome"
    sl_seconds: int = 20
    wait_bin_s: int = 10


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
    """The HTML page of one tenant (no secrets: scrubbed).

    Raises:
        ParameterError: when the tenant is not in the report.
    """
    from jinja2 import Environment, PackageLoader, select_autoescape
    from markupsafe import Markup

    from mirtalib.queues.plots import plot_abandon_curve, plot_offered_answered
    from mirtalib.reporting.charts import png_base64
    from mirtalib.reporting.fmt import html_table
    from mirtalib.secrets import scrub

    env = Environment(
        loader=PackageLoader("mirtalib.reporting", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )

    if tenant not in report.tenants:
        raise ParameterError(f"tenant {tenant!r} is not in the report ({report.tenants})")
    tables = tenant_tables(report, tenant)
    mine = report.calls[report.calls["tenant"] == tenant]
    figs = {}
    if figures:
        figs["hourly"] = png_base64(
            plot_offered_answered(hourly_offered(mine), f"Queue calls, {tenant}")
        )
        figs["abandon"] = png_base64(
            plot_abandon_curve(abandon_curve(mine), f"Abandon curve, {tenant}")
        )
    p = report.params
    page = env.get_template("queue_tenant.html.j2").render(
        tenant=tenant,
        period=f"{p.start} to {p.end}",
        timezone=p.timezone,
        source=scrub(report.source),
        cdr_source=scrub(report.cdr_source) or "none",
        sl_seconds=p.sl_seconds,
        notes=report.notes,
        # html_table escapes every cell: the markup is safe to insert as is
        tables={n: Markup(html_table(t, max_rows=None).html) for n, t in tables.items()},  # noqa: S704
        figures=figs,
        n_mismatches=len(tables.get("cross_check", ())),
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


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """A table for reading: shares (``service_level``, ``occupancy``, ``share``) as percentages
    and the agents' second totals (``*_s`` but waits) as hours (``*_h``)."""
    from mirtalib.reporting.fmt import percent

    out = frame.copy()
    for col in ("service_level", "occupancy", "share"):
        if col in out:
            out[col] = out[col].map(percent).astype("str")
    for col in [c for c in out.columns if c.endswith("_s") and c != "wait_bin_s"]:
        out[col[:-2] + "_h"] = (out.pop(col).astype("float64") / 3600).round(1)
    return out
