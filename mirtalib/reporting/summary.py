"""The block an analytics report opens with: its answer before its details.

A :class:`Summary` holds the period, the source, the tenants, the headline figures (already
formatted with their units, :mod:`mirtalib.reporting.fmt`) and the top findings with their
strength; it renders as HTML in notebooks and reports (``_repr_html_``) and as short text
elsewhere. Every analytics notebook builds one in ``mirtalib`` and displays it first.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import pandas as pd

from mirtalib.reporting import fmt

DEMO_SOURCE = "demo PBX (generated data, not a real server)"
SEVERITY_ORDER = {"high": 0, "harmful": 0, "medium": 1, "at risk": 1, "low": 2, "info": 3, "ok": 4}


@dataclass(frozen=True)
class Finding:
    """One line of the summary's findings: what, how strong, how serious."""

    text: str
    strength: str = ""
    severity: str = ""


@dataclass
class Summary:
    """The answer of a report, shown first.

    Attributes:
        title: what the report answers ("CDR report").
        period: the period in words (:func:`period_text`).
        source: where the data came from (no secrets; :data:`DEMO_SOURCE` for the demo).
        tenants: the tenants covered.
        figures: (label, value with unit) pairs, in order.
        findings: the top findings, most serious first.
        more_findings: findings not listed (the details below have them).
        notes: short sentences a reader must know (data left out, limits).
    """

    title: str
    period: str = ""
    source: str = ""
    tenants: str = ""
    figures: list[tuple[str, str]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    more_findings: int = 0
    notes: list[str] = field(default_factory=list)

    def _repr_html_(self) -> str:
        return self.html()

    def html(self) -> str:
        """The summary block (``<section class="mirta-summary">``), every value escaped."""
        e = html.escape
        meta = [
            (label, value)
            for label, value in (
                ("Period", self.period),
                ("Source", self.source),
                ("Tenants", self.tenants),
            )
            if value
        ]
        parts = [f'<section class="mirta-summary"><h2>{e(self.title)}: summary</h2>']
        if meta:
            parts.append(
                '<p class="mirta-meta">'
                + " &middot; ".join(f"<b>{e(k)}</b> {e(v)}" for k, v in meta)
                + "</p>"
            )
        if self.figures:
            parts.append('<div class="mirta-figures">')
            parts += [
                f'<div class="mirta-figure"><div class="label">{e(k)}</div>'
                f'<div class="value">{e(v)}</div></div>'
                for k, v in self.figures
            ]
            parts.append("</div>")
        if self.findings:
            parts.append('<h3>Top findings</h3><ul class="mirta-findings">')
            for f in self.findings:
                sev = f'<span class="sev sev-{e(_css(f.severity))}">{e(f.severity)}</span> '
                strength = f' <span class="strength">({e(f.strength)})</span>' if f.strength else ""
                parts.append(f"<li>{sev if f.severity else ''}{e(f.text)}{strength}</li>")
            parts.append("</ul>")
            if self.more_findings:
                parts.append(
                    f'<p class="mirta-note">{self.more_findings:,} more finding'
                    f"{'' if self.more_findings == 1 else 's'} in the details below.</p>"
                )
        else:
            parts.append('<p class="mirta-ok">No finding.</p>')
        parts += [f'<p class="mirta-note">{e(n)}</p>' for n in self.notes]
        parts.append("</section>")
        return "".join(parts)

    def __repr__(self) -> str:
        return self.text()

    def text(self) -> str:
        """The same content as plain text."""
        lines = [f"{self.title}: summary"]
        lines += [
            f"{k}: {v}"
            for k, v in (
                ("period", self.period),
                ("source", self.source),
                ("tenants", self.tenants),
            )
            if v
        ]
        lines += [f"  {k}: {v}" for k, v in self.figures]
        for f in self.findings:
            strength = f" ({f.strength})" if f.strength else ""
            lines.append(f"  [{f.severity}] {f.text}{strength}" if f.severity else f"  {f.text}")
        if self.more_findings:
            lines.append(f"  ... {self.more_findings} more findings")
        lines += self.notes
        return "\n".join(lines)


def _css(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower())


def period_text(start: object, end: object) -> str:
    """``2026-10-01`` .. ``2026-11-01`` (end exclusive) -> ``2026-10-01 to 2026-10-31 (31 days)``.

    Times that are not at midnight are kept (``2026-10-14 08:00 to 2026-10-14 18:00``); a
    missing bound reads ``start`` / ``now``.
    """
    if not start and not end:
        return "all data"
    s = pd.Timestamp(start) if start else None
    t = pd.Timestamp(end) if end else None
    whole_days = all(x is None or x == x.normalize() for x in (s, t))
    if whole_days and s is not None and t is not None and t > s:
        days = (t - s).days
        last = t - pd.Timedelta(days=1)
        span = fmt.day(s) if days == 1 else f"{fmt.day(s)} to {fmt.day(last)}"
        return f"{span} ({days} day{'' if days == 1 else 's'})"
    left = (fmt.day(s) if whole_days else fmt.when(s)) if s is not None else "the start"
    right = (fmt.day(t) if whole_days else fmt.when(t)) if t is not None else "now"
    return f"{left} to {right}"


def source_text(source: str, described: str = "") -> str:
    """The source as a reader should see it: the demo PBX is always named as the demo.

    Args:
        source: the notebook's ``source`` parameter ("" = MIRTA_DB_URL, else the demo PBX).
        described: what the reader found (``SQLite database pbx.sqlite``, a file name ...).
    """
    from mirtalib.settings import Settings

    if not (source or "").strip() and Settings.load().is_demo:
        return DEMO_SOURCE
    return described or source


def tenants_text(tenants: object) -> str:
    """A tenant list (list or comma-separated text; empty or ``all``: every tenant)."""
    if isinstance(tenants, str):
        items = [t.strip() for t in tenants.split(",") if t.strip()]
    else:
        items = [str(t) for t in (tenants or [])]
    if not items or [t.lower() for t in items] == ["all"]:
        return "all"
    return ", ".join(items)


def top_findings(
    frame: pd.DataFrame,
    describe,
    *,
    limit: int = 5,
    severity: str = "severity",
    strength=None,
    order: str | None = None,
) -> tuple[list[Finding], int]:
    """The ``limit`` most serious rows of a findings table as :class:`Finding` lines.

    Args:
        frame: one finding per row.
        describe: row -> the finding's text.
        limit: lines kept.
        severity: the severity column ("" when the table has none).
        strength: row -> the strength as text (None: no strength).
        order: a numeric column sorting rows of the same severity, largest first.

    Returns:
        The lines and how many findings were left out.
    """
    if frame is None or len(frame) == 0:
        return [], 0
    rows = frame.copy()
    keys, ascending = [], []
    if severity and severity in rows:
        rows["_rank"] = rows[severity].map(lambda s: SEVERITY_ORDER.get(str(s).lower(), 5))
        keys.append("_rank")
        ascending.append(True)
    if order and order in rows:
        keys.append(order)
        ascending.append(False)
    if keys:
        rows = rows.sort_values(keys, ascending=ascending, kind="stable")
    lines = [
        Finding(
            text=describe(row),
            strength=strength(row) if strength else "",
            severity=str(row[severity]) if severity and severity in rows else "",
        )
        for _, row in rows.head(limit).iterrows()
    ]
    return lines, max(len(rows) - limit, 0)
