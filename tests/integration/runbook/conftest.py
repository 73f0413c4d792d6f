"""A real OpenSSH server on 127.0.0.1, started for the runbook integration tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[2] / "unit" / "runbook"))

SSHD = "/usr/sbin/sshd"


@dataclass(frozen=True)
class SshServer:
    """Where the test server listens and the files a client needs."""

    port: int
    client_key: Path
    known_hosts: Path
    host_key_pub: Path
    log: Path

    @property
    def url(self) -> str:
        return f"ssh://root@127.0.0.1:{self.port}"

    @property
    def options(self) -> dict:
        return {"key_filename": str(self.client_key), "known_hosts": str(self.known_hosts)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_banner(port: int, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"sshd exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                if s.recv(64).startswith(b"SSH-2.0"):
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"sshd did not answer on port {port}: {log.read_text()[-2000:]}")


@pytest.fixture(scope="session")
def sshd(tmp_path_factory) -> SshServer:
    if not Path(SSHD).exists():
        pytest.skip("OpenSSH server not installed (apt-get install openssh-server)")
    if os.geteuid() != 0:
        pytest.skip("the test sshd logs in as root and keeps file owners: run as root (CI does)")
    d = tmp_path_factory.mktemp("sshd")
    for name in ("host_key", "client_key", "other_key"):
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / name)], check=True
        )
    shutil.copy(d / "client_key.pub", d / "authorized_keys")
    os.chmod(d / "authorized_keys", 0o600)
    port = free_port()
    config = d / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {d / 'host_key'}\n"
        f"PidFile {d / 'sshd.pid'}\nAuthorizedKeysFile {d / 'authorized_keys'}\n"
        "UsePAM no\nPermitRootLogin prohibit-password\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nStrictModes no\nSubsystem sftp internal-sftp\n"
        "LogLevel VERBOSE\n"
    )
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    log = d / "sshd.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [SSHD, "-f", str(config), "-D", "-e"], stdout=out, stderr=subprocess.STDOUT
        )
    try:
        _wait_banner(port, proc, log)
        pub = (d / "host_key.pub").read_text().split()
        (d / "known_hosts").write_text(f"[127.0.0.1]:{port} {pub[0]} {pub[1]}\n")
        yield SshServer(port, d / "client_key", d / "known_hosts", d / "host_key.pub", log)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
