"""Reader of Asterisk ``cdr_csv`` files (``Master.csv``), every column variant, and of
``cdr_custom`` files whose columns are named by the caller.

``cdr_csv`` writes, without a header: accountcode, src, dst, dcontext, clid, channel, dstchannel,
lastapp, lastdata, start, answer, end, duration, billsec, disposition, amaflags (16 columns), then
uniqueid if ``loguniqueid``, userfield if ``loguserfield``, and peeraccount, linkedid, sequence if
``newcdrcolumns``: 16, 17, 18, 19, 20 or 21 columns. Strings are double-quoted with ``""`` escapes,
numbers are bare, an empty timestamp is an empty field (cdr_custom with ``CSV_QUOTE`` writes
``""``: the same).

The column count is decided per file (the most common count among its well-formed lines; a 17- or
20-column file holds uniqueid when most of the extra values look like Asterisk uniqueids, else
userfield). A cdr_custom file in another order (Asterisk's sample ``cdr_custom.conf`` starts with
clid) is read with ``columns``: the field names in the file's order ("" or "-" for a column to
skip); without it, when more than half of a file's lines (and at least two) fail to parse in the
same field, every line of the file is rejected with a reason naming that field and the parameter.

Every line is a leg or a reject with its line number (1-based, counting ``\\n``, ``\\r\\n`` and a
lone ``\\r`` alike as line ends) and reason; blank lines and a header line hold no record. Per
line:

* a UTF-8 byte order mark at the start of the file (or of a line: concatenated files) is removed;
* the encoding is decided per line: UTF-8 when the line is valid UTF-8, else Latin-1; a line
  holding a control character (C0 other than TAB, DEL, or C1 U+0080-U+009F: NUL blocks left by a
  crash, binary garbage, bytes 0x80-0x9F that Latin-1 text does not use) is ``bad encoding``;
* a field longer than the csv module's limit (128 KB) is ``field too long`` (no Asterisk value
  is that long); an odd number of quotes or a quote inside a bare field is ``broken quotes``;
* a last line without its newline is ``truncated last line`` (Asterisk was writing it);
* a gzip file cut short is read as far as it goes, and one reject (``truncated gzip file``,
  line = the line after the last one read) says that the rest is lost; a corrupt gzip file is
  a DataSourceError.

Values are then read by :mod:`mirtalib.cdr.legs` (its docstring gives the rules for timestamps,
numbers and inconsistent legs).
"""

from __future__ import annotations

import csv
import glob
import logging
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from mirtalib.cdr import legs as L
from mirtalib.errors import DataSourceError, ParameterError

log = logging.getLogger(__name__)

BASE = (
    "accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp",
    "lastdata", "start", "answer", "end", "duration", "billsec", "disposition", "amaflags",
)  # fmt: skip
NEW = ("peeraccount", "linkedid", "sequence")
UNIQUEID_RE = re.compile(r"^(?:[\w.]+-)?\d{9,}\.\d+$")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
#: Field names ``columns`` may use (the legs' columns but source_line).
FIELD_NAMES = tuple(c for c in L.LEG_COLUMNS if c != "source_line")
#: Fields a file read with ``columns`` must have.
REQUIRED = ("start", "duration", "billsec", "disposition")
BOM = "\ufeff"
# control characters no CDR text holds (TAB excepted; CR and LF end lines)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_QUOTED_OR_BARE = re.compile(r'"((?:[^"]|"")*)"|([^,"]*)')


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


def normalize_columns(columns: str | Sequence[str] | None) -> tuple[str, ...] | None:
    """The field names of a cdr_custom file, in its order (None: a Master.csv layout).

    ``columns`` is a list or a comma-separated string of names from :data:`FIELD_NAMES`
    (case-insensitive); "" or "-" skips a column. None or "" means none given.

    Raises:
        ParameterError: an unknown or repeated name, or a required field missing.
    """
    if columns is None:
        return None
    items = columns.split(",") if isinstance(columns, str) else list(columns)
    if isinstance(columns, str) and not columns.strip():
        return None
    names = tuple("" if str(c).strip() == "-" else str(c).strip().lower() for c in items)
    for name in names:
        if name and name not in FIELD_NAMES:
            raise ParameterError(
                f"columns: {name!r} is not a CDR field (known: {', '.join(FIELD_NAMES)})"
            )
    named = [n for n in names if n]
    repeated = sorted({n for n in named if named.count(n) > 1})
    if repeated:
        raise ParameterError(f"columns: {', '.join(repeated)} given more than once")
    missing = [n for n in REQUIRED if n not in named]
    if missing:
        raise ParameterError(f"columns: the file must have {', '.join(missing)}")
    return names


#: Bytes of a Master.csv line, on average (the demo month: 290), for the row estimates.
CSV_LINE_BYTES = 250


def estimate_csv_rows(source: str | Path | Iterable[str | Path]) -> int:
    """CDR lines of Master.csv files estimated from their size (gzip files count 8x)."""
    size = 0
    for path in expand_sources(source):
        size += path.stat().st_size * (8 if path.suffix == ".gz" else 1)
    return size // CSV_LINE_BYTES


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


def _gunzip(raw: bytes) -> tuple[bytes, bool]:
    """The members of a gzip file, decompressed, and whether the last one is cut short (what
    it holds so far is returned). Raises zlib.error on corrupt data."""
    out: list[bytes] = []
    while raw:
        member = zlib.decompressobj(wbits=31)  # gzip header and trailer (CRC) checked
        out.append(member.decompress(raw))
        if not member.eof:
            out.append(member.flush())
            return b"".join(out), True
        raw = member.unused_data.lstrip(b"\x00")  # zero padding after a member is allowed
    return b"".join(out), False


def _read_bytes(path: Path) -> tuple[bytes, bool]:
    """A file's bytes (gzip files decompressed) and whether a gzip file is cut short."""
    try:
        raw = path.read_bytes()
        if path.suffix == ".gz":
            return _gunzip(raw)
        return raw, False
    except (OSError, zlib.error) as exc:
        raise DataSourceError(f"cannot read {path.name}: {exc}") from exc


def _split(data, cr: bool) -> list:
    if not cr:
        return data.split(b"\n" if isinstance(data, bytes) else "\n")
    return re.split(rb"\r\n|\r|\n" if isinstance(data, bytes) else r"\r\n|\r|\n", data)


def decode_lines(data: bytes) -> tuple[list[str], set[int], bool]:
    """The lines of a file's bytes (each decoded as UTF-8, else Latin-1; BOMs removed).

    Returns:
        (lines without their ends, 0-based indexes of lines with bad encoding, whether the last
        line lacks its end).
    """
    if data.startswith(BOM.encode()):
        data = data[3:]
    try:
        text: str | None = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None:
        lines = _split(text, "\r" in text)
    else:
        lines = []
        latin = 0
        for chunk in _split(data, b"\r" in data):
            try:
                lines.append(chunk.decode("utf-8"))
            except UnicodeDecodeError:
                lines.append(chunk.decode("latin-1"))
                latin += 1
        log.info("%d lines are not UTF-8: read as Latin-1 where they are text", latin)
    truncated = lines[-1] != ""
    if not truncated:
        lines.pop()
    bad: set[int] = set()
    if text is None or BOM in text or CONTROL.search(text):
        for i, line in enumerate(lines):
            if line.startswith(BOM):
                lines[i] = line = line.lstrip(BOM)
            if CONTROL.search(line):
                bad.add(i)
    return lines, bad, truncated


def _split_long(line: str) -> list[str] | None:
    """Fields of a line the csv module refuses for its field size limit (None if broken)."""
    fields: list[str] = []
    pos = 0
    while True:
        match = _QUOTED_OR_BARE.match(line, pos)
        quoted, bare = match.group(1), match.group(2)  # type: ignore[union-attr]
        fields.append(quoted.replace('""', '"') if quoted is not None else bare)
        pos = match.end()  # type: ignore[union-attr]
        if pos == len(line):
            return fields
        if line[pos] != ",":
            return None
        pos += 1


def split_line(line: str) -> tuple[list[str] | None, str | None, int | None]:
    """Fields of one line, or the reason it has none usable and the index of the field at fault.

    Returns:
        (fields, None, None) for a good line; (fields or None, reason, field index or None).
    """
    if line.count('"') % 2:
        return None, L.R_BROKEN_QUOTES, None
    try:
        return next(csv.reader((line,), strict=True)), None, None
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            fields = _split_long(line)
            if fields is not None:
                longest = max(range(len(fields)), key=lambda i: len(fields[i]))
                return fields, L.R_FIELD_TOO_LONG, longest
        return None, L.R_BROKEN_QUOTES, None
    except StopIteration:
        return None, L.R_BROKEN_QUOTES, None


def _split_fields(line: str) -> list[str] | None:
    """Fields of one line, or None when it cannot be split (broken quotes, a field too long)."""
    fields, reason, _ = split_line(line)
    return None if reason else fields


def _is_header(fields: list[str]) -> bool:
    names = [f.strip().lower() for f in fields]
    known = sum(n in FIELD_NAMES for n in names)
    return bool(names) and names[0] in FIELD_NAMES and known * 2 > len(names)


def read_file(
    path: Path, columns: Sequence[str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Parse one Master.csv (or cdr_custom) file, plain or gzip, into (raw string frame, rejects).

    Args:
        path: the file.
        columns: the field names in the file's order (from :func:`normalize_columns`), or None
            for a Master.csv layout chosen by the column count.

    The frame has the file's columns as strings plus ``source_line`` and ``_raw`` (the line);
    rejects carry line numbers (1-based) of this file.

    Raises:
        DataSourceError: the file cannot be read, or (without ``columns``) most of its lines
            have a column count no Master.csv has.
    """
    data, cut_short = _read_bytes(path)
    lines, bad_encoding, truncated = decode_lines(data)
    rows: list[list[str]] = []
    numbers: list[int] = []
    texts: list[str] = []
    # line, reason, raw, (index of the field at fault, fields of the line)
    pending: list[tuple[int, str, str, tuple[int, int] | None]] = []
    last = len(lines)
    for number, line in enumerate(lines, start=1):
        if truncated and number == last:
            pending.append((number, L.R_TRUNCATED, line, None))
            continue
        if not line.strip():
            continue  # blank lines hold no record
        fields, reason, index = split_line(line)
        if number - 1 in bad_encoding:
            found = [i for i, f in enumerate(fields or ()) if CONTROL.search(f)]
            at = (found[0], len(fields)) if fields and found else None
            pending.append((number, L.R_BAD_ENCODING, line, at))
            continue
        if reason is not None:
            at = (index, len(fields)) if fields and index is not None else None
            pending.append((number, reason, line, at))
            continue
        if number == 1 and _is_header(fields):  # type: ignore[arg-type]
            continue  # a header written by an export tool
        rows.append(fields)  # type: ignore[arg-type]
        numbers.append(number)
        texts.append(line)
    if columns is not None:
        width = len(columns)
    else:
        counts = Counter(len(r) for r in rows)
        width = max(counts, key=lambda k: (counts[k], k)) if counts else 21
        if counts and width not in range(16, 22):
            raise DataSourceError(
                f"{path.name}: most lines have {width} fields; a Master.csv has 16 to 21 "
                "(a cdr_custom file: give its field names in order with columns=...)"
            )
    rej_line: list[int] = []
    rej_reason: list[str] = []
    rej_raw: list[str] = []
    rej_field: list[tuple[int, int] | None] = []
    keep: list[list[str]] = []
    keep_numbers: list[int] = []
    keep_texts: list[str] = []
    for number, fields, text in zip(numbers, rows, texts, strict=True):
        if len(fields) != width:
            rej_line.append(number)
            rej_reason.append(L.R_COLUMN_COUNT)
            rej_raw.append(f"{len(fields)} fields, file has {width}: {text}")
            rej_field.append(None)
        else:
            keep.append(fields)
            keep_numbers.append(number)
            keep_texts.append(text)
    if columns is None:
        extra_is_uniqueid = True
        if width in (17, 20) and keep:
            extra = [f[16] for f in keep if f[16]]
            extra_is_uniqueid = sum(bool(UNIQUEID_RE.match(v)) for v in extra) * 2 >= len(extra)
        columns = layout_for(width, extra_is_uniqueid)
    if cut_short:  # the lines after the cut are lost: one reject says so
        log.warning("%s: the gzip file is cut short after %d lines", path.name, len(lines))
        pending.append((len(lines) + 1, L.R_TRUNCATED_GZIP, f"{path.name} ends here", None))
    for number, reason, raw, at in pending:
        rej_line.append(number)
        rej_reason.append(reason)
        rej_raw.append(raw)
        rej_field.append(at)
    names = [c or f"_skip{i}" for i, c in enumerate(columns)]
    frame = pd.DataFrame(keep, columns=names, dtype="str").drop(
        columns=[n for n in names if n.startswith("_skip")]
    )
    frame["source_line"] = pd.array(keep_numbers, dtype="Int64")
    frame["_raw"] = pd.Series(keep_texts, dtype="str")
    # a field is named only where the line has the file's columns
    fields_named = [columns[at[0]] if at and at[1] == width else "" for at in rej_field]
    rejects = L.make_rejects(rej_line, rej_reason, rej_raw, fields_named)
    log.debug("%s: %d lines, %d columns, %d rejects", path.name, len(keep), width, len(rejects))
    return frame, rejects


def column_order_reason(name: str) -> str:
    """Reason of the lines of a file read in a column order it is not written in."""
    return (
        f"{L.R_COLUMN_ORDER}: {name} does not parse (a cdr_custom file? "
        "give its field names in order: load_legs(..., columns=...))"
    )


def convert(
    frame: pd.DataFrame, explicit: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Convert a raw string frame (from :func:`read_file`) to (legs, rejects, flags).

    ``explicit``: the columns were named by the caller (no column-order judgement; a missing end
    is start + duration and a missing answer end - billsec when billsec > 0).
    """
    index = frame.index
    typed, reason, where = L.parse_fields(frame, L.TIME_COLUMNS, TIME_FORMAT)
    if not explicit:
        failing = where[reason.isin([L.R_BAD_TIMESTAMP, L.R_BAD_NUMBER])]
        if len(failing) >= 2:
            top = failing.value_counts()
            if top.iloc[0] * 2 > len(frame):
                name = str(top.index[0])
                reason = pd.Series(column_order_reason(name), index=index, dtype="object")
                where = pd.Series(name, index=index, dtype="object")
    unknown_ama = None
    if "amaflags" in frame:
        typed["amaflags"], unknown_ama = L.parse_amaflags(frame["amaflags"])
    bad = reason.notna()
    rejects = L.make_rejects(
        frame.loc[bad, "source_line"], reason[bad], frame.loc[bad, "_raw"], where[bad]
    )
    data = frame.loc[~bad].drop(columns=["_raw"]).copy()
    for col, series in typed.items():
        data[col] = series[~bad]
    if "end" not in frame:
        seconds = pd.to_timedelta(data["duration"].astype("float64"), unit="s")
        data["end"] = data["start"] + seconds
    if "answer" not in frame:
        billsec = data["billsec"].astype("float64")
        answer = data["end"] - pd.to_timedelta(billsec, unit="s")
        data["answer"] = answer.where(billsec > 0)
    legs = L.normalize(data)
    legs, semantic = L.validate(legs, raw=frame.loc[~bad, "_raw"])
    flags = L.leg_flags(legs, unknown_ama, has_answer="answer" in frame)
    return legs, pd.concat([rejects, semantic], ignore_index=True), flags


def read_master_csv(
    source: str | Path | Iterable[str | Path],
    columns: str | Sequence[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, list[Path], pd.DataFrame]:
    """Read every file of ``source`` into (legs, rejects, files, flags).

    Rejects get a ``file`` column (the file's name) after ``line, reason, raw, field``, since
    line numbers restart in every file. ``flags`` has the legs' index.
    """
    names = normalize_columns(columns)
    files = expand_sources(source)
    all_legs = []
    all_rejects = []
    all_flags = []
    for path in files:
        raw, rejects = read_file(path, names)
        legs, more, flags = convert(raw, explicit=names is not None)
        rejects = pd.concat([rejects, more], ignore_index=True)
        rejects["file"] = pd.Series([path.name] * len(rejects), dtype="str")
        all_legs.append(legs)
        all_rejects.append(rejects)
        all_flags.append(flags)
    legs = pd.concat(all_legs, ignore_index=True) if all_legs else L.empty_legs()
    flags = pd.concat(all_flags, ignore_index=True) if all_flags else L.empty_flags()
    rejects = pd.concat(all_rejects, ignore_index=True)
    rejects = rejects.sort_values(["file", "line"], kind="stable", ignore_index=True)
    return legs, rejects, files, flags
