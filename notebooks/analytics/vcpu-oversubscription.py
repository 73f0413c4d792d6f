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
# # vCPU oversubscription: will this PBX get its CPU when a call needs it?
#
# A PBX mixes audio every 20 ms. If its virtual CPUs wait for a physical core (ready time), or are
# stopped to let a sibling vCPU catch up (co-stop), callers hear it. This notebook reads what
# operators really have — an RVTools export (CSV set or `.xlsx`) or a plain inventory file,
# `esxtop -b` batch files, vCenter performance exports at any rollup interval, and `/proc/stat`
# samples from KVM/Proxmox guests — and gives, for every PBX VM, a verdict (**OK / at risk /
# harmful**) with the concrete change. Each finding shows its formula and threshold.
#
# The second half tests the explanation on seed page 40 ("Running on VMware") with a small Monte
# Carlo of three CPU scheduling models. With `vmware_dir` empty it reads the demo PBX's exports, only when the demo is selected
# (`MIRTA_DB_URL=demo`).

# %% tags=["parameters"]
vmware_dir: str = ""  # folder with rvtools/ or inventory.yaml, esxtop/, vcenter/, guest/; empty: the demo PBX (only with MIRTA_DB_URL set to demo)
inventory: str = ""  # RVTools folder/.xlsx or inventory YAML replacing the folder's own; empty: none
pbx_pattern: str = r"(?i)pbx|asterisk|mirta|^srv\d+"  # regex on VM names marking PBX VMs
ht_credit: float = 0.25  # extra capacity credited to hyper-threading, fraction of the cores (max 0.25)
ready_risk: float = 2.0  # voice: p95 ready % per vCPU from which a PBX is at risk
ready_harm: float = 5.0  # voice: p95 ready % per vCPU from which it is harmful
costop_risk: float = 0.5  # p95 co-stop % per vCPU: at risk from here
costop_harm: float = 3.0  # p95 co-stop % per vCPU: harmful from here
steal_risk: float = 2.0  # KVM guests: p95 steal % at risk from here
steal_harm: float = 5.0  # KVM guests: p95 steal % harmful from here
sim_host: str = "esx02"  # host of the inventory to simulate with measured demand; empty: skip
sim_pbx_vcpus: int = 4  # what-if width of the PBX on sim_host; 0: skip the what-if
sim_ticks: int = 4000  # simulated 1 ms ticks per replica (more: smoother but slower)
seed: int = 20261001  # random seed of the simulations

# %%
from pathlib import Path

import pandas as pd

from mirtalib.demo import require_demo
from mirtalib.reporting.charts import show
from mirtalib.reporting.fmt import html_table, number, percent
from mirtalib.reporting.summaries import vcpu_summary
from mirtalib.vmware import Thresholds, assess, doc_sweep, load_folder, simulate
from mirtalib.vmware.plots import plot_counter, plot_guest_load, plot_sweep
from mirtalib.vmware.report import busy_vcpus, measured_demand
from mirtalib.vmware.sim import scenario_from_inventory

pd.set_option("display.width", 160)
pd.set_option("display.max_colwidth", 110)
folder = Path(vmware_dir) if vmware_dir else require_demo("vmware_dir").vmware_dir
th = Thresholds(ht_credit=min(ht_credit, 0.25), ready_risk=ready_risk, ready_harm=ready_harm,
                costop_risk=costop_risk, costop_harm=costop_harm, steal_risk=steal_risk,
                steal_harm=steal_harm)
inputs = load_folder(folder, inventory=inventory or None, pbx_pattern=pbx_pattern)
inv = inputs.inventory
result = assess(inputs, th)
vcpu_summary(result, inputs, vmware_dir)

# %% [markdown]
# ## What was read
# Every file used, and everything *not* counted with the reason (powered-off VMs, templates, hosts
# without VMs, cells that are not numbers, counter rows that could not be read).

# %%
pbx_vms = sorted(inv.powered_on().query("role == 'pbx'")["vm"])
print("files:", ", ".join(inputs.files))
print(f"{len(inv.hosts)} hosts, {len(inv.vms)} VMs ({len(inv.powered_on())} powered on), "
      f"PBX VMs: {', '.join(pbx_vms)}")
rejected = len(inputs.counters.rejects)
print(f"{len(inputs.counters.counters)} counter values, {rejected} rejected rows")
html_table(inv.exclusions, caption="Not counted")

# %% [markdown]
# ## Hosts: vCPU to core ratio
# `ratio_cores` = vCPUs of powered-on VMs / **physical cores** (threads are not cores).
# `ratio_capacity` divides by cores x (1 + HT credit) when hyper-threading is on: a sibling
# thread adds at most about 25 % throughput. A host carrying a PBX should stay at or below 1:1;
# beyond the HT-credited capacity the vCPUs *will* queue whenever the VMs are busy together.
#
# RVTools' vHost tab counts each host's running VMs and their vCPUs itself (`vcpus_vhost`); the
# VM rows of vInfo give `vcpus_vms`. A filtered export, or one made by an account that cannot see
# every folder, lists only some of a host's VMs in vInfo: then the two differ, the larger is used
# (`vcpus_from`) and a note below says why.

# %%
ratio = {c: (lambda v: f"{number(v, 2)}:1") for c in ("ratio_cores", "ratio_capacity")}
display(html_table(result.hosts.drop(columns="note"), {**ratio, "mhz": lambda v: f"{v:,.0f} MHz"}))
notes = [n for n in result.hosts["note"] if n]
compared = int(result.hosts["vcpus_vhost"].notna().sum())
print("Notes:\n" + "\n".join(notes) if notes else
      f"Notes: none ({compared} of {len(result.hosts)} hosts have a vHost count, all agree)")

# %% [markdown]
# ## Findings, with formula and threshold
# Ready and co-stop are converted to **percent per vCPU** from the counter's own interval
# (`ready_ms / (interval_s x 1000 x vCPUs) x 100`; esxtop's group `% Ready` is divided by the
# vCPUs), then summarized per source file as p95 and max. VMware's generic guidance (< 5 % fine,
# > 10 % critical) is for throughput workloads; a PBX is judged against the tighter voice
# thresholds above. Guest load against cores is seed page 17's rule ("the load on the server
# should be never higher than the number of cores").

# %%
cols = ["subject", "check", "value", "threshold", "level"]
display(html_table(result.findings[cols], max_rows=None))
html_table(result.findings[["check", "formula"]].drop_duplicates(), caption="Formulas", max_rows=None)

# %% [markdown]
# ## Verdict per PBX VM
# The worst level of its findings, and the concrete change, most urgent first.

# %%
html_table(result.verdicts, max_rows=None)

# %% [markdown]
# ## Ready and co-stop over time
# The PBX VMs' counters at every interval exported (lines per source file), against the voice
# thresholds.

# %%
show(plot_counter(result.pct, pbx_vms, "ready", th.ready_risk, th.ready_harm, "PBX ready % per vCPU"))

# %%
show(plot_counter(result.pct, pbx_vms, "costop", th.costop_risk, th.costop_harm,
                  "PBX co-stop % per vCPU"))

# %% [markdown]
# ## Guest load against cores (page 17)
# Inside the guests: the 1-minute load from `/proc/loadavg` against the guest's CPUs, and, for
# the VMware PBX VMs, busy vCPUs from `cpu.demand` (what the VM asked for, waiting included; else
# `cpu.usage`). A load above the cores means runnable threads queue inside the guest as well.

# %%
show(plot_guest_load(inputs.guests, busy_vcpus(result, inv, pbx_vms)))

# %% [markdown]
# ## Does the page's explanation hold? Three scheduling models
# Page 40 says: *a VM "has to wait for a number of physical CPUs equal to the number of assigned
# vCPUs"*, so a PBX raised from 4 to 8 vCPUs on an 8-pCPU host with four busy 1-vCPU VMs can only
# run when all of them are idle. That is **strict** co-scheduling (ESX 2). Since ESX 3, ESXi uses
# **relaxed** co-scheduling: vCPUs are scheduled one by one, and only a vCPU that runs too far
# ahead of a lagging sibling is co-stopped. `mirtalib.vmware.sim` simulates the page's host
# under three models — *independent* (no co-scheduling), *relaxed* (skew limit 3 ms) and
# *strict* (gang) — with bursts of work (5 ms) arriving at random, the PBX's total work fixed at
# what the 4-vCPU PBX did (so 8 vCPUs add width, not work). The table gives the PBX's ready %
# per vCPU; the page's "before" (4 vCPUs, 1:1) never waits in any model.

# %%
sweep = doc_sweep(ticks=sim_ticks, replicas=4, seed=seed)
ready = {m: (lambda v: percent(v, 3, ratio=False)) for m in ("independent", "relaxed", "strict", "relaxed_costop")}
html_table(sweep, {**ready, "demand_pct": lambda v: f"{v} %", "strict_vs_relaxed": lambda v: number(v, 1)},
           max_rows=None)

# %%
show(plot_sweep(sweep, pbx_vcpus=8))

# %% [markdown]
# **Where the page is right.** Oversizing a PBX on a busy host hurts: at 8 vCPUs the host is at
# 1.5:1, and as soon as the other VMs are busy the PBX's vCPUs queue — in every model, including
# the relaxed one ESXi actually uses. At 4 vCPUs (1:1) nothing ever waits. So the advice — never
# give the PBX more vCPUs than the host can run at once, keep it at most 1:1 — stands.
#
# **Where it overstates.** The mechanism is wrong for any ESXi since version 3: the PBX does not
# wait for 8 free pCPUs before it can "execute a single instruction". Under relaxed scheduling
# the ready time comes from overlapping demand (more runnable vCPUs than cores at the same
# moment), plus a little co-stop, and it stays close to the independent model. The strict model
# predicts the PBX waiting a large share of its time even at low demand, where the relaxed model
# predicts (almost) nothing: the last column of the table is the factor between the two (ready +
# co-stop for relaxed; `inf` where only the strict model waits) — one order of magnitude when the
# host is saturated, several orders as demand falls.

# %% [markdown]
# ## Your host: measured demand, as it is and what if
# The same simulator on a host of the inventory (`sim_host`), each VM's demand per vCPU taken
# from its measured `cpu.demand` (else `cpu.usage`; 0.3 where not measured), as configured and
# with the PBX resized to `sim_pbx_vcpus` vCPUs (same work over fewer vCPUs). The simulator
# only models contention from overlapping demand: it ignores shares, reservations, NUMA,
# hyper-threading, interrupts and the scheduler's own latency, so its ready % is far below what
# a real host reports. Compare the runs and the models with each other, not with the measured
# counters.

# %%
if sim_host:
    demand = measured_demand(result)
    runs = [scenario_from_inventory(inv, sim_host, demand, name=f"{sim_host} as is")]
    if sim_pbx_vcpus:
        runs.append(scenario_from_inventory(inv, sim_host, demand, pbx_vcpus=sim_pbx_vcpus,
                                            name=f"{sim_host} PBX at {sim_pbx_vcpus} vCPU"))
    mine = simulate(runs, ticks=sim_ticks, replicas=4, seed=seed)
    table = mine.pivot_table(index=["scenario", "vm", "vcpus", "demand_pct"], columns="model",
                             values="ready_pct", sort=False)
    display(html_table(table, {m: (lambda v: percent(v, 3, ratio=False)) for m in table.columns},
                       index=True, max_rows=None))
