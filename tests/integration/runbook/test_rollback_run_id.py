"""Rollback by run id from a new process (the kernel that applied is gone), over real SSH: the
journal entry is the only link; a file changed since the apply is refused by name."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from rb_helpers import PJSIP, SYSCTL, sample_definition, tree_state

MIRTA = Path(sys.executable).with_name("mirta")
HELPERS = Path(__file__).parents[2] / "unit" / "runbook"

ROLLBACK = """
import sys
from pathlib import Path
from rb_helpers import sample_definition
from mirtalib.errors import MirtaError

root, url, key, known_hosts, run_id = sys.argv[1:]
rb = sample_definition(Path(root)).open(
    url, target_options={"key_filename": key, "known_hosts": known_hosts}
)
try:
    report = rb.run("rollback", confirm=True, run_id=run_id)
except MirtaError as exc:
    print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
    sys.exit(3)
print(report.text())
sys.exit(1 if report.failed else 0)
"""


@pytest.fixture
def env(tmp_path) -> dict:
    """The child processes' environment: their own reports folder (so the journal) and backups."""
    return {
        **os.environ,
        "MIRTA_REPORTS": str(tmp_path / "reports"),
        "MIRTA_BACKUP_DIR": str(tmp_path / "backups"),
        "PYTHONPATH": str(HELPERS),
    }


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "target"
    root.mkdir()
    (root / "pjsip.conf").write_text(PJSIP)
    os.chmod(root / "pjsip.conf", 0o640)
    os.chown(root / "pjsip.conf", 65534, 65534)
    (root / "sysctl.conf").write_text(SYSCTL)
    return root


def _rollback(sshd, root, run_id, env) -> subprocess.CompletedProcess:
    args = [str(root), sshd.url, str(sshd.client_key), str(sshd.known_hosts), run_id]
    return subprocess.run(
        [sys.executable, "-c", ROLLBACK, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_rollback_by_run_id_from_a_new_process(sshd, root, env, monkeypatch):
    for name in ("MIRTA_REPORTS", "MIRTA_BACKUP_DIR"):
        monkeypatch.setenv(name, env[name])
    original = tree_state(root)
    rb = sample_definition(root).open(sshd.url, target_options=sshd.options)
    applied = rb.apply(confirm=True)
    rb.close()
    assert not applied.failed, applied.text()
    run_id = applied.run_id
    wrote = (root / "sysctl.conf").read_bytes()

    listed = subprocess.run(
        [str(MIRTA), "journal", "--page", "99", "--last", "5"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(ln for ln in listed.splitlines() if ln.startswith(run_id))
    assert " apply " in line and sshd.url in line and f"{root}/sysctl.conf" in line
    shown = subprocess.run(
        [str(MIRTA), "journal", run_id], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert f"backup {env['MIRTA_BACKUP_DIR']}/{run_id}{root}/pjsip.conf" in shown

    # someone edits a changed file after the apply: the rollback refuses it, naming it
    (root / "sysctl.conf").write_bytes(wrote + b"vm.overcommit_memory = 1\n")
    applied_state = tree_state(root)
    refused = _rollback(sshd, root, run_id, env)
    assert refused.returncode == 3, refused.stderr + refused.stdout
    assert f"RollbackRefused: rollback of run {run_id} refused, nothing was restored" in (
        refused.stderr
    )
    assert f"{root}/sysctl.conf on 127.0.0.1 was changed since run {run_id}" in refused.stderr
    assert f"{root}/pjsip.conf" not in refused.stderr  # the untouched changes are not named
    assert tree_state(root) == applied_state  # nothing restored

    # the edit undone: the rollback from a new process restores every file and runs the undo
    (root / "sysctl.conf").write_bytes(wrote)
    done = _rollback(sshd, root, run_id, env)
    assert done.returncode == 0, done.stderr + done.stdout
    assert f"undoing run {run_id}" in done.stdout
    now = tree_state(root)
    for name in ("pjsip.conf", "sysctl.conf"):
        assert now[name] == original[name]  # bytes, mode and owner
    assert not (root / "app.conf").exists()
    assert (root / "reloads.log").read_text() == "reloaded\nundone\n"
    # a second rollback finds everything as before: nothing to do, the undo not run again
    again = _rollback(sshd, root, run_id, env)
    assert again.returncode == 0 and "already as before the apply" in again.stdout
    assert (root / "reloads.log").read_text() == "reloaded\nundone\n"


def test_rollback_refuses_a_run_that_is_not_an_apply_of_this_page(sshd, root, env, monkeypatch):
    monkeypatch.setenv("MIRTA_REPORTS", env["MIRTA_REPORTS"])
    rb = sample_definition(root).open(sshd.url, target_options=sshd.options)
    plan = rb.plan()
    rb.close()
    refused = _rollback(sshd, root, plan.run_id, env)
    assert refused.returncode == 3
    assert f"run {plan.run_id} was a plan, not an apply" in refused.stderr
    unknown = _rollback(sshd, root, "20261102-083000.000000-abcdef", env)
    assert "run 20261102-083000.000000-abcdef is not in the journal" in unknown.stderr
    bad = _rollback(sshd, root, "../../etc/passwd", env)
    assert "is not a run id like" in bad.stderr
