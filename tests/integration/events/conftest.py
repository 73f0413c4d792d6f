"""A real MariaDB on 127.0.0.1:3306 (root, no password): required in CI, skipped elsewhere."""

from __future__ import annotations

import os
import socket
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL


@pytest.fixture
def mariadb_db():
    """(URL, database name) of a fresh empty database, dropped afterwards."""
    try:
        with socket.create_connection(("127.0.0.1", 3306), timeout=2):
            pass
    except OSError:
        if os.environ.get("CI"):
            pytest.fail("MariaDB is not listening on 127.0.0.1:3306 (required in CI)")
        pytest.skip("no MariaDB server on 127.0.0.1:3306")
    name = f"mirta_events_{uuid.uuid4().hex[:10]}"
    admin = create_engine(URL.create("mysql+pymysql", username="root", host="127.0.0.1", port=3306))
    with admin.begin() as conn:
        conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    try:
        yield (
            URL.create(
                "mysql+pymysql", username="root", host="127.0.0.1", port=3306, database=name
            ),
            name,
        )
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin.dispose()


@pytest.fixture(scope="session")
def sshd(tmp_path_factory):
    """A real OpenSSH server on 127.0.0.1 (root by key): (ssh URL, target options)."""
    import shutil
    import subprocess
    import time
    from pathlib import Path

    if not Path("/usr/sbin/sshd").exists():
        pytest.skip("OpenSSH server not installed (apt-get install openssh-server)")
    if os.geteuid() != 0:
        pytest.skip("the test sshd logs in as root: run as root (CI does)")
    d = tmp_path_factory.mktemp("sshd")
    for name in ("host_key", "client_key"):
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / name)], check=True
        )
    shutil.copy(d / "client_key.pub", d / "authorized_keys")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (d / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {d / 'host_key'}\n"
        f"PidFile {d / 'sshd.pid'}\nAuthorizedKeysFile {d / 'authorized_keys'}\n"
        "UsePAM no\nPermitRootLogin prohibit-password\nPasswordAuthentication no\n"
        "StrictModes no\n"
    )
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    log = (d / "sshd.log").open("wb")
    proc = subprocess.Popen(
        ["/usr/sbin/sshd", "-f", str(d / "sshd_config"), "-D", "-e"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(150):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    if s.recv(64).startswith(b"SSH-2.0"):
                        break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail(f"sshd did not start: {(d / 'sshd.log').read_text()[-1000:]}")
        pub = (d / "host_key.pub").read_text().split()
        (d / "known_hosts").write_text(f"[127.0.0.1]:{port} {pub[0]} {pub[1]}\n")
        yield (
            f"ssh://root@127.0.0.1:{port}",
            {"key_filename": str(d / "client_key"), "known_hosts": str(d / "known_hosts")},
        )
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()
