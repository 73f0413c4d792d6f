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
# # 24 · Integrating with Yealink Redirection and Provisioning Service (RPS)
#
# Yealink's RPS tells a factory-fresh phone where its provisioning server is. Once a *server*
# (friendly name + provisioning URL) exists in the RPS portal, MiRTA can register each phone
# there whenever it is created or updated in *Configuration/Provisioning/Phone*: the Yealink
# phone model carries a *Remote provisioning POST message*, the XML-RPC call
# `redirect.registerDevice(MAC, server name, override)`, sent with the content type the page
# insists on, `application/json;charset=UTF-8` (odd for an XML body, but what the page's author
# found MiRTA needs).
#
# This notebook reads a phone inventory (CSV or YAML: `mac`, `model`, `server`, `server_url`),
# validates and normalizes every MAC (bad rows are listed, never dropped), lists the RPS server
# entries to create, and shows the exact request for each phone. **Nothing is sent**: the RPS
# password stays in the env var named by `rps_password_env` and is read only by
# `send()`, which the tests use against a local server.

# %% tags=["parameters"]
targets: str = "replay:srv01"  # comma-separated: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; run_id names the apply)
confirm: bool = False  # must be True for apply (and rollback), after reading the plan
inventory: str = ""  # phone inventory CSV/YAML (mac, model, server, server_url); empty: the demo PBX's on replay targets (or with the demo database), else a finding
rps_url: str = "https://rps.yealink.com/xmlrpc"  # RPS XML-RPC endpoint
rps_user: str = "mirta-provisioning"  # RPS account user name
rps_password_env: str = "MIRTA_RPS_PASSWORD"  # env var holding the RPS password (never the password)
override: bool = True  # replace an existing RPS entry of the same MAC
content_type: str = "application/json"  # media type of the POST, as the page says
charset: str = "UTF-8"  # charset added to the Content-Type header (page: UTF-8); "" for none; one of UTF-8, 
run_id: str = ""  # mode rollback: the run id of the apply to undo (`mirta journal` lists them); empty: the apply of this session
serial: int = 0  # apply: nodes changed at a time, each verified before the next (0: MIRTA_SERIAL, default 1)
ssh_key_path: str = ""  # private key file for ssh:// targets; empty: SSH agent or default keys
known_hosts: str = ""  # known_hosts file for ssh:// targets; empty: ~/.ssh/known_hosts

# %% [markdown]
# ## The runbook
# The inventory check, the manual steps in the RPS portal and MiRTA, and a check that each
# provisioning URL answers from the node (a phone redirected to a dead URL is stuck).

# %%
from mirtalib.runbook.page import open_page
from mirtalib.runbooks.p24_integrating_with_yealink_redirection_and_provisioning_service_rps import (
    RUNBOOK)

page = open_page(RUNBOOK, globals())

# %% [markdown]
# ## The inventory, validated
# MACs are normalized to 12 lower-case hex digits whatever the separators; a row with a short
# MAC, a duplicate, a multicast address, an odd model or server name is rejected with its line
# number. `oui_known` is False for MACs outside the Yealink prefixes this library knows (a hint,
# not an error: the list is not exhaustive). An empty `inventory` means the demo PBX's phones on
# `replay:` targets (or with `MIRTA_DB_URL=demo`) only; elsewhere these cells say what to set.

# %%
from mirtalib.runbooks.p24_integrating_with_yealink_redirection_and_provisioning_service_rps import (
    inventory_or_finding, inventory_text, requests_text, servers_text)

inv = inventory_or_finding(inventory)
print(inventory_text(inv))

# %% [markdown]
# ## RPS server entries to create
# One per server name in the inventory, with its provisioning URL (a name carrying two URLs is
# an error).

# %%
print(servers_text(inv))

# %% [markdown]
# ## The registration requests (shown, not sent)

# %%
print(requests_text(inv, page.values))

# %%
page.plan()

# %% [markdown]
# ## Interactive form
# In JupyterLab: change a value, press **Plan** or **Verify**. Headless runs skip this widget.

# %% [markdown]
# ## The chosen mode
# `verify` also asks each provisioning URL from the node; a failure raises here.

# %%
page.finish()
