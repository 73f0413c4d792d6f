"""RVTools exports: the CSV set (``RVTools_tabvInfo.csv``, ``..._tabvHost.csv``,
``..._tabvCPU.csv``) or the ``.xlsx`` workbook (sheets ``vInfo``, ``vHost``, ``vCPU``), both
into one :class:`Inventory`.

Headers are matched case- and space-insensitively with the spellings of several RVTools versions
(``# CPU`` / ``Num CPU``, ``Powerstate`` / ``Power State``, ``Cores p/s`` / ``Cores per Socket``).
The ``vCPU`` tab is optional (without it reservations and limits are unknown); templates and
powered-off VMs are listed as exclusions.

The vHost tab's own counts, ``# VMs`` and ``# vCPUs``, are kept next to the VM rows
(``vhost_vms``, ``vhost_vcpus``): a filtered export, or one made by an account that cannot see
every folder, lists only some of a host's VMs in vInfo while vHost still counts them all.
:func:`mirtalib.vmware.findings.host_table` compares the two.

What the columns mean. RVTools' documentation, as quoted by public readers of its exports (the
manual itself could not be read here), describes ``# VMs total`` as all VMs of the host, ``# VMs``
as the *running* VMs, ``# vCPUs`` as the total number of running virtual CPUs on the host and
``vCPUs per Core`` as ``# vCPUs`` / ``# Cores``. This module therefore **assumes** that ``# vCPUs``
counts the vCPUs of the host's powered-on VMs, the numerator of the host ratio. Were it to count
powered-off VMs too, the ratio taken from it could only come out too high, never too low.

The vCluster tab is not read: a real RVTools 4.x export's vCluster header (``Name, Config status,
OverallStatus, NumHosts, numEffectiveHosts, TotalCpu, NumCpuCores, NumCpuThreads, Effective
Cpu, TotalMemory, ...``) has no VM or vCPU count, so a host's ratio can come from vHost only
(``# VMs total`` / ``# VMs`` / ``# vCPUs`` exist per resource pool in vRP, not per cluster).
"""

from __future__ import annotations

import csv
import io
import logging
import zipfile
from pathlib import Path

import pandas as pd

from mirtalib.errors import DataSourceError, ParseError
from mirtalib.vmware.columns import exclusions, pick_columns, to_bool, to_number
from mirtalib.vmware.inventory import Inventory, build_inventory

log = logging.getLogger(__name__)

VINFO = {
    "vm": ["VM", "VM Name", "Name"],
    "power": ["Powerstate", "Power State", "PowerState"],
    "template": ["Template"],
    "vcpus": ["CPUs", "Num CPU", "# CPU", "vCPUs"],
    "host": ["Host", "ESX Host"],
    "cluster": ["Cluster"],
    "latency_sensitivity": ["Latency Sensitivity", "LatencySensitivity"],
    "readiness_pct": ["Overall Cpu Readiness", "Overall CPU Readiness %", "CPU Readiness"],
    "annotation": ["Annotation"],
}
VHOST = {
    "host": ["Host", "Name"],
    "cluster": ["Cluster"],
    "sockets": ["# CPU", "Num CPU", "CPUs", "CPU Sockets"],
    "cores_per_socket": ["Cores per CPU", "Cores per Socket"],
    "cores": ["# Cores", "Num Cores", "Cores"],
    "ht_active": ["HT Active", "Hyperthreading Active"],
    "mhz": ["Speed", "CPU Speed"],
    "vhost_vms": ["# VMs", "Num VMs"],  # running VMs ('# VMs total' is another column)
    "vhost_vcpus": ["# vCPUs", "Num vCPUs"],  # vCPUs of the running VMs (module docstring)
}
VHOST_COUNTS = {"vhost_vms": "# VMs", "vhost_vcpus": "# vCPUs"}
VCPU = {
    "vm": ["VM", "VM Name"],
    "vcpus": ["CPUs", "Num CPU"],
    "sockets": ["Sockets"],
    "cores_per_socket": ["Cores p/s", "Cores per Socket"],
    "reservation_mhz": ["Reservation"],
    "limit_mhz": ["Limit"],
    "shares": ["Shares"],
    "level": ["Level"],
}
TABS = {"vinfo": "vInfo", "vhost": "vHost", "vcpu": "vCPU"}


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataSourceError(f"cannot read {path.name}: {exc.strerror}") from exc
    for enc in ("utf-8-sig", "cp1252"):
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    first = text.split("\n", 1)[0]
    sep = max([",", ";", "\t"], key=first.count)
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=sep))
    except csv.Error as exc:
        raise ParseError(f"{path.name}: not a CSV file: {exc}") from exc
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise ParseError(f"{path.name}: empty file")
    header, body = rows[0], rows[1:]
    width = len(header)
    ragged = [i + 2 for i, r in enumerate(body) if len(r) != width]
    if ragged:
        raise ParseError(
            f"{path.name}: line(s) {ragged[:5]} have a different number of fields "
            f"than the header ({width})"
        )
    return pd.DataFrame(body, columns=header, dtype=object)


def find_csv_set(folder: Path) -> dict[str, Path]:
    """Return the RVTools CSV files of ``folder`` by tab (``vinfo``, ``vhost``, ``vcpu``)."""
    found: dict[str, Path] = {}
    for path in sorted(folder.glob("*")):
        if path.suffix.lower() != ".csv":
            continue
        stem = path.stem.lower()
        for key in TABS:
            if stem.endswith(f"tab{key}") or stem == key:
                found.setdefault(key, path)
    return found


def _read_tabs(path: Path) -> tuple[dict[str, pd.DataFrame], str]:
    if not path.exists():
        raise DataSourceError(f"RVTools export not found: {path.name}")
    if path.is_dir():
        files = find_csv_set(path)
        missing = [TABS[k] for k in ("vinfo", "vhost") if k not in files]
        if missing:
            raise DataSourceError(
                f"{path.name}: no RVTools CSV for tab(s) {', '.join(missing)} "
                "(expected files like RVTools_tabvInfo.csv)"
            )
        return {k: _read_csv(p) for k, p in files.items()}, path.name
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            with pd.ExcelFile(path, engine="openpyxl") as book:
                by_name = {str(n).strip().lower(): n for n in book.sheet_names}
                missing = [TABS[k] for k in ("vinfo", "vhost") if k not in by_name]
                if missing:
                    raise DataSourceError(
                        f"{path.name}: no sheet(s) {', '.join(missing)}; "
                        f"sheets found: {', '.join(map(str, book.sheet_names))}"
                    )
                # only the tabs used: a real export has 25 more, some of them large
                tabs = {
                    k: pd.read_excel(book, sheet_name=by_name[k], dtype=object)
                    for k in TABS
                    if k in by_name
                }
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
            what = type(exc).__name__
            raise DataSourceError(f"cannot read workbook {path.name}: {what}") from exc
        return {k: f.dropna(how="all") for k, f in tabs.items()}, path.name
    raise DataSourceError(f"{path.name}: give a folder of RVTools CSV files or an .xlsx workbook")


def _vhost_counts(host: pd.DataFrame, what: str) -> pd.DataFrame:
    """Read vHost's ``# VMs`` / ``# vCPUs`` as numbers; a cell that is not a whole number >= 0
    becomes NaN and the host's ``vhost_note`` says which tab, column and value."""
    host = host.copy()
    notes = pd.Series("", index=host.index, dtype="string")
    for col, header in VHOST_COUNTS.items():
        if col not in host:
            host[col] = float("nan")
            continue
        values, bad = to_number(host[col])
        bad |= values.notna() & ((values < 0) | (values != values.round()))
        for i in host.index[bad]:
            text = f"{what}: column {header!r} is not a whole number >= 0: {host.at[i, col]!r}"
            notes[i] = f"{notes[i]}; {text}" if notes[i] else text
        host[col] = values.mask(bad)
    host["vhost_note"] = notes
    return host


def read_rvtools(path: str | Path) -> Inventory:
    """Read an RVTools export (folder of CSV files, or the .xlsx workbook).

    Args:
        path: a folder holding ``RVTools_tabvInfo.csv`` and ``RVTools_tabvHost.csv`` (optionally
            ``RVTools_tabvCPU.csv``), or an RVTools ``.xlsx`` workbook.

    Returns:
        The inventory; PBX roles are not set (use :meth:`Inventory.mark_pbx`). VM templates,
        powered-off VMs and unusable rows are in ``exclusions``. Hosts carry vHost's own counts
        ``vhost_vms`` / ``vhost_vcpus`` (NaN when the column is absent or the cell unusable, then
        ``vhost_note`` names the tab, column and value).

    Raises:
        DataSourceError: files or sheets are missing; SchemaError: a needed column is missing;
        ParseError: a CSV file is malformed.
    """
    path = Path(path)
    tabs, source = _read_tabs(path)
    info = pick_columns(
        tabs["vinfo"], VINFO, required=["vm", "power", "vcpus", "host"], what=f"{source} vInfo"
    )
    host = pick_columns(tabs["vhost"], VHOST, required=["host"], what=f"{source} vHost")
    if "cores" not in host and not {"sockets", "cores_per_socket"} <= set(host):
        pick_columns(tabs["vhost"], VHOST, required=["cores"], what=f"{source} vHost")
    extra = []
    if "template" in info:
        tmpl = to_bool(info["template"]).fillna(False).astype(bool)
        if tmpl.any():
            extra.append(exclusions("vm", info.loc[tmpl, "vm"], "VM template: not a running VM"))
        info = info[~tmpl]
    if "vcpu" in tabs:
        cpu = pick_columns(tabs["vcpu"], VCPU, required=["vm"], what=f"{source} vCPU")
        keep = [c for c in ("vm", "reservation_mhz", "limit_mhz", "shares") if c in cpu]
        info = info.merge(cpu[keep].drop_duplicates("vm"), on="vm", how="left")
    else:
        log.info("%s: no vCPU tab; reservations and limits unknown", source)
    host["hypervisor"] = "esxi"
    host = _vhost_counts(host, f"{source} vHost")
    inv = build_inventory(host, info, source)
    if extra:
        inv.exclusions = pd.concat([*extra, inv.exclusions], ignore_index=True)
    return inv
