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
# # 07 · Activating the transcript for calls
#
# MiRTA transcribes call recordings in a batch job. Four switches must agree: the speech-to-text
# provider (Admin/Settings, or per tenant in Configuration/Settings; Google Speech-to-Text needs
# a JSON API key and a bucket for the intermediate audio), the batch switch *Transcribe phone
# call recordings* in Admin/Settings, and the transcript flag on each extension (*Outbound
# Recording* section) and each DID (*Voice* section). Stereo recording separates the parties
# and gives better transcripts.
#
# This notebook reads the settings from the PBX database (the demo's here): which extensions and
# DIDs transcribe, and where the settings contradict each other; then the transcript coverage
# numbers from the recording coverage audit (`mirtalib.recording`; the full report is the
# notebook `analytics/recording-coverage`). The provider key is never a parameter: the
# parameter names the env var that holds it.

# %% tags=["parameters"]
targets: str = "replay:srv01"  # comma-separated: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; run_id names the apply)
confirm: bool = False  # must be True for apply (and rollback), after reading the plan
tenants: str = ""  # tenant codes, comma-separated; empty: all
stt_provider: str = "google"  # speech-to-text provider chosen in Admin/Settings: google, openai, other
stt_key_env: str = "MIRTA_GOOGLE_STT_KEY_FILE"  # env var holding the provider key (Google: JSON key file path)
bucket: str = "mirta-demo-transcripts"  # Google Cloud Storage bucket for the intermediate audio
transcription_enabled: bool = True  # Admin/Settings "Transcribe phone call recordings" is on
period_start: str = "2026-10-01"  # first day of the coverage check (YYYY-MM-DD)
period_end: str = "2026-11-01"  # day after the last day (YYYY-MM-DD)
max_missing_pct: float = 1.0  # verify fails when more transcripts than this % are missing; 0-100
run_id: str = ""  # mode rollback: the run id of the apply to undo (`mirta journal` lists them); empty: the apply of this session
serial: int = 0  # apply: nodes changed at a time, each verified before the next (0: MIRTA_SERIAL, default 1)
ssh_key_path: str = ""  # private key file for ssh:// targets; empty: SSH agent or default keys
known_hosts: str = ""  # known_hosts file for ssh:// targets; empty: ~/.ssh/known_hosts

# %% [markdown]
# ## The runbook
# The settings check, the manual switches (provider, batch job, per extension and DID) and, in
# verify mode, the coverage check against `max_missing_pct`.

# %%
from mirtalib.runbook.page import open_page
from mirtalib.runbooks.p07_activating_the_transcript_for_calls import RUNBOOK

page = open_page(RUNBOOK, globals())

# %% [markdown]
# ## Who transcribes
# Per tenant: extensions and DIDs, how many have the transcript on, and how many carry a
# finding. Then every row with a finding: *transcript on, recording off* (nothing will ever be
# transcribed) or *transcript on, mono* (the parties are mixed in one channel).

# %%
from mirtalib.runbooks.recording_pages import transcript_settings_text

print(transcript_settings_text(tenants))

# %% [markdown]
# ## Transcript coverage
# From the recording coverage audit over the period: transcripts expected (recordings of
# transcribing extensions/DIDs, when the batch switch is on), present and missing per tenant.

# %%
from mirtalib.runbooks.recording_pages import transcript_coverage_text

print(transcript_coverage_text(period_start, period_end, tenants, transcription_enabled))

# %%
page.plan()

# %% [markdown]
# ## Interactive form
# In JupyterLab: change a value, press **Plan** or **Verify**. Headless runs skip this widget.

# %% [markdown]
# ## The chosen mode
# `verify` runs the coverage check too; a failure raises here.

# %%
page.finish()
