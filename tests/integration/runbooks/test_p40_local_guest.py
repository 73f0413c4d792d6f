"""Page 40 on this machine: real lscpu, nproc and /proc/stat sampling through the runbook engine."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mirtalib.runbook import Status
from mirtalib.runbooks.p40_running_on_vmware import RUNBOOK, what_if

pytestmark = pytest.mark.skipif(
    shutil.which("lscpu") is None or not Path("/proc/stat").is_file(),
    reason="needs util-linux lscpu and /proc/stat",
)


def test_real_node_without_exports(tmp_path):
    rb = RUNBOOK.open("local", journal=tmp_path / "journal", samples=2, interval_s=1)
    steps = {r.step_id: r for r in rb.plan().nodes[0].results}
    assert steps["hypervisor"].status in (Status.PASS, Status.WARN)
    assert "CPUs (" in steps["hypervisor"].reason
    # a real node is never judged against the demo estate
    assert steps["guest-cpus"].status is Status.WARN
    assert "vmware_dir not set" in steps["guest-cpus"].reason
    assert steps["estate-verdict"].status is Status.WARN
    # two real samples one second apart: parsed, whatever this machine's load is
    assert steps["steal-load"].reason.startswith("steal p95 ")
    assert "over 1 intervals" in steps["steal-load"].reason
    assert what_if(rb.values, ["local"], demo=rb.is_replay).empty
