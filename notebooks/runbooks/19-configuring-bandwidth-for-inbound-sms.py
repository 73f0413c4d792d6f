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
# # 19 · Configuring Bandwidth for inbound SMS
#
# Bandwidth delivers every inbound SMS by calling the PBX web interface over HTTP. Three things
# must agree: the callback URL of a Bandwidth *application* (assigned to each number), the HTTP
# method, and the field names the DID reads. API v1 calls with a GET and plain query fields;
# API v2 POSTs a JSON array, so the DID reads `0[message][from]` and friends instead.
#
# This notebook shows both mappings, builds the callback URL, sends a synthetic Bandwidth request
# to a local endpoint that parses it exactly like the DID, and checks that the node's web server
# answers the inbound page. Plan mode by default; nothing on the PBX is changed by this page (the
# settings are made in the MiRTA and Bandwidth web interfaces, listed as manual steps).
#
# The page's author could not get a Bandwidth test account, so the page is unmaintained: the
# field names below follow Bandwidth's public callback documentation and are proven on a
# synthetic request, not on Bandwidth itself. Send one real SMS before relying on it.

# %% tags=["parameters"]
targets: str = "replay:srv01"  # comma-separated: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; run_id names the apply)
confirm: bool = False  # must be True for apply (and rollback), after reading the plan
provider: str = "bandwidth-v2"  # provider and API version; one of bandwidth-v2, bandwidth-v1
web_base: str = "https://pbx.demo.mirta.example/pbx"  # public base URL of the PBX web interface
sms_page: str = "sms.php"  # inbound SMS page under web_base (assumed name)
did: str = "+12065550199"  # DID number receiving SMS (as the provider writes it)
sender: str = "+12065550100"  # sender of the synthetic test message
text: str = "Test message from the runbook"  # text of the synthetic message
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
# mapping: first the request as Bandwidth sends it, then what the DID sees.

# %%
from mirtalib.sms import try_provider

request, sms = try_provider(get_provider(provider), sender, did, text, extra_to=("+15550000002",))
print(request.describe())
sms.as_dict()

# %% [markdown]
# ## The runbook
# The page's manual steps (Bandwidth application, numbers, DID) inside the shared frame, and the
# checks: the loopback request and the node's web server answering the inbound page.

# %%
from mirtalib.runbook.page import open_page
from mirtalib.runbooks.p19_configuring_bandwidth_for_inbound_sms import RUNBOOK

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
