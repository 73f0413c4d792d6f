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
targets: str = "replay:srv01"  # a node of the PBX: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect) or verify (adds the transcript coverage check)
confirm: bool = False  # kept for the shared form; this page changes no file
tenants: str = ""  # tenant codes, comma-separated; empty: all
stt_provider: str = "google"  # speech-to-text provider chosen in Admin/Settings: google, openai, other
stt_key_env: str = "MIRTA_GOOGLE_STT_KEY_FILE"  # env var holding the provider key (Google: JSON key file path)
bucket: str = "mirta-demo-transcripts"  # Google Cloud Storage bucket for the intermediate audio
transcription_enabled: bool = True  # Admin/Settings "Transcribe phone call recordings" is on
period_start: str = "2026-10-01"  # first day of the coverage check (YYYY-MM-DD)
period_end: str = "2026-11-01"  # day after the last day (YYYY-MM-DD)
max_missing_pct: float = 1.0  # verify fails when more transcripts than this % are missing
ssh_key_path: str = ""  # private key file for ssh:// targets; empty: SSH agent or default keys
known_hosts: str = ""  # known_hosts file for ssh:// targets; empty: ~/.ssh/known_hosts

# %% [markdown]
# ## Who transcribes
# Per tenant: extensions and DIDs, how many have the transcript on, and how many carry a
# finding. Then every row with a finding: *transcript on, recording off* (nothing will ever be
# transcribed) or *transcript on, mono* (the parties are mixed in one channel).

# %%
from mirtalib.runbooks.recording_pages import settings_table, transcript_counts

settings = settings_table([t for t in tenants.split(",") if t] or None)
print(transcript_counts(settings).to_string(index=False))
print()
print(settings[settings["finding"] != ""].to_string(index=False))

# %% [markdown]
# ## Transcript coverage
# From the recording coverage audit over the period: transcripts expected (recordings of
# transcribing extensions/DIDs, when the batch switch is on), present and missing per tenant.

# %%
from mirtalib.runbooks.recording_pages import coverage, transcript_coverage

result = coverage(period_start, period_end, tenants, transcription_enabled)
print(transcript_coverage(result).to_string(index=False))

# %% [markdown]
# ## The runbook
# The settings check, the manual switches (provider, batch job, per extension and DID) and, in
# verify mode, the coverage check against `max_missing_pct`.

# %%
from mirtalib.runbook import ssh_options, steps_text
from mirtalib.runbooks.p07_activating_the_transcript_for_calls import RUNBOOK

rb = RUNBOOK.open(targets, target_options=ssh_options(ssh_key_path, known_hosts),
                  **RUNBOOK.pick(globals()))
print(steps_text(rb.steps))

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
# `verify` runs the coverage check too; a failure raises here.

# %%
final = plan if mode == "plan" else rb.run(mode, confirm=confirm)
if mode != "plan":
    print(final)
final.raise_for_failure()
print(f"{mode}: no failure on {', '.join(n.node for n in final.nodes)}")
