"""Page 13 against a real vsftpd on loopback: the page's certificate command, the rendered
vsftpd.conf and the user/chroot commands are run for real; the FTPS login check (the recording
coverage audit's own reader, :func:`mirtalib.recording.scan_ftps`) must pass, and must fail when
TLS is not forced.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from mirtalib.asterisk.keyvalue import set_keyvalues
from mirtalib.runbook import Verdict
from mirtalib.runbooks.p13_installing_ftp_server_for_recordings import (
    RUNBOOK,
    _login_expect,
    _perms,
    ftps_login,
    render_vsftpd_conf,
)

VSFTPD = "/usr/sbin/vsftpd"
PASSWORD_ENV = "MIRTA_TEST_P13_PASSWORD"
STOCK = "anonymous_enable=YES\nlocal_enable=YES\nwrite_enable=YES\n#chroot_local_user=YES\n"

pytestmark = [
    pytest.mark.skipif(
        not Path(VSFTPD).exists(),
        reason="vsftpd is not installed (apt-get install vsftpd; see scripts/system-deps.txt)",
    ),
    pytest.mark.skipif(os.geteuid() != 0, reason="vsftpd with local users and chroot needs root"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(conf: Path, port: int) -> subprocess.Popen:
    proc = subprocess.Popen([VSFTPD, str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"vsftpd exited {proc.returncode}: {proc.stderr.read()!r}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("vsftpd did not listen within 10 s")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The page's steps run for real under a throw-away user; yields (values, conf, port)."""
    base = tmp_path_factory.mktemp("p13")
    base.chmod(0o755)
    user = f"mp13{secrets.token_hex(3)}"
    home = f"/home/{user}"
    pem = str(base / "ssl" / "vsftpd.pem")
    values = RUNBOOK.validate(
        {
            "ftp_user": user,
            "ftp_home": home,
            "cert_file": pem,
            "cert_cn": "localhost",
            "ftps_host": "localhost",
            "password_env": PASSWORD_ENV,
            "ftps_cafile": pem,
        }
    )
    steps = {s.id: s for s in RUNBOOK.steps(values)}
    try:
        for step in ("certificate", "user"):  # the runbook's own command lines, via a shell
            subprocess.run(steps[step].command, shell=True, check=True, capture_output=True)
        password = secrets.token_urlsafe(16)
        subprocess.run(["chpasswd"], input=f"{user}:{password}\n", text=True, check=True)
        Path(home, "recordings", "call-1.wav").write_bytes(b"RIFF")
        os.environ[PASSWORD_ENV] = password
        port = _free_port()
        empty = base / "empty"
        empty.mkdir(mode=0o555)
        loopback = {
            "listen": "YES",
            "listen_ipv6": "NO",
            "listen_address": "127.0.0.1",
            "listen_port": str(port),
            "background": "NO",
            "pam_service_name": "vsftpd",
            "secure_chroot_dir": str(empty),
            "seccomp_sandbox": "NO",
            "pasv_min_port": str(_free_port()),
            "connect_from_port_20": "NO",
            "vsftpd_log_file": str(base / "vsftpd.log"),
        }
        loopback["pasv_max_port"] = str(int(loopback["pasv_min_port"]) + 20)
        conf_text = set_keyvalues(render_vsftpd_conf(STOCK, pem), loopback)
        conf = base / "vsftpd.conf"
        conf.write_text(conf_text)
        values = {**values, "ftps_port": port}
        proc = _start(conf, port)
        try:
            yield values, conf_text, proc
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    finally:
        os.environ.pop(PASSWORD_ENV, None)
        subprocess.run(["userdel", user], check=False, capture_output=True)
        shutil.rmtree(home, ignore_errors=True)


def test_certificate_command_makes_a_2048_bit_key_and_cert_in_one_file(server):
    values, _conf, _proc = server
    pem = Path(values["cert_file"])
    text = pem.read_text()
    assert "PRIVATE KEY" in text and "BEGIN CERTIFICATE" in text
    assert oct(pem.stat().st_mode & 0o777) == "0o600"
    out = subprocess.run(
        ["openssl", "x509", "-in", str(pem), "-noout", "-text"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Public-Key: (2048 bit)" in out and "CN = localhost" in out


def test_chroot_permissions_from_the_page_commands(server):
    values, _conf, _proc = server
    home, user = values["ftp_home"], values["ftp_user"]
    out = subprocess.run(
        ["stat", "-c", "%a %U %n", home, f"{home}/recordings"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    verdict, reason = _perms(user, home, f"{home}/recordings")(out)
    assert verdict is Verdict.PASS, reason


def test_ftps_login_passes_and_plain_login_is_refused(server):
    values, conf, _proc = server
    assert "force_local_logins_ssl=YES" in conf and "anonymous_enable=NO" in conf
    result = ftps_login(values)
    assert result == {"ftps": "ok", "files": 1, "plain": "refused"}
    verdict, reason = _login_expect(result)
    assert verdict is Verdict.PASS and "1 files" in reason
    assert os.environ[PASSWORD_ENV] not in reason


def test_wrong_password_fails_without_showing_it(server, monkeypatch):
    values, _conf, _proc = server
    monkeypatch.setenv(PASSWORD_ENV, "not-the-password-xyz")
    result = ftps_login(values)
    verdict, reason = _login_expect(result)
    assert verdict is Verdict.FAIL and "FTPS login failed" in reason
    assert "not-the-password-xyz" not in reason


def test_check_fails_when_tls_is_not_forced(server, tmp_path):
    values, conf, _proc = server
    port = _free_port()
    relaxed = set_keyvalues(
        conf,
        {"force_local_logins_ssl": "NO", "force_local_data_ssl": "NO", "listen_port": str(port)},
    )
    path = tmp_path / "relaxed.conf"
    path.write_text(relaxed)
    proc = _start(path, port)
    try:
        result = ftps_login({**values, "ftps_port": port})
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert result["ftps"] == "ok" and result["plain"] == "accepted"
    verdict, reason = _login_expect(result)
    assert verdict is Verdict.FAIL and "TLS is not forced" in reason
