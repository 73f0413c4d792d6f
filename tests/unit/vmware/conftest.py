"""Fixtures of the vmware tests: small hand-made exports and the demo plug-in's output."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

VINFO = [
    [
        "VM",
        "Powerstate",
        "Template",
        "CPUs",
        "Host",
        "Cluster",
        "Latency Sensitivity",
        "Overall Cpu Readiness",
    ],
    ["pbx1", "poweredOn", "False", "4", "h1", "C", "high", ""],
    ["web", "poweredOn", "False", "2", "h1", "C", "normal", ""],
    ["db", "poweredOn", "False", "2", "h1", "C", "normal", ""],
    ["old", "poweredOff", "False", "8", "h1", "C", "normal", ""],
    ["tmpl", "poweredOff", "True", "2", "h1", "C", "normal", ""],
    ["pbx2", "poweredOn", "False", "8", "h2", "C", "normal", ""],
    ["a1", "poweredOn", "False", "1", "h2", "C", "normal", ""],
    ["a2", "poweredOn", "False", "1", "h2", "C", "normal", ""],
    ["a3", "poweredOn", "False", "1", "h2", "C", "normal", ""],
    ["a4", "poweredOn", "False", "1", "h2", "C", "normal", ""],
]
VHOST = [
    [
        "Host",
        "Cluster",
        "Speed",
        "HT Active",
        "# CPU",
        "Cores per CPU",
        "# Cores",
        "# VMs",
        "# vCPUs",
        "vCPUs per Core",
    ],
    ["h1", "C", "2000", "True", "2", "4", "8", "3", "8", "1"],
    ["h2", "C", "2500", "False", "1", "8", "8", "5", "12", "1.5"],
    ["h3", "C", "2000", "True", "1", "4", "4", "0", "0", "0"],
]
VCPU = [
    ["VM", "CPUs", "Sockets", "Cores p/s", "Reservation", "Limit", "Shares", "Level"],
    ["pbx1", "4", "1", "4", "8000", "-1", "4000", "custom"],
    ["web", "2", "1", "2", "0", "-1", "2000", "normal"],
    ["db", "2", "1", "2", "0", "1500", "2000", "normal"],
    ["pbx2", "8", "1", "8", "0", "-1", "8000", "normal"],
]


def write_csv(path: Path, rows: list[list[str]], delimiter: str = ",") -> Path:
    """Write rows as a CSV file (all cells quoted, like RVTools)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, delimiter=delimiter, quoting=csv.QUOTE_ALL).writerows(rows)
    return path


def write_rvtools_csv(
    folder: Path, vinfo=VINFO, vhost=VHOST, vcpu=VCPU, delimiter: str = ","
) -> Path:
    """The three RVTools CSV files in ``folder``."""
    write_csv(folder / "RVTools_tabvInfo.csv", vinfo, delimiter)
    write_csv(folder / "RVTools_tabvHost.csv", vhost, delimiter)
    if vcpu is not None:
        write_csv(folder / "RVTools_tabvCPU.csv", vcpu, delimiter)
    return folder


def write_rvtools_xlsx(path: Path, vinfo=VINFO, vhost=VHOST, vcpu=VCPU) -> Path:
    """The same tables as an RVTools workbook (numbers as numbers, like RVTools writes them)."""
    from openpyxl import Workbook

    def cell(v: str) -> object:
        try:
            return int(v)
        except ValueError:
            try:
                return float(v)
            except ValueError:
                return v

    book = Workbook()
    book.remove(book.active)
    for name, rows in (("vInfo", vinfo), ("vHost", vhost), ("vCPU", vcpu)):
        ws = book.create_sheet(name)
        ws.append(rows[0])
        for r in rows[1:]:
            ws.append([cell(v) for v in r])
    book.save(path)
    return path


@pytest.fixture
def rvtools_dir(tmp_path: Path) -> Path:
    return write_rvtools_csv(tmp_path / "rv")


@pytest.fixture(scope="session")
def demo_vmware(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo plug-in's output for a two-node model (built once per session)."""
    from mirtalib.demo import vmware as plugin
    from mirtalib.demo.model import DemoModel
    from mirtalib.demo.paths import DemoPaths

    empty = pd.DataFrame()
    nodes = pd.DataFrame(
        {
            "no_id": [1, 2],
            "no_name": ["srv01", "srv02"],
            "no_ip": ["10.0.0.1", "10.0.0.2"],
            "no_fqdn": ["srv01.demo", "srv02.demo"],
        }
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
    root = tmp_path_factory.mktemp("demo")
    plugin.generate(model, np.random.default_rng([7, 3]), DemoPaths(root), None, None)
    return root / "vmware"


@pytest.fixture
def rvt():
    """This conftest's helpers and tables (test modules cannot import it in importlib mode)."""
    from types import SimpleNamespace

    return SimpleNamespace(
        VINFO=VINFO,
        VHOST=VHOST,
        VCPU=VCPU,
        write_csv=write_csv,
        write_rvtools_csv=write_rvtools_csv,
        write_rvtools_xlsx=write_rvtools_xlsx,
    )
