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
# # 05 · Using the Generative Artificial Intelligence, talking with ChatGPT
#
# The ChatGPT assistant needs three subscriptions (Google Speech-to-Text with a service account,
# an OpenAI API key, a Google Text-to-Speech API key) and, preferably, AEAP: Asterisk's websocket
# client of the speech-to-text service. This runbook checks Asterisk (20 or later) and its AEAP
# modules, writes `aeap.conf`, puts the two API keys into the speech service's environment file
# from environment variables (apply only, masked everywhere), and verifies the speech port with a
# real websocket handshake using the `speech_to_text` sub-protocol.
#
# It runs in **plan** mode by default: nothing is changed. Set `mode = "apply"` and
# `confirm = True` to make the change (every file is backed up first), `mode = "verify"` to run
# the checks only. Secrets are given by the NAME of an environment variable, never by value.

# %% tags=["parameters"]
targets: str = "replay:srv01"  # comma-separated: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; run_id names the apply)
confirm: bool = False  # must be True for apply (and rollback), after reading the plan
aeap_conf: str = "/etc/asterisk/aeap.conf"  # AEAP file
client_name: str = "my-speech-to-text"  # AEAP client section
speech_port: int = 9099  # speech service port
codecs: str = "!all,ulaw"  # codecs offered to the speech service
service_env_file: str = "/usr/local/openaigateway/.env"  # environment file of the speech service
openai_key_env: str = "MIRTA_OPENAI_API_KEY"  # NAME of the env variable with the OpenAI API key
google_tts_key_env: str = "MIRTA_GOOGLE_TTS_API_KEY"  # NAME of the env variable with the Google TTS API key
google_service_account_file: str = "/usr/local/openaigateway/google-stt-service-account.json"  # service-account JSON on the node
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
from mirtalib.runbooks.p05_using_the_generative_artificial_intelligence_talking_with_chatgpt import RUNBOOK

page = open_page(RUNBOOK, globals())

# %% [markdown]
# ## What to watch
# * **Keys.** The OpenAI key spends money and the Google keys open paid APIs: they are given by the
#   NAME of an environment variable, written only by apply, and every output shows `********`. The
#   page prints an example Google key: a format sample, never a value to use. Restrict the Google
#   key to the node's IP address in the Google console.
# * **Service-account JSON.** It can be downloaded only once; keep a safe copy. On the node it must be
#   readable by its owner only (checked).
# * **AEAP or AGI.** AGI will be removed; AEAP needs `res_aeap` and `res_speech_aeap`, present from
#   Asterisk 18 and advised on 20.x: 18/19 give a warning, older versions fail.
# * **Port.** The speech service should listen on 127.0.0.1 only; the handshake proves it speaks
#   websocket with the `speech_to_text` sub-protocol, not only that the port is open.

# %% [markdown]
# ## Plan
# Asterisk version and modules, the JSON file's mode, the new `aeap.conf`, the env-file diff (keys
# as placeholders: plan never reads a secret) and the reload apply would run.

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
