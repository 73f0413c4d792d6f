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
# # 16 · TCP port exhaustion
#
# Wallboards that poll the Asterisk Manager Interface (AMI, TCP 5038) with a new connection on
# every refresh leave thousands of sockets in `TIME_WAIT`, until the side that opens the
# connections runs out of ephemeral ports. This runbook counts those sockets, shows the kernel's
# TCP timers, sets `net.ipv4.tcp_fin_timeout` and `net.ipv4.tcp_tw_reuse` in the sysctl file and
# loads it, then verifies the result on every node.
#
# It runs in **plan** mode by default: nothing is changed. Set `mode = "apply"` and
# `confirm = True` to make the change (every file is backed up first), `mode = "verify"` to run
# the checks only. The defaults point at the two recorded nodes of the demo PBX.

# %% tags=["parameters"]
targets: str = "replay:srv01,replay:srv02"  # comma-separated: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; run_id names the apply)
confirm: bool = False  # must be True for apply (and rollback), after reading the plan
fin_timeout: int = 30  # net.ipv4.tcp_fin_timeout in seconds, 1-120 (page: 1, kernel default: 60)
tw_reuse: int = 1  # net.ipv4.tcp_tw_reuse: 0 off, 1 on, 2 loopback only
ami_port: int = 5038  # AMI TCP port whose TIME_WAIT sockets are counted
sysctl_file: str = "/etc/sysctl.conf"  # file that carries the settings (or /etc/sysctl.d/NN-name.conf)
socket_tool: str = "ss"  # socket lister on the nodes: ss (iproute2) or netstat (net-tools)
time_wait_warn: int = 1000  # warn above this many TIME_WAIT sockets on the AMI port; 1-1000000
time_wait_fail: int = 10000  # verify fails above this many; 1-1000000
run_id: str = ""  # mode rollback: the run id of the apply to undo (`mirta journal` lists them); empty: the apply of this session
serial: int = 0  # apply: nodes changed at a time, each verified before the next (0: MIRTA_SERIAL, default 1)
ssh_key_path: str = ""  # private key file for ssh:// targets; empty: SSH agent or default keys
known_hosts: str = ""  # known_hosts file for ssh:// targets; empty: ~/.ssh/known_hosts

# %% [markdown]
# ## The runbook
# The page's own steps sit inside the frame every page shares (*before starting*,
# *implementation*, *current verification*). Read-only steps also run in plan mode; the changing
# ones only in apply mode.

# %%
from mirtalib.runbook.page import open_page
from mirtalib.runbooks.p16_tcp_port_exhaustion import RUNBOOK

page = open_page(RUNBOOK, globals())

# %% [markdown]
# ## Choosing the values
# The page writes `tcp_fin_timeout=1`. That timer bounds how long an orphaned connection may wait
# in FIN-WAIT-2; it does **not** shorten `TIME_WAIT`, which Linux holds for a fixed 60 seconds.
# One second cuts off peers that are merely slow to close, so this runbook defaults to 30 s and
# accepts 1-120. `tcp_tw_reuse=1` is what lets *new outgoing* connections reuse a port still in
# `TIME_WAIT` (safe with TCP timestamps, the default); recent kernels default to `2`, loopback
# only. The lasting fix is a wallboard that keeps one AMI session open instead of one per refresh.

# %% [markdown]
# ## Plan
# Current `TIME_WAIT` count on the AMI port (parsed from `ss -tan`, so ports 50380-50389 are not
# mistaken for 5038 as `grep -c :5038` would), current kernel values, the diff of the sysctl file
# on each node and the commands apply would run. Nothing is changed.

# %%
page.plan()

# %% [markdown]
# ## Interactive form
# In JupyterLab: change a value, press **Plan**, read the diff, tick *I reviewed the plan*, then
# **Apply**; **Verify** runs the checks and **Rollback** restores what apply changed. The form
# shows in the last cell, in JupyterLab only; headless runs skip it.

# %% [markdown]
# ## Rehearsal on the recorded nodes
# On `replay:` targets the notebook rehearses apply on an in-memory copy of each node: apply
# (backup, write, `sysctl -p`), apply again (nothing left to change), verify, and rollback. On
# real targets this cell does nothing.

# %% [markdown]
# ## The chosen mode
# `plan` stops at the plan above; `apply` changes the nodes (refused unless `confirm=True`);
# `verify` runs the checks and lists what to look at by hand.

# %% [markdown]
# A failed check in verify mode (or a failed step in apply mode) raises here, so a scheduled
# headless run exits non-zero; a plan that found disagreements ends with a WARNING
# SUMMARY instead (a plan changes nothing).

# %%
page.finish()
