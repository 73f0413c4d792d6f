"""Page 40 (Running on VMware) on the recorded demo nodes and the demo estate exports."""

from __future__ import annotations

from pathlib import Path

import pytest

from mirtalib.demo import ensure_demo
from mirtalib.errors import DataSourceError, ParameterError
from mirtalib.runbook import Status, Verdict
from mirtalib.runbook.replay import isolated_replays as copy_replays
from mirtalib.runbooks import get
from mirtalib.runbooks.p40_running_on_vmware import (
    RUNBOOK,
    _steal_expect,
    sampling_command,
    steal_load,
    vm_of,
    what_if,
)

FRAGMENTS = ("p40",)


def isolated(dest: Path, fragments=FRAGMENTS) -> dict:
    return copy_replays(dest, fragments)


@pytest.fixture
def rb(tmp_path):
    runbook = RUNBOOK.open(
        "replay:srv01,replay:srv02", target_options=isolated(tmp_path), journal=tmp_path / "j"
    )
    yield runbook
    runbook.close()


def _steps(report, node):
    return {r.step_id: r for r in report.nodes[node].results}


def test_registry_finds_page_40():
    assert get(40) is RUNBOOK


def test_plan_points_the_estate_at_each_node(rb):
    report = rb.plan()
    srv01, srv02 = _steps(report, 0), _steps(report, 1)
    assert "VMware guest" in srv01["hypervisor"].reason
    assert "4 CPUs = 4 vCPUs of VM srv01 on esx01" in srv01["guest-cpus"].reason
    assert "8 CPUs = 8 vCPUs of VM srv02 on esx02" in srv02["guest-cpus"].reason
    assert srv01["estate-verdict"].status is Status.PASS
    assert srv02["estate-verdict"].status is Status.FAIL
    assert "remove 4 vCPU(s) from srv02 (8 -> 4)" in srv02["estate-verdict"].reason
    # VMware guests report no steal; the load stays below the CPUs
    assert srv02["steal-load"].status is Status.PASS
    assert "steal p95 0.00 %" in srv02["steal-load"].reason
    assert "on 8 CPUs" in srv02["steal-load"].reason
    assert rb.targets[0].log == ["lscpu", "nproc", sampling_command(4, 20)]


def test_steal_from_a_kvm_guest_is_harmful():
    text = (ensure_demo().vmware_dir / "guest" / "pbx-lab-procstat.txt").read_text()
    frame = steal_load(text)
    verdict, reason = _steal_expect(2.0, 5.0)(frame)
    assert verdict is Verdict.FAIL
    assert "steal p95" in reason


def test_vm_map_and_unknown_vm(tmp_path):
    assert vm_of("srv01", "srv01=PBX-Rome-01, srv02=x") == "PBX-Rome-01"
    assert vm_of("pbx9", "srv01=PBX-Rome-01") == "pbx9"
    rb = RUNBOOK.open(
        "replay:srv01",
        target_options=isolated(tmp_path),
        journal=tmp_path / "j",
        vm_map="srv01=pbx-missing",
    )
    steps = _steps(rb.plan(), 0)
    assert steps["guest-cpus"].status is Status.WARN
    assert "not in the estate export" in steps["guest-cpus"].reason
    assert steps["estate-verdict"].status is Status.WARN


def test_what_if_fewer_vcpus_removes_the_wait(rb):
    table = what_if(rb.values, ["srv01", "srv02"])
    as_is = table[table["scenario"] == "esx02 as is"].iloc[0]
    narrow = table[table["scenario"] == "esx02 PBX 4 vCPU"].iloc[0]
    assert as_is["vcpus"] == 8 and narrow["vcpus"] == 4
    assert as_is["strict"] > 10 * max(narrow["strict"], 0.1)
    assert not (table["scenario"] == "esx01 PBX 4 vCPU").any()  # srv01 already has 4


@pytest.mark.parametrize(
    "values, error, message",
    [
        ({"vm_map": "srv01"}, ParameterError, "node=vm"),
        ({"samples": 1}, ParameterError, "samples=1"),
        ({"interval_s": 0}, ParameterError, "interval_s=0"),
        ({"steal_risk": 6.0}, ParameterError, "steal_risk"),
        ({"vmware_dir": "/nonexistent/exports"}, DataSourceError, "not a folder"),
    ],
)
def test_bad_parameters(tmp_path, values, error, message):
    with pytest.raises(error, match=message):
        RUNBOOK.open("replay:srv01", target_options=isolated(tmp_path), **values).steps
