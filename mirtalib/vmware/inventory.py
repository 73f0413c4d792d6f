"""The estate as one object: hosts and VMs, from RVTools or from a plain inventory file.

:class:`Inventory` is what every finding and the simulator read. Two readers fill it:
:func:`mirtalib.vmware.rvtools.read_rvtools` (CSV set or .xlsx workbook) and :func:`read_inventory`
(a YAML/JSON file for people without vCenter; YAML 1.2 booleans, so ``power: on`` and a VM
named ``no`` stay strings)::

    hosts:
      - name: esx01
        sockets: 2
        cores_per_socket: 8
        threads_per_core: 2        # 1 = no hyper-threading
        mhz: 2400                  # optional, core clock (for reservations)
        hypervisor: esxi           # optional: esxi, or kvm/proxmox (no VMware-only checks)
    vms:
      - name: srv01
        host: esx01
        vcpus: 4
        power: on                  # on / off / suspended
        role: pbx                  # pbx or anything else
        latency_sensitivity: high  # optional
        reservation_mhz: 9600      # optional
        limit_mhz: -1              # optional, -1 or empty = unlimited

Nothing is dropped silently: rows that cannot be used, powered-off VMs and hosts without VMs are
listed in :attr:`Inventory.exclusions` with the reason.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from mirtalib.errors import DataSourceError, ParseError, SchemaError
from mirtalib.vmware.columns import (
    empty_exclusions,
    exclusions,
    norm_power,
    pick_columns,
    to_bool,
    to_number,
)

log = logging.getLogger(__name__)

HOST_COLUMNS = [
    "host",
    "cluster",
    "sockets",
    "cores_per_socket",
    "cores",
    "threads",
    "ht_active",
    "mhz",
    "hypervisor",
    "vhost_vms",
    "vhost_vcpus",
    "vhost_note",
]
KVM_NAMES = ("kvm", "proxmox", "pve", "qemu", "libvirt")
VM_COLUMNS = [
    "vm",
    "host",
    "cluster",
    "power",
    "vcpus",
    "role",
    "latency_sensitivity",
    "reservation_mhz",
    "limit_mhz",
    "shares",
    "readiness_pct",
]
DEFAULT_PBX_PATTERN = r"(?i)pbx|asterisk|mirta|^srv\d+"


@dataclass
class Inventory:
    """Hosts and VMs in canonical columns.

    Attributes:
        hosts: one row per usable host: ``host, cluster, sockets, cores_per_socket, cores``
            (physical), ``threads`` (logical CPUs), ``ht_active`` (bool), ``mhz`` (NaN if unknown),
            ``hypervisor`` (``esxi``, ``kvm`` or '' when not said), and the host's own counts
            when the source has them (RVTools vHost ``# VMs`` / ``# vCPUs``: running VMs and
            their vCPUs) ``vhost_vms``, ``vhost_vcpus`` (float, NaN unknown) with
            ``vhost_note`` ('' or why a count is unknown).
        vms: one row per usable VM: ``vm, host, cluster, power`` (on/off/suspended), ``vcpus``,
            ``role`` (``pbx`` or ``other``), ``latency_sensitivity`` (lower case, '' unknown),
            ``reservation_mhz``, ``limit_mhz`` (NaN = unlimited), ``shares``, ``readiness_pct``.
        exclusions: ``kind`` (host/vm), ``name``, ``reason`` of everything not used in the ratios.
        source: where it came from (file name, no absolute path).
    """

    hosts: pd.DataFrame
    vms: pd.DataFrame
    exclusions: pd.DataFrame = field(default_factory=empty_exclusions)
    source: str = ""

    def powered_on(self) -> pd.DataFrame:
        """The VMs that count in ratios (powered on, on a known host)."""
        return self.vms[(self.vms["power"] == "on") & self.vms["host"].isin(self.hosts["host"])]

    def vms_on(self, host: str) -> pd.DataFrame:
        """The powered-on VMs of ``host``."""
        on = self.powered_on()
        return on[on["host"] == host]

    def mark_pbx(self, pattern: str = DEFAULT_PBX_PATTERN) -> Inventory:
        """A copy where VMs whose name matches ``pattern`` get role ``pbx`` (others keep theirs)."""
        vms = self.vms.copy()
        hit = vms["vm"].str.contains(re.compile(pattern), regex=True)
        vms.loc[hit, "role"] = "pbx"
        return Inventory(self.hosts.copy(), vms, self.exclusions.copy(), self.source)


def build_inventory(hosts_raw: pd.DataFrame, vms_raw: pd.DataFrame, source: str) -> Inventory:
    """Clean canonical-named host and VM tables into an :class:`Inventory`.

    ``hosts_raw`` needs ``host`` and either ``cores`` or ``sockets`` + ``cores_per_socket``;
    ``vms_raw`` needs ``vm, host, vcpus``; other canonical columns are optional.
    """
    excl = [empty_exclusions()]
    hosts = hosts_raw.copy()
    for col in HOST_COLUMNS:
        if col not in hosts:
            hosts[col] = pd.NA
    hosts["host"] = hosts["host"].astype("string").str.strip()
    bad_any = pd.Series(False, index=hosts.index)
    for col in ("sockets", "cores_per_socket", "cores", "threads", "mhz"):
        hosts[col], bad = to_number(hosts[col])
        if bad.any():
            excl.append(
                exclusions(
                    "host",
                    hosts.loc[bad, "host"],
                    f"column {col!r} is not a number: " + hosts_raw.loc[bad, col].astype(str),
                )
            )
        bad_any |= bad
    hosts["cores"] = hosts["cores"].fillna(hosts["sockets"] * hosts["cores_per_socket"])
    no_cores = ~bad_any & (hosts["cores"].isna() | (hosts["cores"] <= 0))
    if no_cores.any():
        excl.append(exclusions("host", hosts.loc[no_cores, "host"], "no physical core count"))
    hosts = hosts[~bad_any & ~no_cores].copy()
    ht = to_bool(hosts["ht_active"])
    hosts["threads"] = hosts["threads"].fillna(
        hosts["cores"] * ht.fillna(False).map({True: 2, False: 1})
    )
    hosts["ht_active"] = (hosts["threads"] > hosts["cores"]).astype(bool)
    hosts["cluster"] = hosts["cluster"].astype("string").fillna("")
    hyp = hosts["hypervisor"].astype("string").fillna("").str.strip().str.lower()
    hosts["hypervisor"] = hyp.where(~hyp.isin(KVM_NAMES), "kvm")
    for col in ("vhost_vms", "vhost_vcpus"):
        hosts[col] = pd.to_numeric(hosts[col], errors="coerce").astype(float)
    hosts["vhost_note"] = hosts["vhost_note"].astype("string").fillna("")
    hosts = hosts[HOST_COLUMNS].reset_index(drop=True)

    vms = vms_raw.copy()
    for col in VM_COLUMNS:
        if col not in vms:
            vms[col] = pd.NA
    vms["vm"] = vms["vm"].astype("string").str.strip()
    vms["host"] = vms["host"].astype("string").fillna("").str.strip()
    vms["power"] = norm_power(vms["power"].fillna("on"))
    bad_any = pd.Series(False, index=vms.index)
    for col in ("vcpus", "reservation_mhz", "limit_mhz", "readiness_pct"):
        vms[col], bad = to_number(vms[col])
        if bad.any():
            excl.append(
                exclusions(
                    "vm",
                    vms.loc[bad, "vm"],
                    f"column {col!r} is not a number: " + vms_raw.loc[bad, col].astype(str),
                )
            )
        bad_any |= bad
    no_vcpu = ~bad_any & (vms["vcpus"].isna() | (vms["vcpus"] <= 0))
    if no_vcpu.any():
        excl.append(exclusions("vm", vms.loc[no_vcpu, "vm"], "no vCPU count"))
    dup = vms["vm"].duplicated(keep="first")
    if dup.any():
        excl.append(exclusions("vm", vms.loc[dup, "vm"], "duplicate VM name (first row kept)"))
    vms = vms[~bad_any & ~no_vcpu & ~dup].copy()
    vms["limit_mhz"] = vms["limit_mhz"].where(vms["limit_mhz"] >= 0)
    role = vms["role"].astype("string").fillna("").str.strip().str.lower()
    vms["role"] = role.where(role == "pbx", "other")
    for col in ("latency_sensitivity", "shares", "cluster"):
        vms[col] = vms[col].astype("string").fillna("").str.strip()
    vms["latency_sensitivity"] = vms["latency_sensitivity"].str.lower()
    vms["vcpus"] = vms["vcpus"].astype(int)

    off = vms["power"] != "on"
    if off.any():
        excl.append(
            exclusions(
                "vm",
                vms.loc[off, "vm"],
                "powered " + vms.loc[off, "power"] + ": not counted in ratios",
            )
        )
    unknown = ~off & ~vms["host"].isin(hosts["host"])
    if unknown.any():
        excl.append(
            exclusions(
                "vm",
                vms.loc[unknown, "vm"],
                "host " + vms.loc[unknown, "host"].map(repr) + " is not in the host table",
            )
        )
    busy_hosts = set(vms.loc[~off, "host"])
    # a host whose vHost row counts running vCPUs is busy even when vInfo lists none of its VMs
    idle = ~hosts["host"].isin(busy_hosts) & ~(hosts["vhost_vcpus"] > 0)
    if idle.any():
        excl.append(exclusions("host", hosts.loc[idle, "host"], "no powered-on VMs"))
    hosts["cores"] = hosts["cores"].astype(int)
    hosts["threads"] = hosts["threads"].astype(int)
    table = pd.concat(excl, ignore_index=True)
    if len(table):
        log.info("%s: %d exclusion(s)", source, len(table))
    return Inventory(hosts, vms[VM_COLUMNS].reset_index(drop=True), table, source)


_HOST_KEYS = {
    "host": ["name"],
    "cluster": [],
    "sockets": ["cpus", "numcpu"],
    "cores_per_socket": ["cores per cpu"],
    "cores": ["numcores"],
    "threads": ["logical cpus"],
    "threads_per_core": [],
    "ht_active": ["ht"],
    "mhz": ["speed"],
    "hypervisor": ["type", "platform"],
}
_VM_KEYS = {
    "vm": ["name"],
    "host": [],
    "cluster": [],
    "power": ["powerstate", "state"],
    "vcpus": ["cpus", "cpu"],
    "role": [],
    "latency_sensitivity": [],
    "reservation_mhz": ["reservation"],
    "limit_mhz": ["limit"],
    "shares": [],
    "readiness_pct": [],
}


def inventory_from_mapping(data: object, source: str = "inventory") -> Inventory:
    """Build an :class:`Inventory` from the parsed inventory document (``hosts`` and ``vms`` lists).

    Raises:
        ParseError: the document is not a mapping with ``hosts`` and ``vms`` lists of mappings.
        SchemaError: a required key (host ``name`` + cores, VM ``name``/``host``/``vcpus``) is
            missing.
    """
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("hosts"), list)
        or not isinstance(data.get("vms", []), list)
    ):
        raise ParseError(f"{source}: expected a mapping with 'hosts' and 'vms' lists")
    for key in ("hosts", "vms"):
        for i, row in enumerate(data.get(key) or []):
            if not isinstance(row, dict):
                raise ParseError(f"{source}: {key}[{i}] is not a mapping: {row!r}")
    hosts_raw = pd.DataFrame(data["hosts"], dtype=object)
    vms_raw = pd.DataFrame(data.get("vms") or [], dtype=object)
    if hosts_raw.empty:
        raise SchemaError(f"{source}: the 'hosts' list is empty")
    hosts = pick_columns(hosts_raw, _HOST_KEYS, required=["host"], what=f"{source} hosts")
    if "cores" not in hosts and not {"sockets", "cores_per_socket"} <= set(hosts):
        raise SchemaError(f"{source} hosts: give 'cores' or 'sockets' + 'cores_per_socket'")
    if "threads_per_core" in hosts and "threads" not in hosts:
        nan = pd.Series(float("nan"), index=hosts.index)
        per_socket = to_number(hosts["sockets"])[0] if "sockets" in hosts else nan
        per_socket = per_socket * (
            to_number(hosts["cores_per_socket"])[0] if "cores_per_socket" in hosts else nan
        )
        cores = (to_number(hosts["cores"])[0] if "cores" in hosts else nan).fillna(per_socket)
        hosts["threads"] = cores * to_number(hosts["threads_per_core"])[0].fillna(1)
    if vms_raw.empty:
        vms_raw = pd.DataFrame(columns=["vm", "host", "vcpus"])
    vms = pick_columns(vms_raw, _VM_KEYS, required=["vm", "host", "vcpus"], what=f"{source} vms")
    return build_inventory(hosts, vms, source)


class _Yaml12Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans: only true/false, so ``on``/``off``/``no`` stay strings."""


_Yaml12Loader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def read_inventory(path: str | Path) -> Inventory:
    """Read a plain inventory file (YAML or JSON, see the module docstring).

    Raises:
        DataSourceError: the file cannot be read.
        ParseError: it is not valid YAML or not shaped as expected.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataSourceError(f"cannot read inventory {path.name}: {exc.strerror}") from exc
    try:
        data = yaml.load(text, Loader=_Yaml12Loader)  # noqa: S506 (safe loader subclass)
    except yaml.YAMLError as exc:
        raise ParseError(f"{path.name}: not valid YAML: {exc}") from exc
    return inventory_from_mapping(data, source=path.name)
