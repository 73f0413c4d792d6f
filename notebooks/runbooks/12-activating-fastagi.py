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
# # 12 · Activating FastAGI
#
# On a busy node every `AGI()` call starts a new process. FreePBX's node.js `fastagi-server.js`,
# kept running by pm2, answers `agi://127.0.0.1/` requests from one process instead. This runbook
# checks node, npm and pm2, sets up pm2 (boot unit, log rotation), starts the server (never with
# `--watch`), writes the `FASTAGI` global into `extensions.d/fastagi.ael` (survives MiRTA
# upgrades, unlike an edit of `extensions.ael`) and fixes the page's `split(":")` bug.
#
# It runs in **plan** mode by default: nothing is changed. The defaults point at the recorded demo
# node srv01.

# %% tags=["parameters"]
targets: str = "replay:srv01"  # comma-separated: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; run_id names the apply)
confirm: bool = False  # must be True for apply (and rollback), after reading the plan
agi_dir: str = "/var/lib/asterisk/agi-bin/node"  # where the FreePBX node folder was copied
fastagi_url: str = "agi://127.0.0.1/"  # FASTAGI global, agi://host[:port]/ with the trailing /
ael_file: str = "/etc/asterisk/extensions.d/fastagi.ael"  # AEL file carrying the global
pm2_name: str = "fastagi-server"  # pm2 process name
patch_split_bug: bool = True  # fix split(":") -> split(": ") in fastagi-server.js
node_min: str = "14.0.0"  # oldest acceptable node (CentOS 7 cannot run node 18+)
fastagi_port: int = 4573  # TCP port of the FastAGI server
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
from mirtalib.runbooks.p12_activating_fastagi import RUNBOOK

page = open_page(RUNBOOK, globals())

# %% [markdown]
# ## The `split(":")` bug
# The server reads each AGI header line (`agi_callerid: 100`) and splits it at `":"`, so a value
# that holds a time (`rec-20261102-09:30:05.wav`) is cut at its first colon and recordings are
# uploaded with a broken date. Splitting at `": "` (colon and space) keeps the value whole. Below:
# the lines found in the node's real file, and the patch apply writes, as a unified diff.

# %%
from mirtalib.runbooks.p12_activating_fastagi import find_split_bug, patch_diff

source = rb.targets[0].read_text(f"{agi_dir}/fastagi-server.js") or ""
for bug in find_split_bug(source):
    print(f"line {bug.line}: {bug.text.strip()}")
print(patch_diff(source) or "already patched")

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
