"""The runbook engine against a real OpenSSH server on loopback (paramiko, SFTP, host keys)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rb_helpers import PJSIP, SYSCTL, sample_definition, tree_state

from mirtalib.errors import ConfirmationRequired, TargetError
from mirtalib.runbook import Status, open_target

CLOCK = lambda: datetime(2026, 11, 2, 8, 30, tzinfo=UTC)  # noqa: E731


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """The folder the runbook changes, owned by nobody (the SSH login is root)."""
    root = tmp_path / "target"
    root.mkdir()
    (root / "pjsip.conf").write_text(PJSIP)
    os.chmod(root / "pjsip.conf", 0o640)
    os.chown(root / "pjsip.conf", 65534, 65534)
    (root / "sysctl.conf").write_text(SYSCTL)
    return root


def _open(sshd, root, **values):
    return sample_definition(root).open(
        sshd.url,
        target_options=sshd.options,
        clock=CLOCK,
        journal=root.parent / "journal",
        **values,
    )


def _by_id(report):
    return {r.step_id: r for r in report.nodes[0].results}


def test_host_key_checking_is_on(sshd, tmp_path):
    empty = tmp_path / "empty_known_hosts"
    with pytest.raises(TargetError, match="host key unknown"):
        open_target(sshd.url, key_filename=str(sshd.client_key), known_hosts=str(empty))
    wrong = tmp_path / "wrong_known_hosts"
    other = (sshd.client_key.parent / "other_key.pub").read_text().split()
    wrong.write_text(f"[127.0.0.1]:{sshd.port} {other[0]} {other[1]}\n")
    with pytest.raises(TargetError, match="does NOT match"):
        open_target(sshd.url, key_filename=str(sshd.client_key), known_hosts=str(wrong))
    learned = tmp_path / "learned_known_hosts"
    target = open_target(
        sshd.url, key_filename=str(sshd.client_key), known_hosts=str(learned), accept_new_host=True
    )
    target.close()
    assert sshd.host_key_pub.read_text().split()[1] in learned.read_text()


def test_commands_report_exit_codes_and_both_streams(sshd):
    target = open_target(sshd.url, **sshd.options)
    try:
        out = target.run("echo out; echo err >&2; exit 4")
        assert (out.exit_code, out.stdout, out.stderr) == (4, "out\n", "err\n")
        big = target.run("seq 1 200000")
        assert big.exit_code == 0 and big.stdout.endswith("199999\n200000\n")
        slow = target.run("sleep 5", timeout=0.5)
        assert slow.exit_code == 124 and "timed out" in slow.stderr
    finally:
        target.close()


def test_plan_has_no_side_effect_over_ssh(sshd, root):
    before = tree_state(root.parent)
    rb = _open(sshd, root)
    report = rb.plan()
    rb.close()
    after = tree_state(root.parent)
    journal = {k for k in after if k.startswith("journal")}
    assert {k: v for k, v in after.items() if k not in journal} == before
    assert _by_id(report)["pjsip"].status is Status.WOULD_CHANGE
    assert "+bind=0.0.0.0:5070 ; udp" in _by_id(report)["pjsip"].diff


def test_apply_backs_up_keeps_owner_and_is_idempotent(sshd, root):
    rb = _open(sshd, root)
    with pytest.raises(ConfirmationRequired):
        rb.apply()
    report = rb.apply(confirm=True)
    assert not report.failed, report.text()
    steps = _by_id(report)
    assert steps["pjsip"].status is Status.CHANGED
    backup = Path(steps["pjsip"].file.backup)
    assert backup == Path(rb.backup_dir, report.run_id, str(root / "pjsip.conf").lstrip("/"))
    assert not list(root.glob("*.mirta-*")) and not list(root.glob(".*.mirta-*"))
    assert backup.read_text() == PJSIP
    for path in (root / "pjsip.conf", backup):
        st = path.stat()
        assert (st.st_mode & 0o777, st.st_uid, st.st_gid) == (0o640, 65534, 65534)
    assert "bind=0.0.0.0:5070 ; udp" in (root / "pjsip.conf").read_text()
    assert (root / "reloads.log").read_text() == "reloaded\n"
    state = tree_state(root)
    again = rb.apply(confirm=True)
    assert not again.nodes[0].changed
    assert tree_state(root) == state
    assert not rb.verify().failed
    rb.close()


def test_rollback_restores_byte_identical_files(sshd, root):
    original = tree_state(root)
    rb = _open(sshd, root)
    rb.apply(confirm=True)
    assert tree_state(root)["pjsip.conf"] != original["pjsip.conf"]
    report = rb.rollback(confirm=True)
    rb.close()
    assert not report.failed, report.text()
    now = tree_state(root)
    for name in ("pjsip.conf", "sysctl.conf"):
        assert now[name] == original[name]  # content hash, mode, uid, gid
    assert not (root / "app.conf").exists()


def test_failing_command_stops_the_run(sshd, root):
    rb = _open(sshd, root, fail=True)
    report = rb.apply(confirm=True)
    rb.close()
    steps = _by_id(report)
    assert steps["broken"].status is Status.FAILED
    assert steps["broken"].commands[0].exit_code == 3
    assert steps["after"].status is Status.NOT_RUN
    assert not (root / "after.conf").exists()
    assert report.failed


def test_symlink_stays_a_symlink_over_ssh(sshd, root):
    real = root / "real-sysctl.conf"
    (root / "sysctl.conf").rename(real)
    (root / "sysctl.conf").symlink_to("real-sysctl.conf")
    rb = _open(sshd, root)
    report = rb.apply(confirm=True)
    rb.close()
    assert _by_id(report)["sysctl"].file.path == str(real)
    assert (root / "sysctl.conf").is_symlink()
    assert "net.ipv4.tcp_fin_timeout = 30" in real.read_text()
