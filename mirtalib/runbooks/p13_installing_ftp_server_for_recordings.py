"""Seed page 13, *Installing FTP server for recordings*: vsftpd with FTPS as the recordings store.

The page installs vsftpd, makes a self-signed certificate (key and certificate in one PEM file),
turns off anonymous logins, jails local users in their home (``chroot_local_user``), forces TLS
for logins and data, and creates a ``recording`` user whose home is not writable (vsftpd refuses
a writable chroot) with a writable ``recordings`` folder inside. The recording coverage audit
(:mod:`mirtalib.recording`, notebook ``analytics/recording-coverage``) reads that store over
FTPS with :func:`mirtalib.recording.scan_ftps`; this runbook's last check uses the same function.

Where this runbook departs from the page (the safe choice is the default):

* ``rsa:1024`` keys are refused by current OpenSSL security levels and clients: 2048 bits by
  default, less is rejected;
* ``chkconfig`` is the SysV tool; ``systemctl enable`` does the same on systemd nodes;
* ``ssl_ciphers=HIGH`` is added (vsftpd's default list still allows weak ciphers);
* the user's password is never set by the notebook: ``passwd recording`` by hand, then the
  password lives in the env var named by ``password_env`` for the login check.
"""

from __future__ import annotations

import ftplib
import json
import re
from typing import Any

from mirtalib.asterisk.keyvalue import parse_keyvalue, set_keyvalues
from mirtalib.errors import DataSourceError, ParameterError
from mirtalib.recording import FtpsStore, scan_ftps
from mirtalib.runbook import (
    Check,
    Command,
    Manual,
    Param,
    Phase,
    Risk,
    RunbookDef,
    Step,
    Verdict,
    Verification,
    mapping_equals,
    text_edit,
)
from mirtalib.validate import cmd

MIN_KEY_BITS = 2048


def vsftpd_settings(cert_file: str) -> dict[str, str]:
    """The settings page 13 sets in vsftpd.conf (``ssl_ciphers`` added)."""
    return {
        "anonymous_enable": "NO",
        "chroot_local_user": "YES",
        "ssl_enable": "YES",
        "allow_anon_ssl": "NO",
        "force_local_data_ssl": "YES",
        "force_local_logins_ssl": "YES",
        "ssl_tlsv1": "YES",
        "ssl_sslv2": "NO",
        "ssl_sslv3": "NO",
        "rsa_cert_file": cert_file,
        "rsa_private_key_file": cert_file,
        "require_ssl_reuse": "NO",
        "ssl_ciphers": "HIGH",
    }


def render_vsftpd_conf(current: str, cert_file: str) -> str:
    """``current`` vsftpd.conf with the page's settings (in place, others byte-identical)."""
    return set_keyvalues(current, vsftpd_settings(cert_file))


def certificate_command(cert_file: str, days: int, bits: int, common_name: str) -> str:
    """The page's ``openssl req`` (key and certificate in one file), quoted, then ``chmod 600``."""
    make = cmd(
        "openssl",
        "req",
        "-x509",
        "-nodes",
        "-days",
        days,
        "-newkey",
        f"rsa:{bits}",
        "-subj",
        f"/CN={common_name}",
        "-keyout",
        cert_file,
        "-out",
        cert_file,
    )
    return f"{make} && {cmd('chmod', '600', cert_file)}"


def _bits(value: int) -> int:
    if value < MIN_KEY_BITS or value > 8192:
        raise ParameterError(
            f"key_bits={value} is refused: use {MIN_KEY_BITS}-8192 (the page's rsa:1024 is "
            "rejected by current OpenSSL and FTP clients)"
        )
    return value


def _user(value: str) -> str:
    if not re.fullmatch(r"[a-z_][a-z0-9_-]{0,31}", value or ""):
        raise ParameterError(f"ftp_user={value!r} is not a Linux user name")
    return value


PARAMS = (
    Param("ftp_user", "recording", "local user the PBX uploads recordings as", check=_user),
    Param(
        "ftp_home",
        "/home/recording",
        "its home, the chroot: made not writable (chmod 500)",
        kind="path",
    ),
    Param(
        "vsftpd_conf",
        "/etc/vsftpd/vsftpd.conf",
        "vsftpd configuration file (Debian: /etc/vsftpd.conf)",
        kind="path",
    ),
    Param(
        "cert_file",
        "/etc/ssl/private/vsftpd.pem",
        "key + certificate in one PEM file",
        kind="path",
    ),
    Param("cert_days", 365, "certificate validity in days", between=(1, 3650)),
    Param(
        "key_bits", 2048, "RSA key size; below 2048 is refused (the page says 1024)", check=_bits
    ),
    Param(
        "cert_cn",
        "pbx.demo.mirta.example",
        "certificate common name: the name clients connect to",
        kind="hostname",
    ),
    Param(
        "ftps_host",
        "",
        "host for the FTPS login check; empty: skip it (the demo has no server)",
        kind="host",
        optional=True,
    ),
    Param("ftps_port", 21, "FTPS control port", kind="port"),
    Param(
        "password_env",
        "MIRTA_FTPS_PASSWORD",
        "env var holding the FTP user's password",
        kind="env_var",
        secret_ref=True,
    ),
    Param(
        "ftps_cafile",
        "",
        ("certificate to trust for the login check (self-signed: the PEM's cert)"),
    ),
)


def ftps_login(v: dict[str, Any]) -> dict[str, Any]:
    """Log in over FTPS with the coverage audit's own reader; try a plain login too.

    Returns ``{"ftps": "ok"|reason, "files": n, "plain": "refused"|"accepted"|reason}``.
    """
    store = FtpsStore(
        host=v["ftps_host"],
        port=v["ftps_port"],
        user=v["ftp_user"],
        password_env=v["password_env"],
        root="recordings",
        cafile=v["ftps_cafile"],
        timeout=15.0,
    )
    out: dict[str, Any] = {"ftps": "ok", "files": 0, "plain": ""}
    try:
        out["files"] = len(scan_ftps(store, read_headers=False))
    except DataSourceError as exc:
        out["ftps"] = str(exc)
    try:
        with ftplib.FTP(timeout=15.0) as ftp:  # noqa: S321 - proving plain FTP is refused
            ftp.connect(v["ftps_host"], v["ftps_port"])
            ftp.sendcmd(f"USER {v['ftp_user']}")
        out["plain"] = "accepted"
    except ftplib.error_perm as exc:
        out["plain"] = "refused" if str(exc).startswith("530") else str(exc)
    except (OSError, EOFError, ftplib.Error) as exc:
        out["plain"] = f"no answer ({type(exc).__name__})"
    return out


def _login_expect(result: dict[str, Any]) -> tuple[Verdict, str]:
    if result.get("skipped"):
        return Verdict.WARN, "ftps_host is empty: FTPS login not tested (set it to test)"
    if result["ftps"] != "ok":
        return Verdict.FAIL, f"FTPS login failed: {result['ftps']}"
    if result["plain"] != "refused":
        return Verdict.FAIL, f"plain-text login was {result['plain']}: TLS is not forced"
    return Verdict.PASS, (
        f"FTPS login and listing work ({result['files']} files under recordings/); "
        "plain-text login refused"
    )


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 13 for validated parameter values ``v``."""
    user, home, conf, pem = v["ftp_user"], v["ftp_home"], v["vsftpd_conf"], v["cert_file"]
    rec = f"{home}/recordings"
    wanted = vsftpd_settings(pem)
    login = (lambda _t: ftps_login(v)) if v["ftps_host"] else (lambda _t: {"skipped": True})
    return [
        Check(
            id="vsftpd-installed",
            title="vsftpd package",
            phase=Phase.BEFORE,
            command=cmd("rpm", "-q", "vsftpd"),
            ok_codes=(0, 1),
            expect=lambda out: (Verdict.PASS, out.strip() or "not installed"),
        ),
        Command(
            id="install",
            title="Install vsftpd",
            command=cmd("yum", "-y", "install", "vsftpd"),
            risk=Risk.CHANGING,
            unless=cmd("rpm", "-q", "vsftpd"),
        ),
        Command(
            id="enable",
            title="Start vsftpd at boot (page: chkconfig)",
            command=cmd("systemctl", "enable", "vsftpd"),
            risk=Risk.CHANGING,
            unless=cmd("systemctl", "is-enabled", "vsftpd"),
            undo=cmd("systemctl", "disable", "vsftpd"),
        ),
        Command(
            id="certificate",
            title=f"Self-signed certificate {pem} (RSA {v['key_bits']})",
            command=f"{cmd('mkdir', '-p', '-m', '700', pem.rsplit('/', 1)[0])} && "
            + certificate_command(pem, v["cert_days"], v["key_bits"], v["cert_cn"]),
            risk=Risk.CHANGING,
            unless=cmd("test", "-s", pem),
        ),
        text_edit(
            "vsftpd-conf",
            f"TLS-only, chrooted, no anonymous: {conf}",
            conf,
            lambda text: render_vsftpd_conf(text, pem),
            mode=0o600,
            summary="anonymous off, chroot, ssl_enable and forced TLS, certificate",
        ),
        Command(
            id="user",
            title=f"User {user} with a read-only chroot and {rec}",
            command=" && ".join(
                [
                    cmd("useradd", "-m", "-d", home, user),
                    cmd("chmod", "500", home),
                    cmd("install", "-d", "-m", "755", "-o", user, "-g", user, rec),
                ]
            ),
            risk=Risk.CHANGING,
            unless=cmd("id", "-u", user),
        ),
        Manual(
            id="password",
            title=f"Set {user}'s password by hand",
            where="root shell on the node",
            detail=f"passwd {user}; store it in the env var {v['password_env']} "
            "where the coverage audit runs, and in MiRTA's recording FTP settings",
        ),
        Command(
            id="restart",
            title="Restart vsftpd (drops open FTP sessions)",
            command=cmd("systemctl", "restart", "vsftpd"),
            risk=Risk.SERVICE_AFFECTING,
            when_changed=("vsftpd-conf",),
            undo=cmd("systemctl", "restart", "vsftpd"),
        ),
        Check(
            id="active",
            title="vsftpd is running",
            command=cmd("systemctl", "is-active", "vsftpd"),
            ok_codes=(0, 3),
            expect=lambda out: (
                (Verdict.PASS, "active")
                if out.strip() == "active"
                else (Verdict.FAIL, f"vsftpd is {out.strip() or 'not running'}")
            ),
        ),
        Check(
            id="conf-values",
            title=f"{conf} carries the page's settings",
            probe=lambda t: t.read_text(conf) or "",
            parse=lambda s: parse_keyvalue(s).values,
            expect=mapping_equals(wanted, conf),
        ),
        Check(
            id="chroot-perms",
            title=f"{home} not writable, {rec} owned by {user}",
            command=cmd("stat", "-c", "%a %U %n", home, rec),
            ok_codes=(0, 1),
            expect=_perms(user, home, rec),
        ),
        Check(
            id="ftps-login",
            title="FTPS login with the audit's reader; plain login refused",
            probe=lambda t: json.dumps(login(t)),
            parse=json.loads,
            expect=_login_expect,
        ),
    ]


def _perms(user: str, home: str, rec: str):
    want = {home: ("500", user), rec: ("755", user)}

    def expect(out: str) -> tuple[Verdict, str]:
        seen = {}
        for line in out.splitlines():
            parts = line.split(" ", 2)
            if len(parts) == 3:
                seen[parts[2]] = (parts[0], parts[1])
        bad = [
            f"{p} is {seen.get(p, ('missing',))[0]}" for p, w in want.items() if seen.get(p) != w
        ]
        if bad:
            return Verdict.FAIL, "; ".join(bad) + f" (want {home} 500, {rec} 755, owner {user})"
        return Verdict.PASS, f"{home} 500 (chroot not writable), {rec} 755 owned by {user}"

    return expect


RUNBOOK = RunbookDef(
    page=13,
    slug="installing-ftp-server-for-recordings",
    title="Installing FTP server for recordings",
    scope="node",
    roles=("ftp",),
    params=PARAMS,
    build=build,
    summary="vsftpd with forced TLS, chroot, recording user; FTPS login via the coverage reader",
    verification=Verification(
        mirta_page="MiRTA's recording FTP settings point at this server; a test call's "
        "recording appears under recordings/ (notebook analytics/recording-coverage).",
        asterisk_log="No upload errors for recordings in the Asterisk/MiRTA logs; vsftpd's "
        "/var/log/xferlog shows the uploads.",
        status_menu="Status menu: the recordings entry shows recent files.",
    ),
)
