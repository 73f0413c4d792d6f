"""vCPU oversubscription: will the PBX get its CPU when a call needs it?

Readers for RVTools exports (CSV set or .xlsx), a plain inventory file, ``esxtop -b`` batch CSV,
vCenter performance exports, pyVmomi answers and KVM ``/proc/stat`` samples; findings with their
formulas and thresholds; a verdict per PBX VM; and a Monte Carlo of three CPU co-scheduling models.
"""

from __future__ import annotations

from mirtalib.vmware.counters import CounterLoad, per_vcpu_percent, read_esxtop, read_vcenter_csv
from mirtalib.vmware.findings import Thresholds, host_table, inventory_findings, verdicts
from mirtalib.vmware.inventory import Inventory, inventory_from_mapping, read_inventory
from mirtalib.vmware.kvm import (
    collect_proc_stat,
    parse_proc_stat,
    read_proc_stat_samples,
    samples_from_text,
    steal_and_load,
    steal_from_texts,
)
from mirtalib.vmware.report import Assessment, Inputs, assess, load_folder, read_estate
from mirtalib.vmware.rvtools import read_rvtools
from mirtalib.vmware.sim import MODELS, Scenario, VMSpec, doc_example, doc_sweep, simulate

__all__ = [
    "MODELS",
    "Assessment",
    "CounterLoad",
    "Inputs",
    "Inventory",
    "Scenario",
    "Thresholds",
    "VMSpec",
    "assess",
    "collect_proc_stat",
    "doc_example",
    "doc_sweep",
    "host_table",
    "inventory_findings",
    "inventory_from_mapping",
    "load_folder",
    "parse_proc_stat",
    "per_vcpu_percent",
    "read_estate",
    "read_esxtop",
    "read_inventory",
    "read_proc_stat_samples",
    "read_rvtools",
    "read_vcenter_csv",
    "samples_from_text",
    "simulate",
    "steal_and_load",
    "steal_from_texts",
    "verdicts",
]
