"""One self-contained HTML page per tenant from one CDR report run (tables and charts).

Numbers have the same formats as the main report (:mod:`mirtalib.reporting.fmt`); the charts
are calls per day and calls by hour of day, embedded as PNG (the page loads nothing else).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from matplotlib.figure import Figure

from mirtalib.cdr.plots import plot_daily_calls
from mirtalib.cdr.report import CdrReport, tenant_tables
from mirtalib.errors import ParameterError
from mirtalib.reporting.charts import png_base64, tidy
from mirtalib.reporting.fmt import html_table
from mirtalib.reporting.summaries import cdr_findings_table
from mirtalib.reporting.summary import source_text
from mirtalib.secrets import scrub

log = logging.getLogger(__name__)
_ENV = Environment(
    loader=PackageLoader("mirtalib.reporting", "templates"),
    autoescape=select_autoescape(["html", "j2"]),
)
FINDING_COLUMNS = ["severity", "kind", "subject", "start", "calls", "strength", "reason"]


def _html(frame: pd.DataFrame) -> Markup:
    # html_table escapes every cell, so the table markup itself is safe to insert as is
    return Markup(html_table(frame, max_rows=None).html)  # noqa: S704 - cells escaped


def plot_hours(volume_hour: pd.DataFrame, title: str) -> Figure:
    """Calls started per hour of day (the ``volume_hour`` table of one tenant), 0 to 23."""
    fig = Figure(figsize=(9, 2.8))
    ax = fig.subplots()
    calls = volume_hour.groupby("hour")["calls"].sum().reindex(range(24), fill_value=0)
    ax.bar(calls.index, calls.to_numpy(), width=0.8, color="tab:blue")
    ax.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)])
    ax.set_xlim(-0.6, 23.6)
    ax.set_xlabel("hour of day")
    ax.set_ylabel("calls")
    ax.grid(axis="y", alpha=0.3)
    ax.set_title(title)
    return tidy(fig)


def render_tenant_html(report: CdrReport, tenant: str, figures: bool = True) -> str:
    """The HTML page of one tenant (no secrets: the source text is scrubbed).

    Raises:
        ParameterError: when the tenant is not in the report.
    """
    if tenant not in report.tenants:
        raise ParameterError(f"tenant {tenant!r} is not in the report ({report.tenants})")
    tables = tenant_tables(report, tenant)
    tables["findings"] = cdr_findings_table(tables["findings"])[FINDING_COLUMNS]
    rendered = {name: _html(t) for name, t in tables.items()}
    figs = {}
    if figures and len(tables["kpis_day"]):
        daily = tidy(plot_daily_calls(tables["kpis_day"], f"Calls per day, {tenant}"))
        figs["daily"] = png_base64(daily)
    if figures and len(tables["volume_hour"]):
        figs["hours"] = png_base64(plot_hours(tables["volume_hour"], f"Calls by hour, {tenant}"))
    p = report.params
    page = _ENV.get_template("cdr_tenant.html.j2").render(
        tenant=tenant,
        period=f"{p.start} to {p.end}",
        timezone=p.timezone,
        source=scrub(source_text(p.source, report.source)),
        engine=report.engine,
        notes=report.notes,
        tables=rendered,
        figures=figs,
        n_findings=len(tables["findings"]),
    )
    return scrub(page)


def write_tenant_reports(
    report: CdrReport, folder: str | Path, tenants: list[str] | None = None, figures: bool = True
) -> dict[str, Path]:
    """Write ``cdr-<TENANT>-<start>.html`` for every tenant of the report (or those given).

    Returns:
        tenant -> path written.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    for tenant in tenants or report.tenants:
        path = out / f"cdr-{tenant}-{report.params.start}.html"
        path.write_text(render_tenant_html(report, tenant, figures), encoding="utf-8")
        written[tenant] = path
    log.info("wrote %d tenant reports", len(written))
    return written
