"""The demo replay remembers what apply wrote within a run (issue 18): trying another value on
page 16 (fin_timeout 20, where the recording knows 30) ends in a passing verify."""

from __future__ import annotations

from mirtalib.runbook import Status, rehearse
from mirtalib.runbook.replay import ReplayTarget
from mirtalib.runbooks.p16_tcp_port_exhaustion import RUNBOOK


def _steps(report):
    return {r.step_id: r for r in report.nodes[0].results}


def test_another_value_in_the_demo_verifies_with_that_value(tmp_path):
    rb = RUNBOOK.open("replay:srv01", journal=tmp_path, fin_timeout=20)
    done = rehearse(rb)
    applied = [r for r in done.apply.nodes[0].results if r.status is Status.CHANGED]
    assert applied, "apply changed nothing"
    verify = done.verify.nodes[0]
    assert not [r.reason for r in verify.results if r.status is Status.FAIL]
    kernel = next(r for r in verify.results if r.title == "Kernel runs the wanted values")
    assert kernel.status is Status.PASS
    assert "'net.ipv4.tcp_fin_timeout': '20'" in kernel.evidence


def test_sysctl_reads_follow_the_file_loaded_in_this_run_only():
    t = ReplayTarget.load("srv01")
    ask = "sysctl net.ipv4.tcp_fin_timeout net.ipv4.tcp_tw_reuse"
    recorded = t.run(ask).stdout
    assert "net.ipv4.tcp_fin_timeout = 60" in recorded
    text = t.read_text("/etc/sysctl.conf") or ""
    t.files["/etc/sysctl.conf"]["content"] = (text + "net.ipv4.tcp_fin_timeout = 25\n").encode()
    loaded = t.run("sysctl -p /etc/sysctl.conf").stdout
    assert "net.ipv4.tcp_fin_timeout = 25" in loaded
    assert "net.ipv4.tcp_fin_timeout = 25" in t.run(ask).stdout
    assert "net.ipv4.tcp_fin_timeout = 60" in ReplayTarget.load("srv01").run(ask).stdout
