"""Report formats (units, separators, no NaT), HTML tables and the summary block."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import pytest

from mirtalib.reporting import fmt
from mirtalib.reporting.summary import DEMO_SOURCE, Summary, period_text, top_findings


@pytest.mark.parametrize(
    ("func", "value", "want"),
    [
        (fmt.percent, 0.731341, "73.1 %"),
        (fmt.duration, 207.839, "3:28 min"),
        (fmt.duration, 42, "0:42 min"),
        (fmt.duration, 3725, "1:02:05 h"),
        (fmt.duration, pd.Timedelta(seconds=90), "1:30 min"),
        (fmt.size, 2_995_679, "2.9 MB"),
        (fmt.size, 512, "512 B"),
        (fmt.count, 2_995_679, "2,995,679"),
        (fmt.minutes, 19755.1, "19,755 min"),
        (fmt.when, pd.Timestamp("2026-10-14 10:42:07"), "2026-10-14 10:42"),
        (fmt.day, pd.Timestamp("2026-10-14"), "2026-10-14"),
    ],
)
def test_formats(func, value, want):
    assert func(value) == want


@pytest.mark.parametrize(
    "func", [fmt.percent, fmt.duration, fmt.size, fmt.count, fmt.when, fmt.text]
)
@pytest.mark.parametrize("missing", [None, np.nan, pd.NaT, pd.NA])
def test_missing_values_are_empty_never_nat(func, missing):
    assert func(missing) == ""


def test_html_table_units_escaping_cap_and_link(tmp_path, monkeypatch):
    frame = pd.DataFrame(
        {
            "tenant": ["<b>ACME</b>"] + [f"T{i}" for i in range(29)],
            "attempts": range(1000, 1030),
            "asr": [0.731] * 30,
            "acd": [207.8] * 30,
            "peak_at": [pd.NaT] + [pd.Timestamp("2026-10-16 15:28:08")] * 29,
            "storage_bytes": [2_995_679] * 30,
        }
    )
    run = tmp_path / "cdr-report" / "r1"
    monkeypatch.setenv("MIRTA_RUN_DIR", str(run))
    table = fmt.html_table(frame, max_rows=25, full=run / "exports" / "kpis.csv")
    out = table.html
    assert "&lt;b&gt;ACME&lt;/b&gt;" in out and "<b>ACME" not in out
    for text in ("1,000", "73.1 %", "3:28 min", "2.9 MB", "2026-10-16 15:28"):
        assert text in out
    assert "NaT" not in out and ">nan<" not in out
    assert out.count("<tr>") == 26  # header + 25 rows
    assert "25 of 30 rows shown" in out and 'href="r1/exports/kpis.csv"' in out
    assert table._repr_html_() == out and "25 of 30 rows" in repr(table)


def test_html_table_empty_says_so():
    assert "none" in fmt.html_table(pd.DataFrame({"a": []}), caption="rejects").html


def test_period_text():
    assert period_text("2026-10-01", "2026-11-01") == "2026-10-01 to 2026-10-31 (31 days)"
    assert period_text("2026-10-14", "2026-10-15") == "2026-10-14 (1 day)"
    assert (
        period_text("2026-10-14 08:00", "2026-10-14 18:00")
        == "2026-10-14 08:00 to 2026-10-14 18:00"
    )


def test_summary_html_escapes_and_orders_findings():
    frame = pd.DataFrame(
        {"what": ["a", "<script>", "c"], "severity": ["low", "high", "medium"], "n": [9, 1, 5]}
    )
    lines, more = top_findings(frame, lambda r: r["what"], limit=2, order="n")
    assert [f.severity for f in lines] == ["high", "medium"] and more == 1
    s = Summary(
        "CDR report",
        period="p",
        source=DEMO_SOURCE,
        figures=[("Calls", "20,042")],
        findings=lines,
        more_findings=more,
    )
    out = s._repr_html_()
    assert "&lt;script&gt;" in out and "<script>" not in out
    assert "20,042" in out and "1 more finding" in out and html.escape(DEMO_SOURCE) in out
    assert "Calls: 20,042" in repr(s)


def test_link_outside_a_headless_run_is_relative_to_the_notebook_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("MIRTA_RUN_DIR", raising=False)
    nb_dir = tmp_path / "notebooks" / "analytics"
    nb_dir.mkdir(parents=True)
    monkeypatch.chdir(nb_dir)
    target = tmp_path / "reports" / "cdr-report" / "lab" / "exports" / "kpis.csv"
    assert fmt.link(target) == "../../reports/cdr-report/lab/exports/kpis.csv"
