"""Seed page 40, *Running on VMware*: the host and VM checks, pointed at this PBX.

The page warns against overbooking the physical server and against the most common reflex: adding
vCPUs to a slow PBX. On a host whose vCPUs already outnumber its cores, a wider PBX waits longer
for the cores it needs (ready time, co-stop), so it gets slower. Nothing is changed on the node:
the changes are made in vCenter, and this runbook says which.

Checks per node (all read-only, so plan shows them):

* ``lscpu``: is the node a VM, on which hypervisor, with how many sockets/cores/threads;
* ``nproc`` against the vCPUs the estate export gives this VM (a stale export or a wrong VM name
  shows here);
* ``/proc/stat`` + ``/proc/loadavg`` sampled on the node (:mod:`mirtalib.vmware.kvm` text
  functions): steal % (KVM/Proxmox hosts report it; VMware guests always show 0, their waiting
  is the ready % of the estate) and the load against the CPUs (page 17: never above the cores);
* the estate verdict of this VM from :mod:`mirtalib.vmware` (vCPU:core ratio of its host, PBX
  width, latency sensitivity, reservation, ready/co-stop from esxtop and vCenter exports).

The notebook adds the co-scheduling simulator for the node's host: as it is, and with the PBX
at ``what_if_vcpus``.
"""

from __future__ import annotations

import functools
import json
import logging
from pathlib import Path
from typing import Any

import pandas as pd

from mirtalib.asterisk.machine import CpuInfo, parse_lscpu, parse_nproc
from mirtalib.errors import CommandError, DataSourceError, ParameterError
from mirtalib.runbook import Check, Manual, Param, Phase, RunbookDef, Step, Verdict, Verification
from mirtalib.vmware import Thresholds, assess, load_folder, simulate, steal_and_load
from mirtalib.vmware.kvm import samples_from_text
from mirtalib.vmware.report import Assessment, Inputs, measured_demand
from mirtalib.vmware.sim import scenario_from_inventory

log = logging.getLogger(__name__)

DEFAULT_PBX_PATTERN = r"(?i)pbx|asterisk|mirta|^srv\d+"
LEVEL = {"OK": Verdict.PASS, "at risk": Verdict.WARN, "harmful": Verdict.FAIL}


def _vm_map(value: str) -> str:
    for item in (p.strip() for p in value.split(",") if p.strip()):
        node, sep, vm = item.partition("=")
        if not sep or not node.strip() or not vm.strip():
            raise ParameterError(f"vm_map: {item!r} is not node=vm (e.g. srv01=PBX-Rome-01)")
    return value


PARAMS = (
    Param(
        "vmware_dir",
        "",
        (
            "folder with rvtools/ or inventory.yaml, esxtop/, vcenter/, guest/; empty: the "
            "demo PBX's"
        ),
    ),
    Param(
        "vm_map",
        "",
        "VM name of each node (format in the examples file); empty: VM named as the node",
        check=_vm_map,
    ),
    Param("pbx_pattern", DEFAULT_PBX_PATTERN, "regex on VM names marking PBX VMs"),
    Param("samples", 4, "/proc/stat samples taken on each node (2-90)", between=(2, 90)),
    Param(
        "interval_s",
        20,
        ("seconds between samples (plan waits samples x interval on real nodes)"),
        between=(1, 300),
    ),
    Param("steal_risk", 2.0, "steal % (p95) from which a PBX is at risk"),
    Param("steal_harm", 5.0, "steal % (p95) from which it is harmful"),
    Param(
        "what_if_vcpus",
        4,
        "PBX width simulated in the what-if",
        between=(1, 64),
    ),
)


def sampling_command(samples: int, interval_s: int) -> str:
    """The shell loop printing ``date +%s``, ``/proc/stat`` and ``/proc/loadavg`` per sample."""
    n, wait = int(samples), int(interval_s)
    return (
        f"i=0; while [ $i -lt {n} ]; do date +%s; cat /proc/stat /proc/loadavg; i=$((i+1)); "
        f"[ $i -lt {n} ] && sleep {wait}; done; true"
    )


def vm_of(node: str, vm_map: str) -> str:
    """The VM name of ``node`` (the node's own name unless ``vm_map`` says otherwise)."""
    pairs = dict(
        (a.strip(), b.strip())
        for a, _, b in (p.partition("=") for p in vm_map.split(",") if p.strip())
    )
    return pairs.get(node, node)


@functools.lru_cache(maxsize=4)
def _estate(folder: str, pbx_pattern: str, th: Thresholds) -> tuple[Inputs, Assessment]:
    inputs = load_folder(Path(folder), pbx_pattern=pbx_pattern)
    return inputs, assess(inputs, th)


def estate(v: dict[str, Any], target: Any = None) -> tuple[Inputs, Assessment] | None:
    """The estate exports read and assessed (cached).

    An empty ``vmware_dir`` means the demo PBX's exports, for replay targets only: a real node is
    never judged against the demo estate (None is returned, the checks say so).
    """
    from mirtalib.runbook.replay import ReplayTarget

    folder = v["vmware_dir"]
    if not folder and target is not None and not isinstance(target, ReplayTarget):
        return None
    if not folder:
        from mirtalib.demo import ensure_demo

        folder = str(ensure_demo().vmware_dir)
    th = Thresholds(steal_risk=v["steal_risk"], steal_harm=v["steal_harm"])
    return _estate(folder, v["pbx_pattern"], th)


def _vm_row(inputs: Inputs, vm: str) -> dict[str, Any] | None:
    vms = inputs.inventory.vms
    rows = vms[vms["vm"] == vm]
    return None if rows.empty else rows.iloc[0].to_dict()


def _hypervisor(info: CpuInfo) -> tuple[Verdict, str]:
    shape = (
        f"{info.cpus} CPUs ({info.sockets} socket(s) x {info.cores_per_socket} cores x "
        f"{info.threads_per_core} threads)"
    )
    if not info.virtual:
        return Verdict.WARN, f"no hypervisor reported: bare metal? {shape}"
    return Verdict.PASS, f"{info.hypervisor} guest ({info.virtualization_type}), {shape}"


def _cpus_probe(v: dict[str, Any]):
    def probe(target: Any) -> str:
        out = target.run("nproc")
        if out.exit_code != 0:
            raise CommandError(f"{target.name}: nproc exited {out.exit_code}")
        found = estate(v, target)
        vm = vm_of(target.name, v["vm_map"])
        row = None if found is None else _vm_row(found[0], vm)
        return json.dumps(
            {
                "vm": vm,
                "nproc": parse_nproc(out.stdout),
                "vcpus": None if row is None else int(row["vcpus"]),
                "host": None if row is None else str(row["host"]),
                "no_estate": found is None,
            }
        )

    return probe


def _cpus_expect(d: dict[str, Any]) -> tuple[Verdict, str]:
    if d.get("no_estate"):
        return Verdict.WARN, f"the guest sees {d['nproc']} CPUs; vmware_dir not set: no export"
    if d["vcpus"] is None:
        return Verdict.WARN, f"VM {d['vm']} is not in the estate export (set vm_map)"
    if d["nproc"] != d["vcpus"]:
        return Verdict.WARN, (
            f"the guest sees {d['nproc']} CPUs, the export gives VM {d['vm']} {d['vcpus']} "
            "vCPUs: export out of date or wrong VM?"
        )
    return Verdict.PASS, f"{d['nproc']} CPUs = {d['vcpus']} vCPUs of VM {d['vm']} on {d['host']}"


def steal_load(text: str) -> pd.DataFrame:
    """Steal % and load per interval from the sampling command's output."""
    return steal_and_load(samples_from_text(text))


def _steal_expect(risk: float, harm: float):
    def expect(frame: pd.DataFrame) -> tuple[Verdict, str]:
        if frame.empty:
            return Verdict.FAIL, "fewer than two usable samples"
        steal = float(frame["steal_pct"].quantile(0.95))
        ncpu = int(frame["ncpu"].iloc[-1])
        load = float(frame["load1"].max())
        text = (
            f"steal p95 {steal:.2f} % (max {frame['steal_pct'].max():.2f} %) over "
            f"{len(frame)} intervals; load1 max {load:.2f} on {ncpu} CPUs"
        )
        if steal >= harm:
            return Verdict.FAIL, f"{text}: the host is overcommitted"
        if load > ncpu:
            return Verdict.FAIL, f"{text}: more runnable threads than CPUs (page 17)"
        if steal >= risk:
            return Verdict.WARN, text
        if steal == 0:
            text += " (VMware guests report no steal: see the estate's ready %)"
        return Verdict.PASS, text

    return expect


def _verdict_probe(v: dict[str, Any]):
    def probe(target: Any) -> str:
        found = estate(v, target)
        vm = vm_of(target.name, v["vm_map"])
        if found is None:
            return json.dumps({"vm": vm, "rows": [], "no_estate": True})
        rows = found[1].verdicts[found[1].verdicts["vm"] == vm]
        return json.dumps({"vm": vm, "rows": rows.to_dict("records")})

    return probe


def _verdict_expect(d: dict[str, Any]) -> tuple[Verdict, str]:
    if d.get("no_estate"):
        return Verdict.WARN, "vmware_dir not set: export the estate (RVTools, esxtop) and set it"
    if not d["rows"]:
        return Verdict.WARN, f"no verdict for VM {d['vm']}: not a PBX VM in the export?"
    row = d["rows"][0]
    verdict = LEVEL.get(row["verdict"], Verdict.WARN)
    if verdict is Verdict.PASS:
        return verdict, f"{d['vm']}: {row['verdict']} ({row['why']})"
    return verdict, f"{d['vm']}: {row['verdict']}: {row['why']}. Change: {row['change']}"


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 40 for validated parameter values ``v``."""
    if not 0 <= v["steal_risk"] <= v["steal_harm"]:
        raise ParameterError(
            f"steal_risk ({v['steal_risk']}) must be >= 0 and <= steal_harm ({v['steal_harm']})"
        )
    if v["vmware_dir"] and not Path(v["vmware_dir"]).is_dir():
        raise DataSourceError(f"vmware_dir {v['vmware_dir']!r} is not a folder")
    return [
        Manual(
            id="no-more-vcpus",
            title="Do not add vCPUs to a slow PBX",
            phase=Phase.BEFORE,
            where="vCenter",
            detail="On a host with more vCPUs than cores, a wider PBX waits longer for the "
            "cores it needs (ready, co-stop): first read the host ratio and ready % below.",
        ),
        Check(
            id="hypervisor",
            title="Hypervisor and CPU layout seen by the node (lscpu)",
            phase=Phase.BEFORE,
            command="lscpu",
            parse=parse_lscpu,
            expect=_hypervisor,
        ),
        Check(
            id="guest-cpus",
            title="CPUs in the guest (nproc) against the estate export",
            phase=Phase.BEFORE,
            probe=_cpus_probe(v),
            parse=json.loads,
            expect=_cpus_expect,
        ),
        Check(
            id="steal-load",
            title=f"Steal and load from /proc/stat ({v['samples']} x {v['interval_s']} s)",
            phase=Phase.BEFORE,
            command=sampling_command(v["samples"], v["interval_s"]),
            parse=steal_load,
            expect=_steal_expect(v["steal_risk"], v["steal_harm"]),
        ),
        Check(
            id="estate-verdict",
            title="Host and VM verdict from the estate exports",
            phase=Phase.BEFORE,
            probe=_verdict_probe(v),
            parse=json.loads,
            expect=_verdict_expect,
        ),
        Manual(
            id="vcenter-change",
            title="Make the estate's change in vCenter",
            where="vCenter (maintenance window: a vCPU change needs the VM powered off)",
            detail="Apply the 'Change' of the verdict: fewer vCPUs or fewer VMs on the host, "
            "Latency Sensitivity High, full CPU and memory reservation; then export the estate "
            "again and run verify.",
        ),
    ]


def what_if(
    v: dict[str, Any], nodes: list[str], seed: int = 20261001, *, demo: bool = True
) -> pd.DataFrame:
    """Simulated PBX ready % per vCPU for each node's host: as it is and at ``what_if_vcpus``.

    ``demo=False`` (real targets) with no ``vmware_dir`` gives an empty table.
    """
    if not v["vmware_dir"] and not demo:
        return pd.DataFrame()
    found = estate(v)
    assert found is not None
    inputs, result = found
    demand = measured_demand(result)
    runs = []
    for node in nodes:
        row = _vm_row(inputs, vm_of(node, v["vm_map"]))
        if row is None:
            log.warning("what-if: %s is not in the estate export", node)
            continue
        host, width = str(row["host"]), int(v["what_if_vcpus"])
        runs.append(scenario_from_inventory(inputs.inventory, host, demand, name=f"{host} as is"))
        if width != int(row["vcpus"]):
            runs.append(
                scenario_from_inventory(
                    inputs.inventory, host, demand, pbx_vcpus=width, name=f"{host} PBX {width} vCPU"
                )
            )
    if not runs:
        return pd.DataFrame()
    sims = simulate(runs, ticks=2000, replicas=4, seed=seed)
    pbx = sims[sims["vm"].isin([vm_of(n, v["vm_map"]) for n in nodes])]
    table = pbx.pivot_table(
        index=["scenario", "vm", "vcpus"], columns="model", values="ready_pct", sort=False
    )
    return table.round(2).reset_index()


RUNBOOK = RunbookDef(
    page=40,
    demo_targets="replay:srv01,replay:srv02",
    slug="running-on-vmware",
    title="Running on VMware",
    scope="node",
    roles=("pbx",),
    params=PARAMS,
    build=build,
    summary="lscpu/nproc, steal and load from /proc/stat, estate verdict, co-scheduling what-if",
    verification=Verification(
        mirta_page="Place test calls and a conference during the busy hour: no choppy audio.",
        asterisk_log="In /var/log/asterisk/full: no 'Exceptionally long queue' / timing "
        "warnings and no taskprocessor overload lines.",
        status_menu="Status menu: the node's load stays below its CPU count.",
    ),
)
