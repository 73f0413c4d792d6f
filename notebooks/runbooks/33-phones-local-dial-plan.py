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
mode: str = "plan"  # plan (read only), apply (needs confirm) or verify
confirm: bool = False  # must be True for apply, after reading the plan
dial_plan: str = r"{ x+\-X+ | \#x+\-X+ | x+ | \+x+ | *x+ | *xx*x+ }"  # Grandstream plan (the page's)
numbers: str = "customer service:0558123456,sales mobile:3471234567"  # more label:number pairs that must dial
ssh_key_path: str = ""  # private key file for ssh:// targets; empty: SSH agent or default keys
known_hosts: str = ""  # known_hosts file for ssh:// targets; empty: ~/.ssh/known_hosts

# %% [markdown]
# ## The runbook
# The page's own steps inside the frame every page shares (*before starting*, *implementation*,
# *current verification*). The checks only read; the changes themselves are made on the phones
# and in the MiRTA web pages, so they are checklist items.

# %%
import pandas as pd

from mirtalib.runbook import ssh_options, steps_text
from mirtalib.runbooks.p33_phones_local_dial_plan import RUNBOOK

pd.set_option("display.width", 200)
pd.set_option("display.max_colwidth", 120)
rb = RUNBOOK.open(targets, target_options=ssh_options(ssh_key_path, known_hosts),
                  **RUNBOOK.pick(globals()))
print(steps_text(rb.steps))

# %% [markdown]
# ## Plan
# The read-only checks on each node and the checklist. Nothing is changed.

# %%
plan = rb.plan()
print(plan)

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

# %%
# NBVAL_IGNORE_OUTPUT
rb.ui()

# %% [markdown]
# ## The chosen mode
# `plan` stops at the plan above; `verify` runs the checks again once the phones and MiRTA
# settings are changed, and a failed check raises here, so a scheduled headless run exits
# non-zero.

# %%
final = plan if mode == "plan" else rb.run(mode, confirm=confirm)
if mode != "plan":
    print(final)
final.raise_for_failure()
print(f"{mode}: no failure on {', '.join(n.node for n in final.nodes)}")
