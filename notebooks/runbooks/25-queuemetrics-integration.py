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
# # 25 · QueueMetrics integration
#
# QueueMetrics (here QueueMetrics Live) receives the queue events of MiRTA through its qloader
# JSON API. QueueMetrics sends an access URL for the web interface and an API login
# (`webqloader` and a password). In MiRTA, *Admin/Settings* enables the integration with the
# **full API URL** (`https://my.queuemetrics-live.com/<Company>/jsonQLoaderApi.do`: pasting the
# access URL without the API page is the mistake the page warns about) and a delay in
# **milliseconds** (the page suggests 5000). Each monitored queue gets its QueueMetrics switch,
# and in QueueMetrics each queue is created with the MiRTA **Queue ID**: the number in the
# queue page's link, not the dial number.
#
# The page prints a sample password: never put a password in a notebook. Here the parameter
# names the env var that holds it; the notebook says only whether it is set.

# %% tags=["parameters"]
targets: str = "replay:srv01"  # comma-separated: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; run_id names the apply)
confirm: bool = False  # must be True for apply (and rollback), after reading the plan
api_url: str = "https://my.queuemetrics-live.com/DemoCompany/jsonQLoaderApi.do"  # full qloader API URL
api_login: str = "webqloader"  # API login from QueueMetrics
api_password_env: str = "MIRTA_QM_PASSWORD"  # env var holding the API password (never the password)
delay_ms: int = 5000  # delay before sending, in milliseconds (1000-60000; page: 5000)
queues: str = "ACME:500,ACME:501"  # queues to monitor as TENANT:NUMBER, comma-separated; empty: all
run_id: str = ""  # mode rollback: the run id of the apply to undo (`mirta journal` lists them); empty: the apply of this session
serial: int = 0  # apply: nodes changed at a time, each verified before the next (0: MIRTA_SERIAL, default 1)
ssh_key_path: str = ""  # private key file for ssh:// targets; empty: SSH agent or default keys
known_hosts: str = ""  # known_hosts file for ssh:// targets; empty: ~/.ssh/known_hosts

# %% [markdown]
# ## The API URL and the delay
# Both are validated when the runbook opens; a wrong value stops with a message saying what to
# type instead (the access URL, for instance, gets the `/jsonQLoaderApi.do` suggestion).

# %%
from mirtalib.errors import ParameterError
from mirtalib.runbooks.p25_queuemetrics_integration import api_url as check_url, delay_ms as check_delay

print(check_url(api_url), f"delay {check_delay(delay_ms)} ms", sep="\n")
for wrong in ("https://my.queuemetrics-live.com/DemoCompany", "http://my.queuemetrics-live.com/DemoCompany/jsonQLoaderApi.do"):
    try:
        check_url(wrong)
    except ParameterError as exc:
        print("refused:", exc)
try:
    check_delay(5)
except ParameterError as exc:
    print("refused:", exc)

# %% [markdown]
# ## The runbook

# %%
from mirtalib.runbook.page import open_page
from mirtalib.runbooks.p25_queuemetrics_integration import RUNBOOK

page = open_page(RUNBOOK, globals())

# %% [markdown]
# ## Per-queue mapping
# What to enable in MiRTA and what to enter in QueueMetrics for each monitored queue (from the
# PBX database: the demo's here).

# %%
from mirtalib.runbooks.p25_queuemetrics_integration import queue_mapping_text

print(queue_mapping_text(queues))

# %%
page.plan()

# %% [markdown]
# ## Interactive form
# In JupyterLab: change a value, press **Plan** or **Verify**. Headless runs skip this widget.

# %% [markdown]
# ## The chosen mode
# `verify` also asks the API URL from the node; a failure raises here.

# %%
page.finish()
