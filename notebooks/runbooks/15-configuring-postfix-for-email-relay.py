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
# # 15 · Configuring postfix for email relay
#
# The PBX sends voicemail and reports by mail; many networks only let mail out through the
# provider's smart host with a login. This runbook installs postfix with the SASL plain
# mechanism, sets the relay lines of `main.cf`, writes `sasl_passwd` (the password is taken from
# an environment variable at apply time, never from a parameter), runs `postmap`, checks the
# configuration with `postfix check` and reloads postfix only when something changed.
#
# It runs in **plan** mode by default: nothing is changed. The defaults point at the recorded demo
# node srv01.

# %% tags=["parameters"]
targets: str = "replay:srv01"  # comma-separated: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; run_id names the apply)
confirm: bool = False  # must be True for apply (and rollback), after reading the plan
relay_host: str = "smtp.example.net"  # the provider's smart host
relay_port: int = 587  # submission port with STARTTLS
relay_user: str = "pbx-relay@example.net"  # account on the smart host
relay_password_env: str = "MIRTA_SMTP_RELAY_PASSWORD"  # noqa: S105 - NAME of the env variable
tls_level: str = "encrypt"  # smtp_tls_security_level; one of encrypt, verify, secure
config_dir: str = "/etc/postfix"  # postfix configuration folder
map_type: str = "hash"  # postmap table type (hash on CentOS/Debian; lmdb on newer Fedora); one of hash, lmdb, btree
package_tool: str = "yum"  # yum, dnf or apt-get
reload: bool = True  # reload postfix after a change (False: write and check only)
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
from mirtalib.runbooks.p15_configuring_postfix_for_email_relay import RUNBOOK

page = open_page(RUNBOOK, globals())

# %% [markdown]
# ## The lines and what differs from the page
# The page writes `relayhost = :587` (the host is missing: it must be `[host]:587`, the brackets
# skip the MX lookup, and `sasl_passwd` must use the very same key), `smtp_use_tls = yes`
# (obsolete, and only *opportunistic*: the password could go out in clear) and an empty
# `smtp_sasl_security_options` (allows anonymous). The safe values set here:

# %%
from mirtalib.runbooks.p15_configuring_postfix_for_email_relay import main_cf_values

for key, value in main_cf_values(rb.values).items():
    print(f"{key} = {value}")
print(f"\nthe password comes from ${relay_password_env} at apply; plan shows a placeholder")

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
# On `replay:` targets the notebook rehearses apply on an in-memory copy: apply, apply again
# (nothing left to change), verify, rollback. A secret that is not set gets a random throw-away
# value for the rehearsal only, and every output shows it masked (`********`). On real targets
# this cell does nothing.

# %% [markdown]
# ## The chosen mode
# `plan` stops at the plan above; `apply` changes the nodes (refused unless `confirm=True`);
# `verify` runs the checks and lists what to look at by hand. A failed check in verify mode (or a
# failed step in apply mode) raises here, so a scheduled headless run exits non-zero.

# %%
page.finish()
