"""One call for the incident notebook: every source around one complaint, findings ranked.

>>> inc = investigate(IncidentParams(at="2026-10-14 10:42", extension="100-DEVEL",
...                                  complaint="100-DEVEL could not take calls"))
>>> inc.findings[["rank", "score", "kind", "text"]]
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pandas as pd

from mirtalib.incident.params import IncidentParams
from mirtalib.incident.rank import rank, symptoms_of
from mirtalib.incident.sources import (
    CHECKED_COLUMNS,
    FINDING_COLUMNS,
    Collected,
    Scope,
    empty_findings,
    gather_calls,
    gather_cpu,
    gather_events,
    gather_queue,
    gather_recordings,
    gather_targets,
)

log = logging.getLogger(__name__)

SHOWN_COLUMNS = ["rank", "score", "kind", "subject", "node", "start", "end", "text"]


@dataclass
class Incident:
    """Everything gathered around one complaint.

    Attributes:
        params: what was asked.
        at, start, end: the moment and the window searched.
        symptoms: the complaint's symptoms (:func:`mirtalib.incident.rank.symptoms_of`).
        scope: the extensions, nodes and call ids the sources were asked about.
        findings: ranked (:data:`SHOWN_COLUMNS` plus source, strength, relevance, nearness,
            subject_match, ``finding`` id ``I01`` ...), best explanation first.
        evidence: finding id -> the rows behind it.
        checked: one line per source (``source, status, what``): ``read``, or ``absent`` /
            ``failed`` with what would have been checked.
        tables: calls, legs, states, events, recordings, queue_calls, queue_events, cpu,
            registrations, state_copies (those that were read).
        series: CPU series per node and counter (``time, pct``) for the chart.
    """

    params: IncidentParams
    at: pd.Timestamp
    start: pd.Timestamp
    end: pd.Timestamp
    symptoms: tuple[str, ...]
    scope: Scope
    findings: pd.DataFrame
    evidence: dict[str, pd.DataFrame]
    checked: pd.DataFrame
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    series: dict[str, pd.DataFrame] = field(default_factory=dict)

    def table(self, name: str) -> pd.DataFrame:
        """A gathered table (an empty frame when its source was absent)."""
        return self.tables.get(name, pd.DataFrame())

    def missing(self) -> list[str]:
        """One line per source that could not be read."""
        absent = self.checked[self.checked["status"] != "read"]
        return [f"{r.source}: {r.what}" for r in absent.itertuples(index=False)]

    def top(self, n: int = 3) -> pd.DataFrame:
        """The ``n`` best explanations (score above 0)."""
        return self.findings[self.findings["score"] > 0].head(n)


def investigate(params: IncidentParams) -> Incident:
    """Read every source around ``params.at`` and rank what could explain the complaint.

    Raises:
        ParameterError: a parameter is wrong (before anything is read). A source that is absent,
            not configured or unreadable is one line of :attr:`Incident.checked`, never an error.
    """
    params.check()
    at = params.moment()
    w0, w1 = params.window()
    scope, out = Scope(), Collected()
    if params.extension:
        scope.extensions = [params.extension.strip()]
    gather_calls(params, w0, w1, scope, out)
    gather_events(params, w0, w1, scope, out)
    gather_recordings(params, w0, w1, scope, out)
    gather_queue(params, w0, w1, scope, out)
    gather_cpu(params, w0, w1, scope, out)
    gather_targets(params, at, scope, out)
    symptoms = symptoms_of(params.complaint)
    frame = (
        pd.DataFrame(out.findings, columns=list(FINDING_COLUMNS))
        if out.findings
        else (empty_findings())
    )
    frame["_i"] = range(len(frame))
    ranked = rank(frame, symptoms, at, w1 - at)
    ids = [f"I{i + 1:02d}" for i in range(len(ranked))]
    evidence = {fid: out.evidence[int(i)] for fid, i in zip(ids, ranked["_i"], strict=True)}
    ranked = ranked.drop(columns="_i")
    ranked.insert(0, "finding", ids)
    tables = {k: v for k, v in out.tables.items() if k != "context_legs"}
    log.info("incident at %s: %d finding(s)", at, len(ranked))
    return Incident(
        params, at, w0, w1, symptoms, scope, ranked, evidence,
        pd.DataFrame(out.checked, columns=list(CHECKED_COLUMNS)), tables, out.series,
    )  # fmt: skip


def severity(score: float) -> str:
    """How well a finding explains the complaint, in a word (from its score)."""
    return "high" if score >= 0.6 else "medium" if score >= 0.3 else "low"


def incident_summary(inc: Incident, limit: int = 3):
    """The report's answer: the moment, what was read, the best explanations with their score."""
    from mirtalib.reporting import fmt
    from mirtalib.reporting.summary import Finding, Summary, period_text, source_text, tenants_text

    p = inc.params
    about = ", ".join(x for x in (p.extension, p.number, p.queue, p.node) if x) or "every call"
    read = int((inc.checked["status"] == "read").sum())
    figures = [
        ("Moment", fmt.when(inc.at)),
        ("About", about),
        ("Symptoms", ", ".join(inc.symptoms)),
        ("Calls in the window", fmt.count(len(inc.table("calls")))),
        ("Sources read", f"{read} of {len(inc.checked)}"),
        ("Findings", fmt.count(len(inc.findings))),
    ]
    top = inc.top(limit)
    lines = [
        Finding(
            text=f"{r.finding} {r.text}",
            strength=f"score {r.score:.2f}",
            severity=severity(r.score),
        )
        for r in top.itertuples(index=False)
    ]
    notes = [f"Complaint: {p.complaint}"] if p.complaint else []
    notes += [f"Not checked - {line}" for line in inc.missing()]
    return Summary(
        title="Incident view",
        period=period_text(inc.start, inc.end),
        source=source_text(p.source, "CDR " + (p.source or "database")),
        tenants=tenants_text(p.tenants),
        figures=figures,
        findings=lines,
        more_findings=max(len(inc.findings) - len(lines), 0),
        notes=notes,
    )
