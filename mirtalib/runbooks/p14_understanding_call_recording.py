"""Seed page 14, *Understanding call recording*: which legs of a call are recorded.

An explanation page: with phones A and B set to "Yes, but allow to stop by caller" and the DID
to "Yes, but allow to stop by called", a direct call is recorded; when A (the caller) transfers
to C, B-C is not recorded; when B (the called) transfers to C, A-C is; an inbound call is
recorded, and so is the external party with B after A transfers. Recording at trunk level is
simple; start, stop and transfers are where it gets hard.

The table is data in :data:`mirtalib.recording.RULES` (page rows plus the cases the page leaves
open, marked *assumed*). This runbook evaluates the period's calls against it with the
recording coverage audit: legs per rule, expected, recorded, missing and unexpected. The calls
come from MIRTA_DB_URL (the demo PBX's only with ``MIRTA_DB_URL=demo`` or on ``replay:`` targets);
with no database configured the check says so.
"""

from __future__ import annotations

from typing import Any

from mirtalib.cdr.load import normalize_tenants
from mirtalib.runbook import Check, Manual, Param, Phase, RunbookDef, Step, Verdict, Verification
from mirtalib.runbook.checks import needs_database
from mirtalib.runbooks.recording_pages import COVERAGE_NOTEBOOK, coverage, day, rules_vs_calls


def _tenants(value: str) -> str:
    return ",".join(normalize_tenants(value) or [])


PARAMS = (
    Param("tenants", "", "tenant codes, comma-separated; empty: all", check=_tenants),
    Param(
        "period_start",
        "2026-10-01",
        "first day of the calls evaluated (YYYY-MM-DD)",
        check=day("period_start"),
    ),
    Param(
        "period_end", "2026-11-01", "day after the last day (YYYY-MM-DD)", check=day("period_end")
    ),
)


def _rules_expect(table) -> tuple[Verdict, str]:
    page = table[table["source"] == "page 14"]
    missing, unexpected = int(page["missing"].sum()), int(page["unexpected"].sum())
    reason = (
        f"page 14's {len(page)} cases: {int(page['legs'].sum())} legs, "
        f"{int(page['recorded'].sum())} of {int(page['expected'].sum())} expected "
        f"recordings present, {missing} missing, {unexpected} unexpected"
    )
    return (Verdict.WARN if missing or unexpected else Verdict.PASS), reason


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 14 for validated parameter values ``v``."""
    return [
        Manual(
            id="test-settings",
            title="Reproduce the page's set-up on a test tenant",
            phase=Phase.BEFORE,
            where="MiRTA extensions and DID",
            detail="phones A, B: 'Yes, but allow to stop by caller'; DID: 'Yes, but allow to "
            "stop by called'; then place the five calls of the table",
        ),
        needs_database(
            Check(
                id="rules-vs-calls",
                title="Calls of the period against the page's table",
                phase=Phase.BEFORE,
                probe=lambda _t: "",
                parse=lambda _s: rules_vs_calls(
                    coverage(v["period_start"], v["period_end"], v["tenants"])
                ),
                expect=_rules_expect,
            )
        ),
    ]


RUNBOOK = RunbookDef(
    page=14,
    slug="understanding-call-recording",
    title="Understanding call recording",
    scope="tenant",
    roles=("pbx",),
    params=PARAMS,
    build=build,
    summary="Page 14's recording table as rules data, evaluated on the period's calls",
    verification=Verification(
        mirta_page=f"The recordings of the test calls match the table (audit: {COVERAGE_NOTEBOOK})."
    ),
)
