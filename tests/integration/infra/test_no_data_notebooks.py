"""The analytics notebooks, run headless on a period or a tenant without data, end ok (exit 0)
with a short report that says so and lists the tenants and days that have data."""

from __future__ import annotations

import nbformat
import pytest

from mirtalib.nbrun import run_notebook
from mirtalib.nbrun.discover import NOTEBOOKS_DIR

CASES = [
    (
        "cdr-report",
        [("start", "2025-01-01"), ("end", "2025-02-01"), ("html_dir", ""), ("export_dir", "")],
        "calls",
    ),
    ("recording-coverage", [("tenants", "NOPE"), ("export_dir", "")], "calls"),
    ("extension-events", [("start", "2025-01-01"), ("end", "2025-02-01")], "event-log rows"),
]


def _text(path) -> str:
    nb = nbformat.read(path, as_version=4)
    return "".join(
        "".join(out.get("text", "")) for cell in nb.cells for out in cell.get("outputs", [])
    )


@pytest.mark.parametrize(("notebook", "pairs", "what"), CASES, ids=[c[0] for c in CASES])
def test_notebook_without_data_is_a_short_ok_report(notebook, pairs, what, tmp_path, monkeypatch):
    monkeypatch.setenv("MIRTA_DB_URL", "demo")
    monkeypatch.setenv("MIRTA_REPORTS", str(tmp_path))
    result = run_notebook(
        NOTEBOOKS_DIR / "analytics" / f"{notebook}.py",
        cli=pairs,
        reports_dir=tmp_path,
        run="nodata",
        progress=False,
    )
    assert result.ok, result.describe_problem()
    text = _text(result.ipynb)
    assert f"no {what} from " in text
    assert "The source has data for:" in text
    assert "  ACME: 2026-10-01 to 2026-10-31 (31 days with data, " in text
