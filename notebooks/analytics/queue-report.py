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

# %% tags=["parameters"]
source: str = ""  # empty: the queue_log table of MIRTA_DB_URL (demo: the demo PBX); env:NAME (DB URL in that env var); or queue_log file(s)/glob
cdr_source: str = ""  # CDR of the cross-check: empty: the queue log's database; Master.csv path/glob; "-": none
start: str = "2026-10-01"  # first day of the period, ISO date (PBX-local time)
end: str = "2026-11-01"  # end of the period (exclusive), ISO date
tenants: str = "all"  # all, or tenant codes separated by commas
timezone: str = "Europe/Rome"  # time zone of the PBX (queue_log files hold epoch seconds)
sl_seconds: int = 20  # service level: share of offered calls answered within this many seconds
wait_bin_s: int = 10  # width (s) of the bins of the wait-time chart
html_dir: str = "auto"  # one HTML page per tenant; auto: the run's folder (tenants/); empty: none
mail_to: str = ""  # TENANT:addr,addr; TENANT:addr (empty: no mail)
smtp_host: str = ""  # SMTP relay host (empty: no mail)
smtp_port: int = 587  # SMTP relay port (587 STARTTLS, 465 SSL)
smtp_tls: str = "starttls"  # starttls, ssl or none
smtp_user: str = ""  # SMTP login (empty: no login)
smtp_password_env: str = "MIRTA_SMTP_PASSWORD"  # NAME of the env var holding the SMTP password
mail_from: str = "pbx-reports@example.com"  # sender address of the reports

# %%
import pandas as pd

from mirtalib.cdr.report import as_text
from mirtalib.queues.plots import plot_abandon_curve, plot_offered_answered, plot_wait_histogram
from mirtalib.queues.report import QueueReportParams, build_queue_report, readable
from mirtalib.reporting.charts import show
from mirtalib.runfiles import TENANTS, output_dir

pd.set_option("display.width", 200)
params = QueueReportParams(source=source, cdr_source=cdr_source, start=start, end=end, tenants=tenants,
                           timezone=timezone, sl_seconds=sl_seconds, wait_bin_s=wait_bin_s)
report = build_queue_report(params)
T = report.tables

# %% [markdown]
# ## What was read
# The queue log's source, how many queue calls it holds, and every line that could not be used,
# counted by reason and field (bad encoding, truncated last line, too few fields, unparsable
# timestamp, missing callid, unparsable number ...). A queue call is one ENTERQUEUE of a caller
# (the queue log's callid is the caller channel's uniqueid) and the events after it up to the
# one that ends it.

# %%
print(f"queue log: {report.source}   CDR: {report.cdr_source or 'none'}   period: {start} to {end}")
print(f"{len(report.calls):,} queue calls, {len(report.agents.sessions):,} agent sessions, "
      f"{len(report.agents.pauses):,} pauses")
print(f"rejected lines: {len(report.rejects)}")
print(as_text(T["rejects"]) if len(T["rejects"]) else "(none)")
for note in report.notes:
    print("note:", note)

# %% [markdown]
# ## Per tenant and queue
# `offered` = callers who entered the queue; `answered` includes calls the agent transferred;
# `abandon_wait_avg` = after how many seconds (on average) abandoning callers gave up;
# `service_level` = share of the offered calls answered within `sl_seconds`; `wait_avg` and
# `wait_p90` = the answered calls' wait (90th percentile: nearest rank); `longest_wait` = any
# caller's; `aht` = average handle time (talk time of answered calls: app_queue logs no wrap-up).

# %%
print(as_text(readable(T["by_queue"])))
print()
print(as_text(T["outcomes"].pivot_table(index="tenant", columns="outcome", values="calls",
                                        fill_value=0).astype(int).reset_index()))

# %% [markdown]
# ## Offered and answered per hour of day
# All tenants together; the table gives the figures per tenant, queue and hour.

# %%
show(plot_offered_answered(T["hourly"]))
print(as_text(readable(T["by_hour"][["tenant", "queue", "hour", "offered", "answered", "abandoned",
                                     "service_level", "wait_avg", "longest_wait"]])))

# %% [markdown]
# ## Per day
# The busiest day of each queue, then every day of the first queue.

# %%
daily = T["by_day"]
print(as_text(readable(daily.sort_values("offered", ascending=False).groupby(["tenant", "queue"]).head(1))))
print()
first = daily[daily["queue"] == daily["queue"].iloc[0]] if len(daily) else daily
print(as_text(readable(first)))

# %% [markdown]
# ## How long callers wait, and when they give up
# The wait of every call (answered ones until the answer, the others until they left), then the
# abandon curve: the share of the abandoned callers who had given up by each wait.

# %%
show(plot_wait_histogram(T["wait_histogram"], wait_bin_s))
show(plot_abandon_curve(T["abandon_curve"]))
curve = T["abandon_curve"]
for limit in (10, 30, 60):
    gone = curve.loc[curve["wait"] <= limit, "share"]
    print(f"abandoned within {limit:>2} s: {gone.iloc[-1] if len(gone) else 0:.0%} of the abandoned calls")

# %% [markdown]
# ## Agents
# Per agent (queue member): answered calls, talk time, rings not answered (RINGNOANSWER), time
# logged in (ADDMEMBER to REMOVEMEMBER, union over queues) and paused, pause time per reason, and
# occupancy = talk time / (logged in - paused). Times in hours.

# %%
print(as_text(readable(T["agents"])))

# %% [markdown]
# ## Queue log against the CDR
# Each queue call is looked up in the CDR by its callid (the uniqueid of the caller's channel);
# the counts per tenant of the calls on which they disagree, then each such call with its CDR
# call.

# %%
print(as_text(T["cross_counts"]))
print()
print(as_text(T["cross_check"]) if len(T["cross_check"]) else "no queue call on which the two disagree")

# %% [markdown]
# ## Per-tenant reports
# One HTML page per tenant, mailed to that tenant's recipients when `smtp_host` and `mail_to` are
# set (the password comes from the environment variable named by `smtp_password_env`).

# %%
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
