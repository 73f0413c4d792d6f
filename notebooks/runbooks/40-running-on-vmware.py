# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 40 · Running on VMware
#
# A PBX mixes audio every 20 ms, so a virtual PBX must get a physical core as soon as it needs
# one. The page's warning: do not overbook the host, and do not add vCPUs to a slow PBX on a busy
# host, because a wider VM waits for more cores at once and gets *slower*. This runbook asks each
# node what it sees (`lscpu`, `nproc`, `/proc/stat` steal and load), reads the estate exports
# (RVTools or an inventory, esxtop and vCenter counters) for the node's VM and host, and gives
# the verdict with the concrete change to make in vCenter. Nothing is changed on the nodes.

# %% tags=["parameters"]
targets: str = "replay:srv01,replay:srv02"  # comma-separated: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; run_id names the apply)
confirm: bool = False  # must be True for apply (and rollback), after reading the plan
vmware_dir: str = ""  # folder with rvtools/ or inventory.yaml, esxtop/, vcenter/, guest/; empty: the demo PBX's
vm_map: str = ""  # VM name of each node (format in the examples file); empty: VM named as the node
pbx_pattern: str = "(?i)pbx|asterisk|mirta|^srv\\d+"  # regex on VM names marking PBX VMs
samples: int = 4  # /proc/stat samples taken on each node (2-90)
interval_s: int = 20  # seconds between samples (plan waits samples x interval on real nodes); 1-300
steal_risk: float = 2.0  # steal % (p95) from which a PBX is at risk
steal_harm: float = 5.0  # steal % (p95) from which it is harmful
what_if_vcpus: int = 4  # PBX width simulated in the what-if; 1-64
run_id: str = ""  # mode rollback: the run id of the apply to undo (`mirta journal` lists them); empty: the apply of this session
serial: int = 0  # apply: nodes changed at a time, each verified before the next (0: MIRTA_SERIAL, default 1)
ssh_key_path: str = ""  # private key file for ssh:// targets; empty: SSH agent or default keys
known_hosts: str = ""  # known_hosts file for ssh:// targets; empty: ~/.ssh/known_hosts

# %% [markdown]
# ## The runbook
# All checks are read-only, so the plan runs them; the change itself is a checklist item in
# vCenter.

# %%
import pandas as pd

from mirtalib.runbook.page import open_page
from mirtalib.runbooks.p40_running_on_vmware import RUNBOOK, what_if

pd.set_option("display.width", 160)
page = open_page(RUNBOOK, globals())

# %% [markdown]
# ## Plan: what the nodes see, and the verdict of their VM
# `lscpu` names the hypervisor; `nproc` must match the vCPUs the export gives the VM. Steal is
# what a KVM/Proxmox host takes away from the guest; VMware guests always report 0 there, their
# waiting is the *ready* % measured by the host, which the estate verdict uses (voice thresholds:
# p95 ready per vCPU below 2 %, harmful from 5 %). The load must stay below the CPUs (page 17).

# %%
page.plan()

# %% [markdown]
# ## What if the PBX had fewer vCPUs?
# The co-scheduling simulator of `mirtalib.vmware` on each node's host, with the VMs' measured
# demand: the PBX's ready % per vCPU as it is and at `what_if_vcpus`, under three scheduling
# models (*independent*, *relaxed* co-scheduling as ESXi does since 3.x, *strict* gang
# scheduling as the page describes). Fixed seed: same numbers on every run.

# %%
print(what_if(rb.values, [t.name for t in rb.targets], demo=rb.is_replay).to_string(index=False))

# %% [markdown]
# ## Interactive form
# In JupyterLab: change a value, press **Plan**, read the diff, tick *I reviewed the plan*, then
# **Apply**; **Verify** runs the checks and **Rollback** restores what apply changed. The form
# shows in the last cell, in JupyterLab only; headless runs skip it.

# %% [markdown]
# ## Rehearsal on the recorded nodes
# On `replay:` targets the notebook rehearses apply on an in-memory copy of each node: apply,
# apply again (nothing left to change), verify, and rollback. On real targets this cell does
# nothing.

# %% [markdown]
# ## The chosen mode
# `plan` stops at the plan above; `apply` changes the nodes (refused unless `confirm=True`);
# `verify` runs the checks and lists what to look at by hand.

# %% [markdown]
# A failed check in verify mode (or a failed step in apply mode) raises here, so a scheduled
# headless run exits non-zero; a plan that found disagreements ends with a WARNING
# SUMMARY instead (a plan changes nothing).
#
# In plan mode a harmful verdict is reported, not raised (it is the finding, not a run failure);
# run `mode = "verify"` on a schedule to make it exit non-zero.

# %%
page.finish()
