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
mode: str = "plan"  # plan (no side effect), apply (needs confirm) or verify
confirm: bool = False  # must be True for apply, after reading the plan
relay_host: str = "smtp.example.net"  # the provider's smart host
relay_port: int = 587  # submission port with STARTTLS
relay_user: str = "pbx-relay@example.net"  # account on the smart host
relay_password_env: str = "MIRTA_SMTP_RELAY_PASSWORD"  # noqa: S105 - NAME of the env variable
tls_level: str = "encrypt"  # smtp_tls_security_level: encrypt (TLS required), verify or secure
config_dir: str = "/etc/postfix"  # postfix configuration folder
map_type: str = "hash"  # postmap table type (hash on CentOS/Debian; lmdb on newer Fedora)
package_tool: str = "yum"  # yum, dnf or apt-get
reload: bool = True  # reload postfix after a change (False: write and check only)
ssh_key_path: str = ""  # private key file for ssh:// targets; empty: SSH agent or default keys
known_hosts: str = ""  # known_hosts file for ssh:// targets; empty: ~/.ssh/known_hosts

# %% [markdown]
# ## The runbook
# The page's own steps sit inside the frame every page shares (*before starting*,
# *implementation*, *current verification*). Read-only steps also run in plan mode; the changing
# ones only in apply mode.

# %%
from mirtalib.runbook import rehearse, ssh_options, steps_text
from mirtalib.runbooks.p15_configuring_postfix_for_email_relay import RUNBOOK

rb = RUNBOOK.open(targets, target_options=ssh_options(ssh_key_path, known_hosts),
                  **RUNBOOK.pick(globals()))
print(steps_text(rb.steps))

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
plan = rb.plan()
print(plan)

# %% [markdown]
# ## Interactive form
# In JupyterLab: change a value, press **Plan**, read the diff, tick *I reviewed the plan*, then
# **Apply**; **Verify** runs the checks and **Rollback** restores what apply changed. Headless
# runs skip this widget (the cells around it do the same work).

# %%
# NBVAL_IGNORE_OUTPUT
rb.ui()

# %% [markdown]
# ## Rehearsal on the recorded node
# On `replay:` targets the notebook rehearses apply on an in-memory copy: apply, apply again
# (nothing left to change), verify, rollback. A secret that is not set gets a random throw-away
# value for the rehearsal only, and every output shows it masked (`********`). On real targets
# this cell does nothing.

# %%
from mirtalib.runbooks.secretfiles import rehearsal_secrets, secret_names

given = rehearsal_secrets(secret_names(rb), is_replay=rb.is_replay)
print(f"throw-away secrets for the rehearsal: {given or 'none'}")
print(rehearse(rb))

# %% [markdown]
# ## The chosen mode
# `plan` stops at the plan above; `apply` changes the nodes (refused unless `confirm=True`);
# `verify` runs the checks and lists what to look at by hand. A failed check in verify mode (or a
# failed step in apply mode) raises here, so a scheduled headless run exits non-zero.

# %%
final = plan if mode == "plan" else rb.run(mode, confirm=confirm)
if mode != "plan":
    print(final)
final.raise_for_failure()
print(f"{mode}: no failure on {', '.join(n.node for n in final.nodes)}")
