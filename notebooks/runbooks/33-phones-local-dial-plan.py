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
# # 33 · Phones local dial plan
#
# Most phones filter what is typed on the keypad with a local dial plan: the call is placed as
# soon as a complete number is dialed, and what does not match is refused. Too strict a plan stops
# users from dialing what they need. For Grandstream phones the page recommends
# `{ x+\-X+ | \#x+\-X+ | x+ | \+x+ | *x+ | *xx*x+ }`: `x` a digit, `X` a digit or letter, `+`
# repeats what precedes it, `\` makes the next character literal.
#
# This notebook parses the plan (a mistake is reported with the rule and position) and tries it on
# realistic numbers: Italian landlines and mobiles, E.164 with `+`, `00` international, emergency
# numbers, internal numbers, feature codes and usernames, plus the ones you add.

# %% tags=["parameters"]
targets: str = "replay:srv01"  # comma-separated: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; run_id names the apply)
confirm: bool = False  # must be True for apply (and rollback), after reading the plan
dial_plan: str = "{ x+\\-X+ | \\#x+\\-X+ | x+ | \\+x+ | *x+ | *xx*x+ }"  # x+\-X+ | x+ | \+x+ | *x+ | *xx*x+ }"  # Grandstream plan (the page's)
numbers: str = "customer service:0558123456,sales mobile:3471234567"  # more label:number pairs that must dial
run_id: str = ""  # mode rollback: the run id of the apply to undo (`mirta journal` lists them); empty: the apply of this session
serial: int = 0  # apply: nodes changed at a time, each verified before the next (0: MIRTA_SERIAL, default 1)
ssh_key_path: str = ""  # private key file for ssh:// targets; empty: SSH agent or default keys
known_hosts: str = ""  # known_hosts file for ssh:// targets; empty: ~/.ssh/known_hosts

# %% [markdown]
# ## The runbook
# The page's own steps inside the frame every page shares (*before starting*, *implementation*,
# *current verification*). The checks only read; the changes themselves are made on the phones
# and in the MiRTA web pages, so they are checklist items.

# %%
import pandas as pd

from mirtalib.runbook.page import open_page
from mirtalib.runbooks.p33_phones_local_dial_plan import RUNBOOK

pd.set_option("display.width", 200)
pd.set_option("display.max_colwidth", 120)
page = open_page(RUNBOOK, globals())

# %% [markdown]
# ## Plan
# The read-only checks on each node and the checklist. Nothing is changed.

# %%
page.plan()

# %% [markdown]
# ## The plan, rule by rule

# %%
from mirtalib.phones.dialtables import describe

print(describe(dial_plan).to_string(index=False))

# %% [markdown]
# ## What the phone does with each number
# `dial`: placed at once; `dial-after-timeout`: complete, but longer numbers also match, so the
# phone waits for the dial key or its timeout (with `x+` that is every number, emergency ones
# included: the price of accepting any length); `incomplete`: waits for more digits; `blocked`
# / `rejected`: never placed. `sent` is the number after `<..=..>` substitutions.

# %%
from mirtalib.runbooks.p33_phones_local_dial_plan import dial_table

table = dial_table(dial_plan, numbers)
print(table.to_string(index=False))
print(table["outcome"].value_counts().to_string())

# %% [markdown]
# ## Typing mistakes the plan refuses
# A few strings a user may type by mistake, and the Grandstream factory default for comparison:
# it has no rule for usernames.

# %%
from mirtalib.phones.dialplan import GRANDSTREAM_DEFAULT
from mirtalib.phones.dialtables import evaluate_many

odd = [("letters only", "DEVEL"), ("dash at the end", "104-"), ("two plus signs", "+39+1")]
print(evaluate_many(dial_plan, odd).to_string(index=False))
print(evaluate_many(GRANDSTREAM_DEFAULT, [("username", "104-DEVEL")]).to_string(index=False))

# %% [markdown]
# ## Interactive form
# In JupyterLab: change a value, press **Plan**, work through the checklist, then **Verify**.
# Headless runs skip this widget.

# %% [markdown]
# ## The chosen mode
# `plan` stops at the plan above; `verify` runs the checks again once the phones and MiRTA
# settings are changed, and a failed check raises here, so a scheduled headless run exits
# non-zero.

# %%
page.finish()
