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
# # 39 · Configuring BLF on a phone
#
# A BLF (busy lamp field) key lights up with the state of what it watches. Each brand names it
# differently (Yealink: *DSS Keys*), but on MiRTA PBX the key always watches the SIP **username**:
# extension 100 of tenant DEVEL is `100-DEVEL`, not `100`. Queues (their callers) and parking
# lots are watched the same way (`500-DEVEL`, `801-DEVEL`); a voicemail box with the voicemail
# feature-code prefix, `*97104-DEVEL`, once `*97` is set as *Enable Voicemail MWI with prefix* in
# Configuration/Settings (a phone's own voicemail button then dials `*97104`).
#
# The trap of the page: a key watching `100DEVEL` (no dash) creates a hint that never changes, and
# Asterisk keeps watching it after the phone is corrected, until Asterisk restarts. This notebook
# writes the key strings per brand and finds such hints in `core show hints` on each node.
#
# The demo nodes answer as a real Asterisk 22.10.1 recorded with phones subscribed to the hints.
# There the trap does not show: a phone on srv02 subscribed to `100DEVEL`, and Asterisk, which
# ignores the dash when it matches extensions, counted it as one of the 3 watchers of
# `100-DEVEL`'s hint; no `100DEVEL` hint was made, so there is nothing to restart for, and
# `core show hints` cannot tell that key from the right ones (check the keys themselves). What
# srv02 does show is a hint for `150-DEVEL`, a number DEVEL does not have: MiRTA's pattern hint
# `_X.` made it for the phone that subscribed to it, so a key watches a wrong number.

# %% tags=["parameters"]
targets: str = "replay:srv01,replay:srv02"  # comma-separated: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; run_id names the apply)
confirm: bool = False  # must be True for apply (and rollback), after reading the plan
tenant: str = "DEVEL"  # tenant code whose phones get BLF keys
brand: str = "yealink"  # yealink, cisco-spa, grandstream or snom
monitors: str = "100,101,500,801,vm:104"  # numbers to watch (extensions, queues, parking); vm:N
voicemail_prefix: str = "*97"  # Configuration/Settings: Enable Voicemail MWI with prefix
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
from mirtalib.runbooks.p39_configuring_blf_on_a_phone import RUNBOOK

pd.set_option("display.width", 200)
pd.set_option("display.max_colwidth", 120)
page = open_page(RUNBOOK, globals())

# %% [markdown]
# ## Plan
# The read-only checks on each node and the checklist. Nothing is changed.

# %%
page.plan()

# %% [markdown]
# ## What the tenant's keys can watch
# Every monitor name of the tenant, from its extensions, queues and parking lots in the MiRTA
# database (voicemail names for the phone extensions). Counts per kind, then the chosen keys
# written for the brand.

# %%
from mirtalib.phones.blfsteps import keys_text

print(keys_text(tenant, monitors, voicemail_prefix, brand, ["key", "kind", "monitor"], counts=True))

# %% [markdown]
# ## The hints on each node
# `core show hints`, one row per watched name: `no-dash` (the page's case; none on the recorded
# Asterisk 22 nodes) needs the phone fixed *and* an Asterisk restart (it drops every call of the
# node: maintenance window, `core restart when convenient`); `unknown` is a name of the tenant
# that matches nothing (with a `pattern` hint listed, the pattern made it for a subscribing phone);
# a `Watchers 0` hint is not watched by any phone. Other tenants' hints are left out.

# %%
from mirtalib.phones.blfsteps import hints_text

for target in rb.targets:
    print(f"== {target.name} ==")
    print(hints_text(target, tenant, voicemail_prefix, why=True))

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
