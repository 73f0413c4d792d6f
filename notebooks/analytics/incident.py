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
# # Incident view: one complaint, everything around it
#
# A tenant calls: *"100-DEVEL could not take calls yesterday around 10:40, and the call we had
# was choppy."* From the moment (`at`, PBX time), a window around it and any of extension,
# number, queue or node, this notebook gathers what the other notebooks would each show: the
# **calls and legs** touching them (who rang, who answered, transfers, node and trunk) with their
# **recordings** as the coverage audit finds them, the extension's **state timeline** and the
# events findings (stuck INUSE, flapping, node moves, log gaps), the **queue** events of those
# calls, the node's **CPU** (load against cores, steal, VMware ready and co-stop: pages 17 and
# 40) and, when runbook targets are given, where the phone is **registered** and page 11's state
# copies now. It ranks the findings by how well they explain the complaint (its words are read
# for three symptoms: *unreachable*, *audio*, *recording*), each with the rows behind it. A
# source that is missing is one line saying what would have been checked. The database is the
# one of `MIRTA_DB_URL` (`demo`: the demo PBX, whose 100-DEVEL is stuck INUSE from 10:39 on
# 2026-10-14).

# %% tags=["parameters"]
at: str = "2026-10-14 10:42"  # moment of the complaint, ISO, PBX-local time
window_minutes: float = 30.0  # minutes searched before and after `at`
complaint: str = "100-DEVEL could not take calls around 10:40, and the call we had was choppy"  # in the tenant's words
tenants: str = "all"  # all, or tenant codes separated by commas
extension: str = "100-DEVEL"  # the extension concerned (empty: none)
number: str = ""  # a caller or dialed number (empty: none)
queue: str = ""  # a queue name such as 500-DEVEL (empty: none)
node: str = ""  # the node concerned; empty: the node(s) of the calls found
source: str = ""  # CDR: empty for MIRTA_DB_URL (demo: the demo PBX); env:NAME; or a Master.csv path/glob
columns: str = ""  # cdr_custom files in another field order: their field names ("": Master.csv)
logs_dir: str = ""  # folder of <node>/ami-events*.txt (AMI captures); empty: the demo's (demo only); "-": none
recordings_dir: str = ""  # recordings folder; empty: the demo's (demo only), else the metadata table; "-": no audit
vmware_dir: str = ""  # VMware/guest exports (as vcpu-oversubscription); empty: the demo's (demo only); "-": none
node_vms: str = ""  # NODE:VM pairs (srv01:pbx-a) where the VMs are not named after the nodes
queue_log: str = ""  # queue_log files/glob; empty: the database's queue_log table; "-": none
targets: str = "replay:srv01,replay:srv02"  # runbook targets for registrations now (read-only); empty: none
timezone: str = "Europe/Rome"  # time zone of the PBX
stuck_slack_min: float = 10.0  # a busy state outliving its calls by more than this is stuck
min_inuse_s: float = 60.0  # shortest INUSE without a call reported
context_hours: float = 12.0  # events and calls are read this far around the window
evidence_rows: int = 8  # rows shown behind each of the best findings

# %%
import pandas as pd

from mirtalib.incident import IncidentParams, incident_summary, investigate, plot_incident
from mirtalib.reporting.charts import show
from mirtalib.reporting.fmt import html_table

pd.set_option("display.max_colwidth", 160)
params = IncidentParams(
    at=at, window_minutes=window_minutes, complaint=complaint, tenants=tenants,
    extension=extension, number=number, queue=queue, node=node, source=source, columns=columns,
    logs_dir=logs_dir, recordings_dir=recordings_dir, vmware_dir=vmware_dir, node_vms=node_vms,
    queue_log=queue_log, targets=targets, timezone=timezone, stuck_slack_min=stuck_slack_min,
    min_inuse_s=min_inuse_s, context_hours=context_hours,
)
inc = investigate(params)
incident_summary(inc)

# %% [markdown]
# ## What was checked
# One line per source: what it gave for the window, or what would have been checked and why it
# was not.

# %%
html_table(inc.checked, max_rows=None)

# %% [markdown]
# ## Around the complaint
# One lane per source over the window; the red line is the complaint's moment. Calls and
# recordings are green when answered / recorded and red when not; the extension's state lane has
# the colours of the extension-events notebook (red: INUSE); the CPU lanes are scaled to their
# own maximum; the last lane places the best findings.

# %%
show(plot_incident(inc))

# %% [markdown]
# ## Findings, best explanation first
# `score` = relevance of the kind to the complaint's symptoms x the finding's strength x how near
# it is to the moment x 1 for the extension / number / node named (0.6 for something around
# them). The rules are in `mirtalib.incident.rank`.

# %%
cols = ["finding", "score", "kind", "subject", "node", "start", "end", "text"]
html_table(inc.findings[cols], max_rows=None, empty="no finding in the window")

# %% [markdown]
# ## The rows behind the best findings

# %%
for r in inc.top(3).itertuples(index=False):
    display(html_table(inc.evidence[r.finding], max_rows=evidence_rows,
                       caption=f"{r.finding} {r.kind}: {r.text}", empty="no rows"))

# %% [markdown]
# ## Calls and their legs
# One row per call (legs grouped as in the CDR report), then every leg: who rang (`src`,
# `channel`), who answered (`dstchannel`, `wherelanded`), transfers (more legs of one call), the
# node (uniqueid prefix) and the trunk.

# %%
calls = inc.table("calls")
call_cols = ["call_id", "start", "end", "direction", "src", "dst", "disposition", "who_answered",
             "landed", "legs", "node", "trunk", "billable"]
if len(calls):
    display(html_table(calls[[c for c in call_cols if c in calls]], max_rows=None))
leg_cols = ["call_id", "start", "answer", "end", "disposition", "src", "dst", "channel",
            "dstchannel", "wherelanded", "node", "trunk"]
legs = inc.table("legs")
html_table(legs[[c for c in leg_cols if c in legs]], max_rows=30, empty="no leg in the window")

# %% [markdown]
# ## Recordings of those calls
# What the coverage audit says of each leg: whether the policy asks for a recording, whether one
# was found (and where), and the transcript.

# %%
html_table(inc.table("recordings"), max_rows=30, empty="not audited (see What was checked)")

# %% [markdown]
# ## Extension state in the window
# The state intervals rebuilt from the event log (or the AMI captures), clipped to the window.

# %%
states = inc.table("states")
state_cols = ["extension", "state", "start", "end", "node", "source"]
html_table(states[[c for c in state_cols if c in states]], max_rows=30,
           empty="no state timeline (see What was checked)")

# %% [markdown]
# ## Queue events of those calls

# %%
display(html_table(inc.table("queue_calls"), max_rows=20, empty="no queue call in the window"))
html_table(inc.table("queue_events"), max_rows=30, empty="no queue event in the window")

# %% [markdown]
# ## The node's CPU in the window
# Percent per vCPU of the counters exported for the node's VM (p95 and max per source file),
# judged by pages 17's and 40's rules in the findings above.

# %%
html_table(inc.table("cpu"), max_rows=None, empty="no CPU data (see What was checked)")

# %% [markdown]
# ## Registrations and state copies now
# Read on the targets through the runbook engine (read-only): the phone's contacts (page 43's
# `pjsip show contacts`) and page 11's three copies of its state.

# %%
display(html_table(inc.table("registrations"), max_rows=None,
                   empty="not checked (see What was checked)"))
copies = inc.table("state_copies")
copy_cols = ["node", "extension", "db_state", "devstate", "queue_state", "agree", "stage"]
html_table(copies[[c for c in copy_cols if c in copies]], max_rows=None, empty="not checked")
