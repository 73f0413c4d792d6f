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
# # 03 · Integrating with Microsoft Teams
#
# Microsoft Teams Direct Routing reaches MiRTA PBX through OpenSIPS (TLS on 5067), which proxies to
# a dedicated Asterisk PJSIP TLS transport (5091). This runbook lists the Microsoft-side and MiRTA-side
# steps, checks the certificate on the node (every Teams-facing name, expiry, chain), fills the
# OpenSIPS placeholders, writes the Teams transport/endpoint/AOR/identify sections and the sorcery.conf
# lines, reloads PJSIP, and verifies the listeners and `pjsip show` output.
#
# It runs in **plan** mode by default: nothing is changed. Set `mode = "apply"` and
# `confirm = True` to make the change (every file is backed up first), `mode = "verify"` to run
# the checks only. Secrets are given by the NAME of an environment variable, never by value.

# %% tags=["parameters"]
targets: str = "replay:srv01"  # comma-separated: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; run_id names the apply)
confirm: bool = False  # must be True for apply (and rollback), after reading the plan
teams_fqdn: str = "teams1.example.com"  # FQDN of the Asterisk/Teams side (from_domain, FQDN placeholder)
certificate_names: str = "asterisk.example.com,opensips.example.com,teams1.example.com"  # every Teams-facing name the certificate must cover
private_ip: str = "10.20.0.11"  # private IP of the OpenSIPS node
public_ip: str = "203.0.113.11"  # public NAT address; empty: same as private_ip
asterisk_ip: str = "10.20.0.11"  # Asterisk server receiving the proxied Teams traffic
placeholders: str = "__PRIVATE_IP__,__PUBLIC_IP__,__ASTERISK_IP__,__FQDN__"  # tokens in opensips.cfg: private IP, public IP, Asterisk IP, FQDN
opensips_cfg: str = "/etc/opensips/opensips.cfg"  # OpenSIPS configuration
opensips_source: str = "/var/www/html/pbx/protected/opensips.cfg"  # MiRTA's prepared copy
opensips_port: int = 5067  # OpenSIPS port facing Teams
tls_port: int = 5091  # port of the Teams PJSIP TLS transport
pjsip_conf: str = "/etc/asterisk/pjsip.conf"  # main PJSIP file (gets an #include)
teams_conf: str = "/etc/asterisk/pjsip_msteams.conf"  # file holding the Teams sections
sorcery_conf: str = "/etc/asterisk/sorcery.conf"  # sorcery mapping file
transport_name: str = "transport-msteams"  # Teams transport, never the phones' one
endpoint_name: str = "msteams_trunk_from_teams"  # Teams endpoint/identify name
context: str = "msteams"  # dialplan context of calls from Teams
tls_method: str = "tlsv1_2"  # TLS method: tlsv1_2 (Teams needs 1.2), tlsv1_3, sslv23 (page)
cert_file: str = "/etc/opensips/ssl/cert.crt"  # certificate chain (PEM) on the node
ca_file: str = "/etc/opensips/ssl/ca.crt"  # CA list file
key_file: str = "/etc/opensips/ssl/privkey.crt"  # private key file
cert_warn_days: int = 21  # warn when the certificate expires within this many days; 1-365
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
from mirtalib.runbooks.p03_integrating_with_microsoft_teams import RUNBOOK

page = open_page(RUNBOOK, globals())

# %% [markdown]
# ## What to watch
# * **Certificate.** Teams refuses an SBC whose certificate lacks one of its names or has expired, and
#   then marks the SBC inactive without telling why. The check reads the PEM file *on the node* and
#   compares its subjectAltName with `certificate_names` (a wildcard covers one label), and the expiry
#   with `cert_warn_days`. On the demo node 16 days are left: renew now.
# * **acme.sh line of the page.** `--cert-file` writes the *leaf* certificate; the page stores it as
#   `ca.crt`, which PJSIP then uses as its CA list. Use `--ca-file` for `ca.crt`.
# * **TLS method.** The page uses `method=sslv23` (anything the library allows); Teams requires TLS 1.2,
#   so `tlsv1_2` is the default here.
# * **Separate transport and file.** The Teams sections go to their own file included by pjsip.conf, so
#   the phones' transports are never edited and rollback is one file.
# * **Reloads.** `pjsip reload` creates a *new* transport, but does not change an existing one, and
#   sorcery.conf changes only apply at an Asterisk restart: keep that for a maintenance window.
#   Restarting OpenSIPS drops Teams calls in progress; it only runs when opensips.cfg changed.

# %% [markdown]
# ## Plan
# The certificate facts, the placeholders still to fill, the diffs of opensips.cfg (validated with
# `opensips -C` before it goes live), of the Teams file (created), of pjsip.conf (one `#include`) and
# of sorcery.conf, and the reloads apply would run.

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
