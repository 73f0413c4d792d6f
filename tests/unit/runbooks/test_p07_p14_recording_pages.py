"""Pages 07 (transcripts) and 14 (recording rules) on the demo PBX, through mirtalib.recording."""

from __future__ import annotations

import pandas as pd
import pytest

from mirtalib.errors import ParameterError
from mirtalib.recording import RULES
from mirtalib.runbook import Status
from mirtalib.runbooks import get
from mirtalib.runbooks.p07_activating_the_transcript_for_calls import _coverage_expect
from mirtalib.runbooks.recording_pages import (
    coverage,
    rules_vs_calls,
    settings_table,
    transcript_counts,
    transcript_coverage,
)


@pytest.fixture(scope="module")
def result():
    return coverage("2026-10-01", "2026-11-01")


def test_settings_table_and_findings():
    table = settings_table(["DEVEL"])
    assert set(table["tenant"]) == {"DEVEL"}
    assert set(table["kind"]) == {"extension", "DID"}
    counts = transcript_counts(settings_table())
    assert counts["total"].sum() == len(settings_table())
    on_no_rec = table[(table["transcript"]) & (table["recording"] == "NO")]
    assert (on_no_rec["finding"].str.startswith("transcript on, recording off")).all()


def test_transcript_coverage_matches_the_audit(result):
    table = transcript_coverage(result)
    totals = result.audit.totals()
    assert table["transcripts_expected"].sum() == totals["transcripts_expected"]
    assert table["transcripts_missing"].sum() == totals["transcripts_missing"] > 0


def test_coverage_verdict_threshold():
    table = pd.DataFrame({"transcripts_expected": [100], "transcripts_missing": [2]})
    assert _coverage_expect(1.0)(table)[0].value == "fail"
    assert _coverage_expect(5.0)(table)[0].value == "pass"


def test_rules_vs_calls_covers_every_rule(result):
    table = rules_vs_calls(result)
    assert len(table) == len(RULES)
    page = rules_vs_calls(result, page_only=True)
    assert list(page["source"].unique()) == ["page 14"] and len(page) == 5
    by = page.set_index(["origin", "segment"])
    assert by.loc[("internal", "transfer_by_caller"), "expected"] == 0  # B-C not recorded
    assert by.loc[("internal", "transfer_by_called"), "expected"] > 0  # A-C recorded
    assert (table["recorded"] <= table["expected"] + table["unexpected"]).all()


def test_page_14_runbook_verdict(tmp_path):
    rb = get(14).open("replay:srv01", journal=tmp_path, tenants="DEVEL")
    step = {r.step_id: r for r in rb.plan().nodes[0].results}["rules-vs-calls"]
    assert step.status in (Status.PASS, Status.WARN)
    assert step.reason.startswith("page 14's 5 cases:")
    assert rb.targets[0].log == []  # computed from the database, nothing asked of the node


def test_page_07_runbook(tmp_path):
    rb = get(7).open("replay:srv01", journal=tmp_path)
    steps = {r.step_id: r for r in rb.verify().nodes[0].results}
    assert steps["transcript-settings"].status is Status.WARN
    assert "record mono" in steps["transcript-settings"].reason
    assert steps["transcript-coverage"].status is Status.PASS
    assert "missing (0.1 %)" in steps["transcript-coverage"].reason


@pytest.mark.parametrize(
    "page, values, match",
    [
        (7, {"stt_provider": "acme-stt"}, "stt_provider"),
        (7, {"stt_key_env": '{"type": "service_account"}'}, "stt_key_env"),
        (7, {"max_missing_pct": 150.0}, "max_missing_pct"),
        (14, {"tenants": "acme;rossi"}, "tenant"),
        (14, {"period_end": "2026-13-01"}, "period_end='2026-13-01' is not a date"),
    ],
)
def test_bad_parameters(page, values, match, tmp_path):
    with pytest.raises(ParameterError, match=match):
        get(page).open("replay:srv01", journal=tmp_path, **values)
