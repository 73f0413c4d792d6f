"""Page 27 (Upgrading ionCube): loader choice, php -i / uname -m parsers, runbook on the replay."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mirtalib.asterisk.phpinfo import parse_machine, parse_php_info
from mirtalib.errors import ParameterError, ParseError
from mirtalib.runbook import Status, Verdict, rehearse
from mirtalib.runbook.replay import isolated_replays as copy_replays
from mirtalib.runbooks import get
from mirtalib.runbooks.p27_upgrading_ioncube import RUNBOOK, old_loader_lines
from mirtalib.runbooks.php_pages import loader_choice, php_minor, phpinfo_check

PHP_I = """phpinfo()
PHP Version => 7.4.33
Loaded Configuration File => /etc/php.ini
Scan this dir for additional .ini files => /etc/php.d
Thread Safety => enabled
extension_dir => /usr/lib64/php-zts/modules => /usr/lib64/php-zts/modules
session.save_path => no value => no value
"""


def isolated(dest: Path, pages=("p27",)) -> dict:
    return copy_replays(dest, pages)


def steps_of(report, node=0):
    return {r.step_id: r for r in report.nodes[node].results}


@pytest.fixture
def rb(tmp_path):
    runbook = RUNBOOK.open(
        "replay:srv01", target_options=isolated(tmp_path), journal=tmp_path / "j"
    )
    yield runbook
    runbook.close()


@pytest.mark.parametrize(
    "version, ts, machine, tarball, file",
    [
        ("5.5", False, "x86_64", "ioncube_loaders_lin_x86-64.tar.gz", "ioncube_loader_lin_5.5.so"),
        ("7.4", False, "x86_64", "ioncube_loaders_lin_x86-64.tar.gz", "ioncube_loader_lin_7.4.so"),
        (
            "7.4",
            True,
            "x86_64",
            "ioncube_loaders_lin_x86-64.tar.gz",
            "ioncube_loader_lin_7.4_ts.so",
        ),
        ("7.3", False, "i686", "ioncube_loaders_lin_x86.tar.gz", "ioncube_loader_lin_7.3.so"),
        (
            "8.1",
            False,
            "aarch64",
            "ioncube_loaders_lin_aarch64.tar.gz",
            "ioncube_loader_lin_8.1.so",
        ),
        (
            "8.2",
            True,
            "armv7l",
            "ioncube_loaders_lin_armv7l.tar.gz",
            "ioncube_loader_lin_8.2_ts.so",
        ),
    ],
)
def test_loader_choice(version, ts, machine, tarball, file):
    choice = loader_choice(version, ts, machine)
    assert (choice.tarball, choice.file) == (tarball, file)
    assert choice.url.endswith("/" + tarball) and choice.url.startswith("https://")
    assert choice.member == f"ioncube/{file}"


@pytest.mark.parametrize(
    "args, message",
    [
        (("8.0", False, "x86_64"), "no loader for PHP 8.0"),
        (("7", False, "x86_64"), "major.minor"),
        (("7.4.33", False, "x86_64"), "major.minor"),
        (("7.4", False, "sparc64"), "no ionCube Linux loader for this CPU"),
    ],
)
def test_loader_choice_refuses(args, message):
    with pytest.raises(ParameterError, match=message):
        loader_choice(*args)


def test_php_minor_takes_text_only():
    assert php_minor("7.4") == "7.4"
    with pytest.raises(ParameterError, match="php_version"):
        php_minor(7.4)


def test_php_info_parser():
    info = parse_php_info(PHP_I)
    assert info.extension_dir == "/usr/lib64/php-zts/modules"
    assert info.thread_safe is True
    assert info.scan_dir == "/etc/php.d" and info.loaded_ini == "/etc/php.ini"
    assert info.values["session.save_path"] == ""
    assert parse_php_info("extension_dir => /a => /b\n").extension_dir == "/a"
    assert parse_php_info("Thread Safety => disabled").thread_safe is False
    with pytest.raises(ParseError, match="no 'key => value'"):
        parse_php_info("PHP 7.4.33 (cli)\n")


def test_machine_parser():
    assert parse_machine("x86_64\n") == "x86_64"
    for bad in ("", "x86_64 extra", "x86-64;rm"):
        with pytest.raises(ParseError):
            parse_machine(bad)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400))
def test_parsers_fuzz(text):
    for parse in (parse_php_info, parse_machine):
        try:
            parse(text)
        except ParseError:
            pass


def test_old_loader_lines():
    grep = (
        "/etc/php.ini:1910:zend_extension=/usr/lib64/php/modules/ioncube_loader_lin_5.5.so\n"
        "/etc/php.ini:1911:;zend_extension=/old/ioncube_loader_lin_5.4.so\n"
        "/etc/php.d/00-ioncube-loader.ini:3:zend_extension = /x/ioncube_loader_lin_7.4.so\n"
        "/etc/php.d/10-opcache.ini:2:zend_extension=opcache.so\n"
    )
    lines = old_loader_lines(grep, "/etc/php.d/00-ioncube-loader.ini")
    assert lines == [
        "/etc/php.ini:1910:zend_extension=/usr/lib64/php/modules/ioncube_loader_lin_5.5.so"
    ]


def test_registry_finds_page_27():
    assert get(27) is RUNBOOK


def test_plan_on_the_pages_example(rb):
    plan = steps_of(rb.plan())
    assert plan["php-now"].status is Status.WARN
    assert "ionCube 5.0.20" in plan["php-now"].reason
    assert plan["php-matches"].status is Status.PASS
    assert plan["php-build"].status is Status.PASS
    assert plan["machine"].status is Status.PASS
    assert plan["old-loader-lines"].status is Status.PASS
    assert plan["loader-install"].status is Status.WOULD_RUN
    assert plan["ioncube-ini"].status is Status.WOULD_CHANGE
    assert plan["web-restart"].status is Status.WOULD_RUN
    assert rb.targets[0].state == "initial"
    assert not any(c.startswith(("curl", "install", "systemctl")) for c in rb.targets[0].log)


def test_apply_is_idempotent_and_verifies(rb):
    applied = rb.apply(confirm=True)
    assert not applied.failed
    log = rb.targets[0].log
    assert log.index(
        "install -b -m 0755 /usr/local/src/ioncube/ioncube_loader_lin_5.5.so "
        "/usr/lib64/php/modules/ioncube_loader_lin_5.5.so"
    ) < log.index("systemctl restart httpd")
    assert any(c.startswith("php -n -c /etc/php.d/.00-ioncube-loader.ini.mirta-new") for c in log)
    ini = rb.targets[0].read_text("/etc/php.d/00-ioncube-loader.ini")
    assert "zend_extension = /usr/lib64/php/modules/ioncube_loader_lin_5.5.so" in ini
    again = rb.apply(confirm=True)
    assert not any(n.changed for n in again.nodes)
    verify = steps_of(rb.verify())
    assert verify["ioncube-after"].status is Status.PASS
    assert "ionCube 10.4.5" in verify["ioncube-after"].reason


def test_verify_fails_before_the_upgrade(rb):
    verify = rb.verify()
    assert steps_of(verify)["ioncube-after"].status is Status.FAIL
    assert "needs ionCube 10" in steps_of(verify)["ioncube-after"].reason


def test_wrong_php_version_fails_plan_and_names_it(tmp_path):
    rb = RUNBOOK.open(
        "replay:srv01",
        target_options=isolated(tmp_path, ("p26", "p27")),
        journal=tmp_path / "j",
        php_version="7.4",
    )
    plan = steps_of(rb.plan())
    assert plan["php-matches"].status is Status.FAIL
    assert "PHP 5.5.38" in plan["php-matches"].reason
    assert "set for PHP 7.4" in plan["php-matches"].reason


def test_php_build_check_names_the_values_to_set():
    verdict, reason = phpinfo_check("/usr/lib64/php/modules", False).expect(parse_php_info(PHP_I))
    assert verdict is Verdict.FAIL
    assert "set extension_dir='/usr/lib64/php-zts/modules'" in reason
    assert "set thread_safe=True" in reason
    verdict, _ = phpinfo_check("/usr/lib64/php-zts/modules", True).expect(parse_php_info(PHP_I))
    assert verdict is Verdict.PASS


@pytest.mark.parametrize(
    "values, message",
    [
        ({"php_version": "8.0"}, "no loader for PHP 8.0"),
        ({"machine": "mips"}, "no ionCube Linux loader"),
        ({"extension_dir": "modules"}, "extension_dir"),
        ({"web_service": "nginx"}, "web_service"),
    ],
)
def test_bad_parameters(tmp_path, values, message):
    with pytest.raises(ParameterError, match=message):
        RUNBOOK.open("replay:srv01", target_options=isolated(tmp_path), **values).steps


def test_rehearsal(rb):
    r = rehearse(rb)
    assert r.idempotent
    assert not r.verify.failed
