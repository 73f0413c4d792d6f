"""Everything together: read an export folder, compute findings and a verdict per PBX VM.

Folder layout read by :func:`load_folder` (what the demo writes, and a convenient way to drop real
exports)::

    rvtools/            RVTools_tabvInfo.csv, RVTools_tabvHost.csv, RVTools_tabvCPU.csv (or *.xlsx)
    inventory.yaml      plain inventory, used when there is no rvtools/ folder
    esxtop/*.csv        esxtop -b batch files
    vcenter/*.csv       vCenter performance exports (PowerCLI Get-Stat | Export-Csv layout)
    guest/<vm>-procstat.txt   /proc/stat samples taken inside a guest (KVM steal, load)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from mirtalib.errors import DataSourceError
from mirtalib.vmware.counters import CounterLoad, per_vcpu_percent, read_esxtop, read_vcenter_csv
from mirtalib.vmware.findings import (
    DEFAULT_THRESHOLDS,
    FINDING_COLUMNS,
    Thresholds,
    host_table,
    inventory_findings,
    verdicts,
)
from mirtalib.vmware.inventory import DEFAULT_PBX_PATTERN, Inventory, read_inventory
from mirtalib.vmware.kvm import read_proc_stat_samples, steal_and_load
from mirtalib.vmware.perf_findings import (
    counter_findings,
    counter_stats,
    guest_findings,
    load_finding,
    recommended_vcpus,
)
from mirtalib.vmware.rvtools import find_csv_set, read_rvtools

log = logging.getLogger(__name__)


@dataclass
class Inputs:
    """What was read: the inventory, the counters and per-guest /proc/stat series."""

    inventory: Inventory
    counters: CounterLoad = field(default_factory=CounterLoad)
    guests: dict[str, pd.DataFrame] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)


@dataclass
class Assessment:
    """Results: host table, percent per vCPU, statistics, findings, verdicts, what was skipped."""

    hosts: pd.DataFrame
    pct: pd.DataFrame
    stats: pd.DataFrame
    findings: pd.DataFrame
    verdicts: pd.DataFrame
    skipped: pd.DataFrame


def read_estate(path: str | Path, pbx_pattern: str = DEFAULT_PBX_PATTERN) -> Inventory:
    """Read an RVTools folder/workbook or a plain inventory file, marking PBX VMs."""
    path = Path(path)
    if path.is_dir() or path.suffix.lower() in (".xlsx", ".xlsm"):
        inv = read_rvtools(path)
    else:
        inv = read_inventory(path)
    return inv.mark_pbx(pbx_pattern)


def load_folder(
    folder: str | Path,
    *,
    inventory: str | Path | None = None,
    pbx_pattern: str = DEFAULT_PBX_PATTERN,
) -> Inputs:
    """Read an export folder (see the module docstring).

    Args:
        folder: the folder.
        inventory: an RVTools folder/xlsx or an inventory file to use instead of the folder's own.
        pbx_pattern: regular expression on VM names that marks PBX VMs (besides ``role: pbx``).

    Raises:
        DataSourceError: the folder or its inventory is missing.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataSourceError(f"VMware export folder not found: {folder.name}")
    if inventory:
        inv_path = Path(inventory)
    elif (folder / "rvtools").is_dir() and find_csv_set(folder / "rvtools"):
        inv_path = folder / "rvtools"
    elif (folder / "inventory.yaml").is_file():
        inv_path = folder / "inventory.yaml"
    else:
        raise DataSourceError(f"{folder.name}: no rvtools/ CSV set and no inventory.yaml")
    inputs = Inputs(read_estate(inv_path, pbx_pattern), files=[inv_path.name])
    for f in sorted((folder / "esxtop").glob("*.csv")):
        inputs.counters += read_esxtop(f)
        inputs.files.append(f"esxtop/{f.name}")
    for f in sorted((folder / "vcenter").glob("*.csv")):
        inputs.counters += read_vcenter_csv(f)
        inputs.files.append(f"vcenter/{f.name}")
    for f in sorted((folder / "guest").glob("*-procstat.txt")):
        inputs.guests[f.name.removesuffix("-procstat.txt")] = steal_and_load(
            read_proc_stat_samples(f)
        )
        inputs.files.append(f"guest/{f.name}")
    return inputs


def assess(inputs: Inputs, th: Thresholds = DEFAULT_THRESHOLDS) -> Assessment:
    """Compute host ratios, counter statistics, findings and the verdict per PBX VM."""
    inv = inputs.inventory
    vcpus = dict(zip(inv.vms["vm"], inv.vms["vcpus"], strict=True))
    host_mhz = dict(zip(inv.hosts["host"], inv.hosts["mhz"], strict=True))
    mhz = {
        vm: host_mhz.get(h, float("nan"))
        for vm, h in zip(inv.vms["vm"], inv.vms["host"], strict=True)
    }
    pct, skipped = per_vcpu_percent(inputs.counters.counters, vcpus, mhz)
    stats = counter_stats(pct)
    pbx = sorted(inv.powered_on().query("role == 'pbx'")["vm"])
    # cpu.demand (what the VM asked for, ready time included) sizes better than cpu.usage
    load = pct[pct["counter"].isin(["usage", "demand"]) & pct["vm"].isin(pbx)]
    size_to: dict[str, int] = {}
    parts = []
    for (vm, counter), u in load.groupby(["vm", "counter"]):
        busy = (u["pct"] / 100.0 * vcpus[vm]).reset_index(drop=True)
        if counter == "demand" or str(vm) not in size_to:
            size_to[str(vm)] = recommended_vcpus(float(busy.quantile(0.95)))
        what = f"busy vCPUs (cpu.{counter})"
        parts.append(
            pd.DataFrame(
                [load_finding(str(vm), busy, float(vcpus[vm]), what=what)], columns=FINDING_COLUMNS
            )
        )
    parts = [inventory_findings(inv, th), counter_findings(stats, pbx, th, size_to), *parts]
    for vm, series in sorted(inputs.guests.items()):
        parts.append(guest_findings(vm, series, th))
    findings = (
        pd.concat([p for p in parts if len(p)], ignore_index=True)
        if any(len(p) for p in parts)
        else pd.DataFrame(columns=FINDING_COLUMNS)
    )
    return Assessment(host_table(inv, th), pct, stats, findings, verdicts(findings), skipped)


def _load_pct(result: Assessment) -> pd.DataFrame:
    """Per VM and source: cpu.demand % when exported (it includes the time spent waiting), else
    cpu.usage %."""
    load = result.pct[result.pct["counter"].isin(["demand", "usage"])]
    has_demand = load.groupby(["vm", "source"])["counter"].transform(
        lambda c: (c == "demand").any()
    )
    return load[(load["counter"] == "demand") | ~has_demand]


def busy_vcpus(result: Assessment, inv: Inventory, vms: list[str]) -> dict[str, pd.DataFrame]:
    """Busy vCPUs over time (load % x vCPUs / 100, see :func:`_load_pct`) per VM and source."""
    vcpus = dict(zip(inv.vms["vm"], inv.vms["vcpus"], strict=True))
    load = _load_pct(result)
    out = {}
    for (vm, source, counter), u in load[load["vm"].isin(vms)].groupby(
        ["vm", "source", "counter"], sort=True
    ):
        u = u.sort_values("time")
        out[f"{vm} cpu.{counter} ({source})"] = pd.DataFrame(
            {"time": u["time"], "busy": u["pct"] / 100.0 * vcpus[vm], "cores": float(vcpus[vm])}
        )
    return out


def measured_demand(result: Assessment, default: float = 0.3) -> dict[str, float]:
    """Mean offered load per vCPU (0..1) of each VM from cpu.demand (else cpu.usage) samples.

    VMs without samples are absent: the simulator then uses ``default`` through the role keys
    ``pbx`` / ``other``, both set to ``default`` here.
    """
    load = _load_pct(result)
    out = {
        str(vm): round(min(1.0, float(u.mean()) / 100.0), 3) for vm, u in load.groupby("vm")["pct"]
    }
    return {"pbx": default, "other": default, **out}
