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
mode: str = "plan"  # plan (no side effect), apply (needs confirm) or verify
confirm: bool = False  # must be True for apply, after reading the plan
vmware_dir: str = ""  # folder with rvtools/ or inventory.yaml, esxtop/, vcenter/, guest/; empty: the demo PBX's
vm_map: str = ""  # VM name of each node (format in the examples file); empty: VM named as the node
pbx_pattern: str = r"(?i)pbx|asterisk|mirta|^srv\d+"  # regex on VM names marking PBX VMs
samples: int = 4  # /proc/stat samples taken on each node (2-90)
interval_s: int = 20  # seconds between samples (plan waits samples x interval on real nodes)
steal_risk: float = 2.0  # steal % (p95) from which a PBX is at risk
steal_harm: float = 5.0  # steal % (p95) from which it is harmful
what_if_vcpus: int = 4  # PBX width simulated in the what-if
ssh_key_path: str = ""  # private key file for ssh:// targets; empty: SSH agent or default keys
known_hosts: str = ""  # known_hosts file for ssh:// targets; empty: ~/.ssh/known_hosts

# %% [markdown]
# ## The runbook
# All checks are read-only, so the plan runs them; the change itself is a checklist item in
# vCenter.

# %%
import pandas as pd

from mirtalib.runbook import rehearse, ssh_options, steps_text
from mirtalib.runbooks.p40_running_on_vmware import RUNBOOK, what_if

pd.set_option("display.width", 160)
rb = RUNBOOK.open(targets, target_options=ssh_options(ssh_key_path, known_hosts),
                  **RUNBOOK.pick(globals()))
print(steps_text(rb.steps))

# %% [markdown]
# ## Plan: what the nodes see, and the verdict of their VM
# `lscpu` names the hypervisor; `nproc` must match the vCPUs the export gives the VM. Steal is
# what a KVM/Proxmox host takes away from the guest; VMware guests always report 0 there, their
# waiting is the *ready* % measured by the host, which the estate verdict uses (voice thresholds:
# p95 ready per vCPU below 2 %, harmful from 5 %). The load must stay below the CPUs (page 17).

# %%
plan = rb.plan()
print(plan)

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
# **Apply**; **Verify** runs the checks and **Rollback** restores what apply changed. Headless
# runs skip this widget (the cells around it do the same work).

# %%
# NBVAL_IGNORE_OUTPUT
rb.ui()

# %% [markdown]
# ## Rehearsal on the recorded nodes
# On `replay:` targets the notebook rehearses apply on an in-memory copy of each node: apply,
# apply again (nothing left to change), verify, and rollback. On real targets this cell does
# nothing.

# %%
print(rehearse(rb))

# %% [markdown]
# ## The chosen mode
# `plan` stops at the plan above; `apply` changes the nodes (refused unless `confirm=True`);
# `verify` runs the checks and lists what to look at by hand.

# %%
final = plan if mode == "plan" else rb.run(mode, confirm=confirm)
if mode != "plan":
    print(final)

# %% [markdown]
# A failed check in verify mode (or a failed step in apply mode) raises here, so a scheduled
# headless run exits non-zero.

# In plan mode a harmful verdict is reported, not raised (it is the finding, not a run failure);
# run `mode = "verify"` on a schedule to make it exit non-zero.

# %%
if mode == "plan":
    bad = [f"{n.node}: {r.title}" for n in final.nodes for r in n.results if r.status == "fail"]
    print("plan findings that verify would fail on:", "; ".join(bad) or "none")
else:
    final.raise_for_failure()
    print(f"{mode}: no failure on {', '.join(n.node for n in final.nodes)}")
