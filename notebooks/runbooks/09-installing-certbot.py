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
# # 09 · Installing Certbot
#
# Certbot obtains and renews Let's Encrypt certificates; MiRTA's Admin/Theme page uses it through
# its Apache integration. This runbook reads `/etc/os-release` on each node, installs Certbot with
# the plan for that operating system (every command guarded, so a second apply changes nothing),
# and verifies Certbot, its renewal timer and the certificate of every PBX web name (present,
# covering the name, days left).
#
# It runs in **plan** mode by default: nothing is changed. The defaults point at the recorded demo
# node srv01 (CentOS 7).

# %% tags=["parameters"]
targets: str = "replay:srv01"  # comma-separated: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; run_id names the apply)
confirm: bool = False  # must be True for apply (and rollback), after reading the plan
platform: str = "centos7"  # OS of the nodes: centos7, el8, el9 or debian (checked on each node)
pbx_names: str = "srv01.pbx.example.net"  # comma list of the PBX web names with a certificate
live_dir: str = "/etc/letsencrypt/live"  # Certbot's live folder (NAME/fullchain.pem)
expiry_warn_days: int = 30  # warn when a certificate expires within this many days; 0-89
expiry_fail_days: int = 7  # fail when it expires within this many days; 0-89
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
from mirtalib.runbooks.p09_installing_certbot import RUNBOOK

page = open_page(RUNBOOK, globals())

# %% [markdown]
# ## What each node runs
# The operating system read from each node's `/etc/os-release`, and the install plan it needs.
# A node whose plan differs from `platform` fails the first check of the plan below.

# %%
from mirtalib.runbooks.installs import os_probe, parse_os

for t in rb.targets:
    found = parse_os(os_probe(t))
    print(f"{t.name}: {found.pretty} -> platform {found.platform!r}")

# %% [markdown]
# ## The install plans
# CentOS 7 uses snapd as the page does, plus two things the page leaves out: `epel-release`
# (snapd comes from EPEL) and waiting for snapd's first seeding (otherwise `snap install` fails
# with "too early for operation"); like the page, it then runs `snap refresh core` (only when the
# installed core has an update pending). Rocky/Alma/RHEL 8 and 9 take Certbot and its Apache plugin
# from EPEL, Debian from its own archive. Each command runs only when its guard fails.

# %%
from mirtalib.runbooks.p09_installing_certbot import PLATFORMS, plan_text

for p in PLATFORMS:
    print(f"== {p}\n{plan_text(p)}\n")

# %% [markdown]
# ## Plan
# Current state on the node, the diff of every file and the commands apply would run, each
# with its guard. Nothing is changed.

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
