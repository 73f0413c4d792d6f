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
# # Queue report: waiting callers, abandons, service level and agents per tenant
#
# Reads Asterisk's **queue log** of a MiRTA PBX — the `queue_log` table of its database or the
# `queue_log` files of its nodes — and answers what a call-centre supervisor asks: how many
# callers each queue was offered, how many were answered, how long they waited, how many gave up
# and after how long, the service level, and what each agent did (calls, talk time, rings not
# answered, pauses by reason, occupancy). It then checks the queue log against the **CDR**: a
# caller who abandoned a queue can look answered in the CDR (its channel was answered for an
# announcement), and the reverse. Lines that cannot be used are counted by reason, never dropped
# silently. It reads the database of `MIRTA_DB_URL`: `demo` is the demo PBX (October 2026).
# Tables show shares in %, waits as minutes:seconds and the agents' times in hours; long tables
# show their first rows and link their full CSV export (raw values: seconds, ratios).

# %% tags=["parameters"]
source: str = ""  # empty: the queue_log table of MIRTA_DB_URL (demo: the demo PBX); env:NAME (DB URL in that env var); or queue_log file(s)/glob
cdr_source: str = ""  # CDR of the cross-check: empty: the queue log's database; Master.csv path/glob; "-": none
start: str = "2026-10-01"  # first day of the period, ISO date (PBX-local time)
end: str = "2026-11-01"  # end of the period (exclusive), ISO date
tenants: str = "all"  # all, or tenant codes separated by commas
timezone: str = "Europe/Rome"  # time zone of the PBX (queue_log files hold epoch seconds)
sl_seconds: int = 20  # service level: share of offered calls answered within this many seconds
sl_target_pct: int = 80  # service level a queue should reach (%); a queue below it is a finding
wait_bin_s: int = 10  # width (s) of the bins of the wait-time chart
export_dir: str = "auto"  # CSV + XLSX of every table; auto: the run's folder (exports/); empty: none
html_dir: str = "auto"  # one HTML page per tenant; auto: the run's folder (tenants/); empty: none
mail_to: str = ""  # TENANT:addr,addr; TENANT:addr (empty: no mail)
smtp_host: str = ""  # SMTP relay host (empty: no mail)
smtp_port: int = 587  # SMTP relay port (587 STARTTLS, 465 SSL)
smtp_tls: str = "starttls"  # starttls, ssl or none
smtp_user: str = ""  # SMTP login (empty: no login)
smtp_password_env: str = "MIRTA_SMTP_PASSWORD"  # NAME of the env var holding the SMTP password
mail_from: str = "pbx-reports@example.com"  # sender address of the reports

# %%
from mirtalib.queues.plots import plot_abandon_curve, plot_offered_answered, plot_wait_histogram
from mirtalib.queues.report import (QueueReportParams, abandon_within, build_queue_report, drop_unused_outcomes,
                                    export_report, findings_table, outcome_table, queue_findings, queue_table)
from mirtalib.reporting.charts import show
from mirtalib.reporting.summaries import queue_summary
from mirtalib.runfiles import EXPORTS, TENANTS, output_dir

params = QueueReportParams(source=source, cdr_source=cdr_source, start=start, end=end, tenants=tenants,
                           timezone=timezone, sl_seconds=sl_seconds, wait_bin_s=wait_bin_s,
                           sl_target_pct=sl_target_pct)
report = build_queue_report(params)
T = report.tables
exports = output_dir(export_dir, "queue-report", EXPORTS)  # the tables' CSV files, linked below
csv = (lambda name: exports / f"{name}.csv") if exports else (lambda name: None)
queue_summary(report, source)

# %% [markdown]
# ## What was read
# The queue log's source, how many queue calls it holds, and every line that could not be used,
# counted by reason and field (bad encoding, truncated last line, too few fields, unparsable
# timestamp, missing callid, unparsable number ...). A queue call is one ENTERQUEUE of a caller
# (the queue log's callid is the caller channel's uniqueid) and the events after it up to the
# one that ends it.

# %%
print(f"{len(report.calls):,} queue calls, {len(report.agents.sessions):,} agent sessions, "
      f"{len(report.agents.pauses):,} pauses; rejected lines: {len(report.rejects):,}")
for note in report.notes:
    print("note:", note)
queue_table(T["rejects"], full=csv("rejects"), caption="Lines not used", empty="every line was used")

# %% [markdown]
# ## Findings
# Queues (offered at least 20 calls) whose service level is below `sl_target_pct` (high below
# half of it), agents with at least 10 rings not answered making a fifth or more of their rings
# (high from half), and per tenant the queue calls on which the queue log and the CDR disagree.

# %%
queue_table(findings_table(queue_findings(report)), full=csv("findings"), empty="no finding")

# %% [markdown]
# ## Per tenant and queue
# `offered` = callers who entered the queue; `answered` includes calls the agent transferred;
# `abandon_wait_avg` = after how long (on average) abandoning callers gave up;
# `service_level` = share of the offered calls answered within `sl_seconds`; `wait_avg` and
# `wait_p90` = the answered calls' wait (90th percentile: nearest rank); `longest_wait` = any
# caller's; `aht` = average handle time (talk time of answered calls: app_queue logs no wrap-up).
# Columns of outcomes no call had (timeout, exitempty, exitkey, other) are left out here; the
# exports have them. Then the calls of each outcome per tenant.

# %%
display(queue_table(drop_unused_outcomes(T["by_queue"]), full=csv("by_queue")))
queue_table(outcome_table(T["outcomes"]), full=csv("outcomes"))

# %% [markdown]
# ## Offered and answered per hour of day
# All tenants together in the chart; the table gives the figures per tenant, queue and hour.

# %%
show(plot_offered_answered(T["hourly"]))
queue_table(drop_unused_outcomes(T["by_hour"]), full=csv("by_hour"))

# %% [markdown]
# ## Per day
# The busiest day of each queue, then every day of the first queue.

# %%
daily = drop_unused_outcomes(T["by_day"])
busiest = daily.sort_values("offered", ascending=False, kind="stable").groupby(["tenant", "queue"]).head(1)
display(queue_table(busiest, caption="Busiest day of each queue", full=csv("by_day")))
first = daily[daily["queue"] == daily["queue"].iloc[0]] if len(daily) else daily
queue_table(first, max_rows=31, full=csv("by_day"))

# %% [markdown]
# ## How long callers wait, and when they give up
# The wait of every call (answered ones until the answer, the others until they left), then the
# abandon curve: the share of the abandoned callers who had given up by each wait.

# %%
show(plot_wait_histogram(T["wait_histogram"], wait_bin_s))
show(plot_abandon_curve(T["abandon_curve"]))
queue_table(abandon_within(T["abandon_curve"]), caption="Abandoned callers who gave up within")

# %% [markdown]
# ## Agents
# Per agent (queue member): answered calls, talk time, rings not answered (RINGNOANSWER), time
# logged in (ADDMEMBER to REMOVEMEMBER, union over queues) and paused, pause time per reason, and
# occupancy = talk time / (logged in - paused). Times in hours.

# %%
queue_table(T["agents"], full=csv("agents"))

# %% [markdown]
# ## Queue log against the CDR
# Each queue call is looked up in the CDR by its callid (the uniqueid of the caller's channel);
# the counts per tenant of the calls on which they disagree, then each such call with its CDR
# call.

# %%
display(queue_table(T["cross_counts"], full=csv("cross_counts")))
queue_table(T["cross_check"], full=csv("cross_check"), empty="no queue call on which the two disagree")

# %% [markdown]
# ## Export and per-tenant reports
# Every table (and the findings) as CSV files and one XLSX workbook; then one HTML page per
# tenant, mailed to that tenant's recipients when `smtp_host` and `mail_to` are set (the password
# comes from the environment variable named by `smtp_password_env`).

# %%
if exports:
    files = export_report(report, exports)
    print("exported:", ", ".join(p.name for p in files))
pages = {}
pages_dir = output_dir(html_dir, "queue-report", TENANTS)
if pages_dir:
    from mirtalib.queues.report import write_tenant_reports

    pages = write_tenant_reports(report, pages_dir)
    print("tenant pages:", ", ".join(p.name for p in pages.values()))

# %%
if smtp_host and mail_to and pages:
    from mirtalib.reporting import SmtpSettings, parse_recipients, send_reports

    relay = SmtpSettings(host=smtp_host, port=smtp_port, tls=smtp_tls, user=smtp_user,
                         password_env=smtp_password_env, sender=mail_from)
    for sent in send_reports(pages, parse_recipients(mail_to), relay, subject="Queue report {tenant}"):
        print(f"{sent['tenant']}: sent to {sent['to']}")
else:
    print("mail: not configured (set smtp_host and mail_to)")

# %% [markdown] tags=["lab-only"]
# ## Run again for another period
# In JupyterLab: change the period, tenants or source and press **Run**: the report runs again
# with them (like `mirta run`, into the reports folder) and shows its results below the form.

# %% tags=["lab-only"]
# NBVAL_IGNORE_OUTPUT
from mirtalib.reporting.widgets import analytics_form

analytics_form("queue-report", start=start, end=end, tenants=tenants, source=source)
