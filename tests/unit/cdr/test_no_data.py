"""A period or a tenant without data: a short report that says so and where the data is.

Every library call the analytics notebooks make runs on an empty period and on an unknown
tenant of the demo PBX without raising (before: ``TypeError: no numeric data to plot`` in the
CDR plots, ``invalid entry 2 in condlist`` in the recording audit).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from mirtalib.cdr.available import cdr_availability
from mirtalib.cdr.concurrency import concurrency_series
from mirtalib.cdr.export import export_tables
from mirtalib.cdr.plots import (
    plot_asr_daily,
    plot_concurrency,
    plot_daily_calls,
    plot_dispositions,
    plot_heatmap,
)
from mirtalib.cdr.report import ReportParams, build_report
from mirtalib.data.availability import Availability, no_data_note
from mirtalib.data.db import open_database
from mirtalib.demo import ensure_demo
from mirtalib.events import focus, plot_timeline, time_in_state
from mirtalib.events.report import analyze
from mirtalib.recording.report import (
    export,
    gap_counts,
    plot_coverage,
    run_coverage,
    tenant_totals,
)
from mirtalib.reporting import write_tenant_reports

EMPTY = {"start": "2025-01-01", "end": "2025-02-01"}
UNKNOWN = {"start": "2026-10-01", "end": "2026-11-01", "tenants": "NOPE"}
DEMO_TENANTS = ["ACME", "DEVEL", "ROSSI", "VERDI"]


def _lists_demo_data(text: str, what: str) -> None:
    for tenant in DEMO_TENANTS:
        assert f"  {tenant}: 2026-10-01 to 2026-10-31 (31 days with data, " in text
    assert what in text


@pytest.mark.parametrize("case", [EMPTY, UNKNOWN], ids=["empty-period", "unknown-tenant"])
@pytest.mark.parametrize("engine", ["pandas", "sql"])
def test_cdr_report_without_calls(case, engine, tmp_path):
    report = build_report(ReportParams(engine=engine, **case))
    assert report.tables["kpis_tenant"].empty
    head = report.no_data.splitlines()[0]
    if case is EMPTY:
        assert head.startswith("no calls from 2025-01-01 to 2025-02-01 (end not included)")
        assert "for every tenant" in head
    else:
        assert "for tenant NOPE." in head
    _lists_demo_data(report.no_data, "CDR rows)")
    T = report.tables
    figures = [
        plot_daily_calls(T["kpis_day"]),
        plot_asr_daily(T["kpis_day"]),
        plot_heatmap(T["heatmap"]),
        plot_dispositions(T["dispositions"]),
    ]
    if report.calls is not None:
        peak = int(T["concurrency"].query("dim == 'all'")["peak"].iloc[0])
        figures.append(plot_concurrency(concurrency_series(report.calls, tz="Europe/Rome"), peak))
    assert figures[0].axes[0].texts[0].get_text() == "no calls in the period"
    for fig in figures:
        plt.close(fig)
    assert export_tables({**T, "findings": report.findings}, tmp_path / "x")
    assert write_tenant_reports(report, tmp_path / "pages") == {}


def test_a_report_with_calls_has_no_no_data_note():
    report = build_report(ReportParams(start="2026-10-05", end="2026-10-06", tenants="ACME"))
    assert len(report.tables["kpis_tenant"]) == 1 and report.no_data == ""


def test_availability_of_master_csv_files_matches_the_database():
    db = cdr_availability(open_database()).per_tenant
    files = cdr_availability(str(ensure_demo().master_csv)).per_tenant
    assert db["tenant"].tolist() == DEMO_TENANTS
    assert (
        files.set_index("tenant")
        .loc[DEMO_TENANTS, ["first_day", "last_day", "days"]]
        .equals(db.set_index("tenant")[["first_day", "last_day", "days"]])
    )


def test_no_data_note_for_an_empty_source_and_several_tenants():
    empty = Availability.from_daily("CDR rows", pd.DataFrame(columns=["tenant", "day", "rows"]))
    note = no_data_note("calls", "2026-10-01", "2026-11-01", ["ACME", "NOPE"], empty)
    assert note == (
        "no calls from 2026-10-01 to 2026-11-01 (end not included) for tenants ACME, NOPE. "
        "the source holds no CDR rows at all."
    )


@pytest.mark.parametrize("case", [EMPTY, UNKNOWN], ids=["empty-period", "unknown-tenant"])
def test_recording_coverage_without_calls(case, tmp_path):
    result = run_coverage(case["start"], case["end"], case.get("tenants", "all"))
    _lists_demo_data(result.no_data, "CDR rows)")
    assert result.audit.totals()["expected"] == 0
    assert tenant_totals(result.audit).empty
    assert gap_counts(result.audit).empty or gap_counts(result.audit).sum().sum() >= 0
    plot_coverage(result.audit)
    daily = result.audit.summary.assign(day=result.audit.summary["day"].dt.strftime("%Y-%m-%d"))
    assert daily.empty
    assert export(result.audit, tmp_path) == [
        "recording-coverage-summary.csv",
        "recording-coverage-gaps.csv",
        "recording-coverage.xlsx",
    ]


@pytest.mark.parametrize("case", [EMPTY, UNKNOWN], ids=["empty-period", "unknown-tenant"])
def test_extension_events_without_events(case):
    run = analyze(open_database(), case["start"], case["end"], case.get("tenants"))
    assert run.no_data.startswith("no event-log rows from ")
    _lists_demo_data(run.no_data, "event-log rows)")
    assert run.findings.table.empty and run.first_of_each_kind() == []
    time_in_state(run.timeline, by="tenant")
    time_in_state(run.timeline)
    fig = plot_timeline(run.timeline, ["100-DEVEL"], "2026-10-14 08:00", "2026-10-14 18:00")
    plt.close(fig)
    fx = focus(run.load.events, run.timeline, run.activity, "100-DEVEL", "2026-10-14 10:42")
    assert fx.events.empty
