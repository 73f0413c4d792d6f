"""Reader of Asterisk ``cdr_csv`` files (``Master.csv``), every column variant.

``cdr_csv`` writes, without a header: accountcode, src, dst, dcontext, clid, channel, dstchannel,
lastapp, lastdata, start, answer, end, duration, billsec, disposition, amaflags (16 columns), then
uniqueid if ``loguniqueid``, userfield if ``loguserfield``, and peeraccount, linkedid, sequence if
``newcdrcolumns``: 16, 17, 18, 19, 20 or 21 columns. Strings are double-quoted with ``""`` escapes,
numbers are bare, an empty timestamp is an empty field.

The column count is decided per file (the most common count among its well-formed lines; a 17- or
20-column file holds uniqueid when most of the extra values look like Asterisk uniqueids, else
userfield). Every line that cannot be used becomes a reject with its line number and reason.
"""

from __future__ import annotations

import csv
import glob
import gzip
import logging
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from mirtalib.cdr import legs as L
from mirtalib.errors import DataSourceError

log = logging.getLogger(__name__)

BASE = (
    "accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp",
    "lastdata", "start", "answer", "end", "duration", "billsec", "disposition", "amaflags",
)  # fmt: skip
NEW = ("peeraccount", "linkedid", "sequence")
UNIQUEID_RE = re.compile(r"^(?:[\w.]+-)?\d{9,}\.\d+$")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def layout_for(count: int, extra_is_uniqueid: bool = True) -> tuple[str, ...]:
    """Column names of a Master.csv line with ``count`` fields.

    Raises:
        DataSourceError: when no cdr_csv configuration writes that many columns.
    """
    one = ("uniqueid",) if extra_is_uniqueid else ("userfield",)
    layouts = {
        16: BASE,
        17: BASE + one,
        18: (*BASE, "uniqueid", "userfield"),
        19: BASE + NEW,
        20: BASE + one + NEW,
        21: (*BASE, "uniqueid", "userfield", *NEW),
    }
    if count not in layouts:
        raise DataSourceError(
            f"{count} columns is not a Master.csv layout (cdr_csv writes 16 to 21 columns)"
        )
    return layouts[count]


def expand_sources(source: str | Path | Iterable[str | Path]) -> list[Path]:
    """Turn a path, a folder, a glob or a list of them into the list of files (sorted).

    A folder means its ``Master.csv*`` files (rotated and gzipped ones included).

    Raises:
        DataSourceError: when nothing matches.
    """
    items = [source] if isinstance(source, str | Path) else list(source)
    files: list[Path] = []
    for item in items:
        text = str(item)
        path = Path(text)
        if path.is_dir():
            found = sorted(p for p in path.glob("Master.csv*") if p.is_file())
        elif any(ch in text for ch in "*?["):
            found = sorted(Path(p) for p in glob.glob(text) if Path(p).is_file())
        else:
            found = [path] if path.is_file() else []
        if not found:
            raise DataSourceError(f"no Master.csv file at {text!r}")
        files.extend(found)
    return files


def _read_bytes(path: Path) -> bytes:
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as fh:
                return fh.read()
        return path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise DataSourceError(f"cannot read {path.name}: {exc}") from None


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        log.info("file is not UTF-8: decoded as Latin-1")
        return data.decode("latin-1")


def _split_fields(line: str) -> list[str] | None:
    """Fields of one line, or None when its quoting is broken."""
    if line.count('"') % 2:
        return None
    try:
        return next(csv.reader((line,), strict=True))
    except (csv.Error, StopIteration):
        return None


def read_file(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Parse one Master.csv file (plain or gzip) into (raw string frame, rejects).

    The frame has the file's layout columns as strings plus ``source_line``; rejects carry line
    numbers (1-based) of this file.
    """
    text = _decode(_read_bytes(path))
    lines = text.split("\n")
    truncated = bool(lines) and lines[-1] != ""
    if not truncated:
        lines.pop()  # the empty string after the final newline
    rows: list[list[str]] = []
    numbers: list[int] = []
    rej_line: list[int] = []
    rej_reason: list[str] = []
    rej_raw: list[str] = []
    last = len(lines)
    for number, line in enumerate(lines, start=1):
        line = line.rstrip("\r")
        if truncated and number == last:
            rej_line.append(number)
            rej_reason.append(L.R_TRUNCATED)
            rej_raw.append(line)
            continue
        if not line.strip():
            continue  # blank lines hold no record
        fields = _split_fields(line)
        if fields is None:
            rej_line.append(number)
            rej_reason.append(L.R_BROKEN_QUOTES)
            rej_raw.append(line)
            continue
        if number == 1 and fields and fields[0].strip().lower() == "accountcode":
            continue  # a header written by an export tool
        rows.append(fields)
        numbers.append(number)
    counts = Counter(len(r) for r in rows)
    width = max(counts, key=lambda k: (counts[k], k)) if counts else 21
    if counts and width not in range(16, 22):
        raise DataSourceError(
            f"{path.name}: most lines have {width} fields; a Master.csv has 16 to 21"
        )
    keep: list[list[str]] = []
    keep_numbers: list[int] = []
    for number, fields in zip(numbers, rows, strict=True):
        if len(fields) != width:
            rej_line.append(number)
            rej_reason.append(L.R_COLUMN_COUNT)
            rej_raw.append(f"{len(fields)} fields, file has {width}: " + ",".join(fields))
        else:
            keep.append(fields)
            keep_numbers.append(number)
    extra_is_uniqueid = True
    if width in (17, 20) and keep:
        extra = [f[16] for f in keep if f[16]]
        extra_is_uniqueid = sum(bool(UNIQUEID_RE.match(v)) for v in extra) * 2 >= len(extra)
    columns = layout_for(width, extra_is_uniqueid)
    frame = pd.DataFrame(keep, columns=list(columns), dtype="str")
    frame["source_line"] = pd.array(keep_numbers, dtype="Int64")
    frame["_raw"] = [",".join(f) for f in keep]
    rejects = L.make_rejects(rej_line, rej_reason, rej_raw)
    log.debug("%s: %d lines, %d columns, %d rejects", path.name, len(keep), width, len(rejects))
    return frame, rejects


def convert(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Convert a raw string frame (from :func:`read_file`) to normalized legs + rejects."""
    reason = pd.Series(pd.NA, index=frame.index, dtype="object")
    conv: dict[str, pd.Series] = {}
    for col in L.TIME_COLUMNS:
        raw = frame[col].str.strip()
        parsed = pd.to_datetime(raw, format=TIME_FORMAT, errors="coerce")
        bad = raw.ne("") & parsed.isna()
        reason = reason.where(~(bad & reason.isna()), L.R_BAD_TIMESTAMP)
        conv[col] = parsed
    for col in ("duration", "billsec", "sequence"):
        if col not in frame:
            continue
        raw = frame[col].str.strip()
        parsed = pd.to_numeric(raw, errors="coerce")
        bad = (raw.ne("") | (col != "sequence")) & (parsed.isna() | (parsed % 1 != 0))
        reason = reason.where(~(bad & reason.isna()), L.R_BAD_NUMBER)
        conv[col] = parsed
    ama = frame["amaflags"].str.strip().str.upper()
    conv["amaflags"] = pd.to_numeric(ama.map(L.AMAFLAGS).fillna(ama), errors="coerce")
    bad = reason.notna()
    rejects = L.make_rejects(frame.loc[bad, "source_line"], reason[bad], frame.loc[bad, "_raw"])
    data = frame.loc[~bad].drop(columns=["_raw"]).copy()
    for col, series in conv.items():
        data[col] = series[~bad]
    legs = L.normalize(data)
    legs, semantic = L.validate(legs, raw=frame.loc[~bad, "_raw"])
    return legs, pd.concat([rejects, semantic], ignore_index=True)


def read_master_csv(
    source: str | Path | Iterable[str | Path],
) -> tuple[pd.DataFrame, pd.DataFrame, list[Path]]:
    """Read every file of ``source`` into (legs, rejects, files).

    Rejects get a ``file`` column (the file's name) after ``line, reason, raw``, since line
    numbers restart in every file.
    """
    files = expand_sources(source)
    all_legs = []
    all_rejects = []
    for path in files:
        raw, rejects = read_file(path)
        legs, more = convert(raw)
        rejects = pd.concat([rejects, more], ignore_index=True)
        rejects["file"] = pd.Series([path.name] * len(rejects), dtype="str")
        all_legs.append(legs)
        all_rejects.append(rejects)
    legs = pd.concat(all_legs, ignore_index=True) if all_legs else L.empty_legs()
    rejects = pd.concat(all_rejects, ignore_index=True)
    rejects = rejects.sort_values(["file", "line"], kind="stable", ignore_index=True)
    return legs, rejects, files
