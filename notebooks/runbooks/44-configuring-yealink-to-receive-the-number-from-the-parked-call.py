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
# # 44 · Configuring Yealink to receive the number from the parked call
#
# Asterisk can give a phone the other party's number in the `From` header, in
# `P-Asserted-Identity` (PAI) or in `Remote-Party-ID` (RPID); RPID integrates best. When a call is
# picked up from a parking lot, the phone learns the parked caller's number only if the extension
# has MiRTA's **Trust RPID** on and the phone reads RPID: on a Yealink, *Account > Advanced >
# Caller ID Source* = `RPID-PAI-FROM`.
#
# This notebook reads the extension's settings as Asterisk runs them (`sip show peer X` or `pjsip
# show endpoint X`, the driver taken from the MiRTA database) and checks that RPID is trusted and
# sent; the phone side is a checklist item. The demo extension 104-DEVEL is a chan_sip peer in
# the MiRTA database, but the demo node runs Asterisk 22 (recorded from a real one), which has no
# chan_sip: the page says so instead of reading its settings, as it would on any Asterisk 21+ node
# still holding SIP extensions. Run it with `extension = "100-DEVEL"` to see a PJSIP endpoint.

# %% tags=["parameters"]
targets: str = "replay:srv01"  # comma-separated: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; run_id names the apply)
confirm: bool = False  # must be True for apply (and rollback), after reading the plan
extension: str = "104-DEVEL"  # extension (username) of the Yealink phone
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
from mirtalib.runbooks.p44_configuring_yealink_to_receive_the_number_from_the_parked_call import RUNBOOK

pd.set_option("display.width", 200)
pd.set_option("display.max_colwidth", 120)
page = open_page(RUNBOOK, globals())

# %% [markdown]
# ## Plan
# The read-only checks on each node and the checklist. Nothing is changed.

# %%
page.plan()

# %% [markdown]
# ## The extension's settings on each node
# The values that matter here, in one vocabulary for both drivers (chan_sip *Trust RPID* / *Send
# RPID*; PJSIP `trust_id_inbound` / `send_rpid` or `send_pai`), and what differs from the wanted
# values.

# %%
from mirtalib.phones.endpoint import settings_on_nodes
from mirtalib.runbooks.p44_configuring_yealink_to_receive_the_number_from_the_parked_call import (
    WANTED,
)

for node, found in settings_on_nodes(rb.targets, extension, tech, wanted=WANTED).items():
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
