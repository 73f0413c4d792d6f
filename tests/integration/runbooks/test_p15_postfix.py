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
