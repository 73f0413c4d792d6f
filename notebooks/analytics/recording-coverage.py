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
recordings_dir: str = ""  # local recordings folder; empty: the demo PBX's (MIRTA_DB_URL=demo only)
name_pattern: str = ""  # regex of a recording's path; empty for the assumed default (see below)
ftps_host: str = ""  # FTPS server of the recordings (when inventory_source is ftps)
ftps_port: int = 21  # its control port
ftps_user: str = "recording"  # FTPS login (page 13 creates the user "recording")
ftps_password_env: str = "MIRTA_FTPS_PASSWORD"  # NAME of the environment variable with the password
ftps_root: str = "recordings"  # recordings folder inside the FTPS login's (chrooted) home
ftps_cafile: str = ""  # PEM of the CA or self-signed certificate to trust; empty for system CAs
transcription_enabled: bool = True  # Admin/Settings "Transcribe phone call recordings" is on
export_dir: str = "../../reports/recording-coverage"  # CSV/XLSX output folder; empty for no export
list_rows: int = 10  # rows shown of each gap list

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
from mirtalib.recording.ftps import FtpsStore
from mirtalib.recording.report import run_coverage

store = (FtpsStore(host=ftps_host, port=ftps_port, user=ftps_user, password_env=ftps_password_env,
                   root=ftps_root, cafile=ftps_cafile) if inventory_source == "ftps" else None)
result = run_coverage(start, end, tenants, inventory_source=inventory_source,
                      recordings_dir=recordings_dir, ftps=store, name_pattern=name_pattern,
                      transcription_enabled=transcription_enabled)
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

tenant_totals(result.audit)

# %%
totals = result.audit.totals()
print("\n".join(f"{k:22s} {v:>12,.1f}" if k == "coverage_pct" else f"{k:22s} {v:>12,.0f}"
                for k, v in totals.items()))

# %% [markdown]
# ## Coverage over time
# Top: share of expected recordings made, per day and tenant. Bottom: the gaps of every day.
# The same numbers are in the per-day table that follows and in the export.

# %%
# %matplotlib inline
from mirtalib.recording.report import plot_coverage

plot_coverage(result.audit)

# %%
daily = result.audit.summary.assign(day=result.audit.summary["day"].dt.strftime("%Y-%m-%d"))
daily.pivot_table(index="day", columns="tenant", values="coverage_pct").round(1).tail(10)

# %% [markdown]
# ## The calls behind each gap
# One list per kind of gap (the first rows of each; the export has them all): `missing` and
# `broken` name the setting that asked for the recording, `unexpected` the setting that did
# not, `duplicate` the extra files, `wrong_format` what is off (duration against billsec, mono
# where stereo is set), `orphan` and `bad_name` the files no call explains.

# %%
from mirtalib.recording.report import gap_counts

gap_counts(result.audit)

# %%
gaps = result.audit.gaps.assign(day=result.audit.gaps["day"].dt.strftime("%Y-%m-%d"))
for kind, rows in gaps.groupby("gap", sort=False):
    print(f"\n== {kind}: {len(rows)} ==")
    print(rows.drop(columns=["gap", "leg_id"]).head(list_rows).to_string(index=False))

# %% [markdown]
# ## Export
# The per-day summary and every gap as CSV, and everything with the rules as one workbook.

# %%
from mirtalib.recording.report import export

if export_dir:
    for name in export(result.audit, export_dir):
        print("written:", name)
