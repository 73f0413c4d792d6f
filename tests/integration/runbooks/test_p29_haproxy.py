"""Page 29 against a real HAProxy on loopback: the rendered configuration passes ``haproxy -c``,
apply validates with it, and verify reads the servers through the real stats socket.

Two tiny TCP listeners stand in for the MySQL servers (HAProxy's TCP check only connects); the
real MariaDB at 127.0.0.1:3306 is used as the primary where it runs.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from mirtalib.net.haproxy import parse_show_stat, runtime_command
from mirtalib.runbook import Status
from mirtalib.runbooks.p29_using_haproxy import RUNBOOK, render_config

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
pytestmark = pytest.mark.skipif(
    not Path(HAPROXY).exists(), reason="haproxy is not installed (Debian package haproxy)"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Listener:
    """A TCP server on 127.0.0.1 that accepts and closes connections (a health-checkable port)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.close()

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() on Linux
        except OSError:
            pass
        self.sock.close()
        self.thread.join(timeout=5)


@pytest.fixture
def backends():
    a, b = Listener(), Listener()
    yield a, b
    a.close()
    b.close()


def _values(tmp_path: Path, primary: int, backup: int, **extra) -> dict:
    return {
        "haproxy_cfg": str(tmp_path / "haproxy.cfg"),
        "listen_port": _free_port(),
        "primary": f"db01 127.0.0.1:{primary}",
        "backup": f"db02 127.0.0.1:{backup}",
        "stats_socket": str(tmp_path / "stats"),
        "chroot": "",
        "run_as": "",
        "reload": False,
        **extra,
    }


def _wait_status(sock: str, proxy: str, wanted: dict[str, str], timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    seen: dict = {}
    while time.monotonic() < deadline:
        if Path(sock).exists():
            table = parse_show_stat(runtime_command(sock, "show stat"))
            seen = {r.name: r.status for r in table.servers(proxy)}
            if all(seen.get(k) == v for k, v in wanted.items()):
                return seen
        time.sleep(0.3)
    raise AssertionError(f"servers never reached {wanted}: {seen}")


@pytest.fixture
def haproxy(tmp_path, backends):
    """A real haproxy running the configuration the runbook renders."""
    procs = []

    def start(values: dict) -> subprocess.Popen:
        cfg = Path(values["haproxy_cfg"])
        cfg.write_text(render_config(RUNBOOK.validate(values)))
        proc = subprocess.Popen(
            [HAPROXY, "-db", "-f", str(cfg)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        procs.append(proc)
        return proc

    yield start
    for p in procs:
        p.terminate()
        p.wait(timeout=10)


@pytest.mark.parametrize("check", ["tcp", "httpchk", "mysql-check"])
def test_rendered_config_passes_the_real_checker(tmp_path, check):
    values = RUNBOOK.validate(_values(tmp_path, 3306, 3307, health_check=check))
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(render_config(values))
    out = subprocess.run([HAPROXY, "-c", "-f", str(cfg)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Configuration file is valid" in out.stdout
    assert "WARNING" not in out.stdout + out.stderr  # no http-server-close warning in tcp mode
    # the page's daemon and option logasap pass the real checker without a warning
    lines = [ln.strip() for ln in cfg.read_text().splitlines()]
    assert "daemon" in lines and "option logasap" in lines


def test_the_checker_rejects_a_broken_file(tmp_path):
    cfg = tmp_path / "haproxy.cfg"
    values = RUNBOOK.validate(_values(tmp_path, 3306, 3307))
    cfg.write_text(render_config(values).replace("balance roundrobin", "balance sometimes"))
    rb = RUNBOOK.open("local", journal=tmp_path / "j", **_values(tmp_path, 3306, 3307))
    report = rb.verify()
    steps = {r.step_id: r for r in report.nodes[0].results}
    assert steps["config-valid"].status is Status.FAIL


def test_apply_validates_with_haproxy_and_verify_reads_show_stat(tmp_path, backends, haproxy):
    a, b = backends
    values = _values(tmp_path, a.port, b.port)
    rb = RUNBOOK.open("local", journal=tmp_path / "j", **values)
    applied = rb.apply(confirm=True)
    steps = {r.step_id: r for r in applied.nodes[0].results}
    assert steps["haproxy-cfg"].status is Status.CHANGED
    assert any("haproxy -c -f" in c.command for c in steps["haproxy-cfg"].commands)
    assert rb.apply(confirm=True).nodes[0].changed == []  # idempotent

    proc = haproxy(values)
    _wait_status(values["stats_socket"], "mysql-proxy", {"db01": "UP", "db02": "UP"})
    verify = rb.verify()
    checks = {r.step_id: r for r in verify.nodes[0].results}
    assert checks["config-valid"].status is Status.PASS
    assert checks["backends"].status is Status.PASS, checks["backends"].reason
    assert "db02 UP (L4OK, backup)" in checks["backends"].reason

    b.close()  # the backup database goes away: failover no longer possible
    _wait_status(values["stats_socket"], "mysql-proxy", {"db02": "DOWN"})
    checks = {r.step_id: r for r in rb.verify().nodes[0].results}
    assert checks["backends"].status is Status.WARN
    assert "failover is not available" in checks["backends"].reason

    a.close()  # and the primary: the proxy has nothing left
    _wait_status(values["stats_socket"], "mysql-proxy", {"db01": "DOWN"})
    checks = {r.step_id: r for r in rb.verify().nodes[0].results}
    assert checks["backends"].status is Status.FAIL
    assert "no server UP" in checks["backends"].reason
    assert proc.poll() is None


def test_page_health_check_without_a_checker_marks_everything_down(tmp_path, backends, haproxy):
    """The page's `option httpchk` on port 3307 with no clustercheck there: both DOWN."""
    a, b = backends
    values = _values(tmp_path, a.port, b.port, health_check="httpchk", check_port=_free_port())
    haproxy(values)
    _wait_status(values["stats_socket"], "mysql-proxy", {"db01": "DOWN", "db02": "DOWN"})
    rb = RUNBOOK.open("local", journal=tmp_path / "j", **values)
    check = {r.step_id: r for r in rb.verify().nodes[0].results}["backends"]
    assert check.status is Status.FAIL


def test_real_mariadb_as_primary(tmp_path, backends, haproxy):
    try:
        socket.create_connection(("127.0.0.1", 3306), timeout=1).close()
    except OSError:
        pytest.skip("no MariaDB on 127.0.0.1:3306 in this environment")
    _, b = backends
    values = _values(tmp_path, 3306, b.port)
    haproxy(values)
    _wait_status(values["stats_socket"], "mysql-proxy", {"db01": "UP", "db02": "UP"})
    rb = RUNBOOK.open("local", journal=tmp_path / "j", **values)
    check = {r.step_id: r for r in rb.verify().nodes[0].results}["backends"]
    assert check.status is Status.PASS
    # a MySQL client through the proxy reaches the real server (greeting packet, protocol 10)
    with socket.create_connection(("127.0.0.1", values["listen_port"]), timeout=5) as s:
        greeting = s.recv(128)
    assert greeting[4] == 10
