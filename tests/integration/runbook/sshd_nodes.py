"""Real OpenSSH servers on loopback for the runbook integration tests (fixtures in conftest.py).

:func:`start_sshd` starts one; ``node=`` runs it in its own mount namespace with a folder of the
test bound over :data:`NODE_MOUNT`, so two servers are two nodes with their own files at the
same path.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SSHD = "/usr/sbin/sshd"
NODE_MOUNT = "/run/mirta-test-node"  # each node's own folder is seen here, by its sshd only


def require(program: str, why: str) -> None:
    """Skip when ``program`` is missing (fail in CI, which installs scripts/system-deps.txt)."""
    if shutil.which(program) is None and not Path(program).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{program} is required in CI ({why}): scripts/system-deps.sh installs it")
        pytest.skip(f"{program} not installed ({why})")


@dataclass(frozen=True)
class SshServer:
    """Where the test server listens and the files a client needs."""

    port: int
    client_key: Path
    known_hosts: Path
    host_key_pub: Path
    log: Path
    address: str = "127.0.0.1"
    pid: int = 0
    user: str = "root"

    @property
    def url(self) -> str:
        return f"ssh://{self.user}@{self.address}:{self.port}"

    @property
    def options(self) -> dict:
        return {"key_filename": str(self.client_key), "known_hosts": str(self.known_hosts)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_banner(port: int, proc: subprocess.Popen, log: Path, address: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"sshd exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection((address, port), timeout=1) as s:
                if s.recv(64).startswith(b"SSH-2.0"):
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"sshd did not answer on port {port}: {log.read_text()[-2000:]}")


def _keys(d: Path) -> None:
    for name in ("host_key", "client_key", "other_key"):
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / name)], check=True
        )
    shutil.copy(d / "client_key.pub", d / "authorized_keys")
    os.chmod(d / "authorized_keys", 0o644)


@contextlib.contextmanager
def start_sshd(
    d: Path,
    *,
    address: str = "127.0.0.1",
    node: Path | None = None,
    user: str = "root",
    authorized_keys: Path | None = None,
) -> Iterator[SshServer]:
    """An sshd on ``address`` with fresh keys in ``d``; with ``node``, in its own mount
    namespace where ``node`` is seen at :data:`NODE_MOUNT`. A login other than root needs
    ``authorized_keys`` in a place that user can read (sshd reads it as the user)."""
    if not Path(SSHD).exists():
        pytest.skip("OpenSSH server not installed (apt-get install openssh-server)")
    if os.geteuid() != 0:
        pytest.skip("the test sshd logs in as root and keeps file owners: run as root (CI does)")
    d.mkdir(parents=True, exist_ok=True)
    _keys(d)
    if authorized_keys is not None:
        shutil.copy(d / "client_key.pub", authorized_keys)
        os.chmod(authorized_keys, 0o644)
    keys = authorized_keys or d / "authorized_keys"
    port = free_port()
    config = d / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress {address}\nHostKey {d / 'host_key'}\n"
        f"PidFile {d / 'sshd.pid'}\nAuthorizedKeysFile {keys}\n"
        "UsePAM no\nPermitRootLogin prohibit-password\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nStrictModes no\nSubsystem sftp internal-sftp\n"
        "LogLevel VERBOSE\n"
    )
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    command = [SSHD, "-f", str(config), "-D", "-e"]
    if node is not None:
        require("unshare", "a node's own mount namespace")
        Path(NODE_MOUNT).mkdir(exist_ok=True)
        script = f"mount --bind {shlex.quote(str(node))} {NODE_MOUNT} && exec {shlex.join(command)}"
        command = ["unshare", "--mount", "--propagation", "private", "sh", "-c", script]
    log = d / "sshd.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_banner(port, proc, log, address)
        pub = (d / "host_key.pub").read_text().split()
        (d / "known_hosts").write_text(f"[{address}]:{port} {pub[0]} {pub[1]}\n")
        yield SshServer(
            port,
            d / "client_key",
            d / "known_hosts",
            d / "host_key.pub",
            log,
            address=address,
            pid=proc.pid,
            user=user,
        )
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)
