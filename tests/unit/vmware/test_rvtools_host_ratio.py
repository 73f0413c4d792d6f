"""Host vCPU:core ratio when vInfo does not list every VM of a host: vHost's '# vCPUs' is used.

The tables use the column names of a real RVTools 4.x export (a subset, in the export's order).
vHost has both '# VMs total' (all VMs of the host) and '# VMs' (the running ones); '# vCPUs' is
taken as the vCPUs of the running VMs (the assumption documented in mirtalib.vmware.rvtools).
"""

from __future__ import annotations

import copy
import math

import pytest

from mirtalib.vmware import host_table, inventory_findings, read_rvtools, verdicts

VINFO_HEADER = [
    "VM",
    "Powerstate",
    "Template",
    "SRM Placeholder",
    "Config status",
    "CPUs",
    "Overall Cpu Readiness",
    "Memory",
    "Latency Sensitivity",
    "Annotation",
    "Datacenter",
    "Cluster",
    "Host",
    "VI SDK Server",
]


def vm(name: str, power: str, cpus: int, host: str) -> list[str]:
    return [name, power, "False", "False", "green", str(cpus), "", str(4096 * cpus), "normal", "",
            "DC1", "Voice", host, "vc01.lan"]  # fmt: skip


# an export filtered on the telephony folder: vInfo lacks most VMs of esx-a and all of esx-b
VINFO = [
    VINFO_HEADER,
    vm("pbx01", "poweredOn", 4, "esx-a"),
    vm("web01", "poweredOn", 2, "esx-a"),
    vm("pbx02", "poweredOn", 4, "esx-c"),
    vm("c1", "poweredOn", 2, "esx-c"),
    vm("c2", "poweredOn", 2, "esx-c"),
    vm("c3", "poweredOff", 8, "esx-c"),
    vm("db01", "poweredOn", 2, "esx-d"),
]
VHOST_HEADER = [
    "Host",
    "Datacenter",
    "Cluster",
    "Config status",
    "CPU Model",
    "Speed",
    "HT Available",
    "HT Active",
    "# CPU",
    "Cores per CPU",
    "# Cores",
    "CPU usage %",
    "# Memory",
    "Memory usage %",
    "# NICs",
    "# HBAs",
    "# VMs total",
    "# VMs",
    "VMs per Core",
    "# vCPUs",
    "vCPUs per Core",
    "vRAM",
    "ESX Version",
    "VI SDK Server",
]


def host(name, sockets, cps, ht, vms_total, vms, vcpus) -> list[str]:
    cores = sockets * cps
    return [name, "DC1", "Voice", "green", "Intel(R) Xeon(R) Silver 4110", "2100", "True", str(ht),
            str(sockets), str(cps), str(cores), "40", "262144", "50", "4", "2", str(vms_total),
            str(vms), str(round(vms / cores, 2)), str(vcpus), str(round(vcpus / cores, 2)),
            str(4096 * vcpus), "VMware ESXi 7.0.3", "vc01.lan"]  # fmt: skip


VHOST = [
    VHOST_HEADER,
    host("esx-a", 2, 4, True, 7, 6, 14),  # vInfo lists 2 VMs / 6 vCPUs of these
    host("esx-b", 1, 8, False, 5, 5, 12),  # vInfo lists none
    host("esx-c", 1, 8, False, 4, 3, 6),  # fewer than the 8 vCPUs vInfo lists
    host("esx-d", 1, 4, False, 1, 1, 2),  # agrees
    host("esx-e", 1, 4, False, 0, 0, 0),  # empty host
]
VCPU_HEADER = "VM,Powerstate,Template,CPUs,Sockets,Cores p/s,Shares,Reservation,Limit,Host"
VCPU = [
    VCPU_HEADER.split(","),
    *[[r[0], r[1], "False", r[5], "1", r[5], "1000", "0", "-1", r[12]] for r in VINFO[1:]],
]


@pytest.fixture(params=["csv", "xlsx"])
def export(request, rvt, tmp_path):
    """Write the tables as a CSV set or as a workbook; return a reader of (vinfo, vhost)."""

    def write(vinfo=VINFO, vhost=VHOST):
        if request.param == "csv":
            return rvt.write_rvtools_csv(tmp_path / "rv", vinfo, vhost, VCPU)
        return rvt.write_rvtools_xlsx(tmp_path / "export.xlsx", vinfo, vhost, VCPU)

    return write


def test_host_ratio_uses_vhost_when_vinfo_misses_vms(export):
    hosts = host_table(read_rvtools(export())).set_index("host")
    a, b, c, d, e = (hosts.loc[h] for h in ("esx-a", "esx-b", "esx-c", "esx-d", "esx-e"))
    # esx-b: no VM in vInfo, vHost counts 12 vCPUs on 5 running VMs, 8 cores: 1.5, not 0.0
    assert b["ratio_cores"] == pytest.approx(1.5)
    assert a["ratio_cores"] == pytest.approx(14 / 8)  # not 6 / 8 from the 2 VMs vInfo lists
    assert (b["vcpus_on"], b["vms_on"], b["vcpus_vms"]) == (12, 5, 0)
    assert b["vcpus_from"] == "vHost # vCPUs"
    assert "vInfo lists none of its powered-on VMs" in b["note"]
    assert "counts 12 on 5 running VM(s): ratio from vHost" in b["note"]
    # esx-a: vInfo lists 6 vCPUs, vHost 14 on 6 running VMs ('# VMs', not '# VMs total' = 7)
    assert (a["vcpus_on"], a["vms_on"], a["vcpus_vms"], a["vcpus_vhost"]) == (14, 6, 6, 14.0)
    assert a["ratio_capacity"] == pytest.approx(14 / 10)  # HT: 8 cores x 1.25
    assert "vInfo lists only 6 vCPU(s) on 2 powered-on VM(s)" in a["note"]
    # esx-c: vHost counts fewer than vInfo lists (powered-off c3 not counted): vInfo, with a note
    assert (c["vcpus_on"], c["vcpus_vhost"], c["vcpus_from"]) == (8, 6.0, "VM rows")
    assert "fewer than the 8 vCPU(s) of the 3 powered-on VM(s) vInfo lists" in c["note"]
    assert "ratio from vInfo, the larger" in c["note"]
    # esx-d agrees, esx-e is empty: no note
    assert (d["vcpus_on"], d["vcpus_from"], d["note"]) == (2, "VM rows", "")
    assert (e["vcpus_on"], e["ratio_cores"], e["note"]) == (0, 0.0, "")


def test_host_counted_by_vhost_is_not_excluded_as_idle(export):
    inv = read_rvtools(export())
    idle = set(inv.exclusions.loc[inv.exclusions["reason"] == "no powered-on VMs", "name"])
    assert idle == {"esx-e"}


def test_pbx_finding_says_where_the_count_comes_from(export):
    inv = read_rvtools(export()).mark_pbx("^pbx")
    f = inventory_findings(inv)
    ratio = f[f["check"] == "host vCPU:core ratio"].set_index("subject")
    # pbx01 looked 6/8 = 0.75 OK from vInfo alone; the host carries 14 vCPUs: harmful (> 1.25)
    assert (
        ratio.loc["pbx01", "value"] == "14 vCPU / 8 cores = 1.75:1 (vHost # vCPUs; vInfo lists 6)"
    )
    assert ratio.loc["pbx01", "formula"].startswith("vHost # vCPUs (vCPUs of the host's running")
    assert ratio.loc["pbx01", "level"] == "harmful"
    assert ratio.loc["pbx01", "action"].startswith("remove 3 vCPU(s) from pbx01 (4 -> 1)")
    assert ratio.loc["pbx02", "value"] == "8 vCPU / 8 cores = 1.00:1"
    assert ratio.loc["pbx02", "formula"] == "sum(vCPUs of powered-on VMs) / physical cores"
    assert ratio.loc["pbx02", "level"] == "OK"
    v = verdicts(f).set_index("vm")
    assert v.loc["pbx01", "verdict"] == "harmful"
    assert "host vCPU:core ratio: 14 vCPU / 8 cores" in v.loc["pbx01", "why"]


@pytest.mark.parametrize(
    ("column", "cell"), [("# vCPUs", "n/a"), ("# vCPUs", "-2"), ("# vCPUs", "3.5"), ("# VMs", "x")]
)
def test_unusable_vhost_count_is_named(rvt, tmp_path, column, cell):
    vhost = copy.deepcopy(VHOST)
    vhost[1][VHOST_HEADER.index(column)] = cell
    inv = read_rvtools(rvt.write_rvtools_csv(tmp_path / "rv", VINFO, vhost, VCPU))
    a = host_table(inv).set_index("host").loc["esx-a"]
    assert f"rv vHost: column '{column}' is not a whole number >= 0: '{cell}'" in a["note"]
    assert "esx-a" in set(inv.hosts["host"])  # the host stays: its cores are fine
    if column == "# vCPUs":
        assert math.isnan(a["vcpus_vhost"])
        assert (a["vcpus_on"], a["vcpus_from"]) == (6, "VM rows")  # nothing to compare with
    else:
        assert (a["vcpus_on"], a["vms_on"]) == (14, 2)  # vCPUs from vHost, VMs as listed


def test_export_without_vhost_counts_uses_vm_rows(rvt, tmp_path):
    keep = [i for i, h in enumerate(VHOST_HEADER) if h not in ("# VMs", "# vCPUs")]
    vhost = [[row[i] for i in keep] for row in VHOST]
    inv = read_rvtools(rvt.write_rvtools_csv(tmp_path / "rv", VINFO, vhost, VCPU))
    hosts = host_table(inv).set_index("host")
    assert hosts["vcpus_vhost"].isna().all() and (hosts["note"] == "").all()
    assert (hosts["vcpus_from"] == "VM rows").all()
    # without a host count, a host vInfo says nothing about is still unknown, and said so
    assert hosts.loc["esx-b", "vcpus_on"] == 0
    reasons = dict(zip(inv.exclusions["name"], inv.exclusions["reason"], strict=True))
    assert reasons["esx-b"] == "no powered-on VMs"
