"""become with sudo on a non-root SSH login: a real user with a password sudo rule, a real sudo,
files in a folder only root can enter (so nothing works without sudo)."""

from __future__ import annotations

import os
import pwd
import secrets
import subprocess
import time
from pathlib import Path

import pytest
from rb_helpers import PJSIP, SYSCTL, sample_definition, tree_state
from sshd_nodes import require, start_sshd

from mirtalib.errors import SecretError, TargetError
from mirtalib.runbook import Status, open_target

USER = "mirta-sudo-test"
RULE = Path("/etc/sudoers.d/mirta-sudo-test")
PASSWORD_ENV = "MIRTA_TEST_SUDO_PASSWORD"


@pytest.fixture(scope="module")
def login(tmp_path_factory):
    """The user (created, then removed), its sudo rule (password required) and an sshd."""
    require("sudo", "become on a non-root login")
    require("useradd", "a test user")
    if os.geteuid() != 0:
        pytest.skip("creating a user and a sudo rule needs root (CI runs as root)")
    try:
        pwd.getpwnam(USER)
        existed = True
    except KeyError:
        existed = False
        subprocess.run(["useradd", "-m", "-s", "/bin/sh", USER], check=True)
    password = "Pw!" + secrets.token_urlsafe(16)  # never an environment variable name
    subprocess.run(["chpasswd"], input=f"{USER}:{password}\n", text=True, check=True)
    RULE.write_text(f"{USER} ALL=(root) ALL\n")
    os.chmod(RULE, 0o440)
    subprocess.run(["visudo", "-c", "-q", "-f", str(RULE)], check=True)
    home = Path(pwd.getpwnam(USER).pw_dir)
    keys = home / ".mirta-test-authorized_keys"
    try:
        with start_sshd(tmp_path_factory.mktemp("sshd-user"), user=USER, authorized_keys=keys) as s:
            yield s, password, home
    finally:
        RULE.unlink(missing_ok=True)
        keys.unlink(missing_ok=True)
        for _ in range(40 if not existed else 0):  # its last sessions may still be ending
            done = subprocess.run(["userdel", "-r", USER], check=False, capture_output=True)
            if done.returncode in (0, 6):  # 6: no such user
                break
            time.sleep(0.25)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """Under pytest's root-only folder: the login user cannot even list it."""
    root = tmp_path / "target"
    root.mkdir()
    (root / "pjsip.conf").write_text(PJSIP)
    os.chmod(root / "pjsip.conf", 0o640)
    os.chown(root / "pjsip.conf", 65534, 65534)
    (root / "sysctl.conf").write_text(SYSCTL)
    return root


def _options(server, **extra) -> dict:
    return {**server.options, **extra}


def test_become_applies_and_rolls_back_root_files(login, root, tmp_path, monkeypatch):
    server, password, home = login
    monkeypatch.setenv(PASSWORD_ENV, password)
    opts = _options(server, become=True, become_password_env=PASSWORD_ENV)
    target = open_target(server.url, **opts)
    assert target.run("id -un; id -u").stdout == "root\n0\n"
    assert target.run("cat; echo end").stdout == "end\n"  # stdin: never the password
    target.close()
    original = tree_state(root)
    backups = tmp_path / "backups"
    rb = sample_definition(root).open(
        server.url, target_options=opts, journal=tmp_path / "journal", backup_dir=str(backups)
    )
    report = rb.apply(confirm=True)
    assert not report.failed, report.text()
    steps = {r.step_id: r for r in report.nodes[0].results}
    assert steps["pjsip"].status is Status.CHANGED
    for path in (root / "pjsip.conf", Path(steps["pjsip"].file.backup)):
        st = path.stat()
        assert (st.st_mode & 0o777, st.st_uid, st.st_gid) == (0o640, 65534, 65534)
    assert Path(steps["pjsip"].file.backup).read_text() == PJSIP
    st = (root / "app.conf").stat()
    assert (st.st_mode & 0o777, st.st_uid) == (0o600, 0)  # new file: root's, the step's mode
    assert sorted(p.name for p in root.iterdir()) == [
        "app.conf",
        "pjsip.conf",
        "reloads.log",
        "sysctl.conf",
    ]
    assert not rb.apply(confirm=True).nodes[0].changed  # idempotent through sudo too
    back = rb.rollback(run_id=report.run_id, confirm=True)
    rb.close()
    assert not back.failed, back.text()
    now = tree_state(root)
    for name in ("pjsip.conf", "sysctl.conf"):
        assert now[name] == original[name]
    assert not (root / "app.conf").exists()
    assert not list(home.glob(".mirta-stage-*"))  # the private upload folder is gone
    for entry in (tmp_path / "journal").iterdir():
        assert password not in entry.read_text()
    assert password not in report.text() + back.text()


def test_without_become_the_login_cannot_touch_root_files(login, root, tmp_path):
    server, _, _ = login
    rb = sample_definition(root).open(
        server.url, target_options=server.options, journal=tmp_path / "journal"
    )
    with pytest.raises(TargetError, match=r"127.0.0.1: cannot (stat|read) .*ermission denied"):
        rb.plan()
    rb.close()


def test_sudo_refusals_are_target_errors_naming_the_node(login, monkeypatch):
    server, password, _ = login
    monkeypatch.setenv(PASSWORD_ENV, "not-" + password)
    wrong = _options(server, become=True, become_password_env=PASSWORD_ENV)
    with pytest.raises(TargetError, match=f"127.0.0.1: sudo refused for {USER} .*incorrect"):
        open_target(server.url, **wrong)
    with pytest.raises(TargetError, match=f"sudo refused for {USER} .*password is required"):
        open_target(server.url, **_options(server, become=True))  # no NOPASSWD rule
    with pytest.raises(SecretError, match="not an environment variable name"):
        open_target(server.url, **_options(server, become=True, become_password_env=password))


def test_become_from_the_target_url(login, monkeypatch):
    server, password, _ = login
    monkeypatch.setenv(PASSWORD_ENV, password)
    url = (
        f"{server.url}?key={server.client_key}&known_hosts={server.known_hosts}"
        f"&become=sudo&become_password_env={PASSWORD_ENV}"
    )
    target = open_target(url)
    assert target.run("id -u").stdout == "0\n"
    target.close()
