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
targets: str = "replay:srv01"  # node(s) serving the web interface: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect) or verify
confirm: bool = False  # kept for the shared form; this page changes no file
provider: str = "bandwidth-v2"  # Bandwidth API v2 (the SMS/MMS provider API)
web_base: str = "https://pbx.demo.mirta.example/pbx"  # public base URL of the PBX web interface
sms_page: str = "sms.php"  # inbound SMS page under web_base (assumed name: see the DID's SMS help)
did: str = "+12065550199"  # DID receiving SMS, as the provider writes it
sender: str = "+12065550100"  # sender of the synthetic test message
text: str = "Test message from the runbook"  # text of the synthetic test message
account_id_env: str = "MIRTA_BANDWIDTH_ACCOUNT_ID"  # env var holding the Bandwidth account id
api_user_env: str = "MIRTA_BANDWIDTH_API_USER"  # env var holding the API user
api_password_env: str = "MIRTA_BANDWIDTH_API_PASSWORD"  # env var holding the API password
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
from mirtalib.runbook import ssh_options, steps_text
from mirtalib.runbooks.p20_configuring_bandwidth_as_sms_provider import RUNBOOK

rb = RUNBOOK.open(targets, target_options=ssh_options(ssh_key_path, known_hosts),
                  **RUNBOOK.pick(globals()))
print(steps_text(rb.steps))

# %% [markdown]
# ## Plan
# Runs the read-only checks of *before starting*; lists the rest.

# %%
plan = rb.plan()
print(plan)

# %% [markdown]
# ## Interactive form
# In JupyterLab: change a value, press **Plan** or **Verify**. Headless runs skip this widget.

# %%
# NBVAL_IGNORE_OUTPUT
rb.ui()

# %% [markdown]
# ## The chosen mode
# `verify` runs every check (the inbound page on the node included) and lists what to look at by
# hand; a failed check raises here so a headless run exits non-zero.

# %%
final = plan if mode == "plan" else rb.run(mode, confirm=confirm)
if mode != "plan":
    print(final)
final.raise_for_failure()
print(f"{mode}: no failure on {', '.join(n.node for n in final.nodes)}")
