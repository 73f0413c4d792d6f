"""The engine's fleet mode only reads: a changing step is refused before anything runs."""

from __future__ import annotations

import pytest

from mirtalib.runbook.engine import FleetRefused, run_node
from mirtalib.runbook.model import Check, Command, FileChange, Phase, Risk, Verdict
from mirtalib.runbook.results import Status
from mirtalib.runbook.targets import LocalTarget


def _steps(tmp_path):
    marker = tmp_path / "ran"
    return marker, [
        Command(id="read", title="read", command=f"echo read >> {marker}"),
        Check(
            id="later",
            title="a verification-phase check",
            command="echo 42",
            parse=lambda text: int(text),
            expect=lambda value: (Verdict.WARN, f"value {value}"),
        ),
        Check(id="before", title="before", phase=Phase.BEFORE, command="true"),
    ]


def test_fleet_runs_checks_of_every_phase_and_read_only_commands(tmp_path):
    marker, steps = _steps(tmp_path)
    report, exc = run_node("fleet", steps, LocalTarget(), run_id="r", backup_dir="/nonexistent")
    assert exc is None
    assert [(r.step_id, r.status) for r in report.results] == [
        ("read", Status.OK),
        ("later", Status.WARN),
        ("before", Status.PASS),
    ]
    assert report.results[1].reason == "value 42"
    assert marker.read_text() == "read\n"


@pytest.mark.parametrize("risk", [Risk.CHANGING, Risk.SERVICE_AFFECTING])
def test_fleet_refuses_a_changing_command(tmp_path, risk):
    marker, steps = _steps(tmp_path)
    change = Command(id="touch", title="t", command=f"touch {tmp_path}/changed", risk=risk)
    with pytest.raises(FleetRefused, match=r"refused \(nothing ran\): touch \(command, risk"):
        run_node("fleet", [*steps, change], LocalTarget(), run_id="r", backup_dir="/x")
    assert not marker.exists(), "a step ran before the refusal"
    assert not (tmp_path / "changed").exists()


def test_fleet_refuses_a_file_change(tmp_path):
    live = tmp_path / "live.conf"
    live.write_text("a=1\n")
    edit = FileChange(id="edit", title="edit", path=str(live), render=lambda _t: "a=2\n")
    with pytest.raises(FleetRefused, match=r"edit \(file change\)"):
        run_node("fleet", [edit], LocalTarget(), run_id="r", backup_dir=str(tmp_path / "b"))
    assert live.read_text() == "a=1\n"
    assert not (tmp_path / "b").exists()
