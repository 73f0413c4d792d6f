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
# # 08 · Generating an alternative SmartAdmin module
#
# MiRTA's web interface uses the SmartAdmin theme. With a SmartAdmin developer licence you can
# rebuild the theme module yourself, for instance in your own colours. This runbook checks the
# build tools (node, npm, gulp-cli), sets the five theme colours in
# `src/scss/_modules/variables.scss` and the `compile` options in `build.json`, runs the build
# only when something changed, and checks that the built CSS carries the new primary colour.
#
# Run it against the **build machine** (it may be a node). It runs in **plan** mode by default:
# nothing is changed. The defaults point at the recorded demo node srv01.

# %% tags=["parameters"]
targets: str = "replay:srv01"  # comma-separated: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; run_id names the apply)
confirm: bool = False  # must be True for apply (and rollback), after reading the plan
source_dir: str = "/root/smartadmin-html-full"  # SmartAdmin source folder (with gulpfile.js)
node_version: str = "10.16.0"  # node to build with (page: documented 6.9.2 fails, 10.16.0 works)
color_primary: str = "#1F6FB2"  # $color-primary (page: #2198F3)
color_success: str = "#52bf11"  # $color-success (page: #52bf11)
color_info: str = "#BB1BF4"  # $color-info (page: #BB1BF4)
color_warning: str = "#FF9A13"  # $color-warning (page: #FF9A13)
color_danger: str = "#FC1349"  # $color-danger (page: #FC1349)
minify: bool = True  # build.json jsUglify and cssMinify
sourcemaps: bool = False  # build.json js/cssSourcemaps (page: true; they publish your sources)
rtl: bool = False  # also build right-to-left CSS (gulp build-rtlcss)
built_css: str = "dist/css/app.bundle.css"  # built CSS (inside source_dir) checked for the colour
run_id: str = ""  # mode rollback: the run id of the apply to undo (`mirta journal` lists them); empty: the apply of this session
serial: int = 0  # apply: nodes changed at a time, each verified before the next (0: MIRTA_SERIAL, default 1)
ssh_key_path: str = ""  # private key file for ssh:// targets; empty: SSH agent or default keys
known_hosts: str = ""  # known_hosts file for ssh:// targets; empty: ~/.ssh/known_hosts

# %% [markdown]
# ## The runbook
# The page's own steps sit inside the frame every page shares (*before starting*,
# *implementation*, *current verification*). Read-only steps also run in plan mode; the changing
# ones only in apply mode.

# %%
from mirtalib.runbook.page import open_page
from mirtalib.runbooks.p08_generating_alternative_smartadmin_module import RUNBOOK

page = open_page(RUNBOOK, globals())

# %% [markdown]
# ## The colours
# The page's defaults next to the ones chosen here. Shades (hover, borders) are derived from these
# five by SmartAdmin's SCSS, so these are the only values to change.

# %%
import pandas as pd

from mirtalib.runbooks.p08_generating_alternative_smartadmin_module import COLORS, PAGE_COLORS

chosen = {c: rb.values[f"color_{c}"] for c in COLORS}
print(pd.DataFrame({"page": PAGE_COLORS, "chosen": chosen}).to_string())

# %% [markdown]
# Two remarks the page makes in passing: the node version matters (the build breaks on the
# documented 6.9.2; over SSH the shell uses the system node, not the one `nvm use` selected), and
# if you upgrade jquery-ui, build it **without** its tooltip module, which collides with
# Bootstrap's. Source maps are off by default here: they would publish the theme's sources.

# %% [markdown]
# ## Plan
# Current state on the node, the diff of every file and the commands apply would run, each
# with its guard. Nothing is changed.

# %%
page.plan()

# %% [markdown]
# ## Interactive form
# In JupyterLab: change a value, press **Plan**, read the diff, tick *I reviewed the plan*, then
# **Apply**; **Verify** runs the checks and **Rollback** restores what apply changed. The form
# shows in the last cell, in JupyterLab only; headless runs skip it.

# %% [markdown]
# ## Rehearsal on the recorded node
# On `replay:` targets the notebook rehearses apply on an in-memory copy of the node: apply,
# apply again (nothing left to change), verify, and rollback. On real targets this cell does
# nothing.

# %% [markdown]
# ## The chosen mode
# `plan` stops at the plan above; `apply` changes the nodes (refused unless `confirm=True`);
# `verify` runs the checks and lists what to look at by hand. A failed check in verify mode (or a
# failed step in apply mode) raises here, so a scheduled headless run exits non-zero.

# %%
page.finish()
