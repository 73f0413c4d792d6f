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
# # 30 · Configuring OpenDNS
#
# Asterisk resolves trunk hosts, SRV records and the licence server while it sets up calls; a
# resolver that answers slowly, refuses, or never answers stalls those calls. The page recommends
# the four OpenDNS resolvers and shows the catch: OpenDNS answers **REFUSED** with a TXT notice to
# clients in France ("unavailable in France ... court order"), and then Cloudflare (1.1.1.1),
# Google (8.8.8.8) or Quad9 (9.9.9.9) are the way out.
#
# This runbook asks every resolver **from the node itself** (the answer depends on where the
# question comes from), shows what each one says about the PBX's names, checks the resolvers you
# want *before* writing anything, renders the lines for every configuration style, and writes the
# one file the node really uses. It runs in **plan** mode by default: nothing is changed. The
# defaults point at the two recorded nodes of the demo PBX.

# %% tags=["parameters"]
targets: str = "replay:srv01,replay:srv02"  # comma-separated: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; run_id names the apply)
confirm: bool = False  # must be True for apply (and rollback), after reading the plan
pbx_names: str = "www.mirtapbx.com,sip.voip-carrier.example"  # names Asterisk resolves (licence server, trunks)
resolvers: str = "1.1.1.1,9.9.9.9,8.8.8.8"  # resolvers to configure, in order (addresses or opendns/cloudflare/google/quad9)
manage: str = "nmconnection"  # file to edit: nmconnection (NetworkManager keyfile) or resolv.conf
nm_connection: str = "eth0"  # NetworkManager connection name (keyfile NAME.nmconnection) and device
resolv_conf: str = "/etc/resolv.conf"  # resolver file read by glibc
query_timeout: float = 2.0  # seconds to wait for each DNS answer; 0.2-10
dns_port: int = 53  # port the resolvers listen on (53)
run_id: str = ""  # mode rollback: the run id of the apply to undo (`mirta journal` lists them); empty: the apply of this session
serial: int = 0  # apply: nodes changed at a time, each verified before the next (0: MIRTA_SERIAL, default 1)
ssh_key_path: str = ""  # private key file for ssh:// targets; empty: SSH agent or default keys
known_hosts: str = ""  # known_hosts file for ssh:// targets; empty: ~/.ssh/known_hosts

# %% [markdown]
# ## The runbook
# The page's own steps inside the frame every page shares. Read-only steps (reading resolv.conf,
# the DNS questions) also run in plan mode.

# %%
from mirtalib.net.dns import PUBLIC_RESOLVERS, render_lines
from mirtalib.runbook.page import open_page
from mirtalib.runbooks.p30_configuring_opendns import RUNBOOK, compare_resolvers

page = open_page(RUNBOOK, globals())

# %% [markdown]
# ## Every public resolver, asked from each node
# One table per node: each resolver of the four providers the page names, asked for each PBX
# name. `refused` with a notice is OpenDNS's country block; `ok` shows the addresses returned.
# Pick resolvers that answer `ok` from **every** node.

# %%
everyone = [ip for ips in PUBLIC_RESOLVERS.values() for ip in ips]
names = rb.values["pbx_names"].split(",")
for target in rb.targets:
    table = compare_resolvers(target, everyone, names, query_timeout, dns_port).table()
    print(f"== {target.name} ==")
    print(table.to_string(index=False, max_colwidth=70))

# %% [markdown]
# ## The lines for each configuration style
# glibc reads at most **three** `nameserver` lines, so the page's fourth OpenDNS address in
# resolv.conf is never used. On CentOS 8/9, NetworkManager rewrites resolv.conf: edit the
# connection (keyfile `dns=` line or `nmcli`), not the file. `ifcfg-*` files are the CentOS 7 way.

# %%
for style, text in render_lines(rb.values["resolvers"].split(","), nm_connection).items():
    print(f"--- {style}\n{text}")

# %% [markdown]
# ## Plan
# Current resolvers of each node and what they answer, whether the wanted resolvers answer from
# that node, the diff of the managed file and the commands apply would run. Nothing is changed.

# %%
page.plan()

# %% [markdown]
# ## Interactive form
# In JupyterLab: change a value, press **Plan**, read the diff, tick *I reviewed the plan*, then
# **Apply**; **Verify** runs the checks and **Rollback** restores what apply changed.

# %% [markdown]
# ## Rehearsal on the recorded nodes
# On `replay:` targets: apply (backup, write the keyfile, `nmcli connection reload`, `nmcli device
# reapply`, which changes DNS without taking the link down), apply again (nothing left to do),
# verify, rollback. On real targets this cell does nothing.

# %% [markdown]
# ## The chosen mode
# `plan` stops at the plan above; `apply` changes the nodes (refused unless `confirm=True`; it
# stops before writing if a wanted resolver does not answer from the node); `verify` runs the
# checks and lists what to look at by hand.

# %% [markdown]
# A failed check in verify mode (or a failed step in apply mode) raises here, so a scheduled
# headless run exits non-zero; a plan that found disagreements ends with a WARNING
# SUMMARY instead (a plan changes nothing).

# %%
page.finish()
