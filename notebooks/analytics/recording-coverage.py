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
# # Recording and transcription coverage
#
# Which calls should have been recorded, which were, and what is wrong with the rest. The
# expected side comes from the CDR (the legs of every call, their channels and linkedid) and the
# recording setting of each extension and DID; the actual side from the recording metadata table
# and the recordings store (a local folder, or the FTPS server of runbook page 13). Per tenant and
# day the notebook counts expected, recorded, missing, broken (empty, corrupt, metadata without a
# file), **unexpected** (recorded although the setting says no: a privacy problem), duplicates,
# wrong format, orphan files, transcripts and storage, and lists the calls behind every gap.
#
# With `MIRTA_DB_URL=demo` the defaults audit October 2026 on the demo PBX, whose recordings hold
# deliberate gaps.

# %% tags=["parameters"]
start: str = "2026-10-01"  # first day audited (PBX-local time, YYYY-MM-DD)
end: str = "2026-11-01"  # day after the last day audited
tenants: str = "all"  # all, or tenant codes separated by commas
inventory_source: str = "local"  # db (metadata table only), local (folder) or ftps (page 13 store)
recordings_dir: str = ""  # local recordings folder; empty: the demo PBX's (only with MIRTA_DB_URL set to demo)
name_pattern: str = ""  # regex of a recording's path; empty for the assumed default (see below)
ftps_host: str = ""  # FTPS server of the recordings (when inventory_source is ftps)
ftps_port: int = 21  # its control port
ftps_user: str = "recording"  # FTPS login (page 13 creates the user "recording")
ftps_password_env: str = "MIRTA_FTPS_PASSWORD"  # NAME of the environment variable with the password
ftps_root: str = "recordings"  # recordings folder inside the FTPS login's (chrooted) home
ftps_cafile: str = ""  # PEM of the CA or self-signed certificate to trust; empty for system CAs
transcription_enabled: bool = True  # Admin/Settings "Transcribe phone call recordings" is on
export_dir: str = "auto"  # CSV/XLSX output folder; auto: the run's folder (exports/); empty: none
list_rows: int = 10  # rows shown of each gap list

# %%
from mirtalib.recording.ftps import FtpsStore
from mirtalib.recording.report import run_coverage
from mirtalib.reporting.charts import show
from mirtalib.reporting.fmt import html_table, percent
from mirtalib.reporting.summaries import coverage_summary
from mirtalib.runfiles import EXPORTS, output_dir

store = (FtpsStore(host=ftps_host, port=ftps_port, user=ftps_user, password_env=ftps_password_env,
                   root=ftps_root, cafile=ftps_cafile) if inventory_source == "ftps" else None)
result = run_coverage(start, end, tenants, inventory_source=inventory_source,
                      recordings_dir=recordings_dir, ftps=store, name_pattern=name_pattern,
                      transcription_enabled=transcription_enabled)
exports = output_dir(export_dir, "recording-coverage", EXPORTS)
coverage_summary(result, start, end, tenants)

# %% [markdown]
# ## The rules
# A recording belongs to the channel the call started from: the caller's extension setting
# (section *Outbound Recording*) for calls an extension places, the DID's setting (section
# *Voice*) for calls arriving on a DID. A transfer by the **called** party keeps the caller's
# channel in the call, so the recording goes on; a transfer by the **caller** takes that channel
# away, so the rest of the call is not recorded. The five rows marked `page 14` are the runbook's
# table; the rows marked `assumed` are combinations the page does not state. The database and the
# folder layout below are assumptions too: change `name_pattern` (and `MIRTA_SCHEMA_MAP`) to match.

# %%
import pandas as pd

from mirtalib.recording.naming import DEFAULT_NAME_PATTERN
from mirtalib.recording.policy import rules_frame

pd.set_option("display.max_colwidth", 90)
print("default name pattern (assumed):", DEFAULT_NAME_PATTERN)
rules_frame()

# %% [markdown]
# ## Running the audit
# Legs of each call are classified from their channels (direct, transfer by caller or called,
# consultation of an attended transfer, unanswered, no peer), the rule and setting decide whether
# each should be recorded, and every recording found is tied to a leg by the uniqueid (else
# linkedid) in its name or metadata row.

# %%
if result.no_data:
    print(result.no_data, end="\n\n")
for what, where in result.sources.items():
    print(f"{what:9s} {where}")
print(f"CDR rows rejected: {result.cdr_rejects}, metadata rows: {result.metadata_rows}, "
      f"files scanned: {result.files_scanned}")

# %% [markdown]
# ## Coverage per tenant
# `coverage_pct` = recorded / expected. `broken` recordings exist but cannot be used (empty,
# truncated, or a metadata row naming a file the store lacks). `unexpected` ones were made
# although no rule asks for them: check them first, they may breach someone's privacy.

# %%
from mirtalib.recording.report import tenant_totals

html_table(tenant_totals(result.audit))

# %% [markdown]
# ## Coverage over time
# Top: share of expected recordings made, per day and tenant. Bottom: the gaps of every day.
# The same numbers are in the per-day table that follows and in the export.

# %%
from mirtalib.recording.report import plot_coverage

show(plot_coverage(result.audit))

# %%
daily = result.audit.summary.pivot_table(index="day", columns="tenant", values="coverage_pct")
html_table(daily.tail(10), {t: (lambda v: percent(v, ratio=False)) for t in daily.columns}, index=True,
           caption="Coverage, last 10 days")

# %% [markdown]
# ## The calls behind each gap
# One list per kind of gap (the first rows of each; the export has them all): `missing` and
# `broken` name the setting that asked for the recording, `unexpected` the setting that did
# not, `duplicate` the extra files, `wrong_format` what is off (duration against billsec, mono
# where stereo is set), `orphan` and `bad_name` the files no call explains.

# %%
from mirtalib.recording.report import gap_counts

html_table(gap_counts(result.audit), index=True)

# %%
for kind, rows in result.audit.gaps.groupby("gap", sort=False):
    display(html_table(rows.drop(columns=["gap", "leg_id"]), max_rows=list_rows,
                       caption=f"{kind}: {len(rows)}", full=exports / "recording-coverage-gaps.csv" if exports else None))

# %% [markdown]
# ## Export
# The per-day summary and every gap as CSV, and everything with the rules as one workbook.

# %%
from mirtalib.recording.report import export

if exports:
    for name in export(result.audit, exports):
        print("written:", name)

# %% [markdown] tags=["lab-only"]
# ## Run again for another period
# In JupyterLab: change the period or the tenants and press **Run**: the notebook runs again
# with them (like `mirta run`, into the reports folder) and shows its results below the form.

# %% tags=["lab-only"]
# NBVAL_IGNORE_OUTPUT
from mirtalib.reporting.widgets import analytics_form

analytics_form("recording-coverage", start=start, end=end, tenants=tenants)
