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
# # Extension event logs: stuck states, phantom calls, node moves
#
# MiRTA computes every extension's state (NOT INUSE / INUSE) with two daemons per node and, when
# Admin/Settings *Log Extension Events* is on, logs each event. This notebook rebuilds each
# extension's state timeline from that log, measures the time spent in each state, and checks the
# timelines against the CDRs: states **stuck** longer than any call explains, **INUSE without a
# call** and the reverse, **flapping**, events of one extension from **two nodes** (the phone moved
# between servers: the case in which INUSE gets lost), and **gaps** in the log itself (a daemon
# down). Every finding comes with the event and call rows behind it. A focused view answers a
# customer's report such as *"100-DEVEL stuck since about 10:42"*, and the AMI event captures and
# Asterisk `full` logs, where they exist, are compared with the log.
#
# The database is the one of `MIRTA_DB_URL` (read-only; `demo`: the demo PBX, with its logs).

# %% tags=["parameters"]
start: str = "2026-10-01"  # first instant analysed (PBX-local time, YYYY-MM-DD [HH:MM])
end: str = "2026-11-01"  # end of the period (exclusive)
tenants: str = "all"  # all, or tenant codes separated by commas
stuck_slack_min: float = 10.0  # a busy state outliving its calls by more than this is stuck
stuck_after_h: float = 4.0  # a busy state longer than this is stuck even if calls explain it
min_inuse_s: float = 60.0  # shortest INUSE-without-call (and call-without-INUSE) reported
flap_window_s: float = 120.0  # window for flapping
flap_changes: int = 12  # state changes within the window that make flapping
log_gap_min: float = 30.0  # silence of a node's log reported when its extensions had calls
evidence_rows: int = 6  # rows of evidence printed per finding
plot_extensions: str = "100-DEVEL,110-ACME,101-ACME"  # extensions drawn in the timeline plot
plot_start: str = "2026-10-14 08:00"  # start of the plotted window
plot_end: str = "2026-10-14 18:00"  # end of the plotted window
report_extension: str = "100-DEVEL"  # the extension a customer reported
report_at: str = "2026-10-14 10:42"  # when (server time) it was reported stuck
logs_dir: str = ""  # folder of <node>/full and <node>/ami-events*.txt; empty: the demo PBX's (only with MIRTA_DB_URL set to demo)
logs_day: str = "2026-10-14"  # the day the AMI captures and full logs cover

# %%
import matplotlib

import pandas as pd

from mirtalib.data.db import open_database
from mirtalib.demo import require_demo
from mirtalib.events import build_timeline, focus, load_log_files, plot_timeline, time_in_state
from mirtalib.events.report import (EVIDENCE_CALL_COLUMNS, EVIDENCE_EVENT_COLUMNS, analyze,
                                   busy_disagreement)
from mirtalib.reporting.charts import show
from mirtalib.reporting.fmt import html_table
from mirtalib.reporting.summaries import events_summary

pd.set_option("display.width", 200)
pd.set_option("display.max_colwidth", 120)
pd.set_option("display.max_rows", 60)
matplotlib.rcParams["figure.dpi"] = 80
db = open_database()
run = analyze(db, start, end, tenants,
              slack_s=stuck_slack_min * 60, stuck_after_s=stuck_after_h * 3600,
              min_s=min_inuse_s, flap_window_s=flap_window_s, flap_changes=flap_changes,
              gap_s=log_gap_min * 60)
events_summary(run, start, end, tenants)

# %% [markdown]
# ## Read and rebuild
# The event log of the period (filtered in SQL), the CDR legs of the same period (every leg whose
# channel or destination channel is an extension's), and the state intervals rebuilt per
# extension. Rows that could not be used are counted, never dropped silently.

# %%
if run.no_data:
    print(run.no_data, end="\n\n")
print(db.description.split("/")[-1])
display(html_table(run.overview()))
html_table(run.load.reject_counts(), caption="Rejected rows", empty="no rejects")

# %% [markdown]
# ## Time in each state
# Hours per state and the share of time busy (INUSE, BUSY, RINGINUSE, ONHOLD), per tenant and for
# the ten busiest extensions. A very high busy share is the first sign of a stuck state.

# %%
display(html_table(time_in_state(run.timeline, by="tenant")))
per_ext = time_in_state(run.timeline)
html_table(per_ext.sort_values(["busy_share", "extension"], ascending=[False, True]), max_rows=10,
           caption="The ten busiest extensions")

# %% [markdown]
# ## Findings
# One line per finding; the kinds are explained in `mirtalib.events.findings`. *stuck* states
# during a log gap are marked: the lost hangups are the gap's consequence.

# %%
display(html_table(run.findings.summary()))
html_table(run.findings.table.drop(columns=["tenant"]), max_rows=None)

# %% [markdown]
# ## Evidence
# For the first finding of each kind: the event-log rows (with their `ee_id`) and the CDR legs of
# the extension around it. Any finding's evidence: `print(run.evidence_text("F003"))`.

# %%
table = run.findings.table.set_index("finding")
for finding in run.first_of_each_kind():
    row = table.loc[finding]
    events, calls = run.findings.evidence(finding)
    title = f"{finding} {row['kind']} {row['extension'] or row['node']}: {row['detail']}"
    display(html_table(events[EVIDENCE_EVENT_COLUMNS], max_rows=evidence_rows, caption=title,
                       empty="no event rows"))
    display(html_table(calls[EVIDENCE_CALL_COLUMNS], max_rows=evidence_rows,
                       caption=f"{finding}: CDR legs", empty="no CDR legs"))

# %% [markdown]
# ## Timelines of chosen extensions
# Colours are states; the gaps between bars are stretches with no event yet.

# %%
chosen = [e.strip() for e in plot_extensions.split(",") if e.strip()]
show(plot_timeline(run.timeline, chosen, plot_start, plot_end,
                   title=f"Extension state from the event log, {plot_start} to {plot_end}"))

# %% [markdown]
# ## The reported problem
# The state each view shows at the reported moment, the events and the calls of the extension
# around it, and any node move. A stuck INUSE whose last call ended long before is a lost hangup.

# %%
fx = focus(run.load.events, run.timeline, run.activity, report_extension, report_at)
display(html_table(fx.state, caption=f"{fx.extension} at {fx.at}"))
display(html_table(fx.events[["time", "state", "event", "node", "uniqueid", "ref"]],
                   caption="Events around it", formats={"time": lambda v: str(v)}))
display(html_table(fx.calls[["role", "start", "answer", "end", "disposition", "uniqueid"]],
                   caption="Calls around it"))
print(f"node moves in the window: {len(fx.moves)}")

# %% [markdown]
# ## Further sources: AMI event captures and the Asterisk full log
# Where the operator recorded the AMI event stream (`timestampevents = yes`) and kept the `full`
# log, they give two more views of the same day: the custom device states as Asterisk received
# them, and the phones' own channels. In the `full` log a custom state appears only as the
# dialplan line that set it, `pbx.c: Executing [...] Set("PJSIP/100-DEVEL-0000001a",
# "DEVICE_STATE(Custom:100-DEVEL)=INUSE")`, written at verbose level 3
# (`full => notice,warning,error,debug,verbose(3)` in `logger.conf`); a state set over AMI or with
# `devstate change` leaves no line, and Asterisk never logs "Changing state for Custom:...". The
# phones' devices appear as `devicestate.c: Changing state for PJSIP/100-DEVEL - state 2 (In use)`
# at debug level 3 (`core set debug 3`). The table compares the event log with the channel view of
# the AMI capture: seconds each extension was busy in the log but had no channel (`only_a_s`), and
# the reverse (`only_b_s`).

# %%
logs = load_log_files(logs_dir or require_demo("logs_dir").logs_dir)
display(html_table(logs.events.groupby(["source", "kind"]).size().rename("events").reset_index()))
day_end = pd.Timestamp(logs_day) + pd.Timedelta(days=1)
ami = logs.events[logs.events["source"].str.startswith("ami:")]
channels = build_timeline(ami[ami["kind"] == "channel"], day_end)  # one timeline per node
diff = busy_disagreement(run.timeline, channels, logs_day, day_end)
html_table(diff[(diff["only_a_s"] > 60) | (diff["only_b_s"] > 60)], max_rows=None)

# %% [markdown] tags=["lab-only"]
# ## Run again for another period
# In JupyterLab: change the period or the tenants and press **Run**: the notebook runs again
# with them (like `mirta run`, into the reports folder) and shows its results below the form.

# %% tags=["lab-only"]
# NBVAL_IGNORE_OUTPUT
from mirtalib.reporting.widgets import analytics_form

analytics_form("extension-events", start=start, end=end, tenants=tenants)
