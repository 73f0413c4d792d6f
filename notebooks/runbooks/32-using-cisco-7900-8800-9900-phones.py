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
# # 32 · Using Cisco 7900/8800/9900 phones
#
# Stock Asterisk supports these Cisco phones only in part; the page points to the *usecallmanager*
# patches for chan_sip (http://usecallmanager.nz/sip-conf.html). Applying them means rebuilding
# Asterisk and restarting every node, one at a time in a maintenance window. The phone's
# extension must then be a chan_sip peer with `cisco_usecallmanager=yes`; these phones never
# SUBSCRIBE for BLF, so the names they watch are listed on the peer (`subscribe=...`).
#
# This notebook is the concise checklist plus a check of the peer on each node (`sip show peer X`):
# it exists, is registered, is a Cisco phone. Whether chan_sip carries the patches is not visible
# in that output, so it is reported as a warning to confirm by hand.

# %% tags=["parameters"]
targets: str = "replay:srv01"  # comma-separated: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; run_id names the apply)
confirm: bool = False  # must be True for apply (and rollback), after reading the plan
extension: str = "107-DEVEL"  # extension (username) of the Cisco phone
tech: str = "auto"  # channel driver: auto (from the MiRTA database) or sip; one of auto, sip, pjsip
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
from mirtalib.runbooks.p32_using_cisco_7900_8800_9900_phones import RUNBOOK

pd.set_option("display.width", 200)
pd.set_option("display.max_colwidth", 120)
page = open_page(RUNBOOK, globals())

# %% [markdown]
# ## Plan
# The read-only checks on each node and the checklist. Nothing is changed.

# %%
page.plan()

# %% [markdown]
# ## The peer as Asterisk runs it
# A few lines of `sip show peer` that matter for these phones.

# %%
from mirtalib.phones.endpoint import settings_on_nodes

wanted = ["Useragent", "Status", "Reg. Contact", "Context", "Subscriptions", "Codecs"]
for node, found in settings_on_nodes(rb.targets, extension, "sip", keys=wanted).items():
    print(f"== {node} ==")
    print(found if isinstance(found, str) else found.to_string())

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
