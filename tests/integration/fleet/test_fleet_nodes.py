"""mirta fleet over the demo replay nodes and two real loopback sshd nodes, one drifted; a node
killed mid-run and one that never answers end unreachable without holding the others."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from fleetnodes import inventory_text
from prometheus_client.parser import text_string_to_metric_families
from test_ssh_dead import _descendants

from mirtalib.fleet import load_inventory
from mirtalib.fleet.report import matrix
from mirtalib.fleet.run import run_fleet
from mirtalib.runbook.ssh import SSHTarget

MIRTA = Path(sys.executable).with_name("mirta")


def _mirta(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("MIRTA_DB_URL", "MIRTA_INVENTORY")}
    return subprocess.run(
        [str(MIRTA), "fleet", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


def test_fleet_matrix_json_prometheus_and_exit_status(fleet, tmp_path):
    reports, textfile = tmp_path / "reports", tmp_path / "textfile" / "mirta.prom"
    textfile.parent.mkdir()
    done = _mirta(
        "--inventory", str(fleet.inventory), "--pages", "9,16,23", "--reports", str(reports),
        "--textfile", str(textfile), "--forks", "3", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "pbxb: fail (pages 9, 16)" in done.stdout
    (record,) = (reports / "fleet").glob("*.run.json")
    run = record.name.removesuffix(".run.json")
    data = json.loads((reports / "fleet" / f"{run}.json").read_text())
    cells = {(n["node"], c["page"]): c for n in data["nodes"] for c in n["cells"]}
    states = {k: c["state"] for k, c in cells.items()}
    assert states == {
        ("srv01", 9): "fail", ("srv01", 16): "fail", ("srv01", 23): "n/a",
        ("srv02", 9): "n/a", ("srv02", 16): "fail", ("srv02", 23): "fail",
        ("pbxa", 9): "fail", ("pbxa", 16): "ok", ("pbxa", 23): "n/a",
        ("pbxb", 9): "fail", ("pbxb", 16): "fail", ("pbxb", 23): "n/a",
    }  # fmt: skip
    checks = {
        (n["node"], c["page"], k["check"]): k for n in data["nodes"] for c in n["cells"]
        for k in c["checks"]
    }  # fmt: skip
    drift = checks[("pbxb", 16, "file-values")]
    assert drift["state"] == "fail" and "net.ipv4.tcp_fin_timeout" in drift["reason"]
    assert checks[("pbxa", 16, "file-values")]["state"] == "ok"
    assert checks[("pbxa", 9, "cert-pbxa-pbx-test")]["state"] == "ok"
    expiring = checks[("pbxb", 9, "cert-pbxb-pbx-test")]
    assert expiring["state"] == "fail" and "in 3 days" in expiring["reason"]
    assert "expires too soon" in expiring["reason"]
    assert "not installed" in checks[("pbxa", 9, "certbot-version")]["reason"]
    nodes = {n["node"]: n for n in data["nodes"]}
    assert nodes["pbxa"]["versions"]["asterisk"] == "not installed"
    assert nodes["pbxa"]["versions"]["kernel"] == os.uname().release
    certs = {n: [(c["state"], c["days_left"]) for c in nodes[n]["certificates"]] for n in nodes}
    assert certs == {"srv01": [], "srv02": [], "pbxa": [("ok", 200)], "pbxb": [("fail", 3)]}
    assert "pbxa: fail (pages 9)\n" in done.stdout  # certbot is not installed there

    prom = (reports / "fleet" / f"{run}.prom").read_text()
    assert textfile.read_text() == prom
    families = {f.name: f for f in text_string_to_metric_families(prom)}
    status = {
        (s.labels["node"], s.labels["page"], s.labels["check"]): s.value
        for s in families["mirta_check_status"].samples
    }
    assert status[("pbxb", "16", "file-values")] == 2
    assert status[("pbxa", "16", "file-values")] == 0
    assert status[("pbxb", "9", "cert-pbxb-pbx-test")] == 2
    assert not any(node == "pbxa" and page == "23" for node, page, _ in status)
    days = {
        (s.labels["node"], s.labels["cert"]): s.value
        for s in families["mirta_cert_days_left"].samples
    }
    assert days == {("pbxa", "/run/mirta-test-node/live/cert.pem"): 200,
                    ("pbxb", "/run/mirta-test-node/live/cert.pem"): 3}  # fmt: skip
    assert {s.labels["node"]: s.value for s in families["mirta_node_up"].samples} == {
        "srv01": 1, "srv02": 1, "pbxa": 1, "pbxb": 1,
    }  # fmt: skip

    page = (reports / "fleet" / f"{run}.html").read_text()
    assert 'title="pbxb, page 16: fail: ' in page and "No previous run" in page
    index = (reports / "index.html").read_text()
    assert f'href="fleet/{run}.html"' in index

    # the drift repaired: the next run says what was fixed, compared with this one
    (fleet.folders["pbxb"] / "sysctl.conf").write_text(
        (fleet.folders["pbxa"] / "sysctl.conf").read_text()
    )
    again = _mirta("--inventory", str(fleet.inventory), "--pages", "16", "--reports",
                   str(reports), cwd=tmp_path)  # fmt: skip
    assert again.returncode == 1  # the replay nodes still fail page 16
    newest = sorted((reports / "fleet").glob("*.html"))[-1].read_text()
    assert f"Compared with run {run}." in newest
    assert "<td>fixed</td><td>pbxb</td>" in newest


def test_bad_inventory_exits_2_and_writes_nothing(tmp_path):
    bad = tmp_path / "fleet.yaml"
    bad.write_text("all:\n  children:\n    g:\n      roles: [pbx, voicemail]\n")
    done = _mirta("--inventory", str(bad), "--reports", str(tmp_path / "r"), cwd=tmp_path)
    assert done.returncode == 2
    assert f"{bad}:4: unknown role(s) 'voicemail'" in done.stderr
    assert not (tmp_path / "r").exists()
    none = _mirta("--reports", str(tmp_path / "r"), cwd=tmp_path)
    assert none.returncode == 2 and "no inventory" in none.stderr


def test_killed_and_silent_nodes_end_unreachable_without_holding_the_others(fleet, tmp_path):
    silent = socket.socket()  # accepts connections, never says a word (no SSH banner)
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    port = silent.getsockname()[1]
    extra = f"""        mute:
          address: ssh://root@127.0.0.1:{port}
          vars: {{timeout: 2}}
"""
    path = tmp_path / "with-mute.yaml"
    path.write_text(inventory_text(fleet.servers, extra))
    killed = threading.Event()
    seen: list[tuple[str, int, str]] = []

    def on_page(node: str, page: int, state: str) -> None:
        seen.append((node, page, state))
        if node == "pbxb" and page == 9 and not killed.is_set():
            server = fleet.servers["pbxb"]
            for pid in [server.pid, *_descendants(server.pid)]:  # the server and its sessions
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            killed.set()

    start = time.monotonic()
    try:
        run = run_fleet(load_inventory(path), [9, 16, 41], forks=5, on_page=on_page)
    finally:
        silent.close()
    took = time.monotonic() - start
    assert killed.is_set()
    grid = matrix(run)
    assert grid.loc["pbxb"].tolist() == ["fail", "unreachable", "unreachable"]
    assert grid.loc["mute"].tolist() == ["unreachable"] * 3
    assert grid.loc["pbxa"].tolist()[1] == "ok" and "unreachable" not in grid.loc["pbxa"].tolist()
    nodes = {n.node: n for n in run.nodes}
    assert not nodes["pbxb"].reachable and "during page 16" in nodes["pbxb"].error
    assert fleet.servers["pbxb"].url in nodes["pbxb"].error  # closed / reset: the SSH session
    assert not nodes["mute"].reachable and "ssh://root@127.0.0.1" in nodes["mute"].error
    assert nodes["pbxa"].reachable and nodes["srv01"].reachable
    assert run.failed
    assert took < 120, f"the run took {took:.0f} s"
    # not held: every reachable node reported each of its pages (the order of finishing depends
    # on the machine's load, so it is not asserted)
    for node in ("pbxa", "srv01"):
        done = {page for name, page, _state in seen if name == node}
        assert {9, 16, 41} <= done, (node, sorted(done))


def _freeze(server) -> list[int]:
    """Stop the server and its sessions (SIGSTOP): TCP stays up, nothing answers."""
    pids = [server.pid, *_descendants(server.pid)]
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    return pids


def _kill(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _run_threads_left(before: set[threading.Thread]) -> list[str]:
    """Threads started during the run still alive a moment after it returned (paramiko's
    transport thread notices its closed socket within 0.1 s)."""
    deadline = time.monotonic() + 1
    while True:
        left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        if not left or time.monotonic() > deadline:
            return [t.name for t in left]
        time.sleep(0.05)


def _frozen_inventory(fleet, tmp_path) -> Path:
    path = tmp_path / "fleet.yaml"
    path.write_text(
        inventory_text(fleet.servers).replace(
            "    timeout: 3\n", "    timeout: 2\n    command_timeout: 4\n"
        )
    )
    return path


def test_a_node_that_stops_answering_is_unreachable_after_its_command_timeout(fleet, tmp_path):
    path = _frozen_inventory(fleet, tmp_path)
    frozen: list[int] = []

    def on_page(node: str, page: int, state: str) -> None:
        if node == "pbxb" and page == 9 and not frozen:
            frozen.extend(_freeze(fleet.servers["pbxb"]))

    before = set(threading.enumerate())
    start = time.monotonic()
    try:
        run = run_fleet(load_inventory(path), [9, 16, 41], forks=5, on_page=on_page)
        took = time.monotonic() - start
        left = _run_threads_left(before)  # while the node is still frozen
    finally:
        _kill(frozen)
    assert not left, f"threads of the run still waiting on the frozen node: {left}"
    grid = matrix(run)
    assert grid.loc["pbxb"].tolist() == ["fail", "unreachable", "unreachable"]
    assert grid.loc["pbxa"].tolist()[1] == "ok"
    pbxb = next(n for n in run.nodes if n.node == "pbxb")
    assert not pbxb.reachable and "during page 16" in pbxb.error
    assert took < 60, f"the run took {took:.0f} s: the frozen node held it"


def test_a_node_frozen_during_an_sftp_read_is_a_target_error_within_its_command_timeout(
    fleet, tmp_path, monkeypatch
):
    """The SFTP read itself gives up after command_timeout (4 s), naming the node and the file,
    before the fleet's own cap (command_timeout + 5 s); no thread is left behind."""
    path = _frozen_inventory(fleet, tmp_path)
    server = fleet.servers["pbxb"]
    armed, frozen, reads = threading.Event(), [], []
    real_read = SSHTarget.read_bytes

    def read_bytes(self, file):
        if self.port == server.port and armed.is_set() and not frozen:
            frozen.extend(_freeze(server))  # the node stops just before this read
        began = time.monotonic()
        try:
            return real_read(self, file)
        finally:
            if self.port == server.port and frozen:
                reads.append(time.monotonic() - began)

    monkeypatch.setattr(SSHTarget, "read_bytes", read_bytes)

    def on_page(node: str, page: int, state: str) -> None:
        if node == "pbxb" and page == 0:
            armed.set()  # after the node's own probes: its pages' first SFTP read

    before = set(threading.enumerate())
    try:
        run = run_fleet(load_inventory(path), [9, 16, 41], forks=5, on_page=on_page)
        left = _run_threads_left(before)
    finally:
        _kill(frozen)
    assert frozen, "pbxb read no file over SFTP after its probes"
    assert not left, f"threads of the run still waiting on the frozen node: {left}"
    assert reads and 3.5 < reads[0] < 8, f"the frozen read took {reads[0]:.1f} s"
    pbxb = next(n for n in run.nodes if n.node == "pbxb")
    assert not pbxb.reachable
    assert "127.0.0.1: no answer within 4 s reading " in pbxb.error
    assert f"over SFTP on {server.url}" in pbxb.error
    assert set(matrix(run).loc["pbxb"].tolist()) == {"unreachable"}
    assert matrix(run).loc["pbxa"].tolist()[1] == "ok"
