"""The scale benchmark at a tiny scale, so that it cannot rot (figures are not asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
BENCH = Path(__file__).resolve().parents[3] / "benchmarks" / "cdr_bench.py"


def test_benchmark_runs_and_engines_agree(mariadb_factory, tmp_path):
    mariadb_factory
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--rows", "4000,8000", "--base-scale", "0.1",
         "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("tables agree across engines: yes") == 2
    assert proc.stdout.count("every table equal to the pandas reference: db_sql, csv_ours") == 2
    for anchor in ("day scan of the table", "GROUP BY from the index", "reading the rows alone"):
        assert proc.stdout.count(f"{anchor} = ") == 2, anchor
    assert "growth" in proc.stdout and "db_sql" in proc.stdout.split("growth")[1]
    runs = json.loads(out.read_text())["runs"]
    assert runs[0]["rows"] < runs[1]["rows"] and runs[1]["copies"] >= 2
    for results in runs:
        for task in (
            "db_scan",
            "db_index_scan",
            "db_read",
            "db_sql",
            "db_pandas",
            "db_naive",
            "csv_ours",
            "csv_duckdb",
            "db_daily",
        ):
            figures = results["tasks"][task]
            assert "error" not in figures, figures
            assert figures["wall_s"] > 0 and figures["peak_rss_mb"] > 0
        daily = results["tasks"]["db_daily"]
        assert daily["same"] and "kept from earlier runs" in daily["note"], daily


def test_naive_baseline_is_skipped_where_it_cannot_fit():
    import importlib.util

    spec = importlib.util.spec_from_file_location("cdr_bench", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.naive_fits(1_000)[0]
    fits, why = bench.naive_fits(10**12)
    assert not fits and "GB" in why and "available" in why


def test_naive_time_is_estimated_where_it_was_skipped():
    import importlib.util

    spec = importlib.util.spec_from_file_location("cdr_bench", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    small = {"rows": 1_000, "tasks": {"db_naive": {"wall_s": 60.0}}}
    big = {
        "rows": 10_000,
        "tasks": {"db_naive": {"skipped": "no room"}, "db_sql": {"wall_s": 50.0}},
    }
    (line,) = bench.naive_estimate(small, big)
    assert "at least 600 s" in line and "naive / sql >= 12.0x" in line
    big["tasks"]["db_naive"] = {"wall_s": 700.0}  # it ran: measured, nothing estimated
    assert bench.naive_estimate(small, big) == []
