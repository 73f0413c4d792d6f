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
# # 45 · Configuring Zoiper to use chat
#
# Zoiper is a common SIP client (Windows, macOS, Linux, mobile) with a chat that uses SIP SIMPLE:
# `MESSAGE` requests for the text and `SUBSCRIBE`/`NOTIFY` for presence, both supported by Asterisk
# and MiRTA PBX, so it exchanges messages with most desktop and soft phones much like SMS. Beware:
# the latest Zoiper releases send SIP message formats that break the compatibility with Asterisk,
# so roll out a version you tested.
#
# Steps: an ordinary Zoiper account (all other options default), the people to chat with added as
# contacts with presence, and the extension configured for presence. This notebook checks the
# Asterisk side: the extension accepts subscriptions and the contacts have hints.

# %% tags=["parameters"]
targets: str = "replay:srv01"  # comma-separated: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; run_id names the apply)
confirm: bool = False  # must be True for apply (and rollback), after reading the plan
extension: str = "103-DEVEL"  # extension (username) Zoiper registers as
peers: str = "100-DEVEL,104-DEVEL"  # extensions to chat with (Zoiper contacts), comma-separated
tech: str = "auto"  # channel driver: auto (from the MiRTA database), sip or pjsip
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
from mirtalib.runbooks.p45_configuring_zoiper_to_use_chat import RUNBOOK

pd.set_option("display.width", 200)
pd.set_option("display.max_colwidth", 120)
page = open_page(RUNBOOK, globals())

# %% [markdown]
# ## Plan
# The read-only checks on each node and the checklist. Nothing is changed.

# %%
page.plan()

# %% [markdown]
# ## The extension's presence settings
# Read from `pjsip show endpoint X` / `sip show peer X`: `subscriptions` must be true for presence;
# `context` is where the extension's calls (and, without a message context, its messages) go.

# %%
from mirtalib.phones.endpoint import settings_on_nodes

for node, found in settings_on_nodes(rb.targets, extension, tech, extra=("message_context",)).items():
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
