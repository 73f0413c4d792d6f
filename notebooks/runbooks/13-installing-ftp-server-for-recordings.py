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
# # 13 · Installing FTP server for recordings
#
# A node (or a separate box) stores call recordings over FTPS with vsftpd: a self-signed
# certificate, anonymous logins off, local users jailed in their home, TLS forced for logins and
# data, and a `recording` user whose home is **not writable** (vsftpd refuses a writable chroot)
# with a writable `recordings` folder inside. The recording coverage audit (notebook
# `analytics/recording-coverage`, library `mirtalib.recording`) reads that store over FTPS; the
# last check here logs in with the very same reader.
#
# Departures from the page, all on the safe side: a 2048-bit key (the page's `rsa:1024` is
# refused by current OpenSSL and clients), `systemctl enable` instead of `chkconfig`,
# `ssl_ciphers=HIGH` added, and the user's password set by hand (`passwd`), never by the
# notebook: the FTPS check reads it from the env var named by `password_env`.
#
# Plan mode by default: nothing is changed. `mode = "apply"` with `confirm = True` makes the
# change (vsftpd.conf backed up first); the restart drops open FTP sessions.

# %% tags=["parameters"]
targets: str = "replay:srv01"  # comma-separated: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; run_id names the apply)
confirm: bool = False  # must be True for apply (and rollback), after reading the plan
ftp_user: str = "recording"  # local user the PBX uploads recordings as
ftp_home: str = "/home/recording"  # its home, the chroot: made not writable (chmod 500)
vsftpd_conf: str = "/etc/vsftpd/vsftpd.conf"  # vsftpd configuration file (Debian: /etc/vsftpd.conf)
cert_file: str = "/etc/ssl/private/vsftpd.pem"  # key + certificate in one PEM file
cert_days: int = 365  # certificate validity in days; 1-3650
key_bits: int = 2048  # RSA key size; below 2048 is refused (the page says 1024)
cert_cn: str = "pbx.demo.mirta.example"  # certificate common name: the name clients connect to
ftps_host: str = ""  # host for the FTPS login check; empty: skip it (the demo has no server)
ftps_port: int = 21  # FTPS control port
password_env: str = "MIRTA_FTPS_PASSWORD"  # env var holding the FTP user's password
ftps_cafile: str = ""  # certificate to trust for the login check (self-signed: the PEM's cert)
run_id: str = ""  # mode rollback: the run id of the apply to undo (`mirta journal` lists them); empty: the apply of this session
serial: int = 0  # apply: nodes changed at a time, each verified before the next (0: MIRTA_SERIAL, default 1)
ssh_key_path: str = ""  # private key file for ssh:// targets; empty: SSH agent or default keys
known_hosts: str = ""  # known_hosts file for ssh:// targets; empty: ~/.ssh/known_hosts

# %% [markdown]
# ## What goes into vsftpd.conf and the certificate command
# The settings are set in place in the existing file (every other line kept), then the command
# that makes the certificate (quoted, key and certificate in one file, readable by root only).

# %%
from mirtalib.runbooks.p13_installing_ftp_server_for_recordings import (
    certificate_command, vsftpd_settings)

print("\n".join(f"{k}={v}" for k, v in vsftpd_settings(cert_file).items()))
print()
print(certificate_command(cert_file, cert_days, key_bits, cert_cn))

# %% [markdown]
# ## The runbook

# %%
from mirtalib.runbook.page import open_page
from mirtalib.runbooks.p13_installing_ftp_server_for_recordings import RUNBOOK

page = open_page(RUNBOOK, globals())

# %% [markdown]
# ## Plan
# The vsftpd package, what is already in effect (guards), the diff of vsftpd.conf and the
# commands apply would run. Nothing is changed.

# %%
page.plan()

# %% [markdown]
# ## Interactive form
# In JupyterLab: **Plan**, review, tick *I reviewed the plan*, **Apply**, **Verify**,
# **Rollback**. Headless runs skip this widget.

# %% [markdown]
# ## Rehearsal on the recorded node
# Apply on an in-memory copy of the demo node, apply again (nothing left to do), verify and roll
# back. The FTPS login check warns here: the demo has no FTP server to log in to (set
# `ftps_host` on a real one; the integration tests run it against a real vsftpd).

# %% [markdown]
# ## The chosen mode
# A failed step or check raises here, so a headless run exits non-zero.

# %%
page.finish()
