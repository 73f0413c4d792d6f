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
# # 43 · Clustering and High Availability
#
# Several MiRTA nodes share the load of a PBX; they do not balance it. Phones find a node through
# DNS SRV records: a client takes the lowest *priority* that still has a live server and, inside
# it, picks a record at random in proportion to its *weight* (RFC 2782). The page recommends one
# pool per node (`pbxA` → voip1 first, voip2 second; `pbxB` the other way round) and one pool per
# tenant, because a tenant whose phones sit on two nodes costs inter-node call routing and loses
# attended transfers between calls held on different nodes.
#
# This notebook models the pools, shows how phones spread with every node up and with each node
# down, renders the zone lines, checks the live SRV records (asked from each node), and counts the
# registered phones per tenant and node to say which tenants are split and which pool each should
# use. Nothing here changes a node: the zone lives at the DNS provider and provisioning in the
# phones, so those are checklist items. The defaults point at the two recorded demo nodes.

# %% tags=["parameters"]
targets: str = "replay:srv01,replay:srv02"  # comma-separated: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; run_id names the apply)
confirm: bool = False  # must be True for apply (and rollback), after reading the plan
domain: str = "demo.mirta.example"  # DNS zone of the pools and of the node names
pools: str = "pbxa:srv01,pbxb:srv02"  # pool and its primary node, per pair (node host labels in the zone)
transport: str = "udp"  # SIP transport of the records: udp, tcp or tls (_sips._tcp)
sip_port: int = 5060  # SIP port on the nodes
ttl: int = 3600  # record TTL in seconds (page: 86400; a shorter TTL makes a redesign take effect sooner); 60-604800
resolver: str = "1.1.1.1"  # resolver the nodes ask for the live records
dns_port: int = 53  # port of that resolver
channel_driver: str = "pjsip"  # registrations from pjsip (pjsip show contacts) or sip (sip show peers)
secondary_warn: float = 0.1  # share of a tenant's phones elsewhere above which it is a finding (page: ~10% is normal)
run_id: str = ""  # mode rollback: the run id of the apply to undo (`mirta journal` lists them); empty: the apply of this session
serial: int = 0  # apply: nodes changed at a time, each verified before the next (0: MIRTA_SERIAL, default 1)
ssh_key_path: str = ""  # private key file for ssh:// targets; empty: SSH agent or default keys
known_hosts: str = ""  # known_hosts file for ssh:// targets; empty: ~/.ssh/known_hosts

# %% [markdown]
# ## The runbook

# %%
from mirtalib.net.srv import parse_zone_lines, shares, zone_lines
from mirtalib.runbook.page import open_page
from mirtalib.runbooks.p43_clustering_and_high_availability import (
    RUNBOOK, design, phones_per_node, placement, placement_check, shares_text)

page = open_page(RUNBOOK, globals())

# %% [markdown]
# ## The page's example, through the model
# Four records at priority 10 with weights 60/20/10/10 and a backup at priority 20. The model
# gives 60% / 20% / 10% / 10%, then 50% / 25% / 25% when bigbox is down (smallbox2 keeps its two
# ports), then the backup alone. RFC 2782's own pick draws a number in 0..sum, so its exact odds
# are 61/101 for bigbox: close to the page's rounded figures.

# %%
example = parse_zone_lines("""
_sip._udp.example.com. 86400 IN SRV 10 60 5060 bigbox.example.com.
_sip._udp.example.com. 86400 IN SRV 10 20 5060 smallbox1.example.com.
_sip._udp.example.com. 86400 IN SRV 10 10 5060 smallbox2.example.com.
_sip._udp.example.com. 86400 IN SRV 10 10 5066 smallbox2.example.com.
_sip._udp.example.com. 86400 IN SRV 20 0 5060 backupbox.example.com.
""")
for down in ([], ["bigbox.example.com"], ["bigbox.example.com", "smallbox1.example.com",
                                           "smallbox2.example.com"]):
    got = shares(example, down)
    spread = ", ".join(f"{h}:{p} {float(s):.0%}" for (h, p), s in got.items())
    print(f"down: {', '.join(down) or 'none'} -> {spread}")

# %% [markdown]
# ## The pools of this PBX
# Each pool lists its primary node at priority 10 and the others at 20: all phones of a pool go to
# its primary, and move to the other node only when the primary does not answer.

# %%
records = design(rb.values)
print(zone_lines(records))
print(shares_text(records))

# %% [markdown]
# ## Phones per node, and where each tenant belongs
# Registered contacts per tenant on each node (`pjsip show contacts`, read-only). The page: around
# 10% of a pool's phones on the secondary node is normal (packet loss makes some re-register
# there); a tenant with more than `secondary_warn` (default 10%) of its phones away from its main
# node is a finding: it is split, so provision the pool of its main node on all its phones. The
# check over the whole cluster says pass or names the tenants above the threshold.
#
# A node switch is not free for the phones: a phone that moves re-registers with a short delay
# (unreachable meanwhile), and a phone in a call when it switches loses its INUSE state, so the
# new node may send it another call while it is still busy.

# %%
per_node = phones_per_node(rb)
print(per_node.to_string())
print()
print(placement(per_node, rb.values["pools"], secondary_warn).to_string(index=False))
print()
verdict, reason = placement_check(per_node, rb.values["pools"], secondary_warn)
print(f"placement check: {verdict.value}: {reason}")

# %% [markdown]
# ## Plan
# The live SRV records as each node's resolver answers them, compared with the design above, and
# the phones registered on each node. A single pool that lists every node at the same priority
# (here `pbxb`) spreads a tenant's phones at random: the comparison flags it.

# %%
page.plan()

# %% [markdown]
# ## Interactive form
# In JupyterLab: change a value and press **Plan** or **Verify**.

# %% [markdown]
# ## The chosen mode
# `plan` stops at the plan above; `verify` fails until the zone is published as designed.

# %% [markdown]
# A failed check in verify mode raises here, so a scheduled headless run exits non-zero.

# %%
page.finish()
