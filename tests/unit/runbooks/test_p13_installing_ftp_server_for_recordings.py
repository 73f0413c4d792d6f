"""Page 13 (vsftpd for recordings) on the recorded demo node: plan, apply, idempotence, rollback."""

from __future__ import annotations

import shutil

import pytest

from mirtalib.asterisk.keyvalue import parse_keyvalue
from mirtalib.errors import ParameterError
from mirtalib.runbook import Status, Verdict
from mirtalib.runbook.replay import replay_dir
from mirtalib.runbooks.p13_installing_ftp_server_for_recordings import (
    RUNBOOK,
    _login_expect,
    certificate_command,
    render_vsftpd_conf,
)

CONF = "/etc/vsftpd/vsftpd.conf"


@pytest.fixture
def rb(tmp_path):
    src = replay_dir()
    folder = tmp_path / "replays"
    (folder / "srv01.d").mkdir(parents=True)
    shutil.copy(src / "srv01.yaml", folder / "srv01.yaml")
    shutil.copy(src / "srv01.d" / "p13.yaml", folder / "srv01.d")
    runbook = RUNBOOK.open(
        "replay:srv01", target_options={"replay_dir": folder}, journal=tmp_path / "journal"
    )
    yield runbook
    runbook.close()


def _steps(report):
    return {r.step_id: r for r in report.nodes[0].results}


def test_plan_changes_nothing_and_shows_the_diff(rb):
    steps = _steps(rb.plan())
    assert steps["install"].status is Status.OK  # already installed: guard passed
    assert steps["enable"].status is Status.WOULD_RUN
    assert steps["certificate"].status is Status.WOULD_RUN
    diff = steps["vsftpd-conf"].diff
    assert "-anonymous_enable=YES\n+anonymous_enable=NO" in diff
    assert "+force_local_logins_ssl=YES" in diff and "+ssl_ciphers=HIGH" in diff
    assert rb.targets[0].state == "initial"
    assert all(
        not c.startswith(("yum", "systemctl enable", "openssl", "useradd"))
        for c in rb.targets[0].log
    )


def test_apply_again_verify_rollback(rb):
    applied = rb.apply(confirm=True)
    assert not applied.failed
    steps = _steps(applied)
    for sid in ("enable", "certificate", "vsftpd-conf", "user", "restart"):
        assert steps[sid].status is Status.CHANGED, sid
    conf = parse_keyvalue(rb.targets[0].read_text(CONF)).values
    assert conf["anonymous_enable"] == "NO" and conf["local_enable"] == "YES"
    assert conf["rsa_cert_file"] == conf["rsa_private_key_file"] == "/etc/ssl/private/vsftpd.pem"
    verify = _steps(rb.verify())
    assert verify["active"].status is Status.PASS
    assert verify["conf-values"].status is Status.PASS
    assert verify["chroot-perms"].status is Status.PASS
    assert verify["ftps-login"].status is Status.WARN  # ftps_host empty: not tested, said so
    rolled = _steps(rb.rollback(confirm=True))
    assert rolled["vsftpd-conf"].status is Status.RESTORED
    assert "anonymous_enable=YES" in rb.targets[0].read_text(CONF)


def test_second_apply_changes_nothing(rb):
    rb.apply(confirm=True)
    again = _steps(rb.apply(confirm=True))
    assert all(
        r.status in (Status.OK, Status.PASS, Status.TODO, Status.NOT_RUN) for r in again.values()
    ), {k: r.status for k, r in again.items()}


def test_verify_before_apply_fails_where_the_page_is_not_done(rb):
    steps = _steps(rb.verify())
    assert steps["active"].status is Status.FAIL
    assert steps["conf-values"].status is Status.FAIL
    assert steps["chroot-perms"].status is Status.FAIL


def test_render_keeps_other_lines_and_is_idempotent():
    text = "# mine\nlocal_enable=YES\nanonymous_enable=YES\nssl_enable=NO\nssl_enable=NO\n"
    once = render_vsftpd_conf(text, "/p.pem")
    assert once.startswith("# mine\nlocal_enable=YES\nanonymous_enable=NO\nssl_enable=YES\n")
    assert once.count("ssl_enable=") == 1  # a later duplicate would win in vsftpd
    assert render_vsftpd_conf(once, "/p.pem") == once


def test_certificate_command_is_quoted():
    line = certificate_command("/etc/ssl/private/my cert.pem", 365, 2048, "ftp.example.net")
    assert "-newkey rsa:2048" in line and "'/etc/ssl/private/my cert.pem'" in line
    assert line.endswith("chmod 600 '/etc/ssl/private/my cert.pem'")


@pytest.mark.parametrize(
    "values, match",
    [
        ({"key_bits": 1024}, "key_bits=1024 is refused"),
        ({"cert_days": 0}, "cert_days=0"),
        ({"ftp_user": "Rec Ording"}, "ftp_user"),
        ({"ftp_home": "relative/home"}, "ftp_home"),
        ({"password_env": "my password"}, "password_env"),
        ({"ftps_port": 70000}, "ftps_port"),
    ],
)
def test_bad_parameters(values, match, tmp_path):
    with pytest.raises(ParameterError, match=match):
        RUNBOOK.open("replay:srv01", journal=tmp_path, **values)


def test_login_verdicts():
    assert _login_expect({"ftps": "ok", "files": 3, "plain": "refused"})[0] is Verdict.PASS
    assert _login_expect({"ftps": "ok", "files": 3, "plain": "accepted"})[0] is Verdict.FAIL
    assert _login_expect({"ftps": "refused", "files": 0, "plain": "refused"})[0] is Verdict.FAIL
