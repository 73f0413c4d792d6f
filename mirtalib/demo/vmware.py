"""Demo plug-in: the virtual estate the two demo PBX nodes run on, as operators export it.

Written under ``paths.vmware_dir`` (layout of :mod:`mirtalib.vmware.report`):

* ``rvtools/RVTools_tab{vInfo,vHost,vCPU}.csv`` and ``rvtools/RVTools_export_all.xlsx`` (same data);
* ``inventory.yaml`` (the same estate as a plain inventory, plus a Proxmox host) and
  ``doc-example.yaml`` (seed page 40's host: 8 pCPUs, four 1-vCPU VMs, a 4-vCPU PBX);
* ``vcenter/esx01-5min.csv`` (a day at the 300 s rollup) and ``vcenter/esx02-realtime.csv``
  (an hour at 20 s), in the PowerCLI ``Get-Stat | Export-Csv`` layout;
* ``esxtop/esx02-batch.csv`` (``esxtop -b -d 5``, 10 minutes);
* ``guest/<vm>-procstat.txt``: ``/proc/stat`` + ``/proc/loadavg`` samples inside two guests.

The story: the first node (``srv01``) is a 4-vCPU PBX on a 16-core host at 0.9:1, well set up; the
second (``srv02``) was raised from 4 to 8 vCPUs on an 8-core host with four 1-vCPU VMs, page 40's
example after the "upgrade": ready and co-stop are high. ``pbx-lab`` is a 2-vCPU test PBX on an
overcommitted Proxmox host (steal). Counter levels are drawn at random around fixed medians.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import yaml

from mirtalib.demo.model import DemoModel

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from mirtalib.data.schema import Schema
    from mirtalib.demo.paths import DemoPaths

FIXED_ZIP_TIME = (2026, 11, 1, 0, 0, 0)
# host: (cluster, sockets, cores per socket, HT active, MHz)
HOSTS = {
    "esx01": ("Voice", 2, 8, True, 2400),
    "esx02": ("Voice", 1, 8, False, 2600),
    "esx03": ("Voice", 2, 6, True, 2400),
}


def _vms(pbx1: str, pbx2: str) -> list[dict[str, object]]:
    """The VMs: name, host, vCPUs, power, role, latency sens., reservation, limit, template."""

    def vm(
        name: str,
        host: str,
        vcpus: int,
        power: str = "poweredOn",
        role: str = "other",
        ls: str = "normal",
        res: int = 0,
        limit: int = -1,
        template: bool = False,
    ) -> dict[str, object]:
        return {
            "name": name,
            "host": host,
            "vcpus": vcpus,
            "power": power,
            "role": role,
            "ls": ls,
            "res": res,
            "limit": limit,
            "template": template,
        }

    return [
        vm(pbx1, "esx01", 4, role="pbx", ls="high", res=4 * 2400),
        vm("web01", "esx01", 2),
        vm("db01", "esx01", 4),
        vm("mail01", "esx01", 2),
        vm("crm01", "esx01", 2, limit=3000),
        vm("pbx-old", "esx01", 8, power="poweredOff", role="pbx"),
        vm("tmpl-debian12", "esx01", 2, power="poweredOff", template=True),
        vm(pbx2, "esx02", 8, role="pbx"),
        *(vm(f"app0{i}", "esx02", 1) for i in range(1, 5)),
        vm("backup01", "esx03", 4, power="poweredOff"),
    ]


def _rvtools_tables(vms: list[dict[str, object]]) -> dict[str, pd.DataFrame]:
    on = [v for v in vms if v["power"] == "poweredOn"]
    info = pd.DataFrame(
        {
            "VM": [v["name"] for v in vms],
            "Powerstate": [v["power"] for v in vms],
            "Template": [str(v["template"]) for v in vms],
            "Config status": "green",
            "CPUs": [v["vcpus"] for v in vms],
            "Memory": [4096 * int(v["vcpus"]) for v in vms],
            "Latency Sensitivity": [v["ls"] for v in vms],
            "Overall Cpu Readiness": "",
            "Annotation": ["MiRTA PBX node" if v["role"] == "pbx" else "" for v in vms],
            "Datacenter": "DC1",
            "Cluster": "Voice",
            "Host": [v["host"] for v in vms],
            "VI SDK Server": "vc01.demo.lan",
        }
    )
    hosts = []
    for name, (cluster, sockets, cps, ht, mhz) in HOSTS.items():
        mine = [v for v in on if v["host"] == name]
        vcpus = sum(int(v["vcpus"]) for v in mine)
        cores = sockets * cps
        hosts.append(
            {
                "Host": name,
                "Datacenter": "DC1",
                "Cluster": cluster,
                "CPU Model": "Intel(R) Xeon(R) Silver 4110 CPU @ 2.10GHz",
                "Speed": mhz,
                "HT Available": "True",
                "HT Active": str(ht),
                "# CPU": sockets,
                "Cores per CPU": cps,
                "# Cores": cores,
                "# VMs": len(mine),
                "VMs per Core": round(len(mine) / cores, 2),
                "# vCPUs": vcpus,
                "vCPUs per Core": round(vcpus / cores, 2),
                "ESX Version": "VMware ESXi 7.0.3",
                "VI SDK Server": "vc01.demo.lan",
            }
        )
    cpu = pd.DataFrame(
        {
            "VM": [v["name"] for v in vms],
            "Powerstate": [v["power"] for v in vms],
            "Template": [str(v["template"]) for v in vms],
            "CPUs": [v["vcpus"] for v in vms],
            "Sockets": 1,
            "Cores p/s": [v["vcpus"] for v in vms],
            "Max": "",
            "Overall": "",
            "Level": ["custom" if v["res"] else "normal" for v in vms],
            "Shares": [1000 * int(v["vcpus"]) for v in vms],
            "Reservation": [v["res"] for v in vms],
            "Limit": [v["limit"] for v in vms],
            "Hot Add": "False",
            "Hot Remove": "False",
            "Host": [v["host"] for v in vms],
            "VI SDK Server": "vc01.demo.lan",
        }
    )
    return {"vInfo": info, "vHost": pd.DataFrame(hosts), "vCPU": cpu}


def _normalize_xlsx(data: bytes) -> bytes:
    """Fixed timestamps inside and on the zip entries, so the same seed gives the same bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename == "docProps/core.xml":
                body = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2026-11-01T00:00:00Z", body)
            info = zipfile.ZipInfo(item.filename, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, body)
    return out.getvalue()


def _write_rvtools(folder: Path, tables: dict[str, pd.DataFrame]) -> None:
    from openpyxl import Workbook

    folder.mkdir(parents=True, exist_ok=True)
    book = Workbook()
    book.remove(book.active)
    for sheet, frame in tables.items():
        frame.to_csv(folder / f"RVTools_tab{sheet}.csv", index=False, quoting=csv.QUOTE_MINIMAL)
        ws = book.create_sheet(sheet)
        ws.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            ws.append([v.item() if isinstance(v, np.generic) else v for v in row])
    buf = io.BytesIO()
    book.save(buf)
    (folder / "RVTools_export_all.xlsx").write_bytes(_normalize_xlsx(buf.getvalue()))


def _inventory_docs(vms: list[dict[str, object]]) -> tuple[dict, dict]:
    hosts = [
        {
            "name": n,
            "sockets": s,
            "cores_per_socket": c,
            "threads_per_core": 2 if ht else 1,
            "mhz": m,
            "hypervisor": "esxi",
        }
        for n, (_, s, c, ht, m) in HOSTS.items()
    ]
    hosts.append(
        {
            "name": "pve01",
            "sockets": 1,
            "cores_per_socket": 4,
            "threads_per_core": 2,
            "mhz": 3000,
            "hypervisor": "proxmox",
        }
    )
    rows = [
        {
            "name": v["name"],
            "host": v["host"],
            "vcpus": v["vcpus"],
            "power": "on" if v["power"] == "poweredOn" else "off",
            "role": v["role"],
            "latency_sensitivity": v["ls"],
            "reservation_mhz": v["res"],
            "limit_mhz": v["limit"],
        }
        for v in vms
        if not v["template"]
    ]
    rows += [
        {"name": "pbx-lab", "host": "pve01", "vcpus": 2, "power": "on", "role": "pbx"},
        *(
            {"name": f"ct{i}", "host": "pve01", "vcpus": 2, "power": "on", "role": "other"}
            for i in range(1, 5)
        ),
    ]
    doc = {
        "hosts": [{"name": "doc-host", "sockets": 1, "cores_per_socket": 8, "threads_per_core": 1}],
        "vms": [
            *(
                {"name": f"vm{i}", "host": "doc-host", "vcpus": 1, "power": "on", "role": "other"}
                for i in range(1, 5)
            ),
            {"name": "pbx", "host": "doc-host", "vcpus": 4, "power": "on", "role": "pbx"},
        ],
    }
    return {"hosts": hosts, "vms": rows}, doc


# VM -> (ready % median, co-stop % median, usage % median) per vCPU
LEVELS_ESX01 = {"pbx1": (0.25, 0.02, 22.0), "db01": (0.6, 0.05, 35.0)}
LEVELS_ESX02 = {"pbx2": (4.5, 2.2, 19.0), **{f"app0{i}": (1.8, 0.0, 55.0) for i in range(1, 5)}}


def _stat_rows(
    rng: np.random.Generator,
    vm: str,
    vcpus: int,
    times: pd.DatetimeIndex,
    interval: int,
    levels: tuple[float, float, float],
    shape: np.ndarray,
    per_vcpu: bool,
    mhz: int,
) -> list[list[object]]:
    ready_med, costop_med, usage_med = levels
    n = len(times)
    ready = np.clip(ready_med * shape * rng.lognormal(0.0, 0.45, n), 0, 60)
    costop = np.clip(costop_med * shape * rng.lognormal(0.0, 0.5, n), 0, 40)
    usage = np.clip(usage_med * shape * rng.lognormal(0.0, 0.2, n), 0.5, 100)
    rows = []
    ms = interval * 1000 * vcpus / 100.0
    for k, t in enumerate(times):
        stamp = f"{t.month}/{t.day}/{t.year} {t.strftime('%I:%M:%S %p').lstrip('0')}"
        common = [stamp]
        rows.append([round(ready[k] * ms), *common, "cpu.ready.summation", "ms", "", interval])
        if per_vcpu:
            split = rng.dirichlet(np.ones(vcpus)) * round(ready[k] * ms)
            rows += [
                [round(s), *common, "cpu.ready.summation", "ms", str(i), interval]
                for i, s in enumerate(split)
            ]
        rows.append([round(costop[k] * ms), *common, "cpu.costop.summation", "ms", "", interval])
        rows.append(
            [
                round(ready[k] * rng.normal(1.0, 0.03), 2),
                *common,
                "cpu.readiness.average",
                "%",
                "",
                interval,
            ]
        )
        rows.append([round(usage[k], 2), *common, "cpu.usage.average", "%", "", interval])
        # demand: what the VM asked for (usage plus the time it waited), in MHz
        want = usage[k] / 100.0 * vcpus * mhz * (1.0 + ready[k] / 100.0)
        rows.append([round(want), *common, "cpu.demand.average", "MHz", "", interval])
        rows.append([0, *common, "cpu.maxlimited.summation", "ms", "", interval])
    return [
        [
            r[0],
            r[1],
            r[2],
            r[3],
            "",
            vm,
            f"VirtualMachine-vm-{zlib.crc32(vm.encode()) % 1000}",
            r[5],
            r[4],
        ]
        for r in rows
    ]


def _vcenter_csv(path: Path, rows: list[list[object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    head = [
        "Value",
        "Timestamp",
        "MetricId",
        "Unit",
        "Description",
        "Entity",
        "EntityId",
        "IntervalSecs",
        "Instance",
    ]
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\n")
        w.writerow(head)
        w.writerows(rows)


def _esxtop(
    path: Path,
    rng: np.random.Generator,
    start: datetime,
    groups: dict[str, tuple[int, float, float, float]],
) -> None:
    """esxtop -b -d 5 -n 120: group CPU counters (% Ready etc. summed over the group's vCPUs)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    names = ["% Used", "% Run", "% Ready", "% CoStop", "% Max Limited"]
    head = ["(PDH-CSV 4.0) (UTC)(0)", "\\\\esx02\\Physical Cpu(_Total)\\% Util Time"]
    gid = {g: 1000 + 37 * i for i, g in enumerate(groups)}
    for g in groups:
        head += [f"\\\\esx02\\Group Cpu({gid[g]}:{g})\\{c}" for c in names]
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\n")
        w.writerow(head)
        for k in range(120):
            t = start + timedelta(seconds=5 * k)
            row = [t.strftime("%m/%d/%Y %H:%M:%S"), f"{rng.uniform(70, 95):.2f}"]
            for vcpus, ready, costop, used in groups.values():
                r = ready * vcpus * rng.lognormal(0, 0.5)
                u = used * vcpus * rng.lognormal(0, 0.2)
                row += [
                    f"{u:.2f}",
                    f"{u * 1.05:.2f}",
                    f"{r:.2f}",
                    f"{costop * vcpus * rng.lognormal(0, 0.6):.2f}",
                    "0.00",
                ]
            w.writerow(row)


def _procstat(
    path: Path,
    rng: np.random.Generator,
    start: datetime,
    ncpu: int,
    steal_med: float,
    load_med: float,
    busy: float,
) -> None:
    """``date +%s; cat /proc/stat /proc/loadavg`` every 20 s for an hour (jiffies at 100 Hz)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    acc = (
        np.array([812345, 1203, 154321, 9876543, 4321, 0, 6543, 1234, 0, 0], dtype=np.int64) * ncpu
    )
    lines = []
    epoch = int((pd.Timestamp(start) - pd.Timestamp("1970-01-01")).total_seconds())
    for k in range(181):
        if k:
            total = 20 * 100 * ncpu
            steal = int(total * min(0.5, steal_med / 100 * rng.lognormal(0, 0.5)))
            used = int(total * busy * rng.lognormal(0, 0.25))
            user, system = int(used * 0.7), used - int(used * 0.7)
            iowait = int(total * 0.003)
            idle = max(0, total - steal - used - iowait)
            acc += np.array([user, 0, system, idle, iowait, 0, 0, steal, 0, 0])
        lines.append(str(epoch + 20 * k))
        lines.append("cpu  " + " ".join(map(str, acc)))
        for i in range(ncpu):
            lines.append(f"cpu{i} " + " ".join(map(str, acc // ncpu)))
        lines += [
            f"intr {1000000 + 5000 * k}",
            f"ctxt {2000000 + 9000 * k}",
            "btime 1790000000",
            f"processes {40000 + 3 * k}",
            f"procs_running {max(1, int(rng.poisson(load_med)))}",
            "procs_blocked 0",
        ]
        load = load_med * rng.lognormal(0, 0.35)
        lines.append(
            f"{load:.2f} {load * 0.9:.2f} {load * 0.8:.2f} {max(1, round(load))}/412 {31000 + k}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def generate(
    model: DemoModel,
    rng: np.random.Generator,
    paths: DemoPaths,
    conn: Connection | None,
    schema: Schema | None,
) -> None:
    """Write the demo's VMware/KVM exports under ``paths.vmware_dir`` (plug-in contract).

    Nothing goes to the database (``conn`` and ``schema`` are unused): these are files operators
    export from vCenter, ESXi hosts and guests.
    """
    root = Path(paths.vmware_dir)
    names = sorted(model.nodes["no_name"].astype(str))
    pbx1, pbx2 = [*names, "srv01", "srv02"][:2]
    vms = _vms(pbx1, pbx2)
    _write_rvtools(root / "rvtools", _rvtools_tables(vms))
    inv, doc = _inventory_docs(vms)
    (root / "inventory.yaml").write_text(yaml.safe_dump(inv, sort_keys=False), encoding="utf-8")
    (root / "doc-example.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")

    day = pd.Timestamp(model.period_start) + pd.Timedelta(days=13)  # a Wednesday
    t5 = pd.date_range(day, periods=288, freq="300s")
    hours = (t5.hour + t5.minute / 60.0).to_numpy()
    diurnal = 0.25 + 0.75 * np.exp(-(((hours - 11.0) / 3.5) ** 2))
    rows = []
    for vm, key in ((pbx1, "pbx1"), ("db01", "db01")):
        rows += _stat_rows(rng, vm, 4, t5, 300, LEVELS_ESX01[key], diurnal, False, 2400)
    _vcenter_csv(root / "vcenter" / "esx01-5min.csv", rows)

    t20 = pd.date_range(day + pd.Timedelta(hours=10), periods=180, freq="20s")
    flat = np.ones(len(t20))
    rows = _stat_rows(rng, pbx2, 8, t20, 20, LEVELS_ESX02["pbx2"], flat, True, 2600)
    for i in range(1, 5):
        rows += _stat_rows(rng, f"app0{i}", 1, t20, 20, LEVELS_ESX02[f"app0{i}"], flat, False, 2600)
    _vcenter_csv(root / "vcenter" / "esx02-realtime.csv", rows)

    groups = {
        "system": (1, 0.1, 0.0, 2.0),
        pbx2: (8, 5.0, 2.5, 19.0),
        **{f"app0{i}": (1, 2.0, 0.0, 55.0) for i in range(1, 5)},
    }
    _esxtop(
        root / "esxtop" / "esx02-batch.csv", rng, day + pd.Timedelta(hours=10, minutes=20), groups
    )

    start = (day + pd.Timedelta(hours=10)).to_pydatetime()
    _procstat(root / "guest" / "pbx-lab-procstat.txt", rng, start, 2, 4.0, 1.6, 0.45)
    _procstat(root / "guest" / f"{pbx2}-procstat.txt", rng, start, 8, 0.0, 1.8, 0.19)
