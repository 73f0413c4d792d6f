"""Every page's plan on the real Asterisk 22 node over SSH (not a MiRTA node: no MiRTA database,
files or CentOS tools): each ends in findings, never in an internal error (everyplan.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "runbook"))

from everyplan import assert_every_plan_ends, plan_every_page


def test_every_plan_on_the_real_node_ends_in_findings(target, tmp_path, monkeypatch):
    monkeypatch.delenv("MIRTA_DB_URL", raising=False)  # a real node: no database configured
    monkeypatch.setenv("MIRTA_DOTENV", "/dev/null")
    outcomes = plan_every_page(target, tmp_path / "journal")
    assert_every_plan_ends(outcomes)
    by_page = {o.page: o for o in outcomes}
    # Asterisk is there: its answers are read, not reported missing
    version = {r.step_id: r for r in by_page[38].report.nodes[0].results}["version-now"]
    assert "not installed" not in version.reason
    node_table = {r.step_id: r for r in by_page[35].report.nodes[0].results}["node-table-before"]
    assert node_table.reason.startswith("no database configured (set MIRTA_DB_URL)")
    assert "10.20.0.11" not in node_table.evidence
