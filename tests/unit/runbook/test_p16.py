"""Page 16 (TCP port exhaustion) on the recorded demo nodes: plan, apply, verify, rollback."""

from __future__ import annotations

import pytest
import yaml

from mirtalib.errors import ParameterError, TargetError
from mirtalib.runbook import Status, VerificationFailed, rehearse
from mirtalib.runbook.replay import replay_dir
from mirtalib.runbooks import available, get
from mirtalib.runbooks.p16_tcp_port_exhaustion import RUNBOOK

TARGETS = "replay:srv01,replay:srv02"


@pytest.fixture
def rb(tmp_path):
    runbook = RUNBOOK.open(TARGETS, journal=tmp_path / "journal")
    yield runbook
    runbook.close()


def _steps(report, node):
    return {r.step_id: r for r in report.nodes[node].results}


def test_registry_finds_page_16():
    assert available()[16] == "p16_tcp_port_exhaustion"
    assert get(16) is RUNBOOK
    with pytest.raises(ParameterError, match="no runbook module for page 98"):
        get(98)


def test_plan_counts_time_wait_and_diffs_both_nodes(rb):
    report = rb.plan()
    srv01, srv02 = _steps(report, 0), _steps(report, 1)
    assert srv01["time-wait-before"].status is Status.WARN
    assert "is 1350" in srv01["time-wait-before"].reason  # not the 2 ':5038x' ephemeral ports
    assert srv02["time-wait-before"].status is Status.PASS
    assert "tcp_fin_timeout=60, net.ipv4.tcp_tw_reuse=2" in srv01["kernel-before"].reason
    assert "+net.ipv4.tcp_fin_timeout = 30" in srv01["sysctl-file"].diff
    assert "-net.ipv4.tcp_fin_timeout=1\n+net.ipv4.tcp_fin_timeout=30" in srv02["sysctl-file"].diff
    assert srv01["sysctl-load"].status is Status.WOULD_RUN
    # plan ran read-only commands only
    assert all(t.state == "initial" for t in rb.targets)
    assert rb.targets[0].log == [
        "ss -tan",
        "sysctl net.ipv4.tcp_fin_timeout net.ipv4.tcp_tw_reuse net.ipv4.ip_local_port_range",
    ]


def test_grep_would_overcount(rb):
    out = rb.targets[0].run("netstat -tan").stdout
    grep_count = sum(1 for ln in out.splitlines() if "TIME_WAIT" in ln and ":5038" in ln)
    assert grep_count == 1352  # the page's pipeline also counts ports 50381 and 50386


def test_netstat_gives_the_same_count(tmp_path):
    rb = RUNBOOK.open("replay:srv01", journal=tmp_path, socket_tool="netstat")
    assert "is 1350" in _steps(rb.plan(), 0)["time-wait-before"].reason


def test_apply_verify_rollback_on_replay(rb):
    applied = rb.apply(confirm=True)
    assert not applied.failed
    for node in (0, 1):
        steps = _steps(applied, node)
        assert steps["sysctl-file"].status is Status.CHANGED
        backup = steps["sysctl-file"].file.backup
        assert backup == f"{rb.backup_dir}/{applied.run_id}/etc/sysctl.conf"
        assert applied.run_id.startswith("20261102-093000.000000-rp")  # replay: a counter
        assert rb.targets[node].read_bytes(backup) is not None  # the replay keeps it too
        assert steps["sysctl-load"].status is Status.CHANGED
    assert (
        rb.targets[1]
        .read_text("/etc/sysctl.conf")
        .endswith("net.ipv4.tcp_fin_timeout=30\nnet.ipv4.tcp_tw_reuse=1\n")
    )
    again = rb.apply(confirm=True)
    assert not any(n.changed for n in again.nodes)
    assert "already in effect" in _steps(again, 0)["sysctl-load"].reason
    verify = rb.verify()
    verify.raise_for_failure()
    assert _steps(verify, 0)["time-wait-after"].status is Status.WARN  # TIME_WAIT stays 60 s
    rb.last_apply = applied
    rb.rollback(confirm=True)
    assert (
        rb.targets[1]
        .read_text("/etc/sysctl.conf")
        .endswith("tcp_fin_timeout=1\nnet.ipv4.tcp_tw_reuse=1\n")
    )


def test_verify_before_apply_fails_with_reasons(rb):
    report = rb.verify()
    with pytest.raises(
        VerificationFailed,
        match=r"srv01: Kernel runs the wanted values: kernel: "
        r"net.ipv4.tcp_fin_timeout='60' \(want '30'\)",
    ):
        report.raise_for_failure()


def test_rehearsal_leaves_the_runbook_untouched(rb, tmp_path):
    result = rehearse(rb)
    names = sorted(p.name for p in (tmp_path / "journal").iterdir())
    assert len(names) == 4 and all("-p16-rehearsal-" in n for n in names)
    assert sorted(n.rsplit("-", 1)[1] for n in names) == [
        "apply.json",
        "apply.json",
        "rollback.json",
        "verify.json",
    ]
    assert result.idempotent
    assert "second apply on srv02: 0 changed (idempotent)" in result.text()
    assert rb.targets[0].read_text("/etc/sysctl.conf").count("tcp_fin_timeout") == 0
    assert rb.targets[0].log == []


def test_the_page_value_is_allowed_but_explained(tmp_path):
    rb = RUNBOOK.open("replay:srv02", journal=tmp_path, fin_timeout=1)
    plan = rb.plan()
    advice = _steps(plan, 0)["fin-timeout-choice"].reason
    assert "page: 1" in advice and "slow peers are cut off" in advice
    assert _steps(plan, 0)["sysctl-file"].status is Status.OK  # srv02 already has the page's values


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"fin_timeout": 0}, "fin_timeout=0 is outside 1-120"),
        ({"fin_timeout": 500}, "fin_timeout=500 is outside 1-120"),
        ({"tw_reuse": 3}, r"tw_reuse=3 is not one of \[0, 1, 2\]"),
        ({"ami_port": 70000}, "ami_port=70000"),
        ({"sysctl_file": "etc/sysctl.conf"}, "must be an absolute path"),
        ({"socket_tool": "lsof"}, "socket_tool='lsof' is not one of"),
        ({"time_wait_warn": 0}, "time_wait_warn=0 is outside 1-1000000"),
    ],
)
def test_parameters_are_validated(values, message, tmp_path):
    with pytest.raises(ParameterError, match=message):
        RUNBOOK.open("replay:srv01", journal=tmp_path, **values)


def test_unrecorded_command_in_apply_stops_the_node(tmp_path):
    rb = RUNBOOK.open("replay:srv01", journal=tmp_path, sysctl_file="/etc/sysctl.d/90-ami.conf")
    report = rb.apply(confirm=True)
    assert "command not recorded: 'sysctl -p /etc/sysctl.d/90-ami.conf'" in report.nodes[0].error
    assert _steps(report, 0)["sysctl-load"].status is Status.FAILED


def test_unrecorded_command_in_plan_raises(tmp_path):
    data = yaml.safe_load((replay_dir() / "srv01.yaml").read_text())
    del data["commands"]["ss -tan"]
    (tmp_path / "srv01.yaml").write_text(yaml.safe_dump(data))
    rb = RUNBOOK.open(
        "replay:srv01", journal=tmp_path / "j", target_options={"replay_dir": tmp_path}
    )
    with pytest.raises(TargetError, match=r"replay:srv01: command not recorded: 'ss -tan'"):
        rb.plan()
    assert list((tmp_path / "j").glob("*-p16-plan.json"))  # journaled all the same
