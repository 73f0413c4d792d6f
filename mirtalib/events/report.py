"""One call for the event-log notebook: read, rebuild, check; and the text views it prints.

>>> run = analyze(open_database(), "2026-10-01", "2026-11-01")
>>> run.findings.summary()
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from mirtalib.cdr.load import normalize_tenants
from mirtalib.data.availability import no_data_note
from mirtalib.data.db import Database
from mirtalib.errors import ParameterError
from mirtalib.events.calls import extension_activity
from mirtalib.events.coverage import Coverage
from mirtalib.events.eventlog import event_log_availability, load_event_log
from mirtalib.events.findings import Findings, find_all
from mirtalib.events.model import BUSY_STATES, EventLoad
from mirtalib.events.timeline import build_timeline
from mirtalib.validate import iso_date

log = logging.getLogger(__name__)

EVIDENCE_EVENT_COLUMNS = ["time", "extension", "state", "event", "node", "uniqueid", "ref"]
EVIDENCE_CALL_COLUMNS = [
    "extension",
    "role",
    "start",
    "answer",
    "end",
    "disposition",
    "node",
    "uniqueid",
]


@dataclass
class Analysis:
    """Everything the notebook shows about one period.

    Attributes:
        load: the event-log rows read (and rejected).
        timeline: state intervals rebuilt from the event log.
        activity: the CDR activity of each extension (from :func:`mirtalib.cdr.load_legs`).
        legs_rejected: CDR rows the CDR reader could not use.
        findings: the findings with their evidence.
        start, end: the period.
        no_data: when the period and tenants have no event-log row: that sentence and the
            tenants and days the event log has rows for; "" otherwise.
    """

    load: EventLoad
    timeline: pd.DataFrame
    activity: pd.DataFrame
    legs_rejected: int
    findings: Findings
    start: pd.Timestamp
    end: pd.Timestamp
    no_data: str = ""

    def overview(self) -> pd.DataFrame:
        """Counts of what was read, one row per item."""
        ev = self.load.events
        rows = [
            ("event-log rows used", len(ev)),
            ("event-log rows rejected", len(self.load.rejects)),
            ("extensions with events", ev["extension"].nunique()),
            ("nodes seen in the log", ev.loc[ev["node"].ne(""), "node"].nunique()),
            ("state intervals rebuilt", len(self.timeline)),
            ("CDR legs involving an extension", len(self.activity)),
            ("CDR rows rejected by the CDR reader", self.legs_rejected),
        ]
        return pd.DataFrame(rows, columns=["item", "count"])

    def evidence_text(self, finding: str, rows: int = 8) -> str:
        """The finding's line, then its first event rows and call rows, as text."""
        row = self.findings.table.set_index("finding").loc[finding]
        events, calls = self.findings.evidence(finding)
        head = (
            f"{finding} {row['kind']} {row['extension'] or row['node']}: {row['detail']} "
            f"[{row['start']:%Y-%m-%d %H:%M:%S} .. {row['end']:%Y-%m-%d %H:%M:%S}]"
        )
        ev = events[EVIDENCE_EVENT_COLUMNS].head(rows)
        ca = calls[EVIDENCE_CALL_COLUMNS].head(rows)
        return "\n".join(
            [
                head,
                f"  events ({len(events)} rows, first {len(ev)}):",
                _indent(ev.to_string(index=False) if len(ev) else "(none)"),
                f"  CDR calls ({len(calls)} rows, first {len(ca)}):",
                _indent(ca.to_string(index=False) if len(ca) else "(none)"),
            ]
        )

    def first_of_each_kind(self) -> list[str]:
        """Finding ids: the first finding of every kind that has one."""
        table = self.findings.table
        return table.groupby("kind", sort=False)["finding"].first().tolist()


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def analyze(
    db: Database,
    start: datetime | str,
    end: datetime | str,
    tenants: str | Sequence[str] | None = None,
    **thresholds,
) -> Analysis:
    """Read the event log and the CDRs of a period, rebuild timelines, run every finding.

    Args:
        db: the MiRTA database.
        start, end: the period (PBX-local ISO dates; end exclusive).
        tenants: tenant codes (list or comma-separated), None / "" / "all" for every tenant.
        **thresholds: passed to :func:`mirtalib.events.findings.find_all`.
    """
    from mirtalib.cdr import load_legs  # the CDR reader of the CDR engineer

    t0, t1 = pd.Timestamp(iso_date(start, "start")), pd.Timestamp(iso_date(end, "end"))
    if t1 <= t0:
        raise ParameterError(f"end={end!r} is not after start={start!r}")
    codes = normalize_tenants(tenants)
    load = load_event_log(db, t0, t1, tenants=codes)
    legs = load_legs(db, t0, t1, tenants=codes)
    activity = extension_activity(legs.legs)
    if codes:
        activity = activity[activity["tenant"].isin(codes)].reset_index(drop=True)
    timeline = build_timeline(load.events, until=t1)
    findings = find_all(load.events, timeline, activity, until=t1, **thresholds)
    log.info("analysed %d events, %d findings", len(load.events), len(findings.table))
    no_data = ""
    if load.events.empty:
        no_data = no_data_note("event-log rows", t0, t1, codes, event_log_availability(db))
    return Analysis(load, timeline, activity, len(legs.rejects), findings, t0, t1, no_data)


def busy_disagreement(
    a: pd.DataFrame, b: pd.DataFrame, start: datetime | str, end: datetime | str
) -> pd.DataFrame:
    """Seconds each extension is busy in timeline ``a`` but not in ``b``, and the reverse.

    Args:
        a: intervals of one view (one source), e.g. the event log.
        b: intervals of the other view; it may hold several sources (the AMI channel events of
            each node): a moment counts as busy in ``b`` when any of them is busy.
        start, end: the window compared.

    Returns:
        Frame ``extension, busy_a_s, busy_b_s, only_a_s, only_b_s`` for extensions busy in either,
        sorted by the larger of the two differences.
    """
    t0, t1 = pd.Timestamp(start), pd.Timestamp(end)

    def busy(tl: pd.DataFrame) -> pd.DataFrame:
        part = tl[tl["state"].isin(BUSY_STATES) & (tl["end"] > t0) & (tl["start"] < t1)].copy()
        part["start"] = part["start"].clip(lower=t0)
        part["end"] = part["end"].clip(upper=t1)
        return part

    ba, bb = busy(a), busy(b)
    cov_a, cov_b = Coverage(ba), Coverage(bb)
    rows = []
    for ext in sorted(set(ba["extension"]) | set(bb["extension"])):
        sa, sb = cov_a.seconds(ext, t0, t1), cov_b.seconds(ext, t0, t1)
        both = (
            sum(cov_b.seconds(ext, r.start, r.end) for r in ba[ba["extension"] == ext].itertuples())
            if ext in cov_b
            else 0.0
        )
        rows.append(
            {
                "extension": ext,
                "busy_a_s": sa,
                "busy_b_s": sb,
                "only_a_s": round(sa - min(both, sa), 1),
                "only_b_s": round(sb - min(both, sb), 1),
            }
        )
    out = pd.DataFrame(rows, columns=["extension", "busy_a_s", "busy_b_s", "only_a_s", "only_b_s"])
    key = out[["only_a_s", "only_b_s"]].max(axis=1)
    return (
        out.assign(_k=key)
        .sort_values(["_k", "extension"], ascending=[False, True])
        .drop(columns="_k")
        .reset_index(drop=True)
    )
