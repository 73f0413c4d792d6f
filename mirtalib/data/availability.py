"""When a period or a tenant has no data: say so, and say where the data is.

An analytics report asked for a month without calls, or for a tenant code that has none, is not
an error (exit 0): it is a short report whose first line says that nothing was found and lists
the tenants and dates that do have data (:class:`Availability`, filled by
:func:`mirtalib.cdr.available.cdr_availability` or
:func:`mirtalib.events.eventlog.event_log_availability`), and whose charts show "no data" instead
of failing (:func:`no_data_figure`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from matplotlib.figure import Figure

AVAILABILITY_COLUMNS = ["tenant", "first_day", "last_day", "days", "rows"]
NO_TENANT = "(no tenant)"


@dataclass
class Availability:
    """What a source holds, per tenant.

    Attributes:
        what: what was counted ("CDR rows", "event-log rows").
        per_tenant: ``tenant, first_day, last_day, days, rows`` (``days``: days with rows;
            first/last as ``YYYY-MM-DD``), one row per tenant, by tenant; rows without a tenant
            are under :data:`NO_TENANT`.
    """

    what: str
    per_tenant: pd.DataFrame

    @classmethod
    def from_daily(cls, what: str, daily: pd.DataFrame) -> Availability:
        """From ``tenant, day, rows`` (one row per tenant and day with data)."""
        if daily.empty:
            return cls(what, pd.DataFrame(columns=AVAILABILITY_COLUMNS))
        frame = daily.assign(
            tenant=daily["tenant"].fillna("").astype(str).str.strip().replace("", NO_TENANT),
            day=pd.to_datetime(daily["day"]).dt.strftime("%Y-%m-%d"),
        )
        per = (
            frame.groupby("tenant")
            .agg(
                first_day=("day", "min"),
                last_day=("day", "max"),
                days=("day", "nunique"),
                rows=("rows", "sum"),
            )
            .reset_index()
        )
        per["rows"] = per["rows"].astype("int64")
        return cls(what, per[AVAILABILITY_COLUMNS])

    @property
    def empty(self) -> bool:
        """True when the source holds nothing at all."""
        return self.per_tenant.empty

    def text(self) -> str:
        """One line per tenant: ``ACME: 2026-10-01 to 2026-10-31 (31 days with data, 2,345
        CDR rows)``."""
        if self.empty:
            return f"the source holds no {self.what} at all"
        return "\n".join(
            f"  {r.tenant}: {r.first_day} to {r.last_day} "
            f"({r.days} day{'s' if r.days != 1 else ''} with data, {r.rows:,} {self.what})"
            for r in self.per_tenant.itertuples()
        )


def _day(value: datetime | str | None) -> str:
    return "" if value is None else pd.Timestamp(value).strftime("%Y-%m-%d")


def no_data_note(
    what: str,
    start: datetime | str | None,
    end: datetime | str | None,
    tenants: Sequence[str] | None,
    available: Availability,
) -> str:
    """The sentence a report shows when it found nothing, then where the data is.

    >>> no_data_note("calls", "2025-01-01", "2025-02-01", None, avail)
    'no calls from 2025-01-01 to 2025-02-01 (end not included) for every tenant. The source has
    data for:\\n  ACME: ...'
    """
    period = f"from {_day(start)} to {_day(end)} (end not included)" if start or end else ""
    who = f"tenant {', '.join(tenants)}" if tenants else "every tenant"
    if tenants and len(tenants) > 1:
        who = "tenants " + ", ".join(tenants)
    head = " ".join(f"no {what} {period} for {who}.".split())
    if available.empty:
        return f"{head} {available.text()}."
    return f"{head} The source has data for:\n{available.text()}"


def mark_no_data(ax, title: str, message: str = "no data in the period") -> None:
    """Turn ``ax`` into a panel that says there is nothing to draw (instead of a failing plot)."""
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=12, color="0.35")
    ax.set_axis_off()
    ax.set_title(title)


def no_data_figure(title: str, message: str = "no data in the period", size=(10, 2)) -> Figure:
    """A small figure (not managed by pyplot) that says there is nothing to draw."""
    fig = Figure(figsize=size)
    mark_no_data(fig.subplots(), title, message)
    return fig
