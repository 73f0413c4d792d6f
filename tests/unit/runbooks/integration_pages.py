"""Helpers of the tests of the integration runbooks (pages 01, 02, 03, 05, 06).

The replays are an isolated copy holding the base recordings and only these pages' fragments, so
another page's fragment cannot change these tests (the notebooks use the full shared folder).
"""

from __future__ import annotations

from pathlib import Path

from mirtalib.runbook.replay import isolated_replays as copy_replays

PAGES = ("p01", "p02", "p03", "p05", "p06")
CANARIES = {
    "MIRTA_OPENAIGW_DB_PASSWORD": "canary-db-pass-0f1e2d3c4b",
    "MIRTA_OPENAI_API_KEY": "canary-openai-key-9a8b7c6d5e",
    "MIRTA_GOOGLE_TTS_API_KEY": "canary-google-key-1a2b3c4d5e",
    "MIRTA_AMIROUTER_DB_PASSWORD": "canary-amirouter-db-7e6d5c4b",
    "MIRTA_AMIROUTER_KEYSTORE_PASSWORD": "canary-keystore-pass-3c2b1a0f",
}


def isolated_replays(dest: Path) -> dict:
    """Copy srv01/srv02 and these pages' fragments into ``dest``; return target options."""
    return copy_replays(dest, PAGES)


def steps(report, node: int = 0) -> dict:
    """Step id -> result of one node of a report."""
    return {r.step_id: r for r in report.nodes[node].results}


def everything_written(reports, journal: Path) -> str:
    """All text a run produced: report texts, verdict tables, every journal file."""
    from mirtalib.runbook import report_html, verdict_table

    out = []
    for r in reports:
        out += [r.text(), verdict_table(r), report_html(r)]
    out += [p.read_text() for p in sorted(journal.rglob("*")) if p.is_file()]
    return "\n".join(out)
