"""One self-contained HTML page per tenant from one CDR report run (tables + one figure)."""

from __future__ import annotations

import base64
import io
import logging
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from mirtalib.cdr.plots import plot_daily_calls
from mirtalib.cdr.report import CdrReport, tenant_tables
from mirtalib.errors import ParameterError
from mirtalib.secrets import scrub

log = logging.getLogger(__name__)
_ENV = Environment(
    loader=PackageLoader("mirtalib.reporting", "templates"),
    autoescape=select_autoescape(["html", "j2"]),
)
FINDING_COLUMNS = ["severity", "kind", "subject", "start", "calls", "strength", "reason"]


def _html(frame: pd.DataFrame) -> Markup:
    # pandas escapes every cell (escape=True), so the table markup itself is safe to insert as is
    return Markup(  # noqa: S704 - cells escaped by pandas
        frame.to_html(
            index=False, border=0, float_format=lambda v: f"{v:,.3f}", na_rep="", escape=True
        )
    )


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80, metadata={"Software": None})
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def render_tenant_html(report: CdrReport, tenant: str, figures: bool = True) -> str:
    """The HTML page of one tenant (no secrets: the source text is scrubbed).

    Raises:
        ParameterError: when the tenant is not in the report.
    """
    if tenant not in report.tenants:
        raise ParameterError(f"tenant {tenant!r} is not in the report ({report.tenants})")
    tables = tenant_tables(report, tenant)
    tables["findings"] = tables["findings"][FINDING_COLUMNS]
    rendered = {name: _html(t) for name, t in tables.items()}
    figs = {}
    if figures and len(tables["kpis_day"]):
        figs["daily"] = _png(plot_daily_calls(tables["kpis_day"], f"Calls per day, {tenant}"))
    p = report.params
    page = _ENV.get_template("cdr_tenant.html.j2").render(
        tenant=tenant,
        period=f"{p.start} to {p.end}",
        timezone=p.timezone,
        source=scrub(report.source),
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
