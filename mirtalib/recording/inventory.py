"""Actual recordings: the metadata table, and the files of a recordings store.

Three sources feed the audit:

* :func:`metadata_inventory`: table ``rm_recordingmetadatas`` (one row per recording MiRTA knows
  of) with the number of transcript segments of each recording from ``tr_transcripts``;
* :func:`scan_local`: a local recordings folder tree;
* :func:`mirtalib.recording.ftps.scan_ftps`: a remote store over FTPS (runbook page 13).

Both file scanners return :class:`FileEntry` objects; :func:`files_frame` turns them into one table
(name parsed with the configurable pattern, WAV header read), keeping every problem as a row.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import and_, func, or_, select

from mirtalib.data.db import Database
from mirtalib.errors import DataSourceError, ParameterError, ParseError
from mirtalib.recording.naming import compile_pattern, parse_name
from mirtalib.recording.wav import HEADER_BYTES, parse_wav_header

log = logging.getLogger(__name__)

FILE_COLUMNS = (
    "relpath",
    "size",
    "tenant",
    "uniqueid",
    "linkedid",
    "rec_start",
    "src",
    "dst",
    "channels",
    "duration",
    "truncated",
    "name_problem",
    "header_problem",
)
METADATA_COLUMNS = (
    "rm_id",
    "tenant",
    "uniqueid",
    "linkedid",
    "relpath",
    "rec_start",
    "rm_duration",
    "rm_size",
    "rm_channels",
    "rm_owner",
    "transcript_segments",
)


@dataclass(frozen=True)
class FileEntry:
    """One file of a recordings store.

    Attributes:
        relpath: path relative to the store's root, ``/``-separated.
        size: size in bytes.
        head: the first bytes (up to :data:`HEADER_BYTES`), None when not read.
        error: why the file could not be read ("" when fine).
    """

    relpath: str
    size: int
    head: bytes | None = None
    error: str = ""


def scan_local(root: Path, read_headers: bool = True, suffix: str = ".wav") -> list[FileEntry]:
    """List every file under ``root`` (sorted), reading the header of those ending in ``suffix``.

    Files with another suffix are listed too (they surface as bad names). Raises DataSourceError
    when ``root`` is not a readable folder.
    """
    root = Path(root)
    if not root.is_dir():
        raise DataSourceError(f"recordings folder {root} does not exist or is not a folder")
    entries = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            try:
                size = path.stat().st_size
                head = None
                if read_headers and size > 0 and name.lower().endswith(suffix):
                    with path.open("rb") as fh:
                        head = fh.read(HEADER_BYTES)
                entries.append(FileEntry(rel, size, head))
            except OSError as exc:
                entries.append(FileEntry(rel, -1, None, f"unreadable: {exc.strerror}"))
    log.info("local recordings store: %d files", len(entries))
    return entries


_FOLDER_DATE = re.compile(r"(?:^|/)(\d{4})/(\d{2})/(\d{2})/")


def _best_guess(relpath: str) -> tuple[str, object]:
    """Tenant (first folder) and day (a ``yyyy/mm/dd/`` folder) of a file whose name is bad."""
    parts = relpath.split("/")
    tenant = parts[0] if len(parts) > 1 and parts[0].replace("_", "").isalnum() else ""
    found = _FOLDER_DATE.search(relpath)
    day = pd.NaT
    if found:
        try:
            day = pd.Timestamp(datetime(*(int(x) for x in found.groups())))
        except ValueError:
            day = pd.NaT
    return tenant, day


def files_frame(
    entries: list[FileEntry],
    pattern: str | re.Pattern[str] | None = None,
) -> pd.DataFrame:
    """One row per file: identifiers from its name, format from its header, problems as text.

    ``name_problem`` is set when the name does not match the pattern; ``header_problem`` when the
    file is empty, unreadable, not a WAV file, or shorter than its header declares.
    """
    regex = pattern if isinstance(pattern, re.Pattern) else compile_pattern(pattern)
    rows = []
    for e in entries:
        row = dict.fromkeys(FILE_COLUMNS, "")
        row.update(
            relpath=e.relpath,
            size=e.size,
            rec_start=pd.NaT,
            channels=pd.NA,
            duration=float("nan"),
            truncated=False,
        )
        try:
            name = parse_name(e.relpath, regex)
            row.update(
                tenant=name.tenant,
                uniqueid=name.uniqueid,
                linkedid=name.linkedid,
                rec_start=name.start or pd.NaT,
                src=name.src,
                dst=name.dst,
            )
        except ParseError as exc:
            row["name_problem"] = str(exc)
            row["tenant"], row["rec_start"] = _best_guess(e.relpath)
        if e.error:
            row["header_problem"] = e.error
        elif e.size == 0:
            row["header_problem"] = "empty file (0 bytes)"
        elif e.head is not None:
            try:
                info = parse_wav_header(e.head, e.size)
                row.update(
                    channels=info.channels,
                    duration=round(info.duration, 3),
                    truncated=info.truncated,
                )
                if info.truncated:
                    row["header_problem"] = (
                        f"truncated: header declares {info.data_bytes} audio bytes, "
                        f"file holds {e.size} bytes"
                    )
            except ParseError as exc:
                row["header_problem"] = f"corrupt: {exc}"
        rows.append(row)
    frame = pd.DataFrame(rows, columns=list(FILE_COLUMNS))
    frame["size"] = frame["size"].astype("int64")
    frame["channels"] = frame["channels"].astype("Int64")
    frame["duration"] = frame["duration"].astype("float64")
    frame["rec_start"] = pd.to_datetime(frame["rec_start"])
    frame["truncated"] = frame["truncated"].astype(bool)
    return frame


def metadata_inventory(
    db: Database, start: datetime, end: datetime, tenants: list[str] | None = None
) -> pd.DataFrame:
    """Rows of ``rm_recordingmetadatas`` started in [start, end), with transcript segment counts.

    Rows without a start time are included too (they cannot be dated, so they are never left out).

    ``transcript_segments`` is NA when the database has no ``tr_transcripts`` table.
    Raises SchemaError when the metadata table is missing.
    """
    db.require_table("rm_recordingmetadatas")
    rm = db.schema.table("rm_recordingmetadatas")
    te = db.schema.table("te_tenants")
    cols = [
        rm.c.rm_id.label("rm_id"),
        te.c.te_code.label("tenant"),
        rm.c.rm_uniqueid.label("uniqueid"),
        rm.c.rm_linkedid.label("linkedid"),
        rm.c.rm_filename.label("relpath"),
        rm.c.rm_start.label("rec_start"),
        rm.c.rm_duration.label("rm_duration"),
        rm.c.rm_size.label("rm_size"),
        rm.c.rm_channels.label("rm_channels"),
        rm.c.rm_owner.label("rm_owner"),
    ]
    source = rm.outerjoin(te, te.c.te_id == rm.c.rm_te_id)
    has_tr = db.has_table("tr_transcripts")
    if has_tr:
        tr = db.schema.table("tr_transcripts")
        counts = (
            select(tr.c.tr_rm_id.label("rid"), func.count().label("n"))
            .group_by(tr.c.tr_rm_id)
            .subquery()
        )
        source = source.outerjoin(counts, counts.c.rid == rm.c.rm_id)
        cols.append(func.coalesce(counts.c.n, 0).label("transcript_segments"))
    in_period = and_(rm.c.rm_start >= start, rm.c.rm_start < end)
    query = select(*cols).select_from(source).where(or_(in_period, rm.c.rm_start.is_(None)))
    if tenants:
        query = query.where(te.c.te_code.in_(tenants))
    frame = db.read_sql(query.order_by(rm.c.rm_start, rm.c.rm_id))
    if not has_tr:
        frame["transcript_segments"] = pd.NA
    for col in ("tenant", "uniqueid", "linkedid", "relpath", "rm_owner"):
        frame[col] = frame[col].fillna("").astype(str)
    frame["relpath"] = frame["relpath"].str.replace("\\", "/", regex=False).str.lstrip("/")
    frame["rec_start"] = pd.to_datetime(frame["rec_start"])
    frame["transcript_segments"] = frame["transcript_segments"].astype("Int64")
    return frame[list(METADATA_COLUMNS)]


def combine_inventory(metadata: pd.DataFrame | None, files: pd.DataFrame | None) -> pd.DataFrame:
    """One row per recording from the metadata table and/or a store's files (joined on relpath).

    Columns: relpath, rm_id, in_metadata, in_store, tenant, uniqueid, linkedid, rec_start, size,
    channels, duration, transcript_segments, stored_bytes (bytes held by the store, or by the
    metadata when no store is read), problem ("" when sound: else bad_name,
    metadata_missing_file, empty, corrupt) and detail.
    """
    if metadata is None and files is None:
        raise ParameterError("combine_inventory: give the metadata table, a store's files or both")
    meta = metadata.copy() if metadata is not None else None
    if meta is not None:
        meta["in_metadata"] = True
    if files is not None:
        f = files.copy()
        f["in_store"] = True
        rec = f if meta is None else meta.merge(f, on="relpath", how="outer", suffixes=("", "_f"))
    else:
        rec = meta
    rec["in_metadata"] = rec.get("in_metadata", pd.Series(False, index=rec.index))
    rec["in_metadata"] = rec["in_metadata"].astype("boolean").fillna(False).astype(bool)
    rec["in_store"] = rec.get("in_store", pd.Series(False, index=rec.index))
    rec["in_store"] = rec["in_store"].astype("boolean").fillna(False).astype(bool)
    for col in ("tenant", "uniqueid", "linkedid", "name_problem", "header_problem"):
        if col not in rec:
            rec[col] = ""
        if f"{col}_f" in rec:  # metadata wins, the file name fills the gaps
            rec[col] = rec[col].where(rec[col].fillna("") != "", rec[f"{col}_f"])
        rec[col] = rec[col].fillna("").astype(str)
    if "rec_start_f" in rec:
        rec["rec_start"] = rec["rec_start"].fillna(rec["rec_start_f"])
    if files is None:
        rec["size"], rec["channels"] = rec["rm_size"], rec["rm_channels"]
        rec["duration"] = rec["rm_duration"]
    rec["rm_id"] = (
        pd.to_numeric(rec["rm_id"], errors="coerce").astype("Int64")
        if ("rm_id" in rec)
        else pd.Series(pd.NA, index=rec.index, dtype="Int64")
    )
    if "transcript_segments" not in rec:
        rec["transcript_segments"] = pd.NA
    problem, detail = [], []
    for r in rec.itertuples(index=False):
        if files is not None and r.in_metadata and not r.in_store:
            problem.append("metadata_missing_file")
            detail.append(f"metadata row {r.rm_id} names a file the store does not have")
        elif not r.in_metadata and r.name_problem:
            problem.append("bad_name")
            detail.append(r.name_problem)
        elif files is not None and r.size == 0:
            problem.append("empty")
            detail.append("empty file (0 bytes)")
        elif files is not None and r.header_problem:
            problem.append("corrupt")
            detail.append(r.header_problem)
        else:
            problem.append("")
            detail.append("")
    rec["problem"], rec["detail"] = problem, detail
    held = rec["in_store"] if files is not None else rec["in_metadata"]
    size = pd.to_numeric(rec["size"], errors="coerce").clip(lower=0)  # -1: unreadable
    rec["stored_bytes"] = size.where(held).fillna(0)
    rec["rec_start"] = pd.to_datetime(rec["rec_start"])
    cols = [
        "relpath",
        "rm_id",
        "in_metadata",
        "in_store",
        "tenant",
        "uniqueid",
        "linkedid",
        "rec_start",
        "size",
        "channels",
        "duration",
        "transcript_segments",
        "stored_bytes",
        "problem",
        "detail",
    ]
    return rec[cols].sort_values("relpath", kind="stable").reset_index(drop=True)
