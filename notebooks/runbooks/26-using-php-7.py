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
# # 26 · Using PHP 7
#
# Moves the MiRTA web interface from PHP 5 to PHP 7.4 (or 7.3) with the remi repository, then
# installs the ionCube loader built for the new PHP before the web server restarts. The runbook
# reads `/etc/os-release`, `php -v` and `uname -m` on the node, and uses the remi plan for that
# operating system: on CentOS 7 only `remi-php74` is enabled (`yum-config-manager`) and the
# installed PHP is updated in place; on CentOS 6 the same with `remi-php73` (the page's 7.3 there;
# CentOS 6 has no `/etc/os-release`, so `/etc/redhat-release` tells the release); on EL8/EL9 the
# `php:remi-7.4` module stream is enabled. Last, the packages named `php5*` are removed as the
# page does (a parallel PHP 5 such as `php55-php-*`; none on a node where PHP 5 was `php-*`).
#
# It runs in **plan** mode by default: nothing is changed. The defaults point at the recorded demo
# node srv01 (CentOS 7, PHP 5.5.38 from remi with ionCube 5.0.20).

# %% tags=["parameters"]
targets: str = "replay:srv01"  # comma-separated: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; run_id names the apply)
confirm: bool = False  # must be True for apply (and rollback), after reading the plan
platform: str = "centos7"  # OS of the nodes: centos6, centos7, el8 or el9 (checked on each node)
php_version: str = "7.4"  # PHP version to move to: 7.3 or 7.4
php_packages: str = "php-cli,php-mysqlnd,php-pdo,php-xml,php-gd,php-mbstring,php-process,php-json,php-ldap,php-imap,php-pear,php-pecl-zip,php-pecl-mcrypt,php-pecl-imagick,php-pecl-http,php-pecl-raphf,php-pecl-mysql"  # the page's extensions
thread_safe: bool = False  # True for a ZTS PHP (php -i shows Thread Safety enabled)
machine: str = "x86_64"  # CPU architecture (uname -m); picks the loaders archive
extension_dir: str = "/usr/lib64/php/modules"  # php -i | grep extension_dir
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
from mirtalib.runbooks.p26_using_php_7 import RUNBOOK

page = open_page(RUNBOOK, globals())

# %% [markdown]
# ## The remi plans
# The page installs remi's parallel `php74-php-*` packages and then replaces `/usr/bin/php` and
# `php.ini` with symlinks: the `php` command, its configuration and Apache's PHP module end up
# from different places, and a later `yum update` can undo the links. The single-version route
# below upgrades the PHP packages in place instead. Each command runs only when its guard fails;
# the risk column says what it does to the node.

# %%
import pandas as pd

from mirtalib.runbooks.p26_using_php_7 import PLATFORMS, remi_plan

rows = [{"os": p, "step": s.id, "risk": str(s.risk), "command": s.command[:90]}
        for p in PLATFORMS
        for s in remi_plan(p, "7.3" if p == "centos6" else php_version)]  # EL6: 7.3 only
print(pd.DataFrame(rows).to_string(index=False))

# %% [markdown]
# ## The way back
# Package changes have no automatic undo: snapshot the node before apply. The notes per step:

# %%
from mirtalib.runbooks.p26_using_php_7 import rollback_notes

print(rollback_notes(platform, php_version))

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
