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
# # 06 · Activating the Switchboard
#
# The new switchboard connects to Amirouter (page 02) over HTTPS/websocket. Amirouter needs database
# and TLS lines in its `application.properties` and a PKCS12 keystore built from the certificate.
# This runbook writes the lines (both passwords from environment variables), builds the keystore with
# `openssl pkcs12 -export` reading its password from a root-only file, and refuses the published
# default keystore password.
#
# It runs in **plan** mode by default: nothing is changed. Set `mode = "apply"` and
# `confirm = True` to make the change (every file is backed up first), `mode = "verify"` to run
# the checks only. Secrets are given by the NAME of an environment variable, never by value.

# %% tags=["parameters"]
targets: str = "replay:srv01"  # comma-separated: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; run_id names the apply)
confirm: bool = False  # must be True for apply (and rollback), after reading the plan
properties_file: str = "/usr/local/amirouter/application.properties"  # Amirouter's Spring Boot properties
db_host: str = "localhost"  # MySQL host
db_port: int = 3306  # MySQL port
db_name: str = "asterisk"  # MySQL database
db_user: str = "asterisk"  # MySQL user
db_password_env: str = "MIRTA_AMIROUTER_DB_PASSWORD"  # NAME of the env variable with the MySQL password
certs_dir: str = "/usr/local/amirouter/certs"  # keystore folder
fullchain: str = "/usr/local/amirouter/certs/fullchain.pem"  # certificate chain (PEM)
privkey: str = "/usr/local/amirouter/certs/privkey.pem"  # private key (PEM)
key_alias: str = "tomcat"  # alias of the key in the keystore
keystore_password_env: str = "MIRTA_AMIROUTER_KEYSTORE_PASSWORD"  # NAME of the env variable with the keystore password
amirouter_port: int = 8080  # HTTPS/websocket port of Amirouter
switchboard_url: str = "pbx.example.com:8080"  # host:port set in Admin/Settings
generate_keystore_pw: bool = False  # apply on real nodes: create a strong keystore password in .env if unset (the notebook does it before apply)
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
from mirtalib.runbooks.p06_activating_the_switchboard import RUNBOOK

page = open_page(RUNBOOK, globals())

# %% [markdown]
# ## What to watch
# * The page's keystore password is `tomcat` and its database password `asterisk`: both are printed
#   in public documentation. The demo node has copied them (a warning in the plan). Apply refuses a
#   keystore password that is a published default or shorter than 16 characters; with
#   `generate_keystore_pw = True`, apply on real nodes first creates a strong random one in
#   the project's `.env` (mode 0600) under `keystore_password_env`; it is never printed.
# * `openssl` reads the password from a root-only file next to the keystore (`-passout file:`), so
#   it never appears on a command line that `ps` shows to every user of the node. The keystore is
#   rebuilt only when the password changed or the keystore does not open with it.
# * `application.properties` then holds two passwords: it is made readable by its owner only.

# %%
from mirtalib.runbooks.secretfiles import ensure_generated

if generate_keystore_pw and mode == "apply" and not rb.is_replay:
    created = ensure_generated(keystore_password_env)
    print(f"{keystore_password_env}: {'generated into .env' if created else 'already set'}")
else:
    print("keystore password: taken from", keystore_password_env)

# %% [markdown]
# ## Plan
# The default-password finding, the certificate, the password file and properties diffs (secrets as
# placeholders: plan never reads them) and the keystore command apply would run.

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
