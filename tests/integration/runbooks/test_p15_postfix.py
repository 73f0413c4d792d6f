"""Page 15 against the real Debian postfix: the runbook applied with a local target to a copy of
the postfix configuration folder, checked by the real ``postfix check``, ``postconf`` and
``postmap`` (lookup of the credentials in the built table), with a canary secret that must reach
the table and no output.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from mirtalib.runbook import Status
from mirtalib.runbooks.p15_configuring_postfix_for_email_relay import RUNBOOK

POSTFIX = shutil.which("postfix") or "/usr/sbin/postfix"
pytestmark = pytest.mark.skipif(
    not Path(POSTFIX).exists() or os.geteuid() != 0,
    reason="needs the Debian postfix package (scripts/system-deps.txt) and root for postfix check",
)
ENV = "MIRTA_SMTP_RELAY_PASSWORD"
CANARY = "Canary-postfix-9d1c-never-in-outputs"


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """A copy of /etc/postfix with Debian's default main.cf (the package leaves none with
    'No configuration')."""
    conf = tmp_path / "postfix"
    shutil.copytree("/etc/postfix", conf, symlinks=True)
    if not (conf / "main.cf").exists():
        shutil.copy("/usr/share/postfix/main.cf.debian", conf / "main.cf")
    subprocess.run(["postconf", "-c", str(conf), "-e", "compatibility_level=3.6"], check=True)
    return conf


def _postconf(conf: Path, *names: str) -> str:
    return subprocess.run(
        ["postconf", "-c", str(conf), *names], check=True, capture_output=True, text=True
    ).stdout


def test_apply_with_real_postfix(config_dir: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv(ENV, CANARY)
    rb = RUNBOOK.open(
        "local",
        journal=tmp_path / "journal",
        config_dir=str(config_dir),
        package_tool="apt-get",
        reload=False,
    )
    plan = rb.plan()
    assert not plan.failed
    applied = rb.apply(confirm=True)
    steps = {r.step_id: r for r in applied.nodes[0].results}
    assert not applied.failed, str(applied)
    assert steps["packages"].status is Status.OK  # dpkg -s found them
    assert steps["postmap"].status is Status.CHANGED
    assert steps["postfix-check"].status is Status.OK
    # the real postfix reads the relay settings
    assert "relayhost = [smtp.example.net]:587" in _postconf(config_dir, "relayhost")
    assert "smtp_tls_security_level = encrypt" in _postconf(config_dir, "smtp_tls_security_level")
    # the real table answers the relay key with the real password
    found = subprocess.run(
        [
            "postmap",
            "-c",
            str(config_dir),
            "-q",
            "[smtp.example.net]:587",
            f"hash:{config_dir}/sasl_passwd",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert found == f"pbx-relay@example.net:{CANARY}"
    assert (config_dir / "sasl_passwd").stat().st_mode & 0o777 == 0o600
    assert (config_dir / "sasl_passwd.db").stat().st_mode & 0o777 == 0o600
    subprocess.run([POSTFIX, "-c", str(config_dir), "check"], check=True)
    verify = rb.verify()
    assert all(r.status is Status.PASS for r in verify.nodes[0].results if r.kind == "check")
    again = rb.apply(confirm=True)
    assert not any(n.changed for n in again.nodes)
    texts = [str(plan), str(applied), str(verify), str(again)]
    texts += [p.read_text() for p in (tmp_path / "journal").rglob("*") if p.is_file()]
    assert all(CANARY not in t for t in texts)


def test_postfix_check_rejects_a_broken_main_cf(config_dir: Path, tmp_path: Path, monkeypatch):
    """A configuration postfix refuses stops apply at the first postfix program that reads it."""
    monkeypatch.setenv(ENV, CANARY)
    with (config_dir / "main.cf").open("a") as fh:
        fh.write("smtp_tls_security_level = $undefined_param_without_value\n")
        fh.write("default_process_limit = many\n")
    rb = RUNBOOK.open(
        "local",
        journal=tmp_path / "j",
        config_dir=str(config_dir),
        package_tool="apt-get",
        reload=False,
    )
    applied = rb.apply(confirm=True)
    assert applied.failed
    steps = {r.step_id: r for r in applied.nodes[0].results}
    failed = [k for k in ("postmap", "postfix-check") if steps[k].status is Status.FAILED]
    assert failed == ["postmap"]  # postmap reads main.cf first and refuses it
    assert "default_process_limit" in steps["postmap"].reason + str(steps["postmap"].commands)


def _lookup(conf: Path, key: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["postmap", "-c", str(conf), "-q", key, f"hash:{conf}/sasl_passwd"],
        capture_output=True,
        text=True,
    )


def test_rollback_removes_the_table_holding_the_credentials(
    config_dir: Path, tmp_path: Path, monkeypatch
):
    """apply created sasl_passwd: rollback removes it and the sasl_passwd.db postmap built."""
    monkeypatch.setenv(ENV, CANARY)
    for stale in ("sasl_passwd", "sasl_passwd.db"):
        (config_dir / stale).unlink(missing_ok=True)
    rb = RUNBOOK.open(
        "local",
        journal=tmp_path / "j",
        config_dir=str(config_dir),
        package_tool="apt-get",
        reload=False,
    )
    assert not rb.apply(confirm=True).failed
    assert (config_dir / "sasl_passwd.db").exists()
    back = rb.rollback(confirm=True)
    steps = {r.step_id: r for r in back.nodes[0].results}
    assert steps["postmap"].status is Status.CHANGED, str(back)
    assert not (config_dir / "sasl_passwd").exists()
    assert not (config_dir / "sasl_passwd.db").exists(), str(steps["postmap"].commands)
    assert CANARY not in str(back)


def test_rollback_rebuilds_the_table_of_a_restored_sasl_passwd(
    config_dir: Path, tmp_path: Path, monkeypatch
):
    """sasl_passwd existed: rollback restores it and the table answers its old credentials."""
    monkeypatch.setenv(ENV, CANARY)
    old = "[old.example.net]:587 someone:Old-Relay-PW-42\n"
    (config_dir / "sasl_passwd").write_text(old)
    (config_dir / "sasl_passwd").chmod(0o600)
    subprocess.run(["postmap", "-c", str(config_dir), f"hash:{config_dir}/sasl_passwd"], check=True)
    rb = RUNBOOK.open(
        "local",
        journal=tmp_path / "j",
        config_dir=str(config_dir),
        package_tool="apt-get",
        reload=False,
    )
    assert not rb.apply(confirm=True).failed
    assert _lookup(config_dir, "[old.example.net]:587").stdout == ""
    assert not rb.rollback(confirm=True).failed
    assert (config_dir / "sasl_passwd").read_text() == old
    assert _lookup(config_dir, "[old.example.net]:587").stdout.strip() == "someone:Old-Relay-PW-42"
    assert _lookup(config_dir, "[smtp.example.net]:587").stdout == ""  # the new entry is gone
    assert (config_dir / "sasl_passwd.db").stat().st_mode & 0o777 == 0o600
