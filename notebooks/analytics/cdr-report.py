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
# # CDR report: calls, quality, capacity and toll fraud per tenant
#
# Reads the call detail records of a MiRTA PBX — from its MariaDB/MySQL database (current
# `start/answer/end` or legacy `calldate` layout) or from Asterisk `Master.csv` files — and answers
# the questions an operator asks every month: how many **calls** (not CDR rows: transfers, queues
# and ring groups write several rows per call) each tenant made and received, how many were
# answered (ASR, ACD, NER), when the PBX is busy, how many channels it really needs at peak, where
# the calls go, and which calls look like **toll fraud** or a **quality** problem. Every finding
# lists its calls, the reason and how strong it is. Rows that cannot be used are counted by reason,
# never dropped silently. It reads the database of `MIRTA_DB_URL`: `demo` is the demo PBX (October
# 2026, four tenants, two nodes), used by the committed outputs; unset, the run says no source is
# configured.

# %% tags=["parameters"]
source: str = ""  # empty: MIRTA_DB_URL (demo: the demo PBX); env:NAME (DB URL in that env var); or a Master.csv path/glob
columns: str = ""  # cdr_custom files in another field order: their field names, comma-separated ("": Master.csv)
start: str = "2026-10-01"  # first day of the period (PBX-local time)
end: str = "2026-11-01"  # end of the period (exclusive)
tenants: str = "all"  # all, or tenant codes separated by commas
timezone: str = "Europe/Rome"  # time zone of the PBX timestamps
business_hours: str = "Mon-Fri 08:00-19:00"  # outside these hours international/premium calls are findings
home_region: str = "IT"  # country of the PBX (two letters) for reading dialed numbers
short_call_s: int = 6  # answered calls shorter than this many seconds are short
top_n: int = 10  # rows per tenant in the top-destination table
burst_gap_s: float = 120  # failed calls on a trunk closer than this (s) form a burst
burst_min_failures: int = 5  # failed calls that make a burst a finding
asr_min_attempts: int = 20  # smallest day (calls) judged for an ASR drop
asr_z: float = 3.0  # how many standard errors below the tenant baseline is a drop
asr_min_drop: float = 0.15  # and at least this much below the baseline (absolute)
spike_factor: float = 5.0  # outbound minutes of a caller this many times its daily baseline
spike_min_minutes: float = 30.0  # and at least this many minutes in the day
seq_min_run: int = 5  # consecutive numbers dialed by one caller that make a finding
engine: str = "auto"  # auto, pandas (every call in memory) or sql (rows read once, grouped in DuckDB)
sql_threshold: int = 2000000  # auto: CDR rows above which the sql engine is used
sql_tmp_mb: int = 512  # sql engine: MB of memory DuckDB may use (beyond it, it spills to disk)
cache: str = "off"  # on: keep the calls under MIRTA_HOME, next run reads only new rows; verify; rebuild
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
import matplotlib.pyplot as plt
import pandas as pd

from mirtalib.cdr.calls import call_legs
from mirtalib.cdr.concurrency import concurrency_series
from mirtalib.cdr.export import export_tables
from mirtalib.cdr.plots import plot_asr_daily, plot_concurrency, plot_daily_calls, plot_dispositions, plot_heatmap
from mirtalib.cdr.report import ReportParams, as_text, build_report
from mirtalib.reporting.charts import show
from mirtalib.reporting.fmt import html_table, percent
from mirtalib.reporting.summaries import cdr_findings_table, cdr_summary
from mirtalib.runfiles import EXPORTS, TENANTS, output_dir

pd.set_option("display.width", 200)
params = ReportParams(source=source, start=start, end=end, tenants=tenants, timezone=timezone,
                      business_hours=business_hours, home_region=home_region, short_call_s=short_call_s,
                      top_n=top_n, burst_gap_s=burst_gap_s, burst_min_failures=burst_min_failures,
                      asr_min_attempts=asr_min_attempts, asr_z=asr_z, asr_min_drop=asr_min_drop,
                      spike_factor=spike_factor, spike_min_minutes=spike_min_minutes,
                      seq_min_run=seq_min_run, engine=engine, sql_tmp_mb=sql_tmp_mb,
                      sql_threshold=sql_threshold, columns=columns, cache=cache)
report = build_report(params)
T = report.tables
exports = output_dir(export_dir, "cdr-report", EXPORTS)  # the tables' CSV files, linked below
csv = (lambda name: exports / f"{name}.csv") if exports else (lambda name: None)
cdr_summary(report, source)

# %% [markdown]
# ## What was read
# The source, the engine used, how many CDR rows (legs) became how many calls, and every row that
# could not be used, counted by reason (answer before start, negative billsec, unknown disposition,
# broken quotes, truncated last line, wrong column count, unparsable timestamp ...).
# A call is the legs sharing a `linkedid`. Where the CDR source has none (cdr_csv without
# `newcdrcolumns`, old cdr_mysql tables) a note says which rules joined the legs instead (same
# uniqueid, MiRTA's prevuniqueid, the two halves of a Local channel, a channel that is another
# leg's dstchannel) and how many links each made: legs sharing a uniqueid or channel name are
# joined only where their times overlap or lie within 2 s, because Asterisk reuses channel names
# after every restart.

# %%
if report.no_data:
    print(report.no_data, end="\n\n")
print(f"source: {report.source}   engine: {report.engine}   period: {start} to {end}")
if report.calls is not None:
    print(f"{len(report.legs):,} CDR rows -> {len(report.calls):,} calls "
          f"({len(report.legs) / max(len(report.calls), 1):.2f} rows per call)")
print(f"rejected rows: {len(report.rejects)}")
if len(T["rejects"]):
    display(html_table(T["rejects"], full=csv("rejects")))
for note in report.notes:
    print("note:", note)

# %% [markdown]
# ## Key figures per tenant
# `attempts` = calls; `asr` = answered / attempts; `acd` = mean billable seconds of answered calls;
# `ner` = (answered + busy + no answer) / attempts: the share the network delivered; `minutes` =
# billable minutes, counted once per call even when a queue rang five phones or the call was
# transferred twice. Billable time is Asterisk's billsec: the union of the intervals
# `[end - billsec, end]` of the legs whose disposition is ANSWERED with billsec > 0; a NO ANSWER
# or FAILED leg that carries an answer time adds nothing. Both engines count it the same way.

# %%
display(html_table(T["kpis_tenant"], full=csv("kpis_tenant")))
html_table(T["kpis_direction"], full=csv("kpis_direction"))

# %% [markdown]
# ## Compared with the previous period
# The same figures for the period of the same length just before this one (same parameters):
# counts and minutes change by a number and a percentage, ASR and NER by percentage points.

# %%
from mirtalib.cdr.compare import comparison_or_reason

comparison, why = comparison_or_reason(report)
if comparison is None:
    print(why)
else:
    print(f"previous period: {comparison.previous[0]:%Y-%m-%d %H:%M} to "
          f"{comparison.previous[1]:%Y-%m-%d %H:%M} (end not included)")
    if comparison.note:
        print(comparison.note)
    display(html_table(comparison.headline_text()))
    display(html_table(comparison.tenants_text()))

# %% [markdown]
# ## Calls per tenant and day
# Weekends are quiet; a tenant whose line drops on a weekday deserves a look.

# %%
show(plot_daily_calls(T["kpis_day"]))
daily = T["kpis_day"].pivot_table(index="day", columns="tenant", values="attempts", aggfunc="sum",
                                  fill_value=0).astype(int)
html_table(daily, index=True, max_rows=31, full=csv("kpis_day"))

# %% [markdown]
# ## Answer-seizure ratio per day
# A day far below its tenant's own baseline is listed with the findings further down.

# %%
show(plot_asr_daily(T["kpis_day"]))
worst = T["kpis_day"].sort_values("asr").groupby("tenant").head(1)
html_table(worst[["tenant", "day", "attempts", "answered", "asr"]], caption="Lowest day per tenant")

# %% [markdown]
# ## When the PBX is busy: hour of week
# Calls started per weekday and hour, all tenants together.

# %%
show(plot_heatmap(T["heatmap"]))
html_table(T["heatmap"], index=True, full=csv("heatmap"))

# %% [markdown]
# ## Outcomes and short calls
# How calls ended (one outcome per call: answered if any leg answered), and answered calls shorter
# than `short_call_s` seconds — often a sign of one-way audio or a wrong number.

# %%
show(plot_dispositions(T["dispositions"]))
shares = {c: percent for c in T["dispositions"].columns if c not in ("tenant", "calls")}
display(html_table(T["dispositions"], shares, full=csv("dispositions")))
html_table(T["short_calls"], full=csv("short_calls"))

# %% [markdown]
# ## Per trunk and per node
# Outside calls by the trunk (provider) they used, and all calls by the node that handled them
# (from the node prefix of the uniqueid).

# %%
display(html_table(T["kpis_trunk"], full=csv("kpis_trunk")))
html_table(T["kpis_node"], full=csv("kpis_node"))

# %% [markdown]
# ## Concurrent calls: peak and distribution
# The most calls in progress at once (and when), per tenant, node, trunk and overall; `p50`/`p95`
# are taken over the highest level of every minute of the period — the figures for sizing channels
# and licences. A call ending at the very second another starts does not overlap it.

# %%
display(html_table(T["concurrency"], full=csv("concurrency")))
if report.calls is not None and len(report.calls):
    overall = T["concurrency"].query("dim == 'all'")["peak"].iloc[0]
    show(plot_concurrency(concurrency_series(report.calls, tz=timezone), int(overall)))

# %% [markdown]
# ## Destinations
# The most called outside numbers per tenant with their country and number type (read with the
# `phonenumbers` library), and each tenant's share of international calls and minutes.

# %%
display(html_table(T["top_destinations"].groupby("tenant").head(5), full=csv("top_destinations")))
if "international" in T:
    display(html_table(T["international"], full=csv("international")))

# %% [markdown]
# ## Findings: quality and toll fraud
# Each finding names its tenant and subject (extension, trunk or day), when, how many calls (their
# ids are in the exported table), why, and how strong (`strength`, explained by the reason;
# `severity` low / medium / high). Below: the count per kind and severity, then every medium or
# high finding. "call longer than its legs" is a data finding, not a quality one: the legs of one
# call leave a gap of more than 2 s (a linkedid written twice, legs joined by prevuniqueid across
# hours); its reason lists the legs. Only the pandas engine checks it (the sql engine's notes say
# so).

# %%
F = report.findings
display(html_table(F.groupby(["kind", "severity"]).size().rename("findings").reset_index()))
serious = F[F["severity"].isin(["high", "medium"])]
cols = ["severity", "kind", "tenant", "subject", "start", "calls", "strength", "reason"]
html_table(cdr_findings_table(serious)[cols], full=csv("findings"))

# %% [markdown]
# ## Drill-down: the legs of the strongest finding's first call
# What the PBX wrote for one suspicious call: one row per CDR leg.

# %%
if report.legs is not None and len(serious):
    first_call = serious.iloc[0]["call_ids"].split(", ")[0]
    legs = call_legs(report.legs, first_call, tz=timezone)
    cols = ["start", "answer", "end", "billsec", "disposition", "src", "dst", "channel", "dstchannel",
            "userfield", "cc_country"]
    display(html_table(legs[cols], caption=f"call {first_call}: {len(legs)} leg(s)"))

# %% [markdown]
# ## Call search
# Any call of the period by number (caller, dialed, answered), extension (`100-ACME`, or `100`
# in any tenant), outcome, duration (seconds, ringing included) and time, newest first, a page
# at a time; opening a call shows its legs and, where the recording audit knows them, its
# recordings. Below: the busy calls of the period; in JupyterLab the form searches any.

# %%
from mirtalib.cdr.search import CallSearch, coverage_for

search = None
if report.calls is not None:
    search = CallSearch(report, coverage_for(start, end, tenants) if not source else None)
    busy = search.find(disposition="BUSY", page_size=10)
    display(html_table(busy.rows, caption=busy.describe()))
else:
    print("call search: the sql engine keeps the calls in the database; use engine='pandas'")

# %%
# NBVAL_IGNORE_OUTPUT
from mirtalib.reporting.widgets import CallSearchUI

if search is not None:
    display(CallSearchUI(search).widget)

# %% [markdown]
# ## Export and per-tenant reports
# Every table (and the findings with their call ids) as CSV files and one XLSX workbook; then one
# HTML page per tenant, mailed to that tenant's recipients when `smtp_host` and `mail_to` are set
# (the password comes from the environment variable named by `smtp_password_env`).

# %%
if exports:
    files = export_tables({**T, "findings": F}, exports)
    print("exported:", ", ".join(p.name for p in files))
pages_dir = output_dir(html_dir, "cdr-report", TENANTS)
if pages_dir:
    from mirtalib.reporting import write_tenant_reports

    pages = write_tenant_reports(report, pages_dir)
    print("tenant pages:", ", ".join(p.name for p in pages.values()))

# %%
if smtp_host and mail_to and pages_dir:
    from mirtalib.reporting import SmtpSettings, parse_recipients, send_reports

    relay = SmtpSettings(host=smtp_host, port=smtp_port, tls=smtp_tls, user=smtp_user,
                         password_env=smtp_password_env, sender=mail_from)
    for sent in send_reports(pages, parse_recipients(mail_to), relay):
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

analytics_form("cdr-report", start=start, end=end, tenants=tenants, source=source)
