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
# # 29 · Using haproxy
#
# A local HAProxy lets Asterisk and the web code reach two MySQL/MariaDB servers through one
# address (127.0.0.1:3306): it sends every connection to the primary and fails over to the
# backup. This runbook renders `haproxy.cfg` from the parameters, has HAProxy check it
# (`haproxy -c -f`) before it replaces the live file, reloads HAProxy, and reads the state of
# both servers through the stats socket (`show stat`).
#
# Plan mode by default: nothing is changed.

# %% tags=["parameters"]
targets: str = "replay:srv01"  # comma-separated: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; run_id names the apply)
confirm: bool = False  # must be True for apply (and rollback), after reading the plan
haproxy_cfg: str = "/etc/haproxy/haproxy.cfg"  # file written (validated with haproxy -c first)
listen_address: str = "127.0.0.1"  # address Asterisk and the web code connect to
listen_port: int = 3306  # port of the proxy (must not be taken by a local mysqld)
primary: str = "pbx-db01 10.20.0.21:3306"  # active database server: name host:port
backup: str = "pbx-db02 10.20.0.22:3306"  # backup server, used only when the primary is down
health_check: str = "tcp"  # tcp; httpchk (needs clustercheck on check_port); mysql-check (needs check_user)
check_port: int = 3307  # port of the HTTP checker (health_check httpchk)
check_user: str = "haproxy_check"  # passwordless MySQL user (health_check mysql-check)
timeout_connect: str = "1s"  # connect timeout to a server
idle_timeout: str = "30m"  # idle client/server timeout (long-lived Asterisk connections)
maxconn: int = 4000  # global connection limit; 10-100000
stats_socket: str = "/var/lib/haproxy/stats"  # runtime API socket read by verify
chroot: str = "/var/lib/haproxy"  # chroot folder (empty: none)
run_as: str = "haproxy"  # user and group HAProxy drops to (empty: keep)
proxy: str = "mysql-proxy"  # name of the listen section
reload: bool = True  # reload HAProxy when the file changed (False: by hand)
run_id: str = ""  # mode rollback: the run id of the apply to undo (`mirta journal` lists them); empty: the apply of this session
serial: int = 0  # apply: nodes changed at a time, each verified before the next (0: MIRTA_SERIAL, default 1)
ssh_key_path: str = ""  # private key file for ssh:// targets; empty: SSH agent or default keys
known_hosts: str = ""  # known_hosts file for ssh:// targets; empty: ~/.ssh/known_hosts

# %% [markdown]
# ## The runbook

# %%
from mirtalib.runbook.page import open_page
from mirtalib.runbooks.p29_using_haproxy import RUNBOOK, render_config

page = open_page(RUNBOOK, globals())

# %% [markdown]
# ## The configuration this runbook writes
# Differences from the configuration on the page, on purpose:
# * no `option http-server-close`: it is an HTTP option, ignored with a warning in `mode tcp`;
# * the health check defaults to a TCP connect. The page's `option httpchk` on port 3307 needs an
#   HTTP checker (e.g. clustercheck) on both database servers: without it HAProxy marks both
#   servers DOWN and every database connection fails, which is what the demo node shows now;
# * the stats socket is restricted (`mode 600 level operator`).
#
# The page's `daemon` (background mode for init scripts; systemd's `-Ws` ignores it) and
# `option logasap` (a database connection is logged when it opens, not only when it closes up to
# 30 minutes later) are kept; the rendered file says why in its comments.

# %%
print(render_config(rb.values))

# %% [markdown]
# ## Plan
# Who holds the listening port now, how HAProxy sees the servers now, the diff of `haproxy.cfg`
# and the reload apply would run.

# %%
page.plan()

# %% [markdown]
# ## Interactive form
# In JupyterLab: **Plan**, read the diff, tick *I reviewed the plan*, **Apply**, **Verify**,
# **Rollback**. Headless runs skip this widget.

# %% [markdown]
# ## Rehearsal on the recorded node
# Apply stages the new file, runs `haproxy -c -f` on it, renames it into place and reloads;
# verify then reads `show stat`: both servers UP, the backup marked as such.

# %% [markdown]
# ## The chosen mode

# %% [markdown]
# A failed check in verify mode (no server UP, an invalid file) raises here.

# %%
page.finish()
