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
# # Fleet health: every node, every page's checks
#
# Runs the read-only checks of every runbook page (the checks of plan and verify, and the
# read-only commands) on every node of a fleet inventory, as `mirta fleet` does every night, and
# answers: what fails or warns where, and why; which certificates expire first; which kernel,
# Asterisk and PHP each node runs. A page applies to the nodes whose roles it names (`pbx`, `db`,
# `opensips`, `ftp`, `dahdi`); elsewhere it is *n.a.*, not a failure. Nothing is changed: the
# engine refuses any step that could change a node in this mode. The default inventory `demo`
# names the two recorded demo nodes srv01 and srv02 (replays, not real servers).

# %% tags=["parameters"]
inventory: str = "demo"  # inventory YAML file (parameters/examples/fleet-inventory.yaml); demo: the recorded demo nodes
pages: str = ""  # page numbers separated by commas (empty: every page)
forks: int = 5  # nodes checked at the same time
node: str = "srv01"  # the node whose checks are listed one by one at the end

# %%
from IPython.display import HTML

from mirtalib.fleet import load_inventory, page_selection
from mirtalib.fleet.report import certificates, checks_table, fleet_summary, matrix_html, problems, versions
from mirtalib.fleet.run import run_fleet
from mirtalib.reporting.fmt import html_table

fleet = load_inventory(inventory)
run = run_fleet(fleet, page_selection(pages), forks=forks)
fleet_summary(run)

# %% [markdown]
# ## Node x page
# One cell per page and node: ok (every check passed), warn, fail, n.a. (the page does not apply
# to the node's roles, or a demo node has no recording of it) or unreachable (the node did not
# answer within its `timeout`). Hover a cell for its reason; the table below lists them all.

# %%
HTML(matrix_html(run))

# %% [markdown]
# ## What is wrong, and why
# Every cell that is not ok or n.a., unreachable nodes and failures first, with the failing (or
# warning) checks and their reasons.

# %%
html_table(problems(run), max_rows=None, empty="every check passes")

# %% [markdown]
# ## Certificates, fewest days left first
# The certificate files the inventory lists per node (`certificates`), read on the node: a
# certificate within `cert_warn_days` (30) of its end warns, within `cert_fail_days` (7) or
# expired fails.

# %%
html_table(certificates(run), max_rows=None, empty="no certificate listed in the inventory")

# %% [markdown]
# ## Versions
# `uname -r`, `asterisk -rx 'core show version'` and `php -v` on each node.

# %%
html_table(versions(run), max_rows=None)

# %% [markdown]
# ## One node, check by check
# Every check and read-only command of every page on the node of the `node` parameter: its state,
# reason and the evidence it read.

# %%
fleet.node(node)  # a node the inventory does not name is refused here
html_table(checks_table(run, node).drop(columns=["node"]), max_rows=None)
