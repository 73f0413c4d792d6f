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
# # 37 · Choosing between Host Based Routing and SIP Registration
#
# MiRTA's provider pages use host-based routing: the provider sends calls to the node's address
# and recognises it by IP. Some providers instead want the PBX to *register*. MiRTA has no form
# for that, so the registration (`register =>` in `[general]`) and, when a parameter is missing
# from the web form, a static peer are written in sip.conf by hand; the Admin/Providers page then
# references the peer by its section name.
#
# The password is never a parameter: `secret_env` names the environment variable that holds it.
# Plan shows `<secret from $NAME>` and does not read the variable; only apply does, and secrets
# are masked in every diff.

# %% tags=["parameters"]
targets: str = "replay:srv01"  # comma-separated: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; run_id names the apply)
confirm: bool = False  # must be True for apply (and rollback), after reading the plan
sip_conf: str = "/etc/asterisk/sip.conf"  # chan_sip configuration
provider: str = "flowroute"  # section name of the static peer (referenced on Admin/Providers)
username: str = "49088751"  # account at the provider
secret_env: str = "MIRTA_FLOWROUTE_SECRET"  # NAME of the environment variable holding the password
provider_host: str = "sip.flowroute.com"  # registrar and proxy of the provider
context: str = "fromoutside"  # context of the provider's inbound calls
codecs: str = "ulaw,alaw"  # allowed codecs in order (the page also allows gsm)
dtmfmode: str = "rfc2833"  # rfc2833, info, inband or auto
insecure: str = "port,invite"  # accept the provider's INVITEs without a challenge ("no" to drop it); one of port,invite, invite, port, no
directmedia: str = "no"  # no (media through the PBX), yes (the page's canreinvite yes) or nonat
peer_type: str = "peer"  # peer, or friend as on the page (also matches inbound by user name)
reload_now: bool = False  # run 'sip reload' (drops every phone registration) right after the change
run_id: str = ""  # mode rollback: the run id of the apply to undo (`mirta journal` lists them); empty: the apply of this session
serial: int = 0  # apply: nodes changed at a time, each verified before the next (0: MIRTA_SERIAL, default 1)
ssh_key_path: str = ""  # private key file for ssh:// targets; empty: SSH agent or default keys
known_hosts: str = ""  # known_hosts file for ssh:// targets; empty: ~/.ssh/known_hosts

# %% [markdown]
# ## The runbook

# %%
from mirtalib.runbook.page import open_page
from mirtalib.runbooks.p37_choosing_between_host_based_routing_and_sip_registration import (
    RUNBOOK,
    register_line,
)
from mirtalib.runbooks.sipconf import placeholder

page = open_page(RUNBOOK, globals())

# %% [markdown]
# ## Registration or host-based routing?
# Host-based routing needs nothing from the PBX; a registration must be refreshed, and a static
# peer needs a `sip reload` for every change. **`sip reload` drops every phone registration**:
# phones are unreachable until they register again. The reload is therefore not run by default
# (`reload_now=False`): it stays a checklist item for a quiet moment. The register line apply
# writes, with the password shown as a placeholder:

# %%
print("register => " + register_line(rb.values, placeholder(secret_env)))

# %% [markdown]
# Other choices differ from the page's example on purpose: `type=peer` (a `friend` also matches
# inbound requests by user name), `directmedia=no` (the page's `canreinvite=yes` is the old name;
# media around the PBX breaks behind NAT and for recordings), no GSM codec.

# %% [markdown]
# ## Plan

# %%
page.plan()

# %% [markdown]
# ## Interactive form
# In JupyterLab: **Plan**, read the diff, tick *I reviewed the plan*, **Apply** (needs the
# secret in the environment), **Verify**, **Rollback**. Headless runs skip this widget.

# %% [markdown]
# ## Rehearsal on the recorded node
# The rehearsal applies on an in-memory copy and needs the password variable, so it runs only
# where the variable is set (the unit tests rehearse it with a test value).

# %% [markdown]
# ## The chosen mode

# %% [markdown]
# A failed check in verify mode (the provider not Registered) raises here.

# %%
page.finish()
