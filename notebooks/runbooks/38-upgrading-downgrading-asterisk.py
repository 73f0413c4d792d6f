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
# # 38 · Upgrading/Downgrading Asterisk
#
# Change the Asterisk version only when you need to: each version relies on its own library
# versions. MiRTA ships `protected/installAsterisk.sh`, which builds and installs a version given
# as `20-current` (the latest 20.x) or exactly (`20.12.0`). This runbook reads the version running
# now, says what the change means (upgrade, downgrade, nothing to do), refuses to build while
# calls are up, saves the list of running modules, runs the installer, and verifies the version
# and that every module that ran before runs again.
#
# Plan mode by default: nothing is changed.

# %% tags=["parameters"]
targets: str = "replay:srv01"  # comma-separated: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; run_id names the apply)
confirm: bool = False  # must be True for apply (and rollback), after reading the plan
target_version: str = "20-current"  # NN-current (latest of a major) or an exact version like 20.12.0
install_script: str = "/var/www/html/pbx/protected/installAsterisk.sh"  # MiRTA's installer (assumed location)
build_dir: str = "/usr/local/src"  # where the installer is copied and run
watch_modules: str = "chan_sip,chan_pjsip,res_pjsip,app_queue,app_mixmonitor,res_odbc"  # must run afterwards
allow_active_calls: bool = False  # build even when calls are up (they are dropped)
run_id: str = ""  # mode rollback: the run id of the apply to undo (`mirta journal` lists them); empty: the apply of this session
serial: int = 0  # apply: nodes changed at a time, each verified before the next (0: MIRTA_SERIAL, default 1)
ssh_key_path: str = ""  # private key file for ssh:// targets; empty: SSH agent or default keys
known_hosts: str = ""  # known_hosts file for ssh:// targets; empty: ~/.ssh/known_hosts

# %% [markdown]
# ## The runbook

# %%
from mirtalib.runbook.page import open_page
from mirtalib.runbooks.p38_upgrading_downgrading_asterisk import RUNBOOK

page = open_page(RUNBOOK, globals())

# %% [markdown]
# ## Choosing the target version
# * `20-current` counts as reached when the node already runs a 20.x: give an exact version to
#   move within a major (a second apply then has nothing to do).
# * Asterisk 21 and later no longer have chan_sip, which MiRTA uses for calls between nodes: the
#   plan warns about such a target.
# * A downgrade is warned too: newer modules and libraries may stay behind. The plan prints the
#   version to give to go back later: a distribution build such as Debian's
#   `22.10.1+dfsg+~cs6.17.60671434-1` is compared by its Asterisk release, `22.10.1`.
#
# The demo node srv01 answers as the recorded Asterisk 22.10.1 node (a Debian build, no chan_sip):
# the page's documented target, `20-current`, is a downgrade there, and the plan says so.

# %% [markdown]
# ## Plan
# Current and target version, calls in progress (a call up fails the plan: the build restarts
# Asterisk), the modules running now, and the commands apply would run.

# %%
page.plan()

# %% [markdown]
# ## Interactive form
# In JupyterLab: **Plan**, tick *I reviewed the plan*, **Apply**, **Verify**. Headless runs
# skip this widget.

# %% [markdown]
# ## Rehearsal on the recorded node
# Apply saves the module list, copies the installer and builds; apply again has nothing to do
# (the version is reached); verify compares the version and the modules with the saved list. A
# build cannot be rolled back by restoring files: rerun with the previous version instead.
#
# On the demo node only the answers before the install are recorded (Asterisk 22.10.1); those
# after it are hand-written, since the test PBX cannot run Asterisk 20: `asterisk -V` says
# 20.15.2 and `module show` is the recorded 22.10.1 list unchanged. That list has no chan_sip and
# no res_odbc, so verify reports both modules of the watch list as not running, while every
# module of before runs again.

# %% [markdown]
# ## The chosen mode

# %% [markdown]
# A failed check (wrong version, a module that no longer runs, calls up before the build)
# raises here.

# %%
page.finish()
