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
# # 02 · Installing Amirouter
#
# Amirouter, the Java replacement of the multimanager, runs from `/usr/local/amirouter` and writes its
# output to `/tmp/amirouter.out`. This runbook checks the Java version (13 or later), reads both
# configuration files, measures the log and how the start script writes it, renders the daily
# truncate entry as a cron file of its own, and verifies it and the router's listener.
#
# It runs in **plan** mode by default: nothing is changed. Set `mode = "apply"` and
# `confirm = True` to make the change (every file is backed up first), `mode = "verify"` to run
# the checks only. Secrets are given by the NAME of an environment variable, never by value.

# %% tags=["parameters"]
targets: str = "replay:srv01"  # comma-separated: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; run_id names the apply)
confirm: bool = False  # must be True for apply (and rollback), after reading the plan
install_dir: str = "/usr/local/amirouter"  # Amirouter folder
java_min: int = 13  # lowest Java feature release accepted (page: 13); 8-99
start_script: str = "/usr/local/bin/runamirouter.sh"  # start script
log_file: str = "/tmp/amirouter.out"  # output log of the router
log_warn_mb: int = 200  # warn when the log is larger (MB); 1-100000
cron_file: str = "/etc/cron.d/amirouter-log"  # cron file of the daily truncate
cron_hour: int = 0  # hour of the daily truncate; 0-23
cron_minute: int = 0  # minute of the daily truncate; 0-59
amirouter_port: int = 8080  # TCP port Amirouter listens on
run_id: str = ""  # mode rollback: the run id of the apply to undo (`mirta journal` lists them); empty: the apply of this session
serial: int = 0  # apply: nodes changed at a time, each verified before the next (0: MIRTA_SERIAL, default 1)
ssh_key_path: str = ""  # private key file for ssh:// targets; empty: SSH agent or default keys
known_hosts: str = ""  # known_hosts file for ssh:// targets; empty: ~/.ssh/known_hosts

# %% [markdown]
# ## The runbook
# The page's own steps inside the frame every page shares (*before starting*,
# *implementation*, *current verification*). Read-only steps also run in plan mode.

# %%
from mirtalib.runbook.page import open_page
from mirtalib.runbooks.p02_installing_amirouter import RUNBOOK

page = open_page(RUNBOOK, globals())

# %% [markdown]
# ## What to watch
# * `truncate --size 0` empties the log safely only when the writer *appends* (`>>`). The demo node's
#   start script uses `>`: the JVM keeps its file offset, so after the truncate the file is sparse with
#   its old apparent size. Change the redirection at the next restart (the check says so).
# * The truncate entry goes to its own file in `/etc/cron.d` (same syntax as `/etc/crontab`, with the
#   user field) so it can be reviewed, diffed and rolled back alone; the verify step counts entries so
#   a second copy in `/etc/crontab` is noticed.
# * The page rebuilds with `killall -9 java`, which kills every Java process on the node without a
#   clean shutdown; restart only the router's process. Compiling with Maven is not part of an
#   installation and is left out.
# * `application.properties` may already hold database and keystore passwords (page 06): its check
#   reports the number of settings and unreadable lines, never the values.

# %% [markdown]
# ## Plan
# Java version, the two configuration files, the log size and redirection, and the cron file
# that apply would create.

# %%
page.plan()

# %% [markdown]
# ## Interactive form
# In JupyterLab: change a value, press **Plan**, read the diff, tick *I reviewed the plan*, then
# **Apply**; **Verify** runs the checks. Headless runs skip this widget.

# %% [markdown]
# ## Rehearsal on the recorded node
# On `replay:` targets the notebook rehearses apply on an in-memory copy: apply, apply again
# (nothing left to change), verify, rollback. Secrets that are not set get a random throw-away
# value for the rehearsal only, and every output shows them masked (`********`). On real targets
# this cell does nothing.

# %% [markdown]
# ## The chosen mode
# `plan` stops at the plan above; `apply` changes the nodes (refused unless `confirm=True`);
# `verify` runs the checks and lists what to look at by hand. A failure raises here, so a
# scheduled headless run exits non-zero.

# %%
page.finish()
