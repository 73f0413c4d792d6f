"""The queue report as a reader sees it: units of every table, findings, the summary block, the
tenant page and the exports, on hand-computed calls (CALLS of test_stats) and agents."""

from __future__ import annotations

import pandas as pd
import pytest

from mirtalib.errors import ParameterError
from mirtalib.queues.calls import AgentSessions
from mirtalib.queues.report import (
    RINGS_NOT_ANSWERED,
    SL_BELOW_TARGET,
    QueueReport,
    QueueReportParams,
    abandon_within,
    drop_unused_outcomes,
    export_report,
    hours,
    outcome_table,
    queue_findings,
    queue_table,
    render_tenant_html,
)
from mirtalib.queues.stats import (
    CDR_ANSWERED_QUEUE_NOT,
    NOT_IN_CDR,
    abandon_curve,
    cross_counts,
    queue_stats,
)
from mirtalib.reporting.summaries import queue_summary
from mirtalib.reporting.summary import DEMO_SOURCE
from tests.unit.queues.test_stats import CALLS


def agents_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "agent": ["101-ACME", "102-ACME", "103-ACME"],
            "tenant": ["ACME"] * 3,
            "logged_in_s": [36_000.0, 7_200.0, None],
            "paused_s": [3_600.0, 0.0, None],
            "calls": [3, 10, 1],
            # 101: 12 of 15 rings not answered (80 %: high); 102: 10 of 20 rings (50 %: high
            # from half); 103: 9 rings (below rna_min=10): no finding
            "ring_no_answer": [12, 10, 9],
            "talk_s": [360.0, 1_800.0, 0.0],
            "occupancy": [360 / 32_400, 0.25, None],
        }
    )


def make_report(sl_target_pct: int = 80, mismatches: pd.DataFrame | None = None) -> QueueReport:
    params = QueueReportParams(sl_seconds=15, sl_target_pct=sl_target_pct)
    calls = CALLS.assign(ring_no_answer=0)
    if mismatches is None:
        mismatches = pd.DataFrame(
            {"kind": pd.Series(dtype="str"), "tenant": pd.Series(dtype="str")}
        )
    agents = AgentSessions(pd.DataFrame(), pd.DataFrame(), agents_table(), pd.DataFrame())
    tables = {
        "by_queue": queue_stats(calls, ("tenant", "queue"), 15),
        "by_day": queue_stats(calls, ("tenant", "queue", "day"), 15),
        "by_hour": queue_stats(calls, ("tenant", "queue", "hour"), 15),
        "outcomes": calls.groupby(["tenant", "outcome"]).size().rename("calls").reset_index(),
        "abandon_curve": abandon_curve(calls),
        "agents": agents.agents,
        "rejects": pd.DataFrame({"reason": [], "field": [], "rows": []}),
        "cross_counts": cross_counts(calls, mismatches),
        "cross_check": mismatches.assign(callid="c4"),
    }
    return QueueReport(params, "queue_log files", "", tables, calls, agents, pd.DataFrame())


def test_queue_table_units_hours_and_cap_with_link(tmp_path):
    report = make_report()
    html = queue_table(report.tables["by_queue"]).html
    # sl 15 s: 5 and 15 s of 10 offered; waits (5+15+25+20)/4 = 16.25 s; aht 120 s
    for cell in ("20.0 %", "0:16 min", "0:25 min", "1:00 min", "2:00 min"):
        assert f">{cell}<" in html, cell
    agents = queue_table(report.tables["agents"]).html
    assert ">10.0 h<" in agents and ">2.0 h<" in agents  # logged in 36,000 / 7,200 s
    assert ">1.1 %<" in agents and ">25.0 %<" in agents  # occupancy
    assert "<th>logged_in</th>" in agents and "logged_in_s" not in agents  # the cell has the unit
    assert "NaT" not in agents and ">nan<" not in agents.lower()
    full = tmp_path / "by_day.csv"
    capped = queue_table(report.tables["by_day"], max_rows=1, full=full).html
    assert "1 of 2 rows shown" in capped and 'by_day.csv">by_day.csv</a>' in capped


def test_hours_and_missing():
    assert hours(20_668) == "5.7 h"
    assert hours(None) == "" and hours(float("nan")) == "" and hours(pd.NA) == ""


def test_drop_unused_outcomes_keeps_the_ones_that_happened():
    by_queue = make_report().tables["by_queue"]
    assert list(drop_unused_outcomes(by_queue).columns) == list(by_queue.columns)  # all occurred
    quiet = by_queue.assign(timeout=0, exitkey=0)
    kept = drop_unused_outcomes(quiet).columns
    assert "timeout" not in kept and "exitkey" not in kept and "exitempty" in kept


def test_outcome_table_one_row_per_tenant():
    wide = outcome_table(make_report().tables["outcomes"]).set_index("tenant").loc["ACME"]
    assert wide["offered"] == 10 and wide["answered"] == 3 and wide["abandoned"] == 2
    assert wide["abandon_rate"] == 0.2
    assert outcome_table(make_report().tables["outcomes"].iloc[0:0]).empty


def test_abandon_within_counts_and_shares():
    # the abandoned calls waited 10 and 40 s
    got = abandon_within(make_report().tables["abandon_curve"], (5, 10, 30, 60))
    assert got["abandoned"].tolist() == [0, 1, 1, 2]
    assert got["share"].tolist() == [0.0, 0.5, 0.5, 1.0]
    assert pd.isna(abandon_within(abandon_curve(CALLS.iloc[0:0]))["share"]).all()


def test_findings_service_level_agents_and_cdr():
    mismatches = pd.DataFrame(
        {"kind": [CDR_ANSWERED_QUEUE_NOT, CDR_ANSWERED_QUEUE_NOT, NOT_IN_CDR],
         "tenant": ["ACME"] * 3}
    )  # fmt: skip
    found = queue_findings(make_report(80, mismatches), min_offered=5)
    kinds = found["kind"].tolist()
    # service level 20 % < 40 % (half the target): high; the ring shares 80 % and 50 %: high
    assert found.iloc[0]["kind"] == SL_BELOW_TARGET and found.iloc[0]["severity"] == "high"
    assert found.iloc[0]["strength"] == "20.0 % answered within 15 s"
    rna = found[found["kind"] == RINGS_NOT_ANSWERED]
    assert rna["subject"].tolist() == ["101-ACME", "102-ACME"]
    assert rna["strength"].tolist() == [
        "80.0 % of its rings not answered",
        "50.0 % of its rings not answered",
    ]
    cdr = found[found["kind"].str.startswith("queue log vs CDR")]
    assert cdr["severity"].tolist() == ["medium", "low"]
    assert cdr.iloc[0]["strength"] == "2 of 9 calls (22.2 %)"  # c9 unfinished is not judged
    assert kinds.index(SL_BELOW_TARGET) < kinds.index(f"queue log vs CDR: {NOT_IN_CDR}")
    # a target the queue reaches, a queue too small to judge, another tenant: no such finding
    assert SL_BELOW_TARGET not in queue_findings(make_report(20), min_offered=5)["kind"].tolist()
    assert SL_BELOW_TARGET not in queue_findings(make_report(80), min_offered=11)["kind"].tolist()
    assert queue_findings(make_report(80, mismatches), "ROSSI").empty


def test_target_out_of_range_is_refused():
    from mirtalib.queues.report import build_queue_report

    with pytest.raises(ParameterError, match="sl_target_pct"):
        build_queue_report(QueueReportParams(sl_target_pct=120))


def test_summary_figures_with_units_and_top_findings(monkeypatch):
    monkeypatch.setenv("MIRTA_DB_URL", "demo")
    summary = queue_summary(make_report(), source="")
    assert summary.source == DEMO_SOURCE  # the demo is always named as the demo
    assert summary.tenants == "ACME" and summary.period.startswith("2026-10-01 to 2026-10-31")
    figures = dict(summary.figures)
    assert figures["Offered"] == "10"
    assert figures["Answered"] == "4 (40.0 %)"  # answered and transferred
    assert figures["Abandoned"] == "2 (20.0 %), after 0:25 min on average"
    assert figures["Service level (15 s)"] == "20.0 %"
    assert figures["Average wait (answered)"] == "0:16 min"
    assert figures["90th-percentile wait"] == "0:25 min"
    assert figures["Longest wait"] == "1:00 min"
    assert figures["Average handle time"] == "2:00 min"
    # one line per kind: the strongest, with how many more of that kind
    lines = [f.text for f in summary.findings]
    assert lines[0].startswith("service level below target: ACME q") or lines[0].startswith(
        "rings not answered: ACME 101-ACME"
    )
    assert any("101-ACME" in t and "(1 more like it)" in t for t in lines)
    assert all(f.strength for f in summary.findings) and summary.more_findings == 1
    assert '<section class="mirta-summary">' in summary.html()
    named = queue_summary(make_report(), source="/var/log/asterisk/queue_log")
    assert named.source == "queue_log files"


def test_summary_of_a_period_without_calls_says_so():
    report = make_report()
    report.calls = report.calls.iloc[0:0]
    summary = queue_summary(report, source="x")
    assert dict(summary.figures)["Offered"] == "0"
    assert "No queue call in the period." in summary.notes


def test_tenant_page_formats_and_exports(tmp_path):
    report = make_report()
    page = render_tenant_html(report, "ACME", figures=False)
    assert "max-width: 72em" in page and "table { border-collapse" in page  # the CDR pages' CSS
    assert ">20.0 %<" in page and ">10.0 h<" in page
    assert "<h2>Findings (2)</h2>" in page  # two agents; 10 offered calls: too few to judge
    with pytest.raises(ParameterError, match="ROSSI"):
        render_tenant_html(report, "ROSSI")
    files = export_report(report, tmp_path)
    names = {p.name for p in files}
    assert {"by_queue.csv", "agents.csv", "findings.csv", "queue-report.xlsx"} <= names
    raw = pd.read_csv(tmp_path / "by_queue.csv")
    assert raw.loc[0, "service_level"] == 0.2  # exports keep the raw values
