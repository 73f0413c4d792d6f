"""Pages 26/27 on this machine: the real php -v / php -i / uname -m, the real php as validator."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from mirtalib.asterisk.phpinfo import parse_machine, parse_php_info
from mirtalib.asterisk.software import parse_php_version
from mirtalib.runbook import Status
from mirtalib.runbooks.p26_using_php_7 import remi_plan
from mirtalib.runbooks.p27_upgrading_ioncube import RUNBOOK
from mirtalib.runbooks.php_pages import loader_choice

pytestmark = pytest.mark.skipif(shutil.which("php") is None, reason="php-cli is not installed")


def _run(*argv: str) -> str:
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def facts():
    php = parse_php_version(_run("php", "-v"))
    info = parse_php_info(_run("php", "-i"))
    machine = parse_machine(_run("uname", "-m"))
    return php, info, machine


def test_real_outputs_parse(facts):
    php, info, machine = facts
    assert php.version_tuple[0] >= 7 and php.thread_safety in ("NTS", "ZTS")
    assert info.thread_safe is (php.thread_safety == "ZTS")
    assert info.extension_dir and Path(info.extension_dir).is_dir()
    assert not info.rejects
    mm = ".".join(map(str, php.version_tuple[:2]))
    choice = loader_choice(mm, bool(info.thread_safe), machine)
    assert choice.file == f"ioncube_loader_lin_{mm}{'_ts' if info.thread_safe else ''}.so"


def test_page27_plan_on_this_machine(facts, tmp_path):
    php, info, machine = facts
    mm = ".".join(map(str, php.version_tuple[:2]))
    rb = RUNBOOK.open(
        "local",
        journal=tmp_path / "journal",
        php_version=mm,
        thread_safe=bool(info.thread_safe),
        machine=machine,
        extension_dir=info.extension_dir,
        php_ini=info.loaded_ini or "/etc/php.ini",
        ini_file=f"{tmp_path}/conf.d/00-ioncube-loader.ini",
        src_dir=str(tmp_path),
        pid_file=str(tmp_path / "httpd.pid"),
    )
    plan = {r.step_id: r for r in rb.plan().nodes[0].results}
    assert plan["php-matches"].status is Status.PASS
    assert plan["php-build"].status is Status.PASS
    assert plan["machine"].status is Status.PASS
    assert plan["old-loader-lines"].status is Status.PASS
    if php.ioncube is None:
        assert plan["php-now"].status is Status.WARN
        assert plan["loader-install"].status is Status.WOULD_RUN
    assert not (tmp_path / "conf.d").exists()  # plan wrote nothing
    wrong = RUNBOOK.open("local", journal=tmp_path / "j2", php_version="5.5")
    failed = {r.step_id: r for r in wrong.plan().nodes[0].results}
    assert failed["php-matches"].status is Status.FAIL
    assert f"PHP {php.version}" in failed["php-matches"].reason


def test_real_php_rejects_an_ini_whose_loader_does_not_load(tmp_path, facts):
    step = next(s for s in RUNBOOK.build(RUNBOOK.validate({})) if s.id == "ioncube-ini")
    staged = tmp_path / "00-ioncube-loader.ini"
    staged.write_text(step.render(None))  # points at /usr/lib64/.../ioncube_loader_lin_5.5.so
    check = step.validate.replace("{path}", str(staged))
    assert subprocess.run(check, shell=True, capture_output=True).returncode != 0
    staged.write_text("; no loader\n")
    assert subprocess.run(check, shell=True, capture_output=True).returncode == 1


def test_page26_version_guard_with_the_real_php(facts):
    php, _, _ = facts
    mm = ".".join(map(str, php.version_tuple[:2]))
    guard = next(s for s in remi_plan("centos7", "7.4") if s.id == "php-update").unless
    expected = 0 if mm == "7.4" else 1
    assert subprocess.run(guard, shell=True).returncode == expected
    assert subprocess.run(guard.replace('"7.4"', f'"{mm}"'), shell=True).returncode == 0
