"""A real vsftpd on loopback configured like runbook page 13 (TLS required, chroot, no anonymous).

The fixture generates its own certificate (cryptography), creates a local user with a random
password (given to the code under test only through an environment variable), writes its own
config file and runs ``vsftpd`` in the foreground on a free port; everything is removed afterwards.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "unit" / "recording"))

VSFTPD = "/usr/sbin/vsftpd"
PASSWORD_ENV = "MIRTA_TEST_FTPS_PASSWORD"


@dataclass
class Vsftpd:
    """A running test server."""

    port: int
    user: str
    home: Path
    cafile: Path
    log: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _certificate(folder: Path) -> Path:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = folder / "vsftpd.pem"  # key and certificate in one file, as on page 13
    pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
        + cert.public_bytes(serialization.Encoding.PEM)
    )
    pem.chmod(0o600)
    (folder / "ca.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return pem


def _wait_port(port: int, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"vsftpd exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("vsftpd did not start listening within 10 s")


@pytest.fixture(scope="module")
def vsftpd(tmp_path_factory) -> Vsftpd:
    """Start vsftpd with TLS forced for logins and data; yield where and how to reach it."""
    if not Path(VSFTPD).exists():
        pytest.skip("vsftpd is not installed (apt-get install vsftpd; see scripts/system-deps.txt)")
    if os.geteuid() != 0:
        pytest.skip("vsftpd with local users and chroot needs root to start")
    base = tmp_path_factory.mktemp("vsftpd")
    base.chmod(0o755)
    user = f"mrec{secrets.token_hex(3)}"
    home = Path("/home") / user  # a real home outside the tmp tree: chroot needs root-owned parents
    password = secrets.token_urlsafe(16)
    subprocess.run(["useradd", "-M", "-d", str(home), "-s", "/bin/bash", user], check=True)
    try:
        subprocess.run(["chpasswd"], input=f"{user}:{password}\n", text=True, check=True)
        home.mkdir()
        rec = home / "recordings"
        rec.mkdir()
        shutil.chown(rec, user, user)
        shutil.chown(home, user, user)
        home.chmod(0o500)  # page 13: the chroot folder must not be writable
        pem = _certificate(base)
        empty = base / "empty"
        empty.mkdir(mode=0o555)
        port, pasv = _free_port(), _free_port()
        log = base / "vsftpd.log"
        conf = base / "vsftpd.conf"
        conf.write_text(
            "\n".join(
                [
                    "listen=YES",
                    "listen_ipv6=NO",
                    "listen_address=127.0.0.1",
                    f"listen_port={port}",
                    "background=NO",
                    "anonymous_enable=NO",
                    "local_enable=YES",
                    "write_enable=YES",
                    "chroot_local_user=YES",
                    "pam_service_name=vsftpd",
                    f"secure_chroot_dir={empty}",
                    "seccomp_sandbox=NO",
                    "isolate=NO",
                    "isolate_network=NO",
                    "pasv_enable=YES",
                    "pasv_address=127.0.0.1",
                    f"pasv_min_port={pasv}",
                    f"pasv_max_port={pasv + 20}",
                    "connect_from_port_20=NO",
                    "ssl_enable=YES",
                    "allow_anon_ssl=NO",
                    "force_local_data_ssl=YES",
                    "force_local_logins_ssl=YES",
                    "ssl_tlsv1=YES",
                    "ssl_sslv2=NO",
                    "ssl_sslv3=NO",
                    f"rsa_cert_file={pem}",
                    f"rsa_private_key_file={pem}",
                    "require_ssl_reuse=NO",
                    "ssl_ciphers=HIGH",
                    "xferlog_enable=YES",
                    f"vsftpd_log_file={log}",
                    "dual_log_enable=YES",
                    f"xferlog_file={base / 'xfer.log'}",
                    "",
                ]
            )
        )
        proc = subprocess.Popen(
            [VSFTPD, str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            _wait_port(port, proc, log)
            os.environ[PASSWORD_ENV] = password
            yield Vsftpd(port=port, user=user, home=home, cafile=base / "ca.pem", log=log)
        finally:
            os.environ.pop(PASSWORD_ENV, None)
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    finally:
        subprocess.run(["userdel", user], check=False)
        shutil.rmtree(home, ignore_errors=True)
