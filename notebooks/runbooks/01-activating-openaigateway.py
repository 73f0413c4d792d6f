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
# # 01 · Activating openaigateway
#
# Asterisk reaches the OpenAIGateway (a Python 3.12 FastAPI service in `/usr/local/openaigateway`,
# port 9088) through a websocket client connection. This runbook checks Python 3.12 and poetry on the
# node, writes `websocket_client.conf`, sets the MySQL details in the gateway's `.env` (the password
# from an environment variable, written by apply only), and proves the port answers a real websocket
# handshake from the node.
#
# It runs in **plan** mode by default: nothing is changed. Set `mode = "apply"` and
# `confirm = True` to make the change (every file is backed up first), `mode = "verify"` to run
# the checks only. Secrets are given by the NAME of an environment variable, never by value.

# %% tags=["parameters"]
targets: str = "replay:srv01"  # comma-separated: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; run_id names the apply)
confirm: bool = False  # must be True for apply (and rollback), after reading the plan
install_dir: str = "/usr/local/openaigateway"  # folder of the gateway
python_bin: str = "python3.12"  # interpreter the gateway runs on
gateway_port: int = 9088  # TCP port of the gateway
bind_host: str = "127.0.0.1"  # address uvicorn listens on (page: 0.0.0.0, which exposes it)
websocket_conf: str = "/etc/asterisk/websocket_client.conf"  # Asterisk websocket client file
connection_name: str = "openaibridge"  # section name of the connection
connection_type: str = "per_call_config"  # per_call_config or persistent
ws_protocol: str = "media"  # websocket sub-protocol the gateway expects
db_host: str = "localhost"  # MySQL host for the gateway
db_port: int = 3306  # MySQL port
db_name: str = "asterisk"  # MySQL database
db_user: str = "asterisk"  # MySQL user of the gateway
db_password_env: str = "MIRTA_OPENAIGW_DB_PASSWORD"  # NAME of the env variable holding the MySQL password
run_id: str = ""  # mode rollback: the run id of the apply to undo (`mirta journal` lists them); empty: the apply of this session
serial: int = 0  # apply: nodes changed at a time, each verified before the next (0: MIRTA_SERIAL, default 1)
ssh_key_path: str = ""  # private key file for ssh:// targets; empty: SSH agent or default keys
known_hosts: str = ""  # known_hosts file for ssh:// targets; empty: ~/.ssh/known_hosts

# %% [markdown]
# ## The runbook
# The page's own steps inside the frame every page shares (*before starting*,
# *implementation*, *current verification*). Read-only steps also run in plan mode.

# %%
from mirtalib.runbook.page import open_page
from mirtalib.runbooks.p01_activating_openaigateway import RUNBOOK

page = open_page(RUNBOOK, globals())

# %% [markdown]
# ## What to watch
# * The page starts uvicorn with `--host 0.0.0.0`: anyone who reaches port 9088 can use the gateway
#   (and spend its OpenAI credit). Asterisk connects over 127.0.0.1, so the suggested start line binds
#   127.0.0.1, and the listener check warns when the port is open on every address, as on the demo node.
# * The page says to rename `.env.sample` to `.env`: the sample carries the published default password
#   and stays readable by everyone (mode 0644). The runbook writes the password from
#   `db_password_env` at apply time, masks it in every output, and makes the file private (0600).
# * A listener proves nothing about the protocol: the handshake check sends a real HTTP Upgrade with a
#   `Sec-WebSocket-Key` from the node and requires `101`, a valid `Sec-WebSocket-Accept` and the
#   sub-protocol `media`.

# %% [markdown]
# ## Plan
# Python and poetry on the node, the `.env.sample` key names, the diff of `websocket_client.conf`
# (created) and of the `.env` (the password appears as a placeholder: plan never reads a secret),
# and the commands apply would run.

# %%
page.plan()

# %% [markdown]
# ## Interactive form
# In JupyterLab: change a value, press **Plan**, read the diff, tick *I reviewed the plan*, then
# **Apply**; **Verify** runs the checks. Headless runs skip this widget.

# %% [markdown]
# ## Rehearsal on the recorded node
# On `replay:` targets the notebook rehearses apply on an in-memory copy: apply, apply again
# (nothing left to change), verify, rollback. Secrets that are not set get a random throw-away
# value for the rehearsal only, and every output shows them masked (`********`). On real targets
# this cell does nothing.

# %% [markdown]
# ## The chosen mode
# `plan` stops at the plan above; `apply` changes the nodes (refused unless `confirm=True`);
# `verify` runs the checks and lists what to look at by hand. A failure raises here, so a
# scheduled headless run exits non-zero.

# %%
page.finish()
