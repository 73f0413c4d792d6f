"""The report builder and the per-tenant HTML on a hand-built Master.csv."""

from __future__ import annotations

import pytest
from engines_agree import assert_engines_agree

from mirtalib.cdr.report import ReportParams, as_text, build_report, tenant_tables
from mirtalib.errors import ParameterError
from mirtalib.reporting import render_tenant_html, write_tenant_reports


@pytest.fixture
def master(write_csv, csv_line):
    lines = [
        csv_line(),  # DEVEL internal, answered 60 s
        csv_line(
            accountcode="ACME",
            channel="PJSIP/200-ACME-00000010",
            src="200",
            dstchannel="PJSIP/voipco-00000011",
            dst="00442071234567",
            userfield="OUT",
            uniqueid="srv02-1791190900.1",
            linkedid="srv02-1791190900.1",
            start="2026-10-05 23:00:00",
            answer="2026-10-05 23:00:10",
            end="2026-10-06 00:00:10",
            duration="3610",
            billsec="3600",
        ),
        csv_line(disposition="MAYBE"),  # rejected
    ]
    return write_csv("Master.csv", lines)


def test_report_from_master_csv(master):
    report = build_report(ReportParams(source=str(master), start="2026-10-01", end="2026-11-01"))
    assert report.engine == "pandas" and report.source == "Master.csv"
    kp = report.tables["kpis_tenant"].set_index("tenant")
    assert kp.loc["ACME", "minutes"] == 60.0 and kp.loc["DEVEL", "attempts"] == 1
    assert report.tables["rejects"].to_dict("records") == [
        {"reason": "unknown disposition", "field": "disposition", "rows": 1}
    ]
    f = report.findings
    assert list(f["kind"]) == ["off-hours international"] and f["severity"][0] == "high"
    assert f["subject"][0] == "200-ACME" and f["strength"][0] == 60.0
    acme = tenant_tables(report, "ACME")
    assert len(acme["findings"]) == 1 and set(acme["kpis_day"]["tenant"]) == {"ACME"}
    text = as_text(report.tables["kpis_tenant"])
    assert "100.0%" in text and "60.0" in text


def test_tenant_pages(master, tmp_path):
    report = build_report(ReportParams(source=str(master)))
    page = render_tenant_html(report, "ACME", figures=False)
    assert "CDR report: tenant ACME" in page and "200-ACME" in page and "DEVEL" not in page
    # tables are real HTML tables, not escaped text
    assert '<table class="mirta-table">' in page and "&lt;table" not in page
    assert "NaT" not in page and ">nan<" not in page
    files = write_tenant_reports(report, tmp_path / "out", figures=True)
    assert sorted(p.name for p in files.values()) == [
        "cdr-ACME-2026-10-01.html",
        "cdr-DEVEL-2026-10-01.html",
    ]
    acme = files["ACME"].read_text()
    assert 'alt="calls per day, ACME"' in acme and 'alt="calls by hour of day, ACME"' in acme
    with pytest.raises(ParameterError, match="not in the report"):
        render_tenant_html(report, "NOPE")


def test_sql_engine_gives_the_pandas_tables_on_the_demo_month(master):
    """Master.csv and SQLite through DuckDB: every table as the pandas reference's, for the
    demo month and for a period and some tenants (MariaDB: tests/integration/cdr)."""
    from mirtalib.demo import ensure_demo

    demo = ensure_demo()
    for source in (str(demo.master_csv), str(demo.db_url)):
        tables = assert_engines_agree(source, start="2026-10-01", end="2026-11-01")
        assert tables["kpis_tenant"]["attempts"].sum() > 1000
        assert_engines_agree(source, start="2026-10-10", end="2026-10-20", tenants="ACME,ROSSI")
    assert_engines_agree(str(master))  # hand-made legs: trunks, international, a reject


def test_bad_parameters(master):
    with pytest.raises(ParameterError, match="password must not be a parameter"):
        build_report(ReportParams(source="mysql+pymysql://u:hunter22@db/asterisk"))
    with pytest.raises(ParameterError, match="engine"):
        build_report(ReportParams(source=str(master), engine="spark"))
    with pytest.raises(ParameterError, match="business_hours"):
        build_report(ReportParams(source=str(master), business_hours="nights"))
    with pytest.raises(ParameterError, match="home_region"):
        build_report(ReportParams(source=str(master), home_region="ZZ"))


def test_tenant_page_names_the_demo_as_the_demo(monkeypatch):
    """With MIRTA_DB_URL=demo and no source, the page says it shows the demo PBX, never the
    demo's SQLite file as if it were a server's database."""
    from mirtalib.reporting.summary import DEMO_SOURCE

    monkeypatch.setenv("MIRTA_DB_URL", "demo")
    report = build_report(ReportParams(source="", start="2026-10-14", end="2026-10-15"))
    tenant = report.tenants[0]
    page = render_tenant_html(report, tenant, figures=False)
    assert DEMO_SOURCE in page and "pbx.sqlite" not in page


def test_the_notebook_has_a_parameter_for_every_report_parameter():
    from dataclasses import fields
    from pathlib import Path

    import papermill

    notebook = Path(__file__).parents[3] / "notebooks" / "analytics" / "cdr-report.ipynb"
    declared = papermill.inspect_notebook(str(notebook))
    missing = {f.name for f in fields(ReportParams)} - set(declared)
    assert not missing, f"ReportParams fields without a notebook parameter: {sorted(missing)}"
    assert declared["cache"]["default"] == '"off"'


def test_sql_engine_memory_cap_is_checked_and_its_exhaustion_named(tmp_path, monkeypatch):
    import duckdb

    from mirtalib.cdr import engine as E

    master = tmp_path / "Master.csv"
    master.write_text(
        '"","101","102","ctx","","PJSIP/101-0001","","Dial","","2026-10-05 09:00:00",'
        '"2026-10-05 09:00:02","2026-10-05 09:00:30",30,28,"ANSWERED",3,"a.1",""\n'
    )
    with pytest.raises(ParameterError, match="sql_tmp_mb=64: use 256 MB or more"):
        build_report(ReportParams(source=str(master), engine="sql", sql_tmp_mb=64, start=""))

    def exhausted(*args, **kwargs):
        raise duckdb.OutOfMemoryException("Out of Memory Error: could not allocate block")

    monkeypatch.setattr(E, "build_calls", exhausted)
    with pytest.raises(ParameterError, match="sql_tmp_mb=256: the sql engine needed more memory"):
        build_report(ReportParams(source=str(master), engine="sql", sql_tmp_mb=256, start=""))
