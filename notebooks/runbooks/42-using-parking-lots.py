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
# # 42 · Using parking lots
#
# A parking lot is a range of numbers (700-720 by default) where calls wait on hold until any
# phone picks them up by dialing the position. A call is parked by transferring it to a position,
# with the *Park the call* feature code (the position is announced, except on a blind transfer),
# or with *Park the call to [NUM]*; *Say the parked call extensions* lists them. A BLF key watches
# a position as `801-DEVEL`. When the parking time runs out, the call rings back on the phone that
# parked it, with the parked caller's ID.
#
# The range is fixed when the tenant is created: changing it needs a restart of the parking module
# (the *parking* icon in Admin/PBX Nodes), which drops the calls parked on that node. This
# notebook shows the tenant's range and BLF strings from the MiRTA database and the calls parked
# now on each node: `parkedcalls show` (the page's command, Asterisk up to 11) or, on Asterisk 12
# and later, `parking show <lot>` for each lot of the tenant.

# %% tags=["parameters"]
targets: str = "replay:srv01,replay:srv02"  # comma-separated: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; run_id names the apply)
confirm: bool = False  # must be True for apply (and rollback), after reading the plan
tenant: str = "DEVEL"  # tenant code whose parking lots are shown
brand: str = "yealink"  # BLF strings for: yealink, cisco-spa, grandstream or snom
parking_cli: str = "auto"  # auto: parkedcalls show, else parking show <lot>; parkedcalls (up to 11); parking (12+)
return_warn_s: int = 15  # warn when a parked call returns within this many seconds (parkedcalls show only); 0-3600
run_id: str = ""  # mode rollback: the run id of the apply to undo (`mirta journal` lists them); empty: the apply of this session
serial: int = 0  # apply: nodes changed at a time, each verified before the next (0: MIRTA_SERIAL, default 1)
ssh_key_path: str = ""  # private key file for ssh:// targets; empty: SSH agent or default keys
known_hosts: str = ""  # known_hosts file for ssh:// targets; empty: ~/.ssh/known_hosts

# %% [markdown]
# ## The runbook
# The page's own steps inside the frame every page shares (*before starting*, *implementation*,
# *current verification*). The checks only read; the changes themselves are made on the phones
# and in the MiRTA web pages, so they are checklist items.

# %%
import pandas as pd

from mirtalib.runbook.page import open_page
from mirtalib.runbooks.p42_using_parking_lots import RUNBOOK

pd.set_option("display.width", 200)
pd.set_option("display.max_colwidth", 120)
page = open_page(RUNBOOK, globals())

# %% [markdown]
# ## Plan
# The read-only checks on each node and the checklist. Nothing is changed.

# %%
page.plan()

# %% [markdown]
# ## The tenant's parking range and its BLF keys
# From the MiRTA database (`pk_parkinglots`): the lots of the tenant, then one BLF string per
# position (first and last five shown).

# %%
from mirtalib.runbooks.p42_using_parking_lots import lots_text

print(lots_text(tenant, brand))

# %% [markdown]
# ## Calls parked now, per node
# With `parking_cli = "auto"` each node is asked `parkedcalls show` (the page's command, Asterisk
# up to 11) and, when its Asterisk has no such command (12 and later, like the demo nodes,
# Asterisk 22.10.1), `parking show <lot>` for each lot of the tenant. Per lot: its extension,
# spaces, parking time and whether a call comes back to the phone that parked it; per parked call:
# position, BLF name, the parked channel and where it returns (`parking show`: the parker's dial
# string). `parkedcalls show` also prints the seconds left before a call returns (negative:
# overdue); `parking show` does not, and only the AMI `ParkedCalls` action has it per call, so on
# Asterisk 12+ the time left cannot be known from the CLI: the lot's parking time is shown
# instead. Do not restart the parking module while calls are parked.

# %%
from mirtalib.runbooks.p42_using_parking_lots import parked_text

for target in rb.targets:
    print(f"== {target.name} ==")
    print(parked_text(target, tenant, parking_cli))

# %% [markdown]
# ## Interactive form
# In JupyterLab: change a value, press **Plan**, work through the checklist, then **Verify**.
# Headless runs skip this widget.

# %% [markdown]
# ## The chosen mode
# `plan` stops at the plan above; `verify` runs the checks again once the phones and MiRTA
# settings are changed, and a failed check raises here, so a scheduled headless run exits
# non-zero.

# %%
page.finish()
