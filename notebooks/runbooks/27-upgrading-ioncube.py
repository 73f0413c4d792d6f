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
# # 27 · Upgrading ionCube
#
# MiRTA's web interface is ionCube-encoded and needs ionCube loader **10 or later**, built for the
# exact PHP version that runs. This runbook reads `php -v` (PHP and loader versions), `php -i`
# (extension folder, thread safety) and `uname -m` (CPU) on the node, picks the loader file from
# those facts, downloads and installs it, writes the `zend_extension` line (checked by PHP itself
# before it goes live) and restarts the web server only when it still runs the old loader.
#
# It runs in **plan** mode by default: nothing is changed. The defaults point at the recorded demo
# node srv01 (CentOS 7, PHP 5.5.38 with ionCube 5.0.20, the page's own example).

# %% tags=["parameters"]
targets: str = "replay:srv01"  # comma-separated: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; run_id names the apply)
confirm: bool = False  # must be True for apply (and rollback), after reading the plan
php_version: str = "5.5"  # PHP major.minor the node runs (php -v); checked on the node
thread_safe: bool = False  # True for a ZTS PHP (php -i shows Thread Safety enabled)
machine: str = "x86_64"  # CPU architecture (uname -m); picks the loaders archive
extension_dir: str = "/usr/lib64/php/modules"  # php -i | grep extension_dir
php_ini: str = "/etc/php.ini"  # main php.ini, searched for old loader lines
ini_file: str = "/etc/php.d/00-ioncube-loader.ini"  # file with the zend_extension line
src_dir: str = "/usr/local/src"  # download and unpack folder
web_service: str = "httpd"  # web server unit: httpd, apache2 or php-fpm
pid_file: str = "/run/httpd/httpd.pid"  # its PID file (restart only if older than the loader)
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
from mirtalib.runbooks.p27_upgrading_ioncube import RUNBOOK

page = open_page(RUNBOOK, globals())

# %% [markdown]
# ## Which loader file
# One archive per CPU holds one loader per PHP version (`ioncube_loader_lin_<major.minor>.so`,
# `_ts.so` for thread-safe builds). The table shows the choice for a few common cases; the
# runbook's own choice comes from the parameters, and the plan fails if the node disagrees with
# them (a loader for another PHP version does not load, and the web interface stops).

# %%
import pandas as pd

from mirtalib.runbooks.php_pages import loader_choice

cases = [(php_version, thread_safe, machine), ("7.4", False, "x86_64"), ("7.4", True, "x86_64"),
         ("8.1", False, "aarch64")]
print(pd.DataFrame([{"php": v, "thread safe": ts, "uname -m": m, "archive": c.tarball,
                     "loader": c.file} for v, ts, m in cases
                    for c in [loader_choice(v, ts, m)]]).to_string(index=False))

# %% [markdown]
# Where the page is risky: it overwrites the live loader with `\cp`. Here `install -b` keeps the
# old file as `<file>~` (rollback moves it back), the ini file is validated by
# `php -n -c <staged file>` (the loader must really load), and another `zend_extension` line for
# an older loader elsewhere is reported first: two loaders make PHP refuse the second one.

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
