"""plan / apply / verify / rollback on the local target, over real files in a temporary folder."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from rb_helpers import PJSIP, SYSCTL, sample_definition, tree_state

from mirtalib.errors import ConfirmationRequired, ParameterError
from mirtalib.runbook import ApplyFailed, Status, VerificationFailed
from mirtalib.runbook.journal import RUN_ID


def _by_id(report, node=0):
    return {r.step_id: r for r in report.nodes[node].results}


def test_plan_has_no_side_effect_and_shows_diffs(target_root, journal, clock):
    before = tree_state(target_root)
    rb = sample_definition(target_root).open("local", journal=journal, clock=clock)
    report = rb.plan()
    assert tree_state(target_root) == before
    steps = _by_id(report)
    assert steps["app-conf"].status is Status.WOULD_CHANGE
    assert "+listen=5070" in steps["app-conf"].diff
    assert "-bind=0.0.0.0:5060 ; udp" in steps["pjsip"].diff
    assert "+bind=0.0.0.0:5070 ; udp" in steps["pjsip"].diff
    assert steps["reload"].status is Status.WOULD_RUN
    assert steps["bind"].status is Status.NOT_RUN
    assert "PLAN (nothing was changed)" in report.text()
    assert not (target_root / "reloads.log").exists()


def test_apply_requires_confirmation(target_root, journal):
    rb = sample_definition(target_root).open("local", journal=journal)
    before = tree_state(target_root)
    with pytest.raises(ConfirmationRequired, match="confirm=True"):
        rb.apply()
    with pytest.raises(ConfirmationRequired):
        rb.apply(confirm="yes")  # only the literal True counts
    assert tree_state(target_root) == before


def test_apply_backs_up_writes_and_is_idempotent(target_root, journal, clock, tmp_path):
    backups = tmp_path / "backups"
    rb = sample_definition(target_root).open(
        "local", journal=journal, clock=clock, backup_dir=str(backups)
    )
    first = rb.apply(confirm=True)
    steps = _by_id(first)
    assert not first.failed
    assert {k for k, r in steps.items() if r.status is Status.CHANGED} == {
        "app-conf",
        "pjsip",
        "sysctl",
        "reload",
    }
    backup = Path(steps["pjsip"].file.backup)
    # the backup folder of the run, never the live folder (cron.d, *.d would read it)
    assert RUN_ID.match(first.run_id) and first.run_id.startswith("20261102-083000.000000-")
    assert backup == backups / first.run_id / str(target_root / "pjsip.conf").lstrip("/")
    assert sorted(p.name for p in target_root.iterdir()) == [
        "app.conf",
        "pjsip.conf",
        "reloads.log",
        "sysctl.conf",
    ]
    assert backup.read_text() == PJSIP
    assert oct(backup.stat().st_mode & 0o777) == oct(0o640)
    assert "bind=0.0.0.0:5070 ; udp" in (target_root / "pjsip.conf").read_text()
    assert oct((target_root / "pjsip.conf").stat().st_mode & 0o777) == oct(0o640)  # mode kept
    assert oct((target_root / "app.conf").stat().st_mode & 0o777) == oct(0o600)  # new file mode
    assert steps["app-conf"].file.backup is None  # nothing to back up
    assert (target_root / "reloads.log").read_text() == "reloaded\n"
    assert not list(target_root.glob(".*.mirta-*"))  # no staging file left behind

    state = tree_state(target_root)
    second = rb.apply(confirm=True)
    assert {r.status for r in second.nodes[0].results} <= {
        Status.OK,
        Status.TODO,
        Status.PASS,
        Status.NOT_RUN,
    }
    assert not second.nodes[0].changed
    assert tree_state(target_root) == state  # running twice changes nothing

    verify = rb.verify()
    assert not verify.failed
    assert {r.step_id: r.status for r in verify.nodes[0].results if r.kind == "check"} == {
        "bind": Status.PASS,
        "app": Status.PASS,
    }
    verify.raise_for_failure()


def test_rollback_restores_bytes_mode_and_removes_created_files(target_root, journal, clock):
    original = tree_state(target_root)
    rb = sample_definition(target_root).open("local", journal=journal, clock=clock)
    with pytest.raises(ConfirmationRequired, match="nothing to roll back"):
        rb.rollback(confirm=True)
    rb.apply(confirm=True)
    with pytest.raises(ConfirmationRequired, match="rollback"):
        rb.rollback()
    report = rb.rollback(confirm=True)
    assert not report.failed
    assert not (target_root / "app.conf").exists()
    after = tree_state(target_root)
    for name in ("pjsip.conf", "sysctl.conf"):
        assert after[name] == original[name]  # bytes, mode and owner
    assert (target_root / "reloads.log").read_text() == "reloaded\nundone\n"


def test_failing_command_stops_the_run_and_rollback_repairs(target_root, journal, clock):
    original = tree_state(target_root)
    rb = sample_definition(target_root).open("local", journal=journal, clock=clock, fail=True)
    report = rb.apply(confirm=True)
    steps = _by_id(report)
    assert report.failed
    assert steps["broken"].status is Status.FAILED
    assert "exit code 3" in steps["broken"].reason
    assert steps["broken"].commands[0].output == "about to fail"
    assert steps["after"].status is Status.NOT_RUN
    assert "stopped after step" in steps["after"].reason
    assert not (target_root / "after.conf").exists()
    assert "rollback(confirm=True)" in report.text()
    with pytest.raises(ApplyFailed, match="A failing command"):
        report.raise_for_failure()
    rb.rollback(confirm=True)
    after = tree_state(target_root)
    assert after["pjsip.conf"] == original["pjsip.conf"]
    assert after["sysctl.conf"] == original["sysctl.conf"]


def test_validation_failure_leaves_live_file_untouched(target_root, journal):
    (target_root / "pjsip.conf").write_text("[transport-udp]\ntype=transport\n bind = x\n")
    before = tree_state(target_root)["pjsip.conf"]
    definition = sample_definition(target_root)
    rb = definition.open("local", journal=journal)
    report = rb.apply(confirm=True)
    step = _by_id(report)["pjsip"]
    # the edit adds "bind=..."? the existing " bind = x" line is edited in place, so the
    # validator (grep '^bind=') refuses the staged file
    assert step.status is Status.FAILED, step
    assert "validation failed" in step.reason
    assert tree_state(target_root)["pjsip.conf"] == before
    assert not list(target_root.glob(".*.mirta-*"))


def test_verify_fails_clearly_before_apply(target_root, journal):
    rb = sample_definition(target_root).open("local", journal=journal)
    report = rb.verify()
    assert report.failed
    kinds = {r.kind for r in report.nodes[0].results}
    assert kinds == {"check", "manual"}  # only checks and the manual verification list
    assert "Verdicts:" in report.text()
    with pytest.raises(VerificationFailed, match="bind is '0.0.0.0:5060'"):
        report.raise_for_failure()


def test_journal_records_commands_files_and_no_secret(target_root, journal, clock, monkeypatch):
    from mirtalib.secrets import resolve_secret

    monkeypatch.setenv("MIRTA_TEST_TOKEN", "s3cr3t-value-xyz")
    resolve_secret("MIRTA_TEST_TOKEN")
    (target_root / "sysctl.conf").write_text("# s3cr3t-value-xyz\n")
    rb = sample_definition(target_root).open("local", journal=journal, clock=clock)
    report = rb.apply(confirm=True)
    path = Path(report.journal_path)
    assert path.parent == journal
    assert path.name == f"{report.run_id}-p99-apply.json"
    assert report.run_id.startswith("20261102-083000.000000-")
    text = path.read_text()
    assert "s3cr3t-value-xyz" not in text
    entry = json.loads(text)
    assert entry["mode"] == "apply" and entry["parameters"]["port"] == 5070
    assert entry["parameters"]["token_env"] == "<secret from $MIRTA_TEST_TOKEN>"
    assert "@" in entry["who"]
    steps = {s["step"]: s for s in entry["nodes"][0]["steps"]}
    assert steps["reload"]["commands"][0]["exit"] == 0
    f = steps["pjsip"]["file"]
    assert f["before_sha256"] != f["after_sha256"]
    assert f["backup"].endswith(f"/{report.run_id}{target_root}/pjsip.conf")
    assert f["mode"] == "0640" and entry["run_id"] == report.run_id
    again = rb.apply(confirm=True)  # same clock: another run id, another entry, no overwrite
    assert again.run_id != report.run_id
    assert Path(again.journal_path).name == f"{again.run_id}-p99-apply.json"


def test_bad_parameters_are_named(target_root, journal):
    definition = sample_definition(target_root)
    with pytest.raises(ParameterError, match="port='abc' is not a int"):
        definition.open("local", journal=journal, port="abc")
    with pytest.raises(ParameterError, match=r"unknown parameter\(s\) \['prot'\]"):
        definition.open("local", journal=journal, prot=1)


def test_local_target_keeps_owner_when_root(target_root, journal):
    if os.geteuid() != 0:
        pytest.skip("changing file ownership needs root")
    os.chown(target_root / "pjsip.conf", 65534, 65534)
    rb = sample_definition(target_root).open("local", journal=journal)
    rb.apply(confirm=True)
    st = (target_root / "pjsip.conf").stat()
    assert (st.st_uid, st.st_gid) == (65534, 65534)


def test_output_can_fail_a_command_that_exits_zero(tmp_path):
    from mirtalib.runbook import Command, Risk, RunbookDef, Verification, failure_lines

    definition = RunbookDef(
        page=98,
        slug="reload",
        title="Reload",
        scope="node",
        params=(),
        verification=Verification(mirta_page="-"),
        build=lambda v: [
            Command(
                id="reload",
                title="Reload modules",
                risk=Risk.SERVICE_AFFECTING,
                command="echo 'Module res_pjsip.so reloaded'; "
                "echo 'Unable to load config pjsip.conf'",
                failure=failure_lines(r"unable to load"),
            )
        ],
    )
    report = definition.open("local", journal=tmp_path).apply(confirm=True)
    step = _by_id(report)["reload"]
    assert step.status is Status.FAILED
    assert step.reason == "output shows a failure: Unable to load config pjsip.conf"
    assert step.commands[0].exit_code == 0


def test_symlinked_file_is_changed_through_the_link(target_root, journal, clock):
    real = target_root / "real-sysctl.conf"
    (target_root / "sysctl.conf").rename(real)
    (target_root / "sysctl.conf").symlink_to("real-sysctl.conf")
    rb = sample_definition(target_root).open("local", journal=journal, clock=clock)
    step = _by_id(rb.apply(confirm=True))["sysctl"]
    assert (target_root / "sysctl.conf").is_symlink()
    assert "net.ipv4.tcp_fin_timeout = 30" in real.read_text()
    assert step.file.path == str(real) and "symlink" in step.reason
    rb.rollback(confirm=True)
    assert (target_root / "sysctl.conf").is_symlink() and real.read_text() == SYSCTL


def test_non_utf8_file_is_refused_untouched(target_root, journal):
    (target_root / "sysctl.conf").write_bytes(b"vm.x = \xff\n")
    rb = sample_definition(target_root).open("local", journal=journal)
    step = _by_id(rb.apply(confirm=True))["sysctl"]
    assert step.status is Status.FAILED and "is not UTF-8 text" in step.reason
    assert (target_root / "sysctl.conf").read_bytes() == b"vm.x = \xff\n"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [("fail", "yes", True), ("fail", 0, False), ("port", "5071", 5071), ("port", 5071.0, 5071)],
)
def test_parameters_are_coerced(target_root, journal, name, value, expected):
    rb = sample_definition(target_root).open("local", journal=journal, **{name: value})
    assert rb.values[name] == expected and type(rb.values[name]) is type(expected)


@pytest.mark.parametrize(
    ("name", "value"),
    [("fail", "maybe"), ("fail", 2), ("port", True), ("port", 2.5), ("root", ["/a"])],
)
def test_bad_parameter_types_are_refused(target_root, journal, name, value):
    with pytest.raises(ParameterError, match=f"parameter {name}="):
        sample_definition(target_root).open("local", journal=journal, **{name: value})


def test_conclude_names_plan_failures_and_raises_for_the_other_modes(target_root, journal):
    import dataclasses

    rb = sample_definition(target_root).open("local", journal=journal)
    verify = rb.verify()  # before apply: the bind check fails
    node = verify.nodes[0].node
    with pytest.raises(VerificationFailed, match="bind is '0.0.0.0:5060'"):
        verify.conclude()
    failing_plan = dataclasses.replace(verify, mode="plan")  # a plan whose checks fail
    assert failing_plan.conclude() == (
        f"plan: checks fail on {node} (the plan above says why; nothing changed)"
    )
    assert rb.plan().conclude() == f"plan: no failure on {node}"
    rb.apply(confirm=True)
    assert rb.verify().conclude() == f"verify: no failure on {node}"
