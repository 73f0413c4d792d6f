"""The CDR report against the previous period of the same length: what changed.

``compare_with_previous(report)`` builds the report of the period just before (October 1 to
November 1 is compared with the 31 days before it, August 31 to October 1; a month to date with
the same days of the month before) with the same parameters and gives the change of the
headline figures and of each tenant's figures. Counts and minutes change by a number and a
percentage; ratios (ASR, NER) by percentage points. A tenant present in one period only has the
other side empty (NaN).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from mirtalib.cdr.report import CdrReport, build_report
from mirtalib.errors import ParameterError
from mirtalib.reporting import fmt
from mirtalib.validate import iso_date

HEADLINE = [
    # metric, unit, how the change is given ("relative": % of the previous value; "points")
    ("calls", "calls", "relative"),
    ("answered", "calls", "relative"),
    ("asr", "%", "points"),
    ("ner", "%", "points"),
    ("acd", "s", "relative"),
    ("minutes", "min", "relative"),
    ("peak concurrent calls", "calls", "relative"),
]
TENANT_FIGURES = ["attempts", "answered", "asr", "minutes"]
HEADLINE_COLUMNS = ["metric", "unit", "current", "previous", "change", "change_pct"]


@dataclass
class PeriodComparison:
    """A report's figures next to those of the previous period of the same length.

    Attributes:
        current, previous: the two periods ``(start, end)``, end excluded.
        headline: ``metric, unit, current, previous, change, change_pct`` (ratios in %, their
            change in points and ``change_pct`` NaN; other changes also as % of previous).
        per_tenant: per tenant, for attempts, answered, asr and minutes: the value, the value of
            the previous period (``<figure>_prev``) and the change (``<figure>_change``; asr in
            points).
        note: "" or a sentence on what cannot be compared (no call in the previous period).
    """

    current: tuple[datetime, datetime]
    previous: tuple[datetime, datetime]
    headline: pd.DataFrame
    per_tenant: pd.DataFrame
    note: str = ""

    def headline_text(self) -> pd.DataFrame:
        """The headline as text with units and signs: ``calls | 9,147 | 9,155 | -8 (-0.1 %)``."""
        rows = []
        for r in self.headline.itertuples(index=False):
            rows.append(
                {
                    "figure": r.metric,
                    "this period": _value(r.current, r.unit),
                    "previous period": _value(r.previous, r.unit),
                    "change": _change(r.change, r.unit, r.change_pct),
                }
            )
        return pd.DataFrame(rows)

    def tenants_text(self) -> pd.DataFrame:
        """Per tenant: calls, ASR and minutes now, and their change, as text."""
        t = self.per_tenant
        return pd.DataFrame(
            {
                "tenant": t["tenant"],
                "calls": [_value(v, "calls") for v in t["attempts"]],
                "calls change": [
                    _change(c, "calls", p)
                    for c, p in zip(
                        t["attempts_change"],
                        _relative(t["attempts"], t["attempts_prev"]),
                        strict=True,
                    )
                ],
                "asr": [_value(v, "%") for v in t["asr"]],
                "asr change": [_change(c, "%", np.nan) for c in t["asr_change"]],
                "minutes": [_value(v, "min") for v in t["minutes"]],
                "minutes change": [
                    _change(c, "min", p)
                    for c, p in zip(
                        t["minutes_change"], _relative(t["minutes"], t["minutes_prev"]), strict=True
                    )
                ],
            }
        )


def _value(value: float, unit: str) -> str:
    if value is None or np.isnan(value):
        return "-"
    if unit == "%":
        return fmt.percent(value, ratio=False)
    if unit == "s":
        return fmt.duration(value)
    if unit == "min":
        return fmt.minutes(value)
    return fmt.count(value)


def _change(change: float, unit: str, pct: float) -> str:
    if change is None or np.isnan(change):
        return "-"
    if unit == "%":
        return f"{change:+.1f} points"
    text = f"{change:+,.0f} s" if unit == "s" else f"{change:+,.0f}"
    if unit == "min":
        text += " min"
    return text + ("" if pct is None or np.isnan(pct) else f" ({pct:+.1f} %)")


def previous_period(start: datetime | str, end: datetime | str) -> tuple[datetime, datetime]:
    """The period of the same length that ends where ``[start, end)`` begins."""
    t0, t1 = iso_date(start, "start"), iso_date(end, "end")
    if t1 <= t0:
        raise ParameterError(f"end={end!r} is not after start={start!r}")
    return t0 - (t1 - t0), t0


def headline_figures(report: CdrReport) -> dict[str, float]:
    """Calls, answered, ASR/NER (%), ACD (s), minutes and peak concurrency of a whole report."""
    k = report.tables["kpis_tenant"]
    calls = float(k["attempts"].sum())
    answered = float(k["answered"].sum())
    minutes = float(k["minutes"].sum())
    delivered = float((k["ner"] * k["attempts"]).sum())
    conc = report.tables["concurrency"]
    peak = conc.loc[conc["dim"].eq("all"), "peak"]
    return {
        "calls": calls,
        "answered": answered,
        "asr": 100.0 * answered / calls if calls else np.nan,
        "ner": 100.0 * delivered / calls if calls else np.nan,
        "acd": minutes * 60.0 / answered if answered else np.nan,
        "minutes": minutes,
        "peak concurrent calls": float(peak.iloc[0]) if len(peak) else 0.0,
    }


def _relative(now: pd.Series | float, before: pd.Series | float):
    before_arr = np.asarray(before, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(before_arr > 0, 100.0 * (np.asarray(now) - before_arr) / before_arr, np.nan)
    return out if out.ndim else float(out)


def compare_reports(
    current: CdrReport,
    previous: CdrReport,
    periods: tuple[tuple[datetime, datetime], tuple[datetime, datetime]],
) -> PeriodComparison:
    """Compare two reports (the current period's and the previous one's)."""
    now, before = headline_figures(current), headline_figures(previous)
    rows = []
    for metric, unit, how in HEADLINE:
        a, b = now[metric], before[metric]
        change = a - b if before["calls"] else np.nan  # nothing before: no change to give
        pct = _relative(a, b) if how == "relative" else np.nan
        rows.append((metric, unit, a, b, change, pct))
    headline = pd.DataFrame(rows, columns=HEADLINE_COLUMNS)
    cols = ["tenant", *TENANT_FIGURES]
    a = current.tables["kpis_tenant"][cols].set_index("tenant")
    b = previous.tables["kpis_tenant"][cols].set_index("tenant")
    per = a.join(b.add_suffix("_prev"), how="outer")
    out = pd.DataFrame(index=per.index)
    for figure in TENANT_FIGURES:
        scale = 100.0 if figure == "asr" else 1.0
        out[figure] = per[figure] * scale
        out[f"{figure}_prev"] = per[f"{figure}_prev"] * scale
        out[f"{figure}_change"] = out[figure].fillna(0) - out[f"{figure}_prev"].fillna(0)
        if figure == "asr":  # a ratio of a side without calls is not 0 %
            out[f"{figure}_change"] = out[figure] - out[f"{figure}_prev"]
    per_tenant = out.reset_index().rename(columns={"index": "tenant"})
    note = ""
    if not before["calls"]:
        p0, p1 = periods[1]
        note = (
            f"no calls in the previous period ({p0:%Y-%m-%d} to {p1:%Y-%m-%d}, end not "
            "included): nothing to compare with"
        )
    return PeriodComparison(periods[0], periods[1], headline, per_tenant, note)


def compare_with_previous(report: CdrReport, now: datetime | None = None) -> PeriodComparison:
    """Build the report of the previous period (same parameters, source and engine) and compare
    ``report`` with it.

    A closed period ``[start, end)`` is compared with the period of the same length before it.
    An open one (no end: a month to date) runs until ``now`` (the PBX's local time, to the
    minute) and is compared with the same stretch one calendar month earlier (December 1 to 6,
    09:25 with November 1 to 6, 09:25): with ``cache`` on, that period starts on the same day all
    month and its report is read incrementally too.

    Raises:
        ParameterError: when the report has no start (all time has no previous period).
    """
    params = report.params
    if not params.start:
        raise ParameterError("the comparison with the previous period needs a start")
    t0 = iso_date(params.start, "start")
    if params.end:
        t1 = iso_date(params.end, "end")
        p0, p1 = previous_period(t0, t1)
    else:
        if now is None:
            now = pd.Timestamp.now(tz=params.timezone).tz_localize(None).to_pydatetime()
        t1 = max(now.replace(second=0, microsecond=0), t0 + timedelta(minutes=1))
        p0 = (pd.Timestamp(t0) - pd.DateOffset(months=1)).to_pydatetime()
        p1 = min(p0 + (t1 - t0), t0)
    previous = build_report(
        dataclasses.replace(params, start=p0.isoformat(sep=" "), end=p1.isoformat(sep=" "))
    )
    return compare_reports(report, previous, ((t0, t1), (p0, p1)))


def comparison_or_reason(report: CdrReport) -> tuple[PeriodComparison | None, str]:
    """:func:`compare_with_previous`, or None and why there is nothing to compare with."""
    try:
        return compare_with_previous(report), ""
    except ParameterError as exc:
        return None, f"no comparison: {exc}"
