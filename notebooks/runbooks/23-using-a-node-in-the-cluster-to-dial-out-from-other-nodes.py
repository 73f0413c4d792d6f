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
# # 23 · Using a node in the cluster to dial out from other nodes
#
# Calls between MiRTA nodes are internal calls, so a node cannot simply act as a provider for
# the others. When one node hosts a DAHDI card and the others must send special numbers out
# through it, that node needs: no `insecure=port,invite` on the accounts of the other nodes
# (they would be let in by IP address and land in the internal context), a dedicated account for
# the other nodes mapped to a `[dahdi]` context, that context dialling the DAHDI group, and a
# provider for the account on the Admin/Providers page.
#
# Plan mode by default. The account's password is never a parameter: `secret_env` names the
# environment variable that holds it; plan shows a placeholder and only apply reads it.

# %% tags=["parameters"]
targets: str = "replay:srv02"  # comma-separated: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; run_id names the apply)
confirm: bool = False  # must be True for apply (and rollback), after reading the plan
sip_conf: str = "/etc/asterisk/sip.conf"  # chan_sip configuration
extensions_conf: str = "/etc/asterisk/extensions_custom.conf"  # dialplan file for [dahdi] (assumed: included, not rewritten by MiRTA)
node_sections: str = "srv01,srv02"  # sip.conf sections of the cluster nodes (the host accounts to clean)
dahdi_node: bool = True  # True on the DAHDI node; False on the others (only the insecure cleanup)
account: str = "dahdi-trunk"  # account the other nodes use (also the provider's user name)
secret_env: str = "MIRTA_DAHDI_TRUNK_SECRET"  # NAME of the environment variable holding its password
other_nodes: str = "10.20.0.11"  # IPv4 addresses of the nodes allowed to use the account
dahdi_group: str = "g0"  # DAHDI group (g0, r1 ...) or channel number
dial_pattern: str = "_X."  # numbers the other nodes may send out
dial_timeout: int = 60  # Dial() timeout in seconds; 5-300
reload_now: bool = False  # run 'sip reload' (drops phone registrations) right after the change
run_id: str = ""  # mode rollback: the run id of the apply to undo (`mirta journal` lists them); empty: the apply of this session
serial: int = 0  # apply: nodes changed at a time, each verified before the next (0: MIRTA_SERIAL, default 1)
ssh_key_path: str = ""  # private key file for ssh:// targets; empty: SSH agent or default keys
known_hosts: str = ""  # known_hosts file for ssh:// targets; empty: ~/.ssh/known_hosts

# %% [markdown]
# ## The runbook

# %%
from mirtalib.asterisk.conf import parse_conf
from mirtalib.runbook.page import open_page
from mirtalib.runbooks.p23_using_a_node_in_the_cluster_to_dial_out_from_other_nodes import (
    RUNBOOK,
    insecure_accounts,
)

page = open_page(RUNBOOK, globals())

# %% [markdown]
# ## Host accounts with `insecure=port,invite`
# The scan follows template inheritance. Only the accounts of the cluster nodes are cleaned:
# providers keep the setting, since they send calls without authenticating (removing it there
# would break inbound calls). A value inherited from a template must be changed in the template.

# %%
for t in rb.targets:
    found = insecure_accounts(parse_conf(t.read_text(sip_conf) or ""), rb.values["node_sections"])
    print(f"{t.name}: " + (", ".join(f"[{n}] {where} ({role})" for n, where, role in found) or "none"))

# %% [markdown]
# ## Plan
# The sip.conf diff (secrets masked, the new password shown as a placeholder), the `[dahdi]`
# context and the dialplan reload. `sip reload` is left as a checklist item unless
# `reload_now=True`: it drops every phone registration until the phones register again.

# %%
page.plan()

# %% [markdown]
# ## Interactive form
# In JupyterLab: **Plan**, read the diffs, tick *I reviewed the plan*, **Apply** (needs the
# secret in the environment), **Verify**, **Rollback**. Headless runs skip this widget.

# %% [markdown]
# ## Rehearsal on the recorded node
# Apply reads the password from `secret_env` and stops at the sip.conf step, writing nothing,
# when the variable is not set. The rehearsal (apply, apply again, verify, rollback on an
# in-memory copy) therefore runs only where the variable is set; the unit tests rehearse it with
# a test value.

# %% [markdown]
# ## The chosen mode

# %% [markdown]
# A failed check in verify mode (or a failed step in apply mode) raises here.

# %%
page.finish()
