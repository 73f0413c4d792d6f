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
# # 35 · Changing server name
#
# A MiRTA node's name is not only its host name: it is in `/etc/hosts`, in the label and the
# inter-node peer of `sip.conf`, in the realtime table `sipregs_<name>` of `extconfig.conf`, and
# in the node table (Admin/PBX Nodes). This runbook shows every occurrence of the old name per
# file and line on every node, replaces only whole tokens (backing up each file), sets the host
# name on the renamed node only, reloads Asterisk where its files changed, and verifies.
#
# It runs in **plan** mode by default: nothing is changed. Set `mode = "apply"` and
# `confirm = True` to make the change, `mode = "verify"` to run the checks only (after the
# reload and the web-interface change). The defaults rename demo node `srv01` to `pbx01`.

# %% tags=["parameters"]
targets: str = "replay:srv01,replay:srv02"  # comma-separated: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; run_id names the apply)
confirm: bool = False  # must be True for apply (and rollback), after reading the plan
old_name: str = "srv01"  # the node's current name
new_name: str = "pbx01"  # the node's new name (also names the realtime table sipregs_<new_name>)
files: str = "/etc/hostname,/etc/hosts,/etc/asterisk/sip.conf,/etc/asterisk/extconfig.conf"  # files to edit; CentOS 6: /etc/sysconfig/network instead of /etc/hostname
search_dirs: str = "/etc,/var/lib/asterisk/agi-bin,/var/www/html/pbx/include"  # folders searched for other files holding the old name
hostname_tool: str = "hostnamectl"  # hostnamectl (CentOS 7+) or hostname (CentOS 6)
run_id: str = ""  # mode rollback: the run id of the apply to undo (`mirta journal` lists them); empty: the apply of this session
serial: int = 0  # apply: nodes changed at a time, each verified before the next (0: MIRTA_SERIAL, default 1)
ssh_key_path: str = ""  # private key file for ssh:// targets; empty: SSH agent or default keys
known_hosts: str = ""  # known_hosts file for ssh:// targets; empty: ~/.ssh/known_hosts

# %% [markdown]
# ## The runbook
# The page's own steps sit inside the frame every page shares (*before starting*,
# *implementation*, *current verification*). Read-only steps also run in plan mode. Every node
# in `targets` is scanned: the other nodes of a cluster name this one too (`/etc/hosts`, their
# `sip.conf` peer) and get the same edit; `hostnamectl` only runs where the host name is the old
# name.

# %%
from mirtalib.runbook.page import open_page
from mirtalib.runbooks import hostmove
from mirtalib.runbooks.p35_changing_server_name import RUNBOOK

page = open_page(RUNBOOK, globals())

# %% [markdown]
# ## Where the old name appears
# Whole tokens only: `srv01` is found in `srv01.pbx.example.net` and in `sipregs_srv01` (the
# realtime table), never in `srv01-backup` or `srv010`. A hit inside a file path (a certificate
# `/etc/asterisk/keys/srv01.pem`) is flagged: the file itself would have to be renamed too.

# %%
print(hostmove.occurrence_report(rb, rb.values["old_name"], "name", rb.values["files"]))

# %% [markdown]
# ## Plan
# The current host name, the occurrences, other files under `search_dirs` holding the name (not
# edited: add them to `files` or change them by hand), the Admin/PBX Nodes row read from the
# MiRTA database, the diff of every file and the commands apply would run. Nothing is changed.
# Before the reload, the realtime table `sipregs_<new name>` must exist in the database.

# %%
page.plan()

# %% [markdown]
# ## Interactive form
# In JupyterLab: change a value, press **Plan**, read the diff, tick *I reviewed the plan*, then
# **Apply**; **Verify** runs the checks and **Rollback** restores what apply changed. The form
# shows in the last cell, in JupyterLab only; headless runs skip it.

# %% [markdown]
# ## Rehearsal on the recorded nodes
# On `replay:` targets the notebook rehearses apply on an in-memory copy of each node: apply,
# apply again (nothing left to change), verify, and rollback. On real targets this cell does
# nothing.

# %% [markdown]
# ## The chosen mode
# `plan` stops at the plan above; `apply` changes the nodes (refused unless `confirm=True`);
# `verify` runs the checks and lists what to look at by hand.

# %% [markdown]
# A failed check in verify mode (or a failed step in apply mode) raises here, so a scheduled
# headless run exits non-zero; a plan that found disagreements ends with a WARNING
# SUMMARY instead (a plan changes nothing).
# In the rehearsal, verify fails on *Admin/PBX Nodes carries the new name*: the node table is
# changed in the web interface, which a replay cannot do. That failure is the reminder.

# %%
page.finish()
