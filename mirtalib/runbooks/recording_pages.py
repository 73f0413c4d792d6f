"""What pages 07 (transcripts) and 14 (call recording) share: settings tables and coverage.

Both read the recording settings and the coverage audit of :mod:`mirtalib.recording` (the
analytics notebook ``analytics/recording-coverage`` is the full report); this module only shapes
them for the runbooks: which extensions and DIDs record and transcribe (with findings), the
transcript numbers per tenant, and the demo's calls evaluated against page 14's rules.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from mirtalib.data.db import Database, open_database, or_no_database
from mirtalib.data.schema import RECORDING_NO
from mirtalib.data.shared import shared_read
from mirtalib.errors import ParameterError
from mirtalib.recording import RULES, CoverageResult, run_coverage
from mirtalib.recording.report import read_settings

COVERAGE_NOTEBOOK = "notebooks/analytics/recording-coverage.ipynb"


def day(name: str):
    """Validator of a ``YYYY-MM-DD`` parameter called ``name`` (ParameterError naming it)."""

    def check(value: str) -> str:
        try:
            date.fromisoformat(str(value))
        except ValueError:
            raise ParameterError(f"{name}={value!r} is not a date (use YYYY-MM-DD)") from None
        return str(value)

    return check


def settings_table(tenants: list[str] | None = None, db: Database | None = None) -> pd.DataFrame:
    """One row per extension and DID: tenant, kind, name, policy, stereo, transcript, finding.

    Findings: ``transcript on, recording off`` (nothing to transcribe), ``transcript on, mono``
    (the parties are not separated; page 07 advises stereo). Without ``db``, the configured
    database's table is read once per fleet run (:func:`mirtalib.data.shared.shared_read`).
    """
    if db is None:

        def read() -> pd.DataFrame:
            return settings_table(tenants, open_database())

        return shared_read("recording settings", (tuple(tenants) if tenants else None,), read)
    book = read_settings(db)
    rows = [("extension", name.rsplit("-", 1)[-1], name, s) for name, s in book.extensions.items()]
    rows += [
        ("DID", tenant, digits, s) for tenant, items in book.dids.items() for digits, s in items
    ]
    out = []
    for kind, tenant, name, s in rows:
        if tenants and tenant not in tenants:
            continue
        finding = ""
        if s.transcript and s.policy == RECORDING_NO:
            finding = "transcript on, recording off: nothing to transcribe"
        elif s.transcript and not s.stereo:
            finding = "transcript on, mono: parties not separated"
        out.append(
            {
                "tenant": tenant,
                "kind": kind,
                "name": name,
                "recording": s.policy,
                "stereo": s.stereo,
                "transcript": s.transcript,
                "finding": finding,
            }
        )
    frame = pd.DataFrame(
        out, columns=["tenant", "kind", "name", "recording", "stereo", "transcript", "finding"]
    )
    return frame.sort_values(["tenant", "kind", "name"], ignore_index=True)


def transcript_counts(settings: pd.DataFrame) -> pd.DataFrame:
    """Per tenant and kind: how many have transcripts on, and the findings."""
    grouped = settings.groupby(["tenant", "kind"])
    return pd.DataFrame(
        {
            "total": grouped.size(),
            "transcript_on": grouped["transcript"].sum().astype(int),
            "findings": grouped["finding"].apply(lambda s: int((s != "").sum())),
        }
    ).reset_index()


def coverage(
    period_start: str, period_end: str, tenants: str = "", transcription_enabled: bool = True
) -> CoverageResult:
    """The recording coverage audit over the configured database (MIRTA_DB_URL; the demo PBX with
    its recordings only when selected: ``MIRTA_DB_URL=demo`` or replay targets), local inventory;
    computed once per fleet run and database (:func:`mirtalib.data.shared.shared_read`: the
    result is shared, never changed by its readers).

    Raises:
        NoDatabaseConfigured: no database configured (runbook checks show it as a finding).
    """
    return shared_read(
        "recording coverage",
        (str(period_start), str(period_end), tenants or "", bool(transcription_enabled)),
        lambda: run_coverage(
            period_start, period_end, tenants or None, transcription_enabled=transcription_enabled
        ),
    )


def transcript_coverage(result: CoverageResult) -> pd.DataFrame:
    """Transcripts expected / present / missing per tenant, with the percentage."""
    s = result.audit.summary.groupby("tenant")[
        ["transcripts_expected", "transcripts_present", "transcripts_missing"]
    ].sum()
    expected = s["transcripts_expected"].where(s["transcripts_expected"] > 0)
    s["transcript_pct"] = (100.0 * s["transcripts_present"] / expected).round(1)
    return s.reset_index()


def rules_vs_calls(result: CoverageResult, page_only: bool = False) -> pd.DataFrame:
    """Page 14's rules with the demo's answered legs evaluated against each.

    Columns: origin, segment, example, source, legs, expected, recorded, missing (legs that
    should have been recorded and were not, broken ones included), unexpected (recorded
    although the rule says no).
    """
    legs = result.audit.legs
    legs = legs[legs["segment"].isin({r.segment for r in RULES})]
    g = legs.groupby(["origin", "segment"])
    counts = pd.DataFrame(
        {
            "legs": g.size(),
            "expected": g["expected"].sum().astype(int),
            "recorded": g["status"].apply(lambda s: int((s == "recorded").sum())),
            "missing": g["status"].apply(lambda s: int(s.isin(["missing", "broken"]).sum())),
            "unexpected": g["status"].apply(lambda s: int((s == "unexpected").sum())),
        }
    )
    rules = pd.DataFrame(
        [
            {
                "origin": r.origin,
                "segment": r.segment,
                "policy_from": r.policy_from,
                "example": r.example,
                "source": r.source,
            }
            for r in RULES
        ]
    )
    if page_only:
        rules = rules[rules["source"] == "page 14"]
    out = rules.merge(counts.reset_index(), on=["origin", "segment"], how="left")
    for col in ("legs", "expected", "recorded", "missing", "unexpected"):
        out[col] = out[col].fillna(0).astype(int)
    return out


# -- what the notebooks print: the tables, or why there are none (never an exception) --------


def _tenant_list(tenants: str) -> list[str] | None:
    return [t for t in tenants.split(",") if t] or None


def transcript_settings_text(tenants: str = "") -> str:
    """Page 07's notebook: transcripts on per tenant and kind, then the settings with a finding;
    or "no database configured (set MIRTA_DB_URL) ..." without a database."""

    def text() -> str:
        settings = settings_table(_tenant_list(tenants))
        flagged = settings[settings["finding"] != ""]
        return "\n\n".join(
            [transcript_counts(settings).to_string(index=False), flagged.to_string(index=False)]
        )

    return or_no_database(text)


def transcript_coverage_text(
    period_start: str, period_end: str, tenants: str = "", transcription_enabled: bool = True
) -> str:
    """Page 07's notebook: :func:`transcript_coverage` of the period, or why it cannot be read."""
    return or_no_database(
        lambda: transcript_coverage(
            coverage(period_start, period_end, tenants, transcription_enabled)
        ).to_string(index=False)
    )


RULES_VS_CALLS_COLUMNS = [
    "origin", "segment", "source", "legs", "expected", "recorded", "missing", "unexpected",
]  # fmt: skip


def rules_vs_calls_text(period_start: str, period_end: str, tenants: str = "") -> str:
    """Page 14's notebook: the period's answered legs against the rules (:func:`rules_vs_calls`),
    or why they cannot be read."""
    return or_no_database(
        lambda: rules_vs_calls(coverage(period_start, period_end, tenants))[
            RULES_VS_CALLS_COLUMNS
        ].to_string(index=False)
    )
