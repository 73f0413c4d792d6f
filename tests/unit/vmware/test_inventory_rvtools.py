"""Inventories from RVTools (CSV and xlsx) and from the plain inventory file: ratios by hand."""

from __future__ import annotations

import copy

import pandas as pd
import pytest

from mirtalib.errors import DataSourceError, ParseError, SchemaError
from mirtalib.vmware import (
    host_table,
    inventory_findings,
    read_estate,
    read_inventory,
    read_rvtools,
)
from mirtalib.vmware.columns import norm_header


def test_norm_header_matches_version_variants():
    assert norm_header("# CPU") == norm_header("Num CPU") == "numcpu"
    assert norm_header("Power State") == norm_header("powerstate")
    assert norm_header(" Cores p/s ") == "coresps"


def test_rvtools_csv_ratios_by_hand(rvtools_dir):
    inv = read_rvtools(rvtools_dir)
    hosts = host_table(inv).set_index("host")
    # h1: pbx1 4 + web 2 + db 2 powered on = 8 vCPUs on 8 cores; HT -> capacity 8 * 1.25 = 10
    assert hosts.loc["h1", "vcpus_on"] == 8
    assert hosts.loc["h1", "ratio_cores"] == pytest.approx(1.0)
    assert hosts.loc["h1", "ratio_capacity"] == pytest.approx(0.8)
    # h2: 8 + 4 x 1 = 12 on 8 cores, no HT -> 1.5
    assert hosts.loc["h2", "ratio_cores"] == pytest.approx(1.5)
    assert hosts.loc["h2", "ratio_capacity"] == pytest.approx(1.5)
    assert hosts.loc["h3", "vms_on"] == 0
    vms = inv.vms.set_index("vm")
    assert vms.loc["pbx1", "reservation_mhz"] == 8000
    assert pd.isna(vms.loc["pbx1", "limit_mhz"])  # -1 = unlimited
    assert vms.loc["db", "limit_mhz"] == 1500
    excl = {(k, n): r for k, n, r in inv.exclusions.itertuples(index=False)}
    assert "template" in excl[("vm", "tmpl")].lower()
    assert "powered off" in excl[("vm", "old")]
    assert excl[("host", "h3")] == "no powered-on VMs"


def test_csv_and_xlsx_give_the_same_inventory(rvt, rvtools_dir, tmp_path):
    a = read_rvtools(rvtools_dir)
    b = read_rvtools(rvt.write_rvtools_xlsx(tmp_path / "export.xlsx"))
    pd.testing.assert_frame_equal(a.hosts, b.hosts)
    pd.testing.assert_frame_equal(a.vms, b.vms)
    pd.testing.assert_frame_equal(a.exclusions, b.exclusions)
    pd.testing.assert_frame_equal(
        inventory_findings(a.mark_pbx("^pbx")), inventory_findings(b.mark_pbx("^pbx"))
    )


def test_header_variants_and_semicolons(rvt, tmp_path):
    vinfo = copy.deepcopy(rvt.VINFO)
    vinfo[0] = [
        "vm",
        "Power State",
        "template",
        "Num CPU",
        "HOST",
        "cluster",
        "LatencySensitivity",
        "x",
    ]
    vhost = copy.deepcopy(rvt.VHOST)
    vhost[0] = [
        "host",
        "cluster",
        "speed",
        "ht active",
        "Num CPU",
        "Cores per CPU",
        "Num Cores",
        "a",
        "b",
        "c",
    ]
    inv = read_rvtools(rvt.write_rvtools_csv(tmp_path, vinfo, vhost, None, delimiter=";"))
    assert host_table(inv).set_index("host").loc["h2", "vcpus_on"] == 12
    assert inv.vms["reservation_mhz"].isna().all()  # no vCPU tab: unknown, not zero


def test_missing_column_names_it(rvt, tmp_path):
    vhost = [row[:4] + row[7:] for row in rvt.VHOST]  # drop # CPU, Cores per CPU, # Cores
    with pytest.raises(SchemaError, match="vHost: missing column\\(s\\) '# Cores'"):
        read_rvtools(rvt.write_rvtools_csv(tmp_path, rvt.VINFO, vhost, rvt.VCPU))
    vinfo = [row[:3] + row[4:] for row in rvt.VINFO]  # no CPUs
    with pytest.raises(SchemaError, match="vInfo: missing column\\(s\\) 'CPUs'"):
        read_rvtools(rvt.write_rvtools_csv(tmp_path / "b", vinfo, rvt.VHOST, rvt.VCPU))


def test_non_numeric_cells_are_excluded_with_reason(rvt, tmp_path):
    vinfo = copy.deepcopy(rvt.VINFO)
    vinfo[2][3] = "two"
    vhost = copy.deepcopy(rvt.VHOST)
    vhost[2][6] = "n/a"
    inv = read_rvtools(rvt.write_rvtools_csv(tmp_path, vinfo, vhost, rvt.VCPU))
    reasons = dict(zip(inv.exclusions["name"], inv.exclusions["reason"], strict=True))
    assert reasons["web"] == "column 'vcpus' is not a number: two"
    assert reasons["h2"] == "column 'cores' is not a number: n/a"
    assert "web" not in set(inv.vms["vm"]) and "h2" not in set(inv.hosts["host"])
    # the VMs of h2 are still reported, as on an unknown host, not silently dropped
    assert "is not in the host table" in reasons["pbx2"]


def test_missing_files_and_ragged_rows(rvt, tmp_path):
    rvt.write_csv(tmp_path / "RVTools_tabvInfo.csv", rvt.VINFO)
    with pytest.raises(DataSourceError, match="vHost"):
        read_rvtools(tmp_path)
    bad = copy.deepcopy(rvt.VHOST)
    bad[2] = bad[2][:-2]
    rvt.write_csv(tmp_path / "RVTools_tabvHost.csv", bad)
    with pytest.raises(ParseError, match="line\\(s\\) \\[3\\]"):
        read_rvtools(tmp_path)
    with pytest.raises(DataSourceError, match="not found"):
        read_rvtools(tmp_path / "nothing.xlsx")


def test_plain_inventory_yaml(tmp_path):
    path = tmp_path / "inv.yaml"
    path.write_text(
        "hosts:\n"
        "  - {name: k1, sockets: 1, cores_per_socket: 6, threads_per_core: 2}\n"
        "  - {name: k2, cores: 4}\n"
        "vms:\n"
        "  - {name: pbx, host: k1, vcpus: 6, power: on, role: pbx}\n"
        "  - {name: w, host: k1, vcpus: 2, power: on}\n"
        "  - {name: off, host: k1, vcpus: 4, power: off}\n"
        "  - {name: lost, host: k9, vcpus: 1}\n"
    )
    inv = read_inventory(path)
    hosts = host_table(inv).set_index("host")
    assert hosts.loc["k1", "threads"] == 12 and hosts.loc["k1", "ht_active"]
    assert hosts.loc["k1", "ratio_cores"] == pytest.approx(8 / 6)
    assert hosts.loc["k1", "ratio_capacity"] == pytest.approx(8 / 7.5)
    f = inventory_findings(inv).set_index("check")
    # 8/6 = 1.33 > 1.25 (cores + HT credit): harmful; width 6 on 6 cores: at risk
    assert f.loc["host vCPU:core ratio", "level"] == "harmful"
    assert (
        f.loc["host vCPU:core ratio", "action"]
        == "remove 2 vCPU(s) from pbx (6 -> 4) or move VM w off k1"
    )
    assert f.loc["PBX width", "level"] == "at risk"
    assert f.loc["PBX width", "action"] == "remove 1 vCPU(s) from pbx"
    reasons = dict(zip(inv.exclusions["name"], inv.exclusions["reason"], strict=True))
    assert reasons["off"].startswith("powered off") and "k9" in reasons["lost"]
    assert reasons["k2"] == "no powered-on VMs"


@pytest.mark.parametrize(
    ("text", "error", "match"),
    [
        ("hosts: 3\n", ParseError, "expected a mapping"),
        ("[1, 2\n", ParseError, "not valid YAML"),
        ("hosts:\n  - {name: a}\nvms: []\n", SchemaError, "cores"),
        ("hosts:\n  - {name: a, cores: 2}\nvms:\n  - {name: v, vcpus: 1}\n", SchemaError, "'host'"),
        ("hosts:\n  - 5\n", ParseError, "hosts\\[0\\]"),
    ],
)
def test_plain_inventory_errors(tmp_path, text, error, match):
    path = tmp_path / "inv.yaml"
    path.write_text(text)
    with pytest.raises(error, match=match):
        read_inventory(path)


def test_read_estate_marks_pbx_by_pattern(rvtools_dir):
    inv = read_estate(rvtools_dir, pbx_pattern="^pbx")
    assert sorted(inv.vms.loc[inv.vms["role"] == "pbx", "vm"]) == ["pbx1", "pbx2"]


def test_workbook_problems(rvt, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "vInfo"
    book.active.append(rvt.VINFO[0])
    book.save(tmp_path / "partial.xlsx")
    with pytest.raises(DataSourceError, match="no sheet\\(s\\) vHost; sheets found: vInfo"):
        read_rvtools(tmp_path / "partial.xlsx")
    (tmp_path / "junk.xlsx").write_bytes(b"this is not a zip file")
    with pytest.raises(DataSourceError, match="cannot read workbook junk.xlsx"):
        read_rvtools(tmp_path / "junk.xlsx")
