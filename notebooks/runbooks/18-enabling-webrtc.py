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
# # 18 · Enabling WebRTC
#
# Browsers can be phones: they register over a secure websocket (`wss://name:8089/ws`) and
# encrypt media with DTLS-SRTP. This runbook checks the certificate on the node (it must be a
# real one covering the name), sets the `[general]` keys of `http.conf` (TLS listener) and
# `sip.conf` (ws/wss transports, realm, DTLS), reloads only what changed, and verifies the HTTP
# server status, a TLS handshake on 8089 and a real websocket upgrade on `/ws`, plain and over
# TLS.
#
# It runs in **plan** mode by default: nothing is changed. The defaults point at the recorded demo
# node srv01.

# %% tags=["parameters"]
targets: str = "replay:srv01"  # comma-separated: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; run_id names the apply)
confirm: bool = False  # must be True for apply (and rollback), after reading the plan
server_name: str = "srv01.pbx.example.net"  # name browsers use (certificate, realm)
cert_file: str = "/etc/asterisk/certificates/srv01.pbx.example.net.pem"  # certificate (PEM)
key_file: str = "/etc/asterisk/certificates/srv01.pbx.example.net.key"  # key; "" when in cert_file
http_bindaddr: str = "127.0.0.1"  # plain HTTP listener (page: 0.0.0.0; browsers only use wss)
http_port: int = 8088  # plain HTTP port
tls_bindaddr: str = "0.0.0.0"  # noqa: S104 - TLS listener, reached by the browsers
tls_port: int = 8089  # https / wss port
sip_transports: str = "udp,tcp,tls,ws,wss"  # chan_sip transport list in [general]
dtls: bool = True  # set dtlsenable/dtlsverify/dtlscertfile/dtlsprivatekey in sip.conf [general]
expiry_warn_days: int = 21  # warn when the certificate expires within this many days; 0-365
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
from mirtalib.runbooks.p18_enabling_webrtc import RUNBOOK

page = open_page(RUNBOOK, globals())

# %% [markdown]
# ## The settings
# `http.conf` and `sip.conf` keys set in `[general]` (other lines stay as they are). The page binds
# the plain listener on all addresses; it is kept on loopback here because browsers refuse `ws://`
# from an https page anyway, and the plain port would only expose Asterisk's HTTP server.

# %%
from mirtalib.runbooks.p18_enabling_webrtc import http_values, sip_values

print("http.conf [general]:", *(f"  {k}={v}" for k, v in http_values(rb.values).items()), sep="\n")
print("sip.conf [general]:", *(f"  {k}={v}" for k, v in sip_values(rb.values).items()), sep="\n")

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
