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
# # 28 · Upgrading CUPS to include IPP support
#
# MiRTA can print a received fax directly on a printer over IPP. The PBX needs CUPS's `ipptool`
# command and a network path to the printer's IPP port (631, often through a port forward on the
# customer's router). This runbook reads `/etc/os-release`, checks whether `ipptool` is there,
# installs the package that carries it only when it is missing (`cups-ipptool` on EL7/8/9,
# `cups-ipp-utils` on Debian) and asks the printer for its attributes from the PBX.
#
# It runs in **plan** mode by default: nothing is changed. The defaults point at the recorded demo
# node srv01 (CentOS 7, no ipptool yet) and a demo printer at a documentation address.

# %% tags=["parameters"]
targets: str = "replay:srv01"  # comma-separated: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; run_id names the apply)
confirm: bool = False  # must be True for apply (and rollback), after reading the plan
platform: str = "centos7"  # OS of the nodes: centos7, el8, el9 or debian (checked on each node)
printer_uri: str = "ipp://192.0.2.50:631/ipp/print"  # printer to test from the PBX; empty: no test
ipp_timeout: int = 10  # seconds ipptool waits for the printer; 1-120
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
from mirtalib.runbooks.p28_upgrading_cups_to_include_ipp_support import RUNBOOK

page = open_page(RUNBOOK, globals())

# %% [markdown]
# ## Packages per operating system
# `ipptool` is all the PBX needs to send a job over IPP; the CUPS scheduler itself is not. CentOS
# 6 (the page's case) ships CUPS 1.4 without `ipptool` and has no `/etc/os-release`, so the OS
# check fails there: install the CUPS packages MiRTA publishes for it by hand, or better, move the
# node to a supported OS.

# %%
from mirtalib.runbooks.p28_upgrading_cups_to_include_ipp_support import PACKAGES, install_command

for name in PACKAGES:
    print(f"{name:8} {install_command(name)}")

# %% [markdown]
# The printer check runs `ipptool -tv <uri> get-printer-attributes.test` on the node: a read-only
# IPP request that proves the port forward and the printer's IPP support at once. Allow only the
# PBX's address in the forward: an open IPP port on the Internet lets anyone print.

# %% [markdown]
# ## Plan
# Current state on the node, the diff of every file and the commands apply would run, each with
# its guard and declared risk. Nothing is changed.

# %%
page.plan()

# %% [markdown]
# ## Interactive form
# In JupyterLab: change a value, press **Plan**, read the diff, tick *I reviewed the plan*, then
# **Apply**; **Verify** runs the checks and **Rollback** restores what apply changed. The form
# shows in the last cell, in JupyterLab only; headless runs skip it.

# %% [markdown]
# ## Rehearsal on the recorded node
# On `replay:` targets the notebook rehearses apply on an in-memory copy of the node: apply,
# apply again (nothing left to change), verify, and rollback. On real targets this cell does
# nothing.

# %% [markdown]
# ## The chosen mode
# `plan` stops at the plan above; `apply` changes the nodes (refused unless `confirm=True`);
# `verify` runs the checks and lists what to look at by hand. A failed check in verify mode (or a
# failed step in apply mode) raises here, so a scheduled headless run exits non-zero.

# %%
page.finish()
