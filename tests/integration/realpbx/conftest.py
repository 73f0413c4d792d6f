"""The real Asterisk PBX of the test session (see pbxtree.py and world.py).

``real_world`` builds the tree when missing (scripts/realpbx.sh), starts Asterisk as the tree's
asterisk user with CDRs going to Master.csv, cdr_custom and (ODBC) a MiRTA ``cdr`` table in the
host's MariaDB, starts an OpenSSH server inside the tree on a loopback port, runs every scenario
twice with a restart in between, and stops everything at the end of the session. Where the tree
cannot be built (not root, no debootstrap, no mirror) the tests skip with the reason; with ``CI``
set they fail instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from pbxtree import PbxError, RealPbx, free_port
from world import World, run_world


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"the real PBX is required in CI: {reason}")
    pytest.skip(f"real Asterisk PBX not available: {reason}")


def _mariadb_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 3306), timeout=2):
            return True
    except OSError:
        return False


@dataclass(frozen=True)
class TreeSsh:
    """The OpenSSH server running inside the tree: a real node with a real ``asterisk``."""

    port: int
    client_key: Path
    known_hosts: Path

    @property
    def url(self) -> str:
        return f"ssh://root@127.0.0.1:{self.port}"

    @property
    def options(self) -> dict:
        return {"key_filename": str(self.client_key), "known_hosts": str(self.known_hosts)}


@dataclass
class RealNode:
    world: World
    ssh: TreeSsh
    odbc_url: str | None  # SQLAlchemy URL of the MariaDB database cdr_adaptive_odbc wrote to

    @property
    def pbx(self) -> RealPbx:
        return self.world.pbx


@pytest.fixture(scope="session")
def real_tree() -> Path:
    if os.geteuid() != 0:
        _unavailable("building and starting it needs root (debootstrap, chroot, mount)")
    if not shutil.which("chroot"):
        _unavailable("no chroot program")
    try:
        return RealPbx.build()
    except (PbxError, subprocess.TimeoutExpired) as exc:
        _unavailable(str(exc))


def _odbc_database():
    """A fresh MariaDB database with MiRTA's cdr table, for cdr_adaptive_odbc."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import URL

    from mirtalib.data.schema import load_schema

    name = f"mirta_realpbx_{uuid.uuid4().hex[:8]}"
    admin = create_engine(URL.create("mysql+pymysql", username="root", host="127.0.0.1", port=3306))
    with admin.begin() as conn:
        conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    url = URL.create(
        "mysql+pymysql", username="root", host="127.0.0.1", port=3306, database=name,
        query={"charset": "utf8mb4"},
    )  # fmt: skip
    engine = create_engine(url)
    load_schema().table("cdr").create(engine)
    engine.dispose()
    return name, url, admin


def _start_sshd(pbx: RealPbx, workdir: Path) -> tuple[TreeSsh, int]:
    key = workdir / "client_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    ssh_dir = pbx.path("/root/.ssh")
    ssh_dir.mkdir(mode=0o700, exist_ok=True)
    (ssh_dir / "authorized_keys").write_text((workdir / "client_key.pub").read_text())
    os.chmod(ssh_dir / "authorized_keys", 0o600)
    pbx.path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    port = free_port()
    pbx.chroot(
        "/usr/sbin/sshd", "-p", str(port), "-o", "ListenAddress=127.0.0.1",
        "-o", "PidFile=/run/sshd-mirta.pid", "-o", "PasswordAuthentication=no",
        "-o", "PermitRootLogin=prohibit-password",
    )  # fmt: skip
    pbx.wait_port(port)
    pub = pbx.path("/etc/ssh/ssh_host_ed25519_key.pub").read_text().split()
    known = workdir / "known_hosts"
    known.write_text(f"[127.0.0.1]:{port} {pub[0]} {pub[1]}\n")
    pidfile = pbx.path("/run/sshd-mirta.pid")
    deadline = time.monotonic() + 10
    while True:  # sshd writes its pid file just after it starts listening
        pid = pidfile.read_text().strip() if pidfile.exists() else ""
        if pid:
            return TreeSsh(port, key, known), int(pid)
        if time.monotonic() > deadline:
            raise PbxError("sshd in the tree listens but wrote no pid file within 10 s")
        time.sleep(0.05)


@pytest.fixture(scope="session")
def real_node(real_tree: Path, tmp_path_factory) -> RealNode:
    workdir = tmp_path_factory.mktemp("realpbx")
    odbc = _odbc_database() if _mariadb_up() else None
    if odbc is None and os.environ.get("CI"):
        pytest.fail("MariaDB is not listening on 127.0.0.1:3306 (required in CI)")
    t0 = time.monotonic()
    pbx = RealPbx.private(real_tree, workdir / "tree", odbc_database=odbc[0] if odbc else None)
    sshd_pid = None
    try:
        pbx.configure()
        pbx.reset_logs()
        pbx.start()
        ssh, sshd_pid = _start_sshd(pbx, workdir)
        world = run_world(pbx, workdir)
        print(f"\nreal PBX: started and scenarios run in {time.monotonic() - t0:.1f} s")
        yield RealNode(world, ssh, odbc[1].render_as_string(hide_password=False) if odbc else None)
    finally:
        if sshd_pid:
            try:
                os.kill(sshd_pid, 15)
            except ProcessLookupError:
                pass
        pbx.stop()
        pbx.unmount()
        if odbc:
            from sqlalchemy import text

            with odbc[2].begin() as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS `{odbc[0]}`"))
            odbc[2].dispose()


@pytest.fixture(scope="module")
def target(real_node):
    """An SSH runbook target on the node (the tree's sshd)."""
    from mirtalib.runbook.ssh import SSHTarget

    t = SSHTarget.from_url(real_node.ssh.url, **real_node.ssh.options)
    yield t
    t.close()


@pytest.fixture
def run(target, tmp_path):
    """``run(page, modes=("plan", "verify"), **params)``: a page's read-only runs on the node."""
    from pageruns import run_page

    def go(page: int, modes=("plan", "verify"), **params):
        return run_page(target, page, params, tmp_path / "journal", modes)

    return go
