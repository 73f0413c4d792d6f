"""Every page's plan on a plain Debian host over SSH (loopback sshd: no Asterisk, no MiRTA files,
no MIRTA_DB_URL): each ends in findings, never in an internal error, and shows no demo data."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from everyplan import assert_every_plan_ends, plan_every_page

from mirtalib.runbook import open_target


@pytest.fixture(scope="module")
def outcomes(sshd, tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.delenv("MIRTA_DB_URL", raising=False)  # a real host: no database configured
    mp.setenv("MIRTA_DOTENV", "/dev/null")
    target = open_target(sshd.url, **sshd.options)
    try:
        yield {o.page: o for o in plan_every_page(target, tmp_path_factory.mktemp("journal"))}
    finally:
        target.close()
        mp.undo()


def test_every_plan_ends_in_findings(outcomes):
    assert_every_plan_ends(list(outcomes.values()))


def test_a_missing_program_is_the_finding_of_the_step_that_needed_it(outcomes):
    steps = {r.step_id: r for r in outcomes[38].report.nodes[0].results}
    assert steps["version-now"].reason.startswith("asterisk is not installed on 127.0.0.1")
    assert "asterisk is not installed" in str(outcomes[38].final)


@pytest.mark.parametrize(
    ("page", "step"),
    [
        (14, "rules-vs-calls"),
        (25, "queue-ids"),
        (35, "node-table-before"),
        (36, "node-table-before"),
        (42, "mirta-database"),
        (44, "mirta-database"),
    ],
)
def test_database_steps_say_no_database_and_show_no_demo_value(outcomes, page, step):
    report = outcomes[page].report
    found = {r.step_id: r for r in report.nodes[0].results}[step]
    assert found.reason.startswith("no database configured (set MIRTA_DB_URL)")
    shown = " ".join([found.reason, found.evidence, *(c.output for c in found.commands)])
    # the demo's Admin/PBX Nodes row (srv01 10.20.0.11), its queues and tenants never appear
    for demo_value in ("10.20.0.11", "no_id", "queue ID", "ACME", "DEVEL"):
        assert demo_value not in shown, (page, demo_value)
    assert "Admin/PBX Nodes row(s) to change" not in report.text()


def test_notebook_settings_table_on_a_host_without_asterisk(sshd, monkeypatch):
    """Pages 32/44's notebook table names why a node cannot answer (no ParseError)."""
    from mirtalib.phones.endpoint import settings_on_nodes

    target = open_target(sshd.url, **sshd.options)
    try:
        found = settings_on_nodes([target], "104-DEVEL", "pjsip")
    finally:
        target.close()
    assert found[target.name].startswith("cannot read 104-DEVEL's settings: asterisk is not")
