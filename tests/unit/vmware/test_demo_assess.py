"""The demo plug-in's exports read back: verdicts, same data in CSV and xlsx, determinism."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from mirtalib.vmware import assess, load_folder, read_estate, read_inventory
from mirtalib.vmware.findings import host_table


def digest(folder):
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_bytes(demo_vmware, tmp_path):
    from mirtalib.demo import vmware as plugin
    from mirtalib.demo.model import DemoModel
    from mirtalib.demo.paths import DemoPaths

    empty = pd.DataFrame()
    nodes = pd.DataFrame(
        {"no_id": [1, 2], "no_name": ["srv01", "srv02"], "no_ip": ["", ""], "no_fqdn": ["", ""]}
    )
    model = DemoModel(
        seed=7,
        nodes=nodes,
        tenants=empty,
        extensions=empty,
        dids=empty,
        queues=empty,
        queue_members=empty,
        parking_lots=empty,
        legs=empty,
    )
    plugin.generate(model, np.random.default_rng([7, 3]), DemoPaths(tmp_path), None, None)
    assert digest(tmp_path / "vmware") == digest(demo_vmware)
    assert "rvtools/RVTools_export_all.xlsx" in digest(demo_vmware)


def test_demo_verdicts(demo_vmware):
    inputs = load_folder(demo_vmware)
    assert inputs.counters.rejects.empty
    result = assess(inputs)
    verdicts = result.verdicts.set_index("vm")
    assert verdicts.loc["srv01", "verdict"] == "OK"
    assert verdicts.loc["srv02", "verdict"] == "harmful"
    assert verdicts.loc["srv02", "change"].startswith("remove 4 vCPU(s) from srv02 (8 -> 4)")
    assert "set Latency Sensitivity = High on srv02" in verdicts.loc["srv02", "change"]
    assert verdicts.loc["pbx-lab", "verdict"] == "harmful"
    hosts = result.hosts.set_index("host")
    assert hosts.loc["esx02", "ratio_cores"] == 1.5  # the page's host after the "upgrade"
    assert result.skipped.empty


def test_demo_csv_xlsx_and_plain_inventory_agree(demo_vmware):
    a = read_estate(demo_vmware / "rvtools")
    b = read_estate(demo_vmware / "rvtools" / "RVTools_export_all.xlsx")
    pd.testing.assert_frame_equal(a.vms, b.vms)
    pd.testing.assert_frame_equal(a.hosts, b.hosts)
    plain = read_inventory(demo_vmware / "inventory.yaml")
    ratios = host_table(plain).set_index("host")["ratio_cores"]
    assert (
        ratios.drop("pve01").to_dict() == host_table(a).set_index("host")["ratio_cores"].to_dict()
    )
    doc = host_table(read_inventory(demo_vmware / "doc-example.yaml")).iloc[0]
    assert (doc["cores"], doc["vcpus_on"], doc["ratio_cores"]) == (8, 8, 1.0)


def test_load_folder_errors(tmp_path):
    import pytest

    from mirtalib.errors import DataSourceError

    with pytest.raises(DataSourceError, match="folder not found: nope"):
        load_folder(tmp_path / "nope")
    with pytest.raises(DataSourceError, match="no rvtools/ CSV set and no inventory.yaml"):
        load_folder(tmp_path)


def test_inventory_only_gives_verdicts_without_counters(demo_vmware, tmp_path):
    (tmp_path / "inventory.yaml").write_bytes((demo_vmware / "inventory.yaml").read_bytes())
    result = assess(load_folder(tmp_path))
    assert result.stats.empty and result.pct.empty
    verdicts = result.verdicts.set_index("vm")["verdict"].to_dict()
    # pve01: 2 + 4 x 2 = 10 vCPUs on 4 cores (HT: capacity 5): harmful from the inventory alone
    assert verdicts == {"pbx-lab": "harmful", "srv01": "OK", "srv02": "harmful"}
    lab = result.findings[result.findings["subject"] == "pbx-lab"]
    assert "Latency Sensitivity" not in set(lab["check"])  # a vSphere setting: not on Proxmox
    assert result.hosts.set_index("host").loc["pve01", "hypervisor"] == "kvm"
