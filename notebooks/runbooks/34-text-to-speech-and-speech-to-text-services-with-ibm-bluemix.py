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
# # 34 · Text to Speech and Speech to Text services with IBM Bluemix
#
# MiRTA's Voice Synthesizer section (Admin/Settings and Configuration/Settings) uses IBM Watson
# Speech to Text and Text to Speech. IBM now gives one **API key** per service instance: in MiRTA
# the user name is the literal `apikey` and the key is the password. The old shared host
# `stream.watsonplatform.net` is gone: each instance has its own URL
# `https://api.{location}.{offering}.watson.cloud.ibm.com/instances/{id}`, and MiRTA wants the
# full method URL (`/v1/recognize`, `/v1/synthesize`).
#
# This runbook validates both URLs, keeps the keys in environment variables *named* by the
# parameters (never in the notebook) and, in verify mode, asks each instance a read-only question
# with the key. The defaults point at the recorded demo node srv01; the probes answer from its
# recording.

# %% tags=["parameters"]
targets: str = "replay:srv01"  # comma-separated: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; run_id names the apply)
confirm: bool = False  # must be True for apply (and rollback), after reading the plan
stt_url: str = "https://api.us-east.speech-to-text.watson.cloud.ibm.com/instances/82baccdd-45ee-46ff-ba1a-3cd23425b3c1/v1/recognize"  # Speech to Text endpoint
tts_url: str = "https://api.us-east.text-to-speech.watson.cloud.ibm.com/instances/7615166e-9aee-42db-71e8-52fd6fa5058f/v1/synthesize"  # Text to Speech endpoint
api_user: str = "apikey"  # user name field in MiRTA: always apikey
stt_key_env: str = "MIRTA_WATSON_STT_APIKEY"  # NAME of the env var with the Speech to Text key
tts_key_env: str = "MIRTA_WATSON_TTS_APIKEY"  # NAME of the env var with the Text to Speech key
probe_api: bool = True  # verify: GET models/voices with the key, from this machine
timeout: float = 10.0  # probe timeout in seconds; 1-60
run_id: str = ""  # mode rollback: the run id of the apply to undo (`mirta journal` lists them); empty: the apply of this session
serial: int = 0  # apply: nodes changed at a time, each verified before the next (0: MIRTA_SERIAL, default 1)
ssh_key_path: str = ""  # private key file for ssh:// targets; empty: SSH agent or default keys
known_hosts: str = ""  # known_hosts file for ssh:// targets; empty: ~/.ssh/known_hosts

# %% [markdown]
# ## The runbook
# Nothing here changes a node: the credentials are typed into MiRTA's web pages (manual steps);
# the checks prove the keys are available and accepted.

# %%
from mirtalib.runbook.page import open_page
from mirtalib.runbooks.p34_text_to_speech_and_speech_to_text_services_with_ibm_bluemix import (
    RUNBOOK,
)

page = open_page(RUNBOOK, globals())

# %% [markdown]
# ## What the URL check refuses
# Each endpoint is split with `urllib.parse` and matched against the host pattern, the offering
# of its field, a UUID instance id and the method MiRTA calls. The page's own Text to Speech
# example has a 13-digit last group, so it is refused too: copy the URL from IBM Cloud again.

# %%
from mirtalib.errors import ParameterError
from mirtalib.runbooks.p34_text_to_speech_and_speech_to_text_services_with_ibm_bluemix import (
    watson_url,
)

for bad in ["https://stream.watsonplatform.net/text-to-speech/api",
            "https://api.us-east.speech-to-text.watson.cloud.ibm.com/instances/82baccdd-45ee-46ff-ba1a-3cd23425b3c1/v1/recognize",
            "https://api.us-east.text-to-speech.watson.cloud.ibm.com/instances/7615166e-9aee-42db-71e8-52fd6fa50586f/v1/synthesize",
            "https://api.us-east.text-to-speech.watson.cloud.ibm.com/instances/7615166e-9aee-42db-71e8-52fd6fa5058f"]:
    try:
        watson_url(bad, "text-to-speech", "tts_url")
    except ParameterError as exc:
        print(f"refused: {exc}\n")

# %% [markdown]
# ## Plan
# Whether each key is available here (its value is never shown), and what to type where.

# %%
page.plan()

# %% [markdown]
# ## Interactive form
# In JupyterLab: change a value and press **Plan** or **Verify**. Headless runs skip this widget.

# %% [markdown]
# ## Verify
# Each instance is asked for its listing (`GET .../v1/models` for Speech to Text, `.../v1/voices`
# for Text to Speech) with basic auth `apikey:<key>`. Only the status and the number of items
# come back: 401 means a wrong or swapped key, 404 a wrong instance URL. On the demo node the
# answers come from the recording.

# %%
checked = rb.verify() if probe_api else plan
print(checked)

# %% [markdown]
# ## The chosen mode
# `plan` and `verify` are the useful modes here (there is nothing to apply on the node). A failed
# check raises here, so a scheduled headless run exits non-zero.

# %%
page.finish()
