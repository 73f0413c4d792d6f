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
# # 20 · Configuring Bandwidth as SMS Provider
#
# The seed page only redirects to *Configuring Bandwidth as SMS/MMS Provider*, whose text is not
# in the seed. What a provider definition needs is covered here: the Bandwidth account
# credentials typed into MiRTA's SMS provider (this notebook holds only the **names** of the env
# vars that carry them, and only says whether they are set), and the inbound half shared with
# page 19: callback URL, the DID's field names for API v2, and a synthetic Bandwidth request sent
# to a local endpoint that parses it like the DID.
#
# Plan mode by default; nothing on the PBX is changed by this page.

# %% tags=["parameters"]
targets: str = "replay:srv01"  # comma-separated: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; run_id names the apply)
confirm: bool = False  # must be True for apply (and rollback), after reading the plan
provider: str = "bandwidth-v2"  # provider and API version; one of bandwidth-v2
web_base: str = "https://pbx.demo.mirta.example/pbx"  # public base URL of the PBX web interface
sms_page: str = "sms.php"  # inbound SMS page under web_base (assumed name)
did: str = "+12065550199"  # DID number receiving SMS (as the provider writes it)
sender: str = "+12065550100"  # sender of the synthetic test message
text: str = "Test message from the runbook"  # text of the synthetic message
account_id_env: str = "MIRTA_BANDWIDTH_ACCOUNT_ID"  # env var holding the provider's account id
api_user_env: str = "MIRTA_BANDWIDTH_API_USER"  # env var holding the provider's api user
api_password_env: str = "MIRTA_BANDWIDTH_API_PASSWORD"  # env var holding the provider's api password
run_id: str = ""  # mode rollback: the run id of the apply to undo (`mirta journal` lists them); empty: the apply of this session
serial: int = 0  # apply: nodes changed at a time, each verified before the next (0: MIRTA_SERIAL, default 1)
ssh_key_path: str = ""  # private key file for ssh:// targets; empty: SSH agent or default keys
known_hosts: str = ""  # known_hosts file for ssh:// targets; empty: ~/.ssh/known_hosts

# %% [markdown]
# ## Field names, provider by provider
# What goes in the DID's SMS section for each provider (`0[message][to][${n:0:10}]` collects
# every destination of a group message into `${SMSALLDESTS}`).

# %%
from mirtalib.sms import build_inbound_url, did_settings, mapping_frame, provider as get_provider

mapping_frame()

# %% [markdown]
# ## The callback URL and the DID settings for this run

# %%
url = build_inbound_url(web_base, sms_page)
print(url.url, *url.advice, sep="\n")
did_settings(get_provider(provider), url.url)

# %% [markdown]
# ## A synthetic Bandwidth request, parsed like the DID
# A real HTTP request (urllib) to a local endpoint on 127.0.0.1 that reads it with the same
# mapping: first the request as the provider sends it, then what the DID sees.

# %%
from mirtalib.sms import try_provider

request, sms = try_provider(get_provider(provider), sender, did, text, extra_to=("+15550000002",))
print(request.describe())
sms.as_dict()

# %% [markdown]
# ## The runbook
# The page's manual steps inside the shared frame, and the
# checks: the loopback request and the node's web server answering the inbound page.

# %%
from mirtalib.runbook.page import open_page
from mirtalib.runbooks.p20_configuring_bandwidth_as_sms_provider import RUNBOOK

page = open_page(RUNBOOK, globals())

# %% [markdown]
# ## Plan
# Runs the read-only checks of *before starting*; lists the rest.

# %%
page.plan()

# %% [markdown]
# ## Interactive form
# In JupyterLab: change a value, press **Plan** or **Verify**. Headless runs skip this widget.

# %% [markdown]
# ## The chosen mode
# `verify` runs every check (the inbound page on the node included) and lists what to look at by
# hand; a failed check raises here so a headless run exits non-zero.

# %%
page.finish()
