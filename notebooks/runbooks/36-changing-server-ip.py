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
# # 36 · Changing server IP
#
# A MiRTA node's IP address is written in many places: the network configuration (a
# NetworkManager keyfile on CentOS Stream 9 and derivatives, `ifcfg-*` on older CentOS),
# `/etc/hosts`, the peer of the other node in `sip.conf`, the allowed hosts of `manager.conf`,
# the `devstate` AGI script, and, when the database runs elsewhere, `odbc.ini`, the two `db.php`
# files and `voipmonitor.conf`. This runbook shows every occurrence of the old IP per file and
# line on every node, replaces whole tokens only (each file backed up), lists the Admin/PBX Nodes
# row to change, and verifies after the restart.
#
# A node whose files changed reloads what reads them: Asterisk (`core reload`, for its `.conf`
# files and for `odbc.ini`, which res_odbc and the ODBC CDR/realtime modules use) and voipmonitor
# (restart); a node without an edit reloads nothing. If the server name changes too,
# `/etc/asterisk/extconfig.conf` (its `sipregs_<name>` table) and Admin/PBX Nodes change with it:
# that is page 35.
#
# It runs in **plan** mode by default. Behind NAT, when only the public address changes, set
# `nat_external_only=True` with the old/new public IPs: the runbook then changes only `externip`
# in `sip.conf` and reloads Asterisk, without a restart.

# %% tags=["parameters"]
targets: str = "replay:srv01,replay:srv02"  # comma-separated: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; run_id names the apply)
confirm: bool = False  # must be True for apply (and rollback), after reading the plan
old_ip: str = "10.20.0.11"  # the node's current IP
new_ip: str = "10.20.0.21"  # the node's new IP
files: str = "/etc/NetworkManager/system-connections/eth0.nmconnection,/etc/hosts,/etc/asterisk/sip.conf,/etc/asterisk/manager.conf,/var/lib/asterisk/agi-bin/devstate.php,/etc/odbc.ini,/var/www/html/pbx/include/db.php,/var/lib/asterisk/agi-bin/include/db.php,/etc/voipmonitor.conf"  # files to edit (old CentOS: /etc/sysconfig/network-scripts/ifcfg-eth0)
search_dirs: str = "/etc,/var/lib/asterisk/agi-bin,/var/www/html/pbx/include"  # folders searched for other files holding the old IP
nat_external_only: bool = False  # behind NAT, only the public IP changes: old_ip/new_ip are public, only externip changes
run_id: str = ""  # mode rollback: the run id of the apply to undo (`mirta journal` lists them); empty: the apply of this session
serial: int = 0  # apply: nodes changed at a time, each verified before the next (0: MIRTA_SERIAL, default 1)
ssh_key_path: str = ""  # private key file for ssh:// targets; empty: SSH agent or default keys
known_hosts: str = ""  # known_hosts file for ssh:// targets; empty: ~/.ssh/known_hosts

# %% [markdown]
# ## The runbook
# Every node in `targets` is scanned: in the demo the database runs on `srv01`, so `srv02`
# reaches it through `odbc.ini`, `db.php` and `voipmonitor.conf`, and its `sip.conf` peer points
# at `srv01`. The network file is declared service-affecting: keep a console open, a wrong
# address locks SSH out at the restart.

# %%
from mirtalib.runbook.page import open_page
from mirtalib.runbooks import hostmove
from mirtalib.runbooks.p36_changing_server_ip import RUNBOOK

page = open_page(RUNBOOK, globals())

# %% [markdown]
# ## Where the old IP appears
# Whole tokens only: `10.20.0.11` is found in `10.20.0.11/24` and `host=10.20.0.11`, never in
# the wallboard's `10.20.0.110` nor in `110.20.0.11`.

# %%
print(hostmove.occurrence_report(rb, rb.values["old_ip"], "ip", rb.values["files"]))

# %% [markdown]
# ## Plan
# Which node holds the old IP (`ip -o addr show`), the occurrences, other files under
# `search_dirs` holding it (the firewall rules in `/etc/sysconfig/iptables` here: not edited,
# review them), the Admin/PBX Nodes row, the diffs. Nothing is changed. The prefix and gateway
# are not touched: change them by hand if the subnet changes too.

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
# In the rehearsal, verify fails on the node's address (the restart that moves it is not part of
# a replay) and on Admin/PBX Nodes (changed in the web interface): run verify after both.

# %%
page.finish()
