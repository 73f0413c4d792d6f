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
# # 04 · Debugging TLS problems
#
# On CentOS/RHEL 9 a system-wide *crypto policy* decides what every OpenSSL program on the node
# may use, Asterisk included. After a move from CentOS 7, TLS trunks and phones that still use
# SHA-1 certificate signatures, small keys or TLS 1.0/1.1 stop working. The page lists the tools
# (`openssl ciphers -v`, `openssl s_client`, `nmap --script ssl-enum-ciphers`, testssl.sh, a
# tshark capture) and the fix it used: the LEGACY policy plus `method=tlsv1_2` and
# `cipher=DEFAULT,@SECLEVEL=1` in the pjsip TLS transport.
#
# This runbook enumerates what the TLS peer accepts (every protocol version and suite, like
# ssl-enum-ciphers, in Python), reads its certificate chain, compares it with what a CentOS 9
# client offers under DEFAULT and under LEGACY, repeats the page's `s_client` from the node, and
# writes the transport lines. It runs in **plan** mode by default; the defaults point at demo node
# srv01, whose TLS trunk goes to a carrier SBC (recorded).

# %% tags=["parameters"]
targets: str = "replay:srv01"  # comma-separated: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; run_id names the apply)
confirm: bool = False  # must be True for apply (and rollback), after reading the plan
tls_host: str = "sip.voip-carrier.example"  # TLS peer to examine: the carrier SBC, or this PBX's own name
tls_port: int = 5061  # its TLS port (SIP over TLS: 5061)
ca_file: str = ""  # CA bundle on this machine to verify the peer with; empty: the system store
pjsip_conf: str = "/etc/asterisk/pjsip_transports.conf"  # file holding the TLS transport section
transport: str = "transport-tls"  # pjsip transport section to edit
method: str = "tlsv1_2"  # method of the transport: tlsv1_2 (page), tlsv1_3, sslv23 (any) ...; one of tlsv1_2, tlsv1_3, sslv23, tlsv1, tlsv1_1
cipher: str = ""  # cipher list of the transport; empty keeps the current line
crypto_policy: str = "keep"  # system crypto policy to set: keep, DEFAULT or LEGACY (LEGACY weakens every service)
expiry_warn_days: int = 30  # warn when a certificate of the peer expires within this many days; 1-365
run_id: str = ""  # mode rollback: the run id of the apply to undo (`mirta journal` lists them); empty: the apply of this session
serial: int = 0  # apply: nodes changed at a time, each verified before the next (0: MIRTA_SERIAL, default 1)
ssh_key_path: str = ""  # private key file for ssh:// targets; empty: SSH agent or default keys
known_hosts: str = ""  # known_hosts file for ssh:// targets; empty: ~/.ssh/known_hosts

# %% [markdown]
# ## The runbook
# The TLS scan runs from **this machine** (the operator's), where OpenSSL may offer everything
# down to TLS 1.0 (`@SECLEVEL=0`); on the demo it answers from the recording. The `s_client` step
# runs **on the node**, under the node's own policy: together they tell "the peer is weak" from
# "the node refuses it".

# %%
from mirtalib.net.tlspolicy import POLICIES, advise, fit
from mirtalib.runbook import ssh_options
from mirtalib.runbook.page import open_page
from mirtalib.runbooks.p04_debugging_tls_problems import RUNBOOK, chain_text, peer_scan, scan_text

page = open_page(RUNBOOK, globals())

# %% [markdown]
# ## What the peer accepts
# Per protocol version, the suites the peer accepted, in its order of preference (each one was
# offered, picked by the server, removed, and the rest offered again). Then the certificate chain:
# names, expiry counted from the node's clock, key and the hash of each signature.

# %%
found = peer_scan(rb)
print(scan_text(found))
print()
print(chain_text(found, rb.targets[0].now()))
print(f"verification on this machine: {found.verify}")

# %% [markdown]
# ## CentOS 9 client: DEFAULT vs LEGACY
# The two policies as data (see `mirtalib.net.tlspolicy`): both allow TLS 1.2 and 1.3 only on
# RHEL 9 (RHEL 8's LEGACY still allowed 1.0/1.1); LEGACY also accepts SHA-1 signatures. The advice
# prefers DEFAULT, falls back to the page's LEGACY lines, and says when neither works. The better
# fix for a SHA-1 certificate is a new certificate from the peer, not a weaker node.

# %%
for name in ("DEFAULT", "LEGACY"):
    f = fit(found, POLICIES[name])
    print(f"{name:8} {'works' if f.works else 'fails'}: {len(f.suites)} common suite(s)"
          + (f"; blocked by: {'; '.join(f.blockers)}" if f.blockers else ""))
advice = advise(found)
print(f"\nadvice: {advice.policy or 'none'}")
print(advice.lines() or "(no pjsip lines: the peer must change)")
print("\n".join(advice.reasons))

# %% [markdown]
# ## Plan
# The node's policy and cipher list, the scan results as checks, the handshake from the node,
# and the diff of the transport file. Nothing is changed.

# %%
page.plan()

# %% [markdown]
# ## The page's recipe, planned
# The same runbook with the page's values (`crypto_policy=LEGACY`, `cipher=DEFAULT,@SECLEVEL=1`):
# the policy switch appears as a command apply would run. Read it before choosing it: LEGACY
# applies to SSH, the web server and every other TLS user of the node until it is set back.

# %%
recipe = RUNBOOK.open(targets, target_options=ssh_options(ssh_key_path, known_hosts),
                      **(RUNBOOK.pick(globals()) | {"crypto_policy": "LEGACY",
                                                     "cipher": "DEFAULT,@SECLEVEL=1"}))
for node_report in recipe.plan().nodes:
    for r in node_report.results:
        if r.step_id in {"transport-tls", "crypto-policy"}:
            print(f"{node_report.node}: {r.status.value}: {r.title}\n{r.diff or r.reason}")

# %% [markdown]
# ## Interactive form
# In JupyterLab: change a value, press **Plan**, read the diff, tick *I reviewed the plan*, then
# **Apply**; **Verify** runs the checks and **Rollback** restores what apply changed.

# %% [markdown]
# ## Rehearsal on the recorded node
# Apply (backup, write the transport), apply again (nothing left), verify, rollback. The restart
# of Asterisk stays a checklist item: a restart drops calls in progress.

# %% [markdown]
# ## The chosen mode

# %% [markdown]
# A failed check in verify mode (or a failed step in apply mode) raises here, so a scheduled
# headless run exits non-zero; a plan that found disagreements ends with a WARNING
# SUMMARY instead (a plan changes nothing).

# %%
page.finish()
