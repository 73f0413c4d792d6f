"""One call for the coverage notebook: load everything, audit, plot, export.

>>> from mirtalib.recording.report import run_coverage
>>> result = run_coverage(start="2026-10-01", end="2026-11-01", inventory_source="local")
>>> result.audit.summary          # per tenant and day
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure
from sqlalchemy import select

from mirtalib.cdr import load_legs
from mirtalib.cdr.load import normalize_tenants
from mirtalib.data.availability import no_data_figure, no_data_note
from mirtalib.data.db import Database, open_database
from mirtalib.errors import ParameterError
from mirtalib.recording.coverage import CoverageAudit, audit
from mirtalib.recording.expected import expected_recordings
from mirtalib.recording.ftps import FtpsStore, scan_ftps
from mirtalib.recording.inventory import (
    combine_inventory,
    files_frame,
    metadata_inventory,
    scan_local,
)
from mirtalib.recording.naming import compile_pattern
from mirtalib.recording.policy import PolicyBook, rules_frame
from mirtalib.validate import iso_date

log = logging.getLogger(__name__)

INVENTORY_SOURCES = ("db", "local", "ftps")
MARGIN = timedelta(days=1)
"""Legs and metadata are read this far around the period, so calls crossing midnight match."""


@dataclass
class CoverageResult:
    """The audit plus what it was made from (for the notebook's text)."""

    audit: CoverageAudit
    inventory_source: str
    sources: dict[str, str] = field(default_factory=dict)
    cdr_rejects: int = 0
    files_scanned: int = 0
    metadata_rows: int = 0
    no_data: str = ""
    """When the period and tenants have no call: that sentence and where the CDRs have data."""


def read_settings(db: Database) -> PolicyBook:
    """Recording settings of every extension and DID (tenant code joined in)."""
    ex, di, te = (db.schema.table(t) for t in ("ex_extensions", "di_dids", "te_tenants"))
    exts = db.read_sql(
        select(
            ex.c.ex_id.label("ex_id"),
            ex.c.ex_number.label("ex_number"),
            ex.c.ex_trunk.label("ex_trunk"),
            ex.c.ex_recording.label("ex_recording"),
            ex.c.ex_recording_stereo.label("ex_recording_stereo"),
            ex.c.ex_transcript.label("ex_transcript"),
            te.c.te_code.label("te_code"),
        ).select_from(ex.join(te, te.c.te_id == ex.c.ex_te_id))
    )
    dids = db.read_sql(
        select(
            di.c.di_number.label("di_number"),
            di.c.di_recording.label("di_recording"),
            di.c.di_recording_stereo.label("di_recording_stereo"),
            di.c.di_transcript.label("di_transcript"),
            te.c.te_code.label("te_code"),
        ).select_from(di.join(te, te.c.te_id == di.c.di_te_id))
    )
    return PolicyBook(exts, dids)


def run_coverage(
    start: str | datetime,
    end: str | datetime,
    tenants: str | list[str] | None = None,
    *,
    db_url: str | None = None,
    inventory_source: str = "local",
    recordings_dir: str | Path = "",
    ftps: FtpsStore | None = None,
    name_pattern: str = "",
    transcription_enabled: bool = True,
) -> CoverageResult:
    """Audit recording and transcription coverage for a period.

    Args:
        start, end: the period [start, end) in PBX-local time (``YYYY-MM-DD``).
        tenants: tenant codes (list or comma-separated); empty/None = all.
        db_url: database URL ("" / None = MIRTA_DB_URL; ``demo``: the demo PBX).
        inventory_source: "db" (metadata table only, sizes as recorded there), "local" (metadata
            + a local recordings folder) or "ftps" (metadata + the remote store of page 13).
        recordings_dir: local folder ("" = the demo PBX's recordings folder, with the demo only).
        ftps: the remote store, for inventory_source "ftps".
        name_pattern: file name regex ("" = the assumed default of
            :mod:`mirtalib.recording.naming`).
        transcription_enabled: Admin/Settings "Transcribe phone call recordings" is on.
    """
    if inventory_source not in INVENTORY_SOURCES:
        raise ParameterError(
            f"inventory_source={inventory_source!r}: use one of {', '.join(INVENTORY_SOURCES)}"
        )
    t0, t1 = iso_date(start, "start"), iso_date(end, "end")
    if t1 <= t0:
        raise ParameterError(f"end={end!r} is not after start={start!r}")
    codes = normalize_tenants(tenants)
    pattern = compile_pattern(name_pattern)
    db = open_database(db_url or None)
    load = load_legs(db, t0 - MARGIN, t1 + MARGIN, codes)
    expected = expected_recordings(load.legs, read_settings(db))
    metadata = (
        metadata_inventory(db, t0 - MARGIN, t1 + MARGIN, codes)
        if db.has_table("rm_recordingmetadatas")
        else None
    )
    sources = {
        "cdr": _short(load.source),
        "metadata": _short(db.description) if metadata is not None else "-",
    }
    files = None
    if inventory_source == "local":
        folder = Path(recordings_dir) if recordings_dir else _demo_recordings()
        entries = scan_local(folder)
        sources["files"] = f"local folder {folder.name}/"
    elif inventory_source == "ftps":
        if ftps is None:
            raise ParameterError("inventory_source='ftps' needs ftps_host, ftps_user, ...")
        entries = scan_ftps(ftps)
        sources["files"] = f"FTPS {ftps.host}:{ftps.port}/{ftps.root}"
    else:
        entries = []
    if inventory_source != "db":
        files = files_frame(entries, pattern)
        if codes:
            files = files[files["tenant"].isin(codes) | files["tenant"].eq("")]
    if metadata is None and files is None:
        raise ParameterError("inventory_source='db' but the database has no recording metadata")
    recordings = combine_inventory(metadata, files)
    result = audit(expected, recordings, t0, t1, transcription_enabled=transcription_enabled)
    no_data = ""
    if not load.legs["start"].between(t0, t1, inclusive="left").any():
        from mirtalib.cdr.available import cdr_availability

        no_data = no_data_note("calls", t0, t1, codes, cdr_availability(db))
    return CoverageResult(
        no_data=no_data,
        audit=result,
        inventory_source=inventory_source,
        sources=sources,
        cdr_rejects=len(load.rejects),
        files_scanned=len(entries),
        metadata_rows=0 if metadata is None else len(metadata),
    )


def _short(description: str) -> str:
    """A source description without folders (outputs must not carry absolute paths)."""
    return re.sub(r"(?:[A-Za-z]:)?[\\/](?:[^\s\\/]+[\\/])*([^\s\\/]+)", r"\1", description)


def _demo_recordings() -> Path:
    from mirtalib.demo import require_demo  # the demo is optional

    return require_demo("recordings_dir").recordings_dir


def tenant_totals(result: CoverageAudit) -> pd.DataFrame:
    """The summary summed per tenant over the period (coverage recomputed)."""
    s = result.summary.drop(columns=["day", "coverage_pct"]).groupby("tenant").sum()
    s["coverage_pct"] = (100.0 * s["recorded"] / s["expected"].where(s["expected"] > 0)).round(1)
    return s.reset_index()


def gap_counts(result: CoverageAudit) -> pd.DataFrame:
    """How many gaps of each kind per tenant (rows: tenant, columns: gap kinds)."""
    if result.gaps.empty:
        return pd.DataFrame()
    return result.gaps.pivot_table(
        index="tenant", columns="gap", values="relpath", aggfunc="size", fill_value=0
    )


def plot_coverage(result: CoverageAudit) -> Figure:
    """Coverage % per day and tenant (top) and the daily gaps of all tenants (bottom)."""
    if result.summary.empty:
        return no_data_figure("Recording coverage", "no calls in the period")
    fig = Figure(figsize=(10, 6.5))
    top, bottom = fig.subplots(2, 1, sharex=True)
    s = result.summary
    for tenant, g in s.groupby("tenant"):
        top.plot(g["day"], g["coverage_pct"], marker=".", label=tenant)
    top.set_ylabel("recorded / expected (%)")
    top.set_title("Recording coverage per day")
    top.legend(loc="lower left", fontsize="small", ncol=4)
    daily = s.groupby("day")[
        [
            "missing",
            "broken",
            "unexpected",
            "duplicates",
            "wrong_format",
            "orphan_files",
            "transcripts_missing",
        ]
    ].sum()
    bottom_acc = None
    for col in daily.columns:
        bottom.bar(daily.index, daily[col], bottom=bottom_acc, label=col, width=0.8)
        bottom_acc = daily[col] if bottom_acc is None else bottom_acc + daily[col]
    bottom.set_ylabel("gaps per day")
    bottom.legend(loc="upper left", fontsize="small", ncol=3)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def export(
    result: CoverageAudit,
    folder: str | Path,
    stem: str = "recording-coverage",
) -> list[str]:
    """Write summary and gaps as CSV and everything (plus the rules) as one XLSX workbook.

    Returns the names of the files written (relative to ``folder``).
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    names = [f"{stem}-summary.csv", f"{stem}-gaps.csv", f"{stem}.xlsx"]
    result.summary.to_csv(out / names[0], index=False, date_format="%Y-%m-%d")
    result.gaps.to_csv(out / names[1], index=False, date_format="%Y-%m-%d")
    with pd.ExcelWriter(out / names[2], engine="openpyxl") as xls:
        result.summary.to_excel(xls, sheet_name="summary", index=False)
        result.gaps.to_excel(xls, sheet_name="gaps", index=False)
        tenant_totals(result).to_excel(xls, sheet_name="tenants", index=False)
        rules_frame().to_excel(xls, sheet_name="rules", index=False)
    return names
