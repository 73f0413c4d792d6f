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
        [sys.executable, str(BENCH), "--rows", "8000", "--base-scale", "0.1", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "tables agree across engines: yes" in proc.stdout
    results = json.loads(out.read_text())
    assert results["rows"] >= 8000 and results["copies"] >= 2
    for task in ("db_sql", "db_naive", "csv_ours", "csv_duckdb"):
        figures = results["tasks"][task]
        assert "error" not in figures, figures
        assert figures["wall_s"] > 0 and figures["peak_rss_mb"] > 0
