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
# # 10 · Flipping chan_sip/PJSIP default protocol
#
# A MiRTA node runs two SIP stacks: chan_sip on 5060 (phones and the calls between nodes) and
# PJSIP on 5080/5081. This runbook makes PJSIP the stack on the standard ports for the phones:
# PJSIP moves 5080 -> 5060, 5081 -> 5061 (and so on), chan_sip moves to 5080, and each node's
# section for the other nodes gets `port=5080`, because calls between nodes stay on chan_sip.
# The mapping is computed from the live `pjsip.conf` and `sip.conf` of every node.
#
# It runs in **plan** mode by default: nothing is changed. `mode = "apply"` with
# `confirm = True` edits both files (backed up first) and restarts Asterisk; `mode = "verify"`
# checks the transports and the listeners.

# %% tags=["parameters"]
targets: str = "replay:srv01,replay:srv02"  # comma-separated: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; run_id names the apply)
confirm: bool = False  # must be True for apply (and rollback), after reading the plan
pjsip_conf: str = "/etc/asterisk/pjsip.conf"  # pjsip.conf
sip_conf: str = "/etc/asterisk/sip.conf"  # chan_sip [general] and the node sections
pjsip_base: int = 5080  # first port PJSIP uses today (5080 udp/tcp, 5081 tls)
sip_base: int = 5060  # first port chan_sip uses today
pbx_sections: str = "srv01,srv02"  # sip.conf sections of the cluster nodes (each node edits those it has)
restart: str = "core restart when convenient"  # or "systemctl restart asterisk" (drops calls at once); one of core restart when convenient, systemctl restart asterisk
run_id: str = ""  # mode rollback: the run id of the apply to undo (`mirta journal` lists them); empty: the apply of this session
serial: int = 0  # apply: nodes changed at a time, each verified before the next (0: MIRTA_SERIAL, default 1)
ssh_key_path: str = ""  # private key file for ssh:// targets; empty: SSH agent or default keys
known_hosts: str = ""  # known_hosts file for ssh:// targets; empty: ~/.ssh/known_hosts

# %% [markdown]
# ## The runbook
# The page's own steps inside the frame every page shares. Read-only steps also run in plan mode.

# %%
from mirtalib.runbook.page import open_page
from mirtalib.runbooks.p10_flipping_chan_sip_pjsip_default_protocol import (
    RUNBOOK,
    mapping_text,
)

page = open_page(RUNBOOK, globals())

# %% [markdown]
# ## The port mapping, per node
# Every PJSIP transport bound to 5080-5089 moves down by 20, chan_sip's `bindport` (and its TLS
# listener when enabled) moves up by 20, and the node sections get the new chan_sip port. Two
# listeners that would share a port and protocol stop the run with a clear error.

# %%
for t in rb.targets:
    print(f"{t.name}:")
    print(mapping_text(t, rb.values), "\n")

# %% [markdown]
# ## Before you apply
# * Phones provisioned for PJSIP on 5080 must be re-provisioned (or their DNS SRV records
#   changed) to 5060, and the firewall must allow the new ports.
# * Flip **every node in the same window**: each node's section for the other nodes points at the
#   new chan_sip port 5080.
# * The default restart is `core restart when convenient`: Asterisk waits until no call is up.
#   `systemctl restart asterisk` cuts the calls in progress.

# %% [markdown]
# ## Plan
# The diffs of both files on each node and the restart apply would run. Nothing is changed.

# %%
page.plan()

# %% [markdown]
# ## Interactive form
# In JupyterLab: change a value, **Plan**, read the diff, tick *I reviewed the plan*, **Apply**;
# **Verify** runs the checks, **Rollback** restores the files. Headless runs skip this widget.

# %% [markdown]
# ## Rehearsal on the recorded nodes
# On `replay:` targets: apply, apply again (nothing left to change), verify (PJSIP transports on
# 5060/5061, listeners on 5060 and 5080), rollback. On real targets this cell does nothing.

# %% [markdown]
# ## The chosen mode
# `plan` stops at the plan above; `apply` changes the nodes (refused unless `confirm=True`);
# `verify` runs the checks and lists what to look at by hand.

# %% [markdown]
# A failed check in verify mode (or a failed step in apply mode) raises here, so a scheduled
# headless run exits non-zero; a plan that found disagreements ends with a WARNING
# SUMMARY instead (a plan changes nothing).

# %%
page.finish()
