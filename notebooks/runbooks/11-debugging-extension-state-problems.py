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
# # 11 · Debugging extension state problems
#
# A customer says *"100-DEVEL is INUSE but nobody is on the phone"* (or the reverse: NOT INUSE
# while on a call, so it gets several calls at once). On every node two daemons compute the
# state: the **event reader** receives Asterisk's events and passes them (port 19771) to the
# **state daemon**, which writes table `st_states` **and** sets the custom device state
# `Custom:100-DEVEL`; Asterisk's **queues** follow the custom device state for member status, and
# the BLF **hints** watch it too. This notebook collects the three copies of the state for some
# extensions or a whole tenant, parses them (plain CLI text or AMI output alike), and shows in one
# table whether they agree and, when they do not, which link of the chain broke and the safe next
# step. Plan mode (the default) only reads; the defaults point at the recorded demo node srv01.

# %% tags=["parameters"]
targets: str = "replay:srv01"  # comma-separated: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; run_id names the apply)
confirm: bool = False  # must be True for apply (and rollback), after reading the plan
tenant: str = "DEVEL"  # tenant code: all its extensions are checked
extensions: str = ""  # extension names, comma-separated (100-DEVEL,101-DEVEL); empty: the tenant
reported_at: str = "2026-11-02 08:41:37"  # server time of the report, to the second; empty: not given
database: str = "asterisk"  # MiRTA database name on the nodes
mysql_client: str = "mysql --batch"  # mysql client on the nodes (credentials from its option files)
restart_command: str = ""  # command restarting the two daemons; empty: a manual step
run_id: str = ""  # mode rollback: the run id of the apply to undo (`mirta journal` lists them); empty: the apply of this session
serial: int = 0  # apply: nodes changed at a time, each verified before the next (0: MIRTA_SERIAL, default 1)
ssh_key_path: str = ""  # private key file for ssh:// targets; empty: SSH agent or default keys
known_hosts: str = ""  # known_hosts file for ssh:// targets; empty: ~/.ssh/known_hosts

# %% [markdown]
# ## The runbook
# The page's steps inside the frame every page shares. The collection is read-only and runs in
# plan mode; restarting the daemons is the only change (a command only when `restart_command` is
# given, since the page does not name the processes).

# %%
import textwrap
import pandas as pd

from mirtalib.runbook.page import open_page
from mirtalib.runbooks.p11_extension_state import RUNBOOK, next_steps, three_way

pd.set_option("display.width", 200)
pd.set_option("display.max_colwidth", 200)
page = open_page(RUNBOOK, globals())

# %% [markdown]
# ## Plan
# Runs the read-only checks on each node: the `st_states` rows (through the node's `mysql`
# client), `devstate list`, and the three-way comparison. Nothing is changed.

# %%
page.plan()

# %% [markdown]
# ## The three copies, side by side
# Per extension: the database state, the custom device state, the state of its queue memberships,
# the hint (BLF) state, the live channels Asterisk has for it, whether they agree and which stage
# of the chain *event reader -> state daemon -> DB / custom device state -> queue* a disagreement
# points at. All states are in Asterisk's device-state names (`NOT_INUSE` is MiRTA's NOT INUSE).

# %%
tables = {}
for target in rb.targets:
    table, errors = three_way(target, rb.values)
    tables[target.name] = table
    print(f"== {target.name} ==")
    print(table.drop(columns=["next_step"]).to_string(index=False))
    print("not collected: " + (", ".join(f"{k} ({v})" for k, v in errors.items()) or "nothing"))

# %% [markdown]
# ## What to do next, per stage
# The page's advice: with *Log Extension Events* and *Device state logging* on, restart the two
# daemons and watch the log; note the server time of the problem to the second and the calls
# just before it, then read them in the event-log notebook (`analytics/extension-events`).

# %%
for node, table in tables.items():
    for stage, names, step in next_steps(table).itertuples(index=False):
        print(f"[{node}] {stage}: {names}")
        print(textwrap.fill(step, 96, initial_indent="    ", subsequent_indent="    "))

# %% [markdown]
# ## Interactive form
# In JupyterLab: change a value, press **Plan**, read it, tick *I reviewed the plan*, then
# **Apply** (restarts the daemons when a command is given); **Verify** runs the comparison again.
# Headless runs skip this widget.

# %% [markdown]
# ## The chosen mode
# `plan` stops at the plan above; `apply` needs `confirm=True`; `verify` compares the copies again
# and fails when they still disagree, so a scheduled headless run exits non-zero.

# %%
page.finish()
