"""Page 16 on the real node: the TIME_WAIT sockets that real AMI logins and logoffs leave on the
AMI port, counted by the page over SSH (inside the tree, same network namespace) and by ``ss`` on
the host at the same moment.

Asterisk answers ``Logoff`` with ``Response: Goodbye`` and closes the connection first, so the
TIME_WAIT sockets sit on the server side: local port = the AMI port.
"""

from __future__ import annotations

import re
import subprocess
import time

import pytest
from amiclient import Ami

from mirtalib.runbook import Status
from mirtalib.runbooks.p16_tcp_port_exhaustion import RUNBOOK

LOGINS = 25


def _ss_time_wait(port: int) -> tuple[int, int]:
    """(sockets with local port ``port``, sockets with peer port ``port``) in TIME-WAIT."""
    counts = []
    for side in ("sport", "dport"):
        out = subprocess.run(
            ["ss", "-Htan", "state", "time-wait", f"( {side} = :{port} )"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        counts.append(sum(1 for line in out.splitlines() if line.strip()))
    return counts[0], counts[1]


def _page_count(step) -> int:
    m = re.search(r"TIME_WAIT sockets on the AMI port is (\d+)", step.reason)
    assert m, step.reason
    return int(m.group(1))


def _steps(report):
    return {r.step_id: r for r in report.nodes[0].results}


@pytest.fixture
def logged_off(real_node) -> int:
    """Log in and off ``LOGINS`` times; the port's TIME_WAIT sockets on the server side after."""
    pbx = real_node.pbx
    before_local, _ = _ss_time_wait(pbx.ami_port)
    for _ in range(LOGINS):
        Ami(pbx.ami_port, pbx.ami_user, pbx.ami_secret, events=False).close()
    time.sleep(0.5)  # the last FIN/ACK exchanges
    local, peer = _ss_time_wait(pbx.ami_port)
    # the server closed first: the new TIME_WAIT sockets have the AMI port as local port
    assert local - before_local >= LOGINS, (before_local, local, peer)
    assert peer == 0, f"{peer} TIME_WAIT sockets on the client side"
    return local


def test_plan_and_verify_count_the_real_time_wait_sockets(real_node, logged_off, tmp_path):
    port = real_node.pbx.ami_port
    rb = RUNBOOK.open(
        real_node.ssh.url,
        target_options=real_node.ssh.options,
        journal=tmp_path / "journal",
        ami_port=port,
        time_wait_warn=5,
    )
    try:
        for mode in ("plan", "verify"):
            before = sum(_ss_time_wait(port))
            report = rb.plan() if mode == "plan" else rb.verify()
            after = sum(_ss_time_wait(port))
            step = _steps(report)["time-wait-before" if mode == "plan" else "time-wait-after"]
            # sockets only leave TIME_WAIT (after 60 s) while nothing opens AMI connections
            assert after <= before, (before, after)
            assert after <= _page_count(step) <= before, (mode, before, after, step.reason)
            assert _page_count(step) >= LOGINS
            assert step.status is Status.WARN, step.reason
            assert "not understood" not in step.reason
            assert not report.nodes[0].error, report.nodes[0].error
    finally:
        rb.close()
    assert [c.command for c in _steps(report)["time-wait-after"].commands] == ["ss -tan"]
    assert logged_off >= LOGINS
    # read-only: plan and verify changed nothing on the node
    assert not real_node.pbx.path("/etc/sysctl.conf").exists()
