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
# # 14 · Understanding call recording
#
# Recording a whole trunk is easy; recording the right *legs* once calls are stopped and
# transferred is not. The page's set-up: phones A and B record "Yes, but allow to stop by
# caller", the DID records "Yes, but allow to stop by called". Then a direct call A-B is
# recorded; if A (the caller) transfers B to C, B-C is **not** recorded; if B (the called)
# transfers A to C, A-C **is**; an external call to A on the DID is recorded, and so is the
# external party with B after A transfers it.
#
# The table lives as data in `mirtalib.recording.RULES` (the page's five cases plus the ones it
# leaves open, marked *assumed*); the recording coverage audit uses it. This notebook shows the
# table and evaluates the demo PBX's calls of the period against it. The full audit (per day,
# gaps, files) is the notebook `analytics/recording-coverage`.

# %% tags=["parameters"]
targets: str = "replay:srv01"  # comma-separated: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; run_id names the apply)
confirm: bool = False  # must be True for apply (and rollback), after reading the plan
tenants: str = ""  # tenant codes, comma-separated; empty: all
period_start: str = "2026-10-01"  # first day of the calls evaluated (YYYY-MM-DD)
period_end: str = "2026-11-01"  # day after the last day (YYYY-MM-DD)
run_id: str = ""  # mode rollback: the run id of the apply to undo (`mirta journal` lists them); empty: the apply of this session
serial: int = 0  # apply: nodes changed at a time, each verified before the next (0: MIRTA_SERIAL, default 1)
ssh_key_path: str = ""  # private key file for ssh:// targets; empty: SSH agent or default keys
known_hosts: str = ""  # known_hosts file for ssh:// targets; empty: ~/.ssh/known_hosts

# %% [markdown]
# ## The page's table, as rules
# `policy_from`: whose setting decides whether the leg is recorded (the extension that placed
# the call, the DID, the consulting extension itself, or nobody).

# %%
from mirtalib.recording import rules_frame

print(rules_frame().to_string(index=False))

# %% [markdown]
# ## The runbook
# One manual step (reproduce the page's set-up on a test tenant and place the five calls) and the
# check below as a verdict. Opening it first also sets where the cells below read the calls:
# the demo PBX on `replay:` targets, else the database of `MIRTA_DB_URL`.

# %%
from mirtalib.runbook.page import open_page
from mirtalib.runbooks.p14_understanding_call_recording import RUNBOOK

page = open_page(RUNBOOK, globals())

# %% [markdown]
# ## The period's calls against the rules
# Answered legs per rule: how many there were, how many the settings made recordable
# (`expected`), how many recordings exist, how many are missing, and how many were recorded
# although the rule says no (`unexpected`).

# %%
from mirtalib.runbooks.recording_pages import rules_vs_calls_text

print(rules_vs_calls_text(period_start, period_end, tenants))

# %% [markdown]
# ## Plan
# The check above as a verdict. Nothing is changed.

# %%
page.plan()

# %%
page.finish()
