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
# # 17 · Debugging bad calls
#
# Bad voice quality has four usual sources: the server is overloaded, or the Internet link of
# the server, of the client or of the provider is saturated. The page proposes four tests and a
# decision table telling, for each outcome, which causes stay possible. Record the outcome of each
# test below (`bad`, `good` or `untested`); the notebook applies the table, ranks the causes with
# the reasoning, and samples the load average of the nodes against their number of cores.
#
# Nothing is changed on the nodes: every mode only reads.

# %% tags=["parameters"]
targets: str = "replay:srv01,replay:srv02"  # comma-separated: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; run_id names the apply)
confirm: bool = False  # must be True for apply (and rollback), after reading the plan
reported_by: str = "many"  # who reports the problem: many (all or several tenants), one, unknown
internal_call: str = "bad"  # internal phone to internal phone: bad, good, untested
feature_code_media: str = "bad"  # music file played by a feature code: bad, good, untested
did_from_mobile: str = "good"  # DID with a media file called from a mobile: bad, good, untested
samples: int = 6  # /proc/loadavg samples per node (2-30); 2-60
interval: int = 10  # seconds between samples (samples x interval at most 100 s); 1-60
run_id: str = ""  # mode rollback: the run id of the apply to undo (`mirta journal` lists them); empty: the apply of this session
serial: int = 0  # apply: nodes changed at a time, each verified before the next (0: MIRTA_SERIAL, default 1)
ssh_key_path: str = ""  # private key file for ssh:// targets; empty: SSH agent or default keys
known_hosts: str = ""  # known_hosts file for ssh:// targets; empty: ~/.ssh/known_hosts

# %% [markdown]
# ## The runbook
# The four tests are checklist items (they happen on phones and in the web interface); the
# ranking and the load sampling are read-only checks that also run in plan mode.

# %%
from mirtalib.runbook.page import open_page
from mirtalib.runbooks.p17_debugging_bad_calls import (
    RUNBOOK,
    TESTS,
    decision_table,
    load_evidence,
    load_frame,
    rank_causes,
)

page = open_page(RUNBOOK, globals())

# %% [markdown]
# ## The page's decision table
# *No* rules a cause out, *Unlikely* makes it less probable, *Possible* keeps it. Note the
# table's own asymmetry: a bad internal call makes the server overload *Unlikely*, while a bad
# feature-code media file keeps it *Possible*.

# %%
print(decision_table().to_string())

# %% [markdown]
# ## Plan: the ranking from the tests, and the load sampled on each node
# The load is the 1-minute load average of `/proc/loadavg`, sampled `samples` times, against
# `nproc`. Above the number of cores the server is overloaded (the check fails); above 70 % it
# has little headroom (a warning).

# %%
page.plan()

# %% [markdown]
# ## The ranking with the load as evidence
# Each node's peak load is one more row: above its cores it keeps *server overloaded* Possible,
# below them it only makes it Unlikely (a short spike between two samples is not seen; watch
# longer with sar or the monitoring system before ruling it out).

# %%
evidence = load_evidence(plan)
used, ranking, reasons = rank_causes({t: rb.values[t] for t in TESTS}, evidence)
print(used.to_string(), "\n")
print(ranking.to_string(index=False), "\n")
print("\n".join(f"- {r}" for r in reasons))

# %% [markdown]
# ## Load over the sampling window
# One line per node: the 1-minute load divided by the cores; the dashed line is 1.0 (load equal
# to the number of cores). The table carries the same numbers.

# %%
import matplotlib.pyplot as plt

loads = load_frame(evidence, interval)
print(loads.to_string(index=False))
fig, ax = plt.subplots(figsize=(7, 3))
for node, part in loads.groupby("node"):
    ax.plot(part["t_s"], part["load1_per_core"], marker="o", label=node)
ax.axhline(1.0, linestyle="--", color="grey")
ax.set(xlabel="seconds since the first sample", ylabel="1-min load / cores", ylim=(0, None))
ax.legend()
plt.show()

# %% [markdown]
# ## The chosen mode
# `verify` runs the same read-only checks again and lists the manual verification items.

# %%
page.finish()

# %% [markdown]
# An overloaded node (load above its cores) fails the run here, so a scheduled headless run
# exits non-zero.
