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
# # 31 · Configuring BLF on Cisco SPA
#
# A Cisco SPA (here an SPA504G with its attendant console) shows the state of other extensions on
# its keys and picks up their calls. The settings live in the phone's web page (admin, *advanced*
# view, tab *Attendant Console*): *Server Type* `Asterisk`, one string per key such as
# `fnc=blf+sd+cp;sub=104-DEVEL@$PROXY` (BLF + speed dial + call pickup, watching the extension's
# SIP username), and the *Attendant Console Call Pickup Code*: MiRTA's Direct Pickup Code followed
# by `#` (`*56#` when the code is `*56[EXT]`).
#
# This notebook writes the key strings from the tenant's numbers in the MiRTA database and checks
# `core show hints` on each node before and after. Plan mode (the default) only reads; the
# defaults point at the two recorded demo nodes.

# %% tags=["parameters"]
targets: str = "replay:srv01,replay:srv02"  # comma-separated: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; run_id names the apply)
confirm: bool = False  # must be True for apply (and rollback), after reading the plan
tenant: str = "DEVEL"  # tenant code of the phone
monitors: str = "104,103,801"  # numbers the keys watch: extensions, queues, parking lots; vm:N
pickup_code: str = "*56"  # MiRTA Direct Pickup Code feature code (the page: *56[EXT])
voicemail_prefix: str = "*97"  # voicemail feature-code prefix, for vm:N keys
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
from mirtalib.runbooks.p31_configuring_blf_on_cisco_spa import RUNBOOK

pd.set_option("display.width", 200)
pd.set_option("display.max_colwidth", 120)
page = open_page(RUNBOOK, globals())

# %% [markdown]
# ## Plan
# The read-only checks on each node and the checklist. Nothing is changed.

# %%
page.plan()

# %% [markdown]
# ## The attendant-console keys
# One row per key: what it watches and the string for *Unit 1 Key N*. `$PROXY` is the phone's
# own macro for its registrar: type it as is. Pickup of a ringing watched extension uses the
# *Attendant Console Call Pickup Code* below.

# %%
from mirtalib.phones.blfsteps import keys_text

print(keys_text(tenant, monitors, voicemail_prefix, "cisco-spa", ["key", "kind", "number", "monitor"]))
print(f"Attendant Console Call Pickup Code: {pickup_code}#")

# %% [markdown]
# ## The hints on each node
# Every hint of `core show hints`, classified: `no-dash` (a phone watched a name without the dash:
# fix the phone, then restart Asterisk in a maintenance window; page 39's case, never listed by the
# recorded Asterisk 22 demo nodes, which count such a phone as a watcher of the dashed hint),
# `unknown` (the tenant's code but no such number: on srv02, `150-DEVEL`, made by the pattern hint
# `_X.` for a phone watching it), `ok`, other tenants' names and pattern hints. Problems first.

# %%
from mirtalib.phones.blfsteps import hints_text

for target in rb.targets:
    print(f"== {target.name} ==")
    print(hints_text(target, tenant, voicemail_prefix))

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
