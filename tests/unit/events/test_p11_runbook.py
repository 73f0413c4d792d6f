"""Page 11's runbook on the recorded demo node: every disagreement of the replay is named."""

from __future__ import annotations

import pytest

from mirtalib.errors import ParameterError
from mirtalib.runbook import Command, Manual, Status
from mirtalib.runbook.replay import ReplayTarget
from mirtalib.runbooks.p11_extension_state import (
    RUNBOOK,
    next_steps,
    snapshot_json,
    table_of,
    three_way,
)

STAGES = {
    "100-DEVEL": "event reader",
    "101-DEVEL": "state daemon",
    "102-DEVEL": "custom device state -> queue",
    "103-DEVEL": "ok",
    "104-DEVEL": "state daemon -> DB",
    "105-DEVEL": "state daemon -> custom device state",
    "107-DEVEL": "event reader",
    "108-DEVEL": "event reader -> state daemon",
    "109-DEVEL": "custom device state -> hint",
}


def test_replay_disagrees_in_every_way():
    table = table_of(snapshot_json(ReplayTarget.load("srv01"), RUNBOOK.validate({})))
    assert dict(zip(table["extension"], table["stage"], strict=True)) == STAGES
    assert table.attrs["errors"] == {}
    watches = dict(zip(table["extension"], table["queue_watches"], strict=True))
    assert watches["102-DEVEL"] == "SIP/102-DEVEL"  # the cause of its queue disagreement
    assert watches["103-DEVEL"] == "Custom:103-DEVEL"


def test_next_steps_one_row_per_stage():
    table, errors = three_way(ReplayTarget.load("srv01"), RUNBOOK.validate({}))
    steps = next_steps(table)
    assert errors == {}
    assert len(steps) == len(set(STAGES.values()) - {"ok"})
    assert steps.set_index("stage").loc["event reader", "extensions"] == "100-DEVEL, 107-DEVEL"


def test_plan_warns_and_verify_fails():
    rb = RUNBOOK.open("replay:srv01")
    plan = rb.plan()
    results = {r.step_id: r for r in plan.nodes[0].results}
    assert results["three-way"].status is Status.WARN
    assert results["three-way"].reason.startswith("8 of 9 disagree: 100-DEVEL (event reader)")
    assert results["st-states"].reason == "7 st_states rows"
    plan.raise_for_failure()  # warnings only: plan does not fail
    verify = rb.verify()
    after = {r.step_id: r for r in verify.nodes[0].results}["three-way-after"]
    assert after.status is Status.FAIL


def test_one_extension_that_agrees():
    rb = RUNBOOK.open("replay:srv01", extensions="103-DEVEL")
    verify = rb.verify()
    after = {r.step_id: r for r in verify.nodes[0].results}["three-way-after"]
    assert after.status is Status.PASS
    assert after.reason == "1 extensions: the copies agree"


def test_restart_is_a_command_only_when_given():
    steps = {s.id: s for s in RUNBOOK.steps(RUNBOOK.validate({}))}
    assert isinstance(steps["restart-daemons"], Manual)
    given = RUNBOOK.validate({"restart_command": "systemctl restart mirta-states"})
    steps = {s.id: s for s in RUNBOOK.steps(given)}
    assert isinstance(steps["restart-daemons"], Command)
    assert steps["restart-daemons"].risk.value == "service-affecting"


@pytest.mark.parametrize(
    ("name", "value", "match"),
    [
        ("tenant", "de'vel", "tenant"),
        ("extensions", "100", "extensions"),
        ("database", "a b", "database"),
        ("mysql_client", "mysql; rm -rf /", "mysql_client"),
    ],
)
def test_bad_parameters_are_named(name, value, match):
    with pytest.raises(ParameterError, match=match):
        RUNBOOK.validate({name: value})


def test_st_states_is_read_through_the_schema_map(tmp_path, monkeypatch):
    """An installation naming st_states differently (MIRTA_SCHEMA_MAP) gets its own names in the
    node's mysql command, labelled back to the logical ones the parser reads."""
    mapping = tmp_path / "schema.yaml"
    mapping.write_text(
        "tables:\n  st_states: ext_states\n"
        "columns:\n  st_states.st_state: st_status\n  st_states.st_extension: st_ext\n"
    )
    monkeypatch.setenv("MIRTA_SCHEMA_MAP", str(mapping))
    steps = {s.id: s for s in RUNBOOK.steps(RUNBOOK.validate({}))}
    sql = steps["st-states"].command
    assert "FROM ext_states" in sql
    assert "ext_states.st_status AS st_state" in sql
    assert "ext_states.st_ext AS st_extension" in sql
    assert "st_states." not in sql
    monkeypatch.delenv("MIRTA_SCHEMA_MAP")
    default = {s.id: s for s in RUNBOOK.steps(RUNBOOK.validate({}))}["st-states"].command
    assert "FROM st_states" in default
