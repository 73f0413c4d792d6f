"""The CDR engine: every table of the report from one read of the source, grouped in DuckDB.

Each source is read once, as Arrow record batches, into an in-process DuckDB whose memory is
capped (``memory_mb``; beyond it DuckDB spills to a temporary folder):

* MariaDB/MySQL through ConnectorX (columnar, no Python object per value); when ConnectorX cannot
  read the table (a driver option it lacks, a value it cannot type), through the DB-API driver;
* SQLite through the standard library's ``sqlite3`` driver (SQLAlchemy's connection);
* Master.csv files through DuckDB's CSV reader, with the reject checks: every line becomes a
  leg or a reject with its reason (DuckDB's own CSV errors, then the value checks of
  :mod:`mirtalib.cdr.legs`).

The per-call rules are written once, in the SQL below, and mirror the readable pandas reference
(:mod:`mirtalib.cdr.calls`, :mod:`mirtalib.cdr.naming`, whose regular expressions are used
here as they are): a call is the legs sharing a linkedid; legs without one are joined by the
time-bounded rules of :func:`mirtalib.cdr.calls.call_grouping` (run on those legs only); the
first leg is the earliest on the UTC axis (then uniqueid, sequence, read order); tenant = the
first leg's with one (accountcode, else the extension in channel, src, dstchannel, dst);
direction and node from the first leg; trunk = the first leg naming a trunk channel; billable =
the union of the ANSWERED legs' ``[end - billsec, end]`` (billsec > 0); times on the UTC axis
(the PBX time zone's offsets per local hour, the repeated hour of a DST change settled by the
epoch in the uniqueid as in :func:`mirtalib.cdr.calls.utc_seconds`).

From the calls, DuckDB builds the call cube, the concurrency levels per minute and the
per-destination counts; only those small tables reach pandas (:mod:`mirtalib.cdr.cube`). Tests
compare every table with the pandas reference.
"""

from __future__ import annotations

import logging
import math
import re
import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import inspect, text

from mirtalib.cdr import legs as L
from mirtalib.cdr.calls import CALL_OUTCOME_ORDER, call_grouping
from mirtalib.cdr.concurrency import PEAK_COLUMNS
from mirtalib.cdr.cube import DIMENSIONS, MEASURES
from mirtalib.cdr.destinations import check_region, classify_number
from mirtalib.cdr.mastercsv import (
    UNIQUEID_RE,
    _split_fields,
    estimate_csv_rows,
    expand_sources,
    layout_for,
)
from mirtalib.cdr.naming import DIRECTIONS, EXT_CHANNEL, EXT_NAME, NODE_PREFIX, TRUNK_CHANNEL
from mirtalib.data.db import Database, driver_reason, session_limits
from mirtalib.data.schema import DISPOSITIONS
from mirtalib.errors import DataSourceError
from mirtalib.settings import db_statement_timeout

log = logging.getLogger(__name__)

#: Version of the rules written in this module's SQL: cached calls made with another are stale.
RULES_VERSION = "2026.1"
#: The columns the engine reads (logical names); the tables need no other.
READ_COLUMNS = (
    "start", "answer", "end", "duration", "billsec", "disposition", "accountcode", "src", "dst",
    "channel", "dstchannel", "uniqueid", "userfield", "linkedid", "sequence", "firstdst",
    "prevuniqueid",
)  # fmt: skip
#: Every Master.csv column a layout may have (the CSV reader's names).
ALL_COLUMNS = (
    "accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp",
    "lastdata", "start", "answer", "end", "duration", "billsec", "disposition", "amaflags",
    "uniqueid", "userfield", "peeraccount", "linkedid", "sequence",
)  # fmt: skip
_DUCK_REASONS = {
    "MISSING COLUMNS": L.R_COLUMN_COUNT,
    "TOO MANY COLUMNS": L.R_COLUMN_COUNT,
    "UNQUOTED VALUE": L.R_BROKEN_QUOTES,
    "INVALID ENCODING": L.R_BAD_ENCODING,
    "INVALID UNICODE": L.R_BAD_ENCODING,
    "LINE SIZE OVER MAXIMUM": L.R_BROKEN_QUOTES,
    "CAST": L.R_BAD_TIMESTAMP,
}
BATCH_ROWS = 100_000
#: Legs per MB of ``memory_mb`` that :func:`build_calls` groups at once (1.28M at 512 MB); more
#: are grouped in parts by a hash of the call, each part's tables held in memory.
PART_LEGS_PER_MB = 2_500
#: The share of ``memory_mb`` DuckDB may use while it sorts ``leg0`` by bucket.
SORT_SHARE = 0.75
#: Buckets of the calls (a hash of the linkedid) in ``leg0``: parts are runs of buckets.
BUCKETS = 64


def _q(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _re(pattern: str) -> str:
    """A Python pattern of :mod:`mirtalib.cdr.naming` as a DuckDB (RE2) string literal (RE2's
    ``\\w`` is ASCII only; Python's takes any letter or digit)."""
    pattern = pattern.replace("[\\w", "[\\pL\\pN_").replace("\\w", "[\\pL\\pN_]")
    return _q(pattern)


def connect(memory_mb: int = 512, threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB capped at ``memory_mb`` that spills to its own temporary folder."""
    con = duckdb.connect()
    spill = tempfile.mkdtemp(prefix="mirta-duckdb-")
    weakref.finalize(con, shutil.rmtree, spill, True)
    con.execute(f"SET memory_limit = '{int(memory_mb)}MB'")
    con.execute(f"SET temp_directory = {_q(spill)}")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")  # no bar in logs and notebook outputs
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con


# ----------------------------------------------------------------------------------- readers
@dataclass
class Legs:
    """The legs of a source inside DuckDB: view ``legs`` (checked, normalized, in the period
    and tenants) and the counts of the rows left out.

    Attributes:
        con: the DuckDB connection holding them.
        description: where they came from (no secrets).
        rejects: rows not used, per reason and field (``reason, field, rows``).
        no_start, out_of_range: rows without a start time / with one outside 1900-2190.
        links: the links each fallback rule made for legs without linkedid.
        without_linkedid, total: legs without linkedid, and all legs.
        memory_mb: the cap of ``con`` (:func:`build_calls` sizes its parts by it).
        ordered: ``leg0`` is sorted by bucket (:func:`build_calls` may group it in parts).
    """

    con: duckdb.DuckDBPyConnection
    description: str
    rejects: pd.DataFrame = field(default_factory=pd.DataFrame)
    links: dict[str, int] = field(default_factory=dict)
    without_linkedid: int = 0
    total: int = 0
    memory_mb: int = 512
    ordered: bool = False


def db_where(
    db: Database, start, end, tenants, since=None, ids: Iterable[str] = ()
) -> tuple[str, bool]:
    """The WHERE clause (``""`` for none) of the rows the engine reads from ``db``'s table: the
    period ``[start, end)`` and the tenants' rows (``accountcode`` one of them, or empty: the
    tenant may be in the channel); with ``since``, only the rows from then on and those whose
    linkedid is one of ``ids`` (the incremental read of :mod:`mirtalib.cdr.callcache`).
    True for the legacy layout."""
    table = db.schema.table("cdr")
    prep = db.engine.dialect.identifier_preparer
    legacy = db.schema.cdr_layout == "legacy"
    when = prep.quote(table.c["calldate" if legacy else "start"].name)
    where = []
    if start is not None:
        where.append(f"{when} >= '{start:%Y-%m-%d %H:%M:%S}'")
    if end is not None:
        where.append(f"{when} < '{end:%Y-%m-%d %H:%M:%S}'")
    if tenants:
        acc = prep.quote(table.c["accountcode"].name)
        codes = ", ".join(_q(t) for t in tenants)
        where.append(f"({acc} IN ({codes}) OR {acc} IS NULL OR TRIM({acc}) = '')")
    if since is not None:
        recent = f"{when} >= '{since:%Y-%m-%d %H:%M:%S}'"
        ids = sorted(set(ids))
        if ids:
            link = prep.quote(table.c["linkedid"].name)
            recent = f"({recent} OR {link} IN ({', '.join(_q(i) for i in ids)}))"
        where.append(recent)
    return " AND ".join(where), legacy


def _db_select(db: Database, start, end, tenants, since=None, ids=()) -> tuple[str, bool]:
    """The SELECT of the columns the engine reads, for ``db``'s physical table."""
    table = db.schema.table("cdr")
    prep = db.engine.dialect.identifier_preparer
    present = {c["name"].lower() for c in inspect(db.engine).get_columns(table.name)}
    where, legacy = db_where(db, start, end, tenants, since, ids)
    wanted = [c for c in READ_COLUMNS if not (legacy and c in ("start", "answer", "end"))]
    if legacy:
        wanted.insert(0, "calldate")
    parts = []
    for key in wanted:
        col = table.c[key] if key in table.c else None
        if col is not None and col.name.lower() in present:
            parts.append(f"{prep.quote(col.name)} AS {prep.quote(key)}")
    sql = f"SELECT {', '.join(parts)} FROM {prep.quote(table.name)}"
    if where:
        sql += " WHERE " + where
    return sql, legacy


def _connectorx_url(db: Database) -> str | None:
    url = db.url
    if url.get_backend_name() not in ("mysql", "mariadb") or set(url.query) - {"charset"}:
        return None  # socket, TLS and other options: the DB-API driver
    user = quote(url.username or "", safe="")
    secret = f":{quote(url.password, safe='')}" if url.password else ""
    host = f"{url.host or '127.0.0.1'}:{url.port or 3306}"
    return f"mysql://{user}{secret}@{host}/{url.database or ''}"


def _with_limits(db: Database, sql: str) -> str:
    """``sql`` carrying the limits of MIRTA_DB_STATEMENT_TIMEOUT itself: ConnectorX opens its
    own connection, without the session limits of :func:`mirtalib.data.db.make_engine` (behind
    ``LOCK TABLES cdr WRITE`` it would wait a day). Stopped by them, it fails and the driver,
    which has them, reads again and names what it waited on."""
    seconds = db_statement_timeout()
    if seconds <= 0:
        return sql
    with db.connect() as conn:
        raw = conn.connection.dbapi_connection
        info = str(getattr(raw, "get_server_info", lambda: "")())
        limits = session_limits(raw, seconds)[0].removeprefix("SET SESSION ")
    if "mariadb" in info.lower():  # the session's SET, for this statement only
        return f"SET STATEMENT {limits} FOR {sql}"
    waits = max(1, math.ceil(seconds))
    hint = (
        f"/*+ MAX_EXECUTION_TIME({math.ceil(seconds * 1000)}) SET_VAR(lock_wait_timeout={waits}) */"
    )
    return sql.replace("SELECT ", f"SELECT {hint} ", 1)


def _driver_batches(db: Database, sql: str) -> Iterator[pa.RecordBatch]:
    """Rows through the DB-API driver as record batches of strings (typed by DuckDB later)."""
    with db.connect() as conn:
        raw = conn.connection.dbapi_connection
        cursor = raw.cursor()
        try:
            cursor.execute(sql)
            names = [d[0] for d in cursor.description]
            while rows := cursor.fetchmany(BATCH_ROWS):
                cols = list(zip(*rows, strict=True))
                arrays = [pa.array([_text(v) for v in col], pa.string()) for col in cols]
                yield pa.RecordBatch.from_arrays(arrays, names=names)
        except Exception as exc:  # the driver's own error: name the database
            raise DataSourceError(f"{db.description}: {driver_reason(exc, sql)}") from None
        finally:
            cursor.close()


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("latin-1")
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value)


def read_database(
    con: duckdb.DuckDBPyConnection,
    db: Database,
    start=None,
    end=None,
    tenants=None,
    consume: Callable[[set[str]], None] | None = None,
    since=None,
    ids: Iterable[str] = (),
) -> bool:
    """Stream the period's rows of ``db`` once, as Arrow record batches registered as DuckDB
    relation ``raw``, into ``consume(typed)`` (``typed``: the columns that arrive as timestamps
    or numbers rather than strings); True for the legacy layout. ``since``, ``ids``: see
    :func:`db_where`."""
    consume = consume or (lambda typed: con.execute("CREATE TEMP TABLE rawcopy AS FROM raw"))
    sql, legacy = _db_select(db, start, end, tenants, since, ids)
    url = _connectorx_url(db)
    if url is not None:
        try:
            import connectorx as cx

            limited = _with_limits(db, sql)
            reader = cx.read_sql(url, limited, return_type="arrow_stream", batch_size=BATCH_ROWS)
            _consume(con, reader, consume)
            return legacy
        except ImportError:
            log.info("ConnectorX not installed: CDR rows read through the DB-API driver")
        except Exception as exc:
            log.warning("%s: ConnectorX could not read the CDR rows (%s): using the driver",
                        db.description, type(exc).__name__)  # fmt: skip
            con.execute("DROP TABLE IF EXISTS leg0")
    batches = _driver_batches(db, sql)
    first = next(batches, None)
    if first is None:
        names = [s.split(" AS ")[-1].strip('`"') for s in sql.split(" FROM ")[0][7:].split(", ")]
        first = pa.RecordBatch.from_arrays([pa.array([], pa.string()) for _ in names], names=names)
    reader = pa.RecordBatchReader.from_batches(first.schema, _chain(first, batches))
    _consume(con, reader, consume)
    return legacy


def _completed(reader: pa.RecordBatchReader) -> pa.RecordBatchReader:
    """``reader``'s batches with column ``rid`` (each row's number in the stream) and, as
    NULL strings, the columns of :data:`READ_COLUMNS` the table lacks (a plain Asterisk table
    has no ``firstdst`` nor ``prevuniqueid``, an old one no ``linkedid``)."""
    missing = [c for c in READ_COLUMNS if c not in reader.schema.names]
    if "calldate" in reader.schema.names:  # the legacy layout: its times are in calldate
        missing = [c for c in missing if c not in ("start", "answer", "end")]
    schema = reader.schema
    for name in missing:
        schema = schema.append(pa.field(name, pa.string()))
    schema = schema.append(pa.field("rid", pa.int64()))

    def batches() -> Iterator[pa.RecordBatch]:
        done = 0
        for batch in reader:
            n = batch.num_rows
            for name in missing:
                batch = batch.append_column(name, pa.nulls(n, pa.string()))
            rid = pa.array(np.arange(done, done + n, dtype=np.int64))
            done += n
            yield batch.append_column("rid", rid)

    return pa.RecordBatchReader.from_batches(schema, batches())


def _consume(con: duckdb.DuckDBPyConnection, reader: pa.RecordBatchReader, consume) -> None:
    reader = _completed(reader)
    typed = {
        f.name
        for f in reader.schema
        if pa.types.is_timestamp(f.type)
        or pa.types.is_integer(f.type)
        or pa.types.is_floating(f.type)
        or pa.types.is_decimal(f.type)
    }
    con.register("raw", reader)
    try:
        consume(typed)
    finally:
        con.unregister("raw")


def _chain(first, rest):
    yield first
    yield from rest


def sniff_layout(path: Path, sample: int = 200) -> tuple[str, ...]:
    """Column names of a Master.csv file from its first well-formed lines."""
    import gzip

    opener = gzip.open if path.suffix == ".gz" else open
    counts: dict[int, int] = {}
    extra: list[str] = []
    with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
        for i, line in enumerate(fh):
            if i >= sample:
                break
            fields = _split_fields(line.rstrip("\r\n"))
            if fields:
                counts[len(fields)] = counts.get(len(fields), 0) + 1
                if len(fields) > 16 and fields[16]:
                    extra.append(fields[16])
    if not counts:
        raise DataSourceError(f"{path.name}: no readable Master.csv line")
    width = max(counts, key=lambda k: (counts[k], k))
    is_uid = sum(bool(UNIQUEID_RE.match(v)) for v in extra) * 2 >= len(extra)
    return layout_for(width, is_uid)


def read_csv(
    con: duckdb.DuckDBPyConnection,
    source: str | Path | Iterable[str | Path],
    columns: Sequence[str] | None = None,
) -> tuple[str, int]:
    """Master.csv files (one layout per file, sniffed, or ``columns``) as DuckDB view ``raw``
    (strings); DuckDB's CSV errors land in tables ``rej0``, ``rej1`` ... Returns the
    description and the number of reject tables."""
    files = expand_sources(source)
    by_layout: dict[tuple[str, ...], list[Path]] = {}
    for path in files:
        layout = tuple(columns) if columns else sniff_layout(path)
        by_layout.setdefault(layout, []).append(path)
    parts = []
    for n, (layout, paths) in enumerate(sorted(by_layout.items())):
        names = [c if c else f"skip{i}" for i, c in enumerate(layout)]
        cols = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in names) + "}"
        listing = "[" + ", ".join(_q(p) for p in paths) + "]"
        con.execute(
            f"CREATE TEMP VIEW raw{n} AS SELECT * FROM read_csv({listing}, header = false, "
            f"delim = ',', quote = '\"', escape = '\"', columns = {cols}, "
            f"store_rejects = true, rejects_table = 'rej{n}', rejects_scan = 'scan{n}', "
            f"strict_mode = true, parallel = true, filename = true)"
        )
        present = set(layout)
        select = ", ".join(
            f'"{c}"' if c in present else f'NULL::VARCHAR AS "{c}"' for c in READ_COLUMNS
        )
        parts.append(f"SELECT {select} FROM raw{n}")
    con.execute(f"CREATE TEMP VIEW raw AS {' UNION ALL '.join(parts)}")
    return ", ".join(p.name for p in files), len(parts)


def _csv_rejects(con: duckdb.DuckDBPyConnection, n_views: int) -> dict[tuple[str, str], int]:
    rows: dict[tuple[str, str], int] = {}
    for n in range(n_views):
        try:
            errs = con.execute(  # every scan appends: count distinct lines
                f"SELECT error_type, COUNT(DISTINCT (file_id, line)) FROM rej{n} GROUP BY 1"
            ).fetchall()
        except duckdb.Error:
            continue
        for kind, count in errs:
            reason = _DUCK_REASONS.get(str(kind).upper(), str(kind).lower())
            rows[(reason, "")] = rows.get((reason, ""), 0) + int(count)
    return rows


# ----------------------------------------------------------------------------- leg checks
def _checked_sql(legacy: bool, typed: Iterable[str] = (), rid: str = "row_number() OVER ()") -> str:
    """SQL over ``raw``: typed legs with ``reason``/``field`` of the first failed check (the
    checks and their order of :func:`mirtalib.cdr.legs.validate` after the field parsing).
    Columns in ``typed`` arrive as timestamps or numbers (ConnectorX): used as they are, they
    cannot fail a parse check."""
    typed = set(typed)
    lo, hi = f"'{L.TIME_MIN:%Y-%m-%d}'", f"'{L.TIME_MAX:%Y-%m-%d}'"

    def ts(c: str) -> str:
        if c in typed:
            return f'CAST(raw."{c}" AS TIMESTAMP)'
        return f"TRY_CAST(NULLIF(TRIM(CAST(raw.\"{c}\" AS VARCHAR)), '') AS TIMESTAMP)"

    def num(c: str) -> str:
        if c in typed:
            return f'CAST(raw."{c}" AS DOUBLE)'
        return f"TRY_CAST(NULLIF(TRIM(CAST(raw.\"{c}\" AS VARCHAR)), '') AS DOUBLE)"

    def text(c: str) -> str:  # the value as read, for the parse checks (typed: none to check)
        return "NULL::VARCHAR" if c in typed else f'CAST(raw."{c}" AS VARCHAR)'

    if legacy:
        times = (
            f"{ts('calldate')} AS start, NULL::TIMESTAMP AS answer, "
            f'NULL::TIMESTAMP AS "end", {text("calldate")} AS start_s, '
            "NULL::VARCHAR AS answer_s, NULL::VARCHAR AS end_s"
        )
    else:
        times = ", ".join(
            f'{ts(c)} AS "{c}", {text(c)} AS {c}_s' for c in ("start", "answer", "end")
        )
    strings = ", ".join(
        f'COALESCE(CAST("{c}" AS VARCHAR), \'\') AS "{c}"'
        for c in READ_COLUMNS
        if c not in ("start", "answer", "end", "duration", "billsec", "sequence")
    )
    strings = strings.replace(
        """COALESCE(CAST("disposition" AS VARCHAR), '')""",
        """UPPER(TRIM(COALESCE(CAST("disposition" AS VARCHAR), '')))""",
    )
    disp = ", ".join(_q(d) for d in DISPOSITIONS)
    bad_time = " OR ".join(
        f"(\"{c}\" IS NULL AND TRIM(COALESCE({c}_s, '')) <> '')" for c in ("start", "answer", "end")
    )
    out_time = " OR ".join(
        f'("{c}" IS NOT NULL AND ("{c}" < {lo} OR "{c}" >= {hi}))'
        for c in ("start", "answer", "end")
    )
    first_bad = (
        "CASE "
        + " ".join(
            f"WHEN \"{c}\" IS NULL AND TRIM(COALESCE({c}_s, '')) <> '' THEN '{c}'"
            for c in ("start", "answer", "end")
        )
        + " END"
    )
    first_out = (
        "CASE "
        + " ".join(
            f'WHEN "{c}" IS NOT NULL AND ("{c}" < {lo} OR "{c}" >= {hi}) THEN \'{c}\''
            for c in ("start", "answer", "end")
        )
        + " END"
    )
    int_max = 2**31 - 1
    return f"""
SELECT *,
  CASE WHEN {bad_time} THEN '{L.R_BAD_TIMESTAMP}'
       WHEN {out_time} THEN '{L.R_TIME_RANGE}'
       WHEN (dur_n IS NULL AND TRIM(COALESCE(dur_s, '')) <> '')
            OR (bill_n IS NULL AND TRIM(COALESCE(bill_s, '')) <> '') THEN '{L.R_BAD_NUMBER}'
       WHEN ABS(dur_n) > {int_max} OR ABS(bill_n) > {int_max} THEN '{L.R_NUMBER_RANGE}'
       WHEN start IS NULL THEN '{L.R_MISSING_START}'
       WHEN disposition NOT IN ({disp}) THEN '{L.R_UNKNOWN_DISPOSITION}'
       WHEN billsec < 0 THEN '{L.R_NEGATIVE_BILLSEC}'
       WHEN duration < 0 THEN '{L.R_NEGATIVE_DURATION}'
       WHEN billsec > duration + 1 THEN '{L.R_BILLSEC_OVER_DURATION}'
       WHEN answer IS NOT NULL AND answer < start THEN '{L.R_ANSWER_BEFORE_START}' END AS reason,
  CASE WHEN {bad_time} THEN {first_bad}
       WHEN {out_time} THEN {first_out}
       WHEN dur_n IS NULL AND TRIM(COALESCE(dur_s, '')) <> '' THEN 'duration'
       WHEN bill_n IS NULL AND TRIM(COALESCE(bill_s, '')) <> '' THEN 'billsec'
       WHEN ABS(dur_n) > {int_max} THEN 'duration'
       WHEN ABS(bill_n) > {int_max} THEN 'billsec'
       WHEN start IS NULL THEN 'start'
       WHEN disposition NOT IN ({disp}) THEN 'disposition'
       WHEN billsec < 0 THEN 'billsec'
       WHEN duration < 0 THEN 'duration'
       WHEN billsec > duration + 1 THEN 'billsec'
       WHEN answer IS NOT NULL AND answer < start THEN 'answer' END AS field
FROM (
  SELECT {rid} AS rid, {times},
    {num("duration")} AS dur_n, {num("billsec")} AS bill_n,
    {text("duration")} AS dur_s, {text("billsec")} AS bill_s,
    COALESCE(TRY_CAST({num("duration")} AS BIGINT), 0) AS duration,
    COALESCE(TRY_CAST({num("billsec")} AS BIGINT), 0) AS billsec,
    TRY_CAST({num("sequence")} AS BIGINT) AS sequence,
    {strings}
  FROM raw) t
"""


def _tenant_sql(col: str) -> str:
    """SQL: the tenant of the extension named in ``col`` (channel or bare name), else ''."""
    return (
        f"COALESCE(NULLIF(regexp_extract({col}, {_re(EXT_CHANNEL)}, 2), ''), "
        f"regexp_extract({col}, {_re('^' + EXT_NAME + '$')}, 2))"
    )


#: The channel technologies a trunk channel may have (from TRUNK_CHANNEL's ``tech`` group).
TRUNK_TECHS = tuple(re.search(r"\(\?P<tech>([^)]*)\)", TRUNK_CHANNEL).group(1).split("|"))


def _trunk_sql(col: str) -> str:
    """SQL: the trunk (peer) of channel ``col``, '' for extensions, Local channels, ''. The
    regular expressions run only on channels of a trunk technology (``TECH/...``): no other
    value can match them."""
    techs = ", ".join(_q(t) for t in TRUNK_TECHS)
    return (
        f"CASE WHEN split_part({col}, '/', 1) NOT IN ({techs}) THEN '' "
        f"WHEN regexp_full_match({col}, {_re(EXT_CHANNEL[1:-1])}) THEN '' "
        f"ELSE regexp_extract({col}, {_re(TRUNK_CHANNEL)}, 2) END"
    )


def _leg0_sql(
    legacy: bool, typed: Iterable[str], start, end, ordered: bool = False, rid: str | None = None
) -> str:
    """SQL over ``raw``: the checked legs (:func:`_checked_sql`, ``rid`` its read number) with
    ``keep`` (no reject, in the period), ``bucket`` (of the call, by its linkedid) and, for the
    kept ones, the tenant and the keys of channel and dstchannel (:func:`_channel_key`);
    ``ordered``: sorted by bucket."""
    keep = ["reason IS NULL"]
    if start is not None:
        keep.append(f"start >= TIMESTAMP '{start:%Y-%m-%d %H:%M:%S}'")
    if end is not None:
        keep.append(f"start < TIMESTAMP '{end:%Y-%m-%d %H:%M:%S}'")
    kept = " AND ".join(keep)
    tenant = (
        "CASE WHEN TRIM(accountcode) <> '' THEN TRIM(accountcode) ELSE "
        + "COALESCE("
        + ", ".join(
            f"NULLIF({_tenant_sql(c)}, '')" for c in ("channel", "src", "dstchannel", "dst")
        )
        + ", '') END"
    )
    return (
        f'SELECT rid, start, "end", duration, billsec, disposition, uniqueid, userfield, '
        f"dst, firstdst, prevuniqueid, sequence, TRIM(linkedid) AS linkedid, reason, field, "
        f"COALESCE({kept}, false) AS keep, CASE WHEN {kept} THEN {tenant} END AS tenant, "
        f"channel, dstchannel, CASE WHEN {kept} THEN {_channel_key('channel')} END AS ck, "
        f"CASE WHEN {kept} THEN {_channel_key('dstchannel')} END AS dk, "
        f"CAST(hash(TRIM(linkedid)) % {BUCKETS} AS UTINYINT) AS bucket "
        f"FROM ({_checked_sql(legacy, typed, rid or 'row_number() OVER ()')}) c"
        + (" ORDER BY bucket" if ordered else "")
    )


def _channel_key(col: str) -> str:
    """SQL: the channel name with its Asterisk sequence suffix (``-`` and 8 hex digits) made
    ``-00000000``: names differing only in the suffix share a key. The trunk rule gives the
    same answer for every name of a key, except when the part before the suffix is a
    technology and digits only (``SIP/100-ABCDEF01``: the suffix could be a tenant); those keys
    are marked in :func:`_channel_trunks` and their names checked one by one."""
    return f"regexp_replace({col}, '-[0-9a-fA-F]{{8}}$', '-00000000')"


def _channel_trunks(con: duckdb.DuckDBPyConnection) -> None:
    """Table ``chans``: per channel key of the kept legs (:func:`_channel_key`), its trunk
    (``t``; NULL for the keys whose names must be checked one by one)."""
    techs = "|".join(TRUNK_TECHS)
    risky = (
        f"c LIKE '%-00000000' AND regexp_full_match(substr(c, 1, length(c) - 9), "
        f"'(?:{techs})/[0-9*#]*')"
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE chans AS SELECT c, CASE WHEN {risky} THEN NULL "
        f"ELSE {_trunk_sql('c')} END AS t FROM (SELECT ck AS c FROM leg1 "
        f"UNION SELECT dk FROM leg1)"
    )


def estimate_rows(source: Database | str | Path | Iterable[str | Path]) -> int | None:
    """The rows of ``source`` as far as it tells without reading them (None: unknown): a
    MariaDB/MySQL table's statistics (its whole table, not the period), the size of Master.csv
    files."""
    if not isinstance(source, Database):
        return estimate_csv_rows(source)
    if source.url.get_backend_name() not in ("mysql", "mariadb"):
        return None
    sql = text(
        "SELECT table_rows FROM information_schema.tables "
        "WHERE table_schema = DATABASE() AND table_name = :t"
    )
    with source.connect() as conn:
        rows = conn.execute(sql, {"t": source.schema.table("cdr").name}).scalar()
    return None if rows is None else int(rows)


def open_legs(
    source: Database | str | Path | Iterable[str | Path],
    start: datetime | None = None,
    end: datetime | None = None,
    tenants: Sequence[str] | None = None,
    columns: Sequence[str] | None = None,
    memory_mb: int = 512,
    threads: int | None = None,
    since: datetime | None = None,
    ids: Iterable[str] = (),
) -> Legs:
    """Read ``source`` once into DuckDB and check its rows: view ``legs`` holds the usable
    legs of the period and tenants, with ``call_id`` (linkedid, else the fallback key),
    ``tenant``, ``trunk`` (``tch``/``tdch``: the trunk of channel/dstchannel) and ``rid``
    (read order).

    The rows go through the checks into table ``leg0`` (rejects keep their reason and field);
    the trunk rule runs once per channel name (:func:`_channel_trunks`). When the source is
    estimated (:func:`estimate_rows`) to hold twice the legs :func:`build_calls` groups at once,
    ``leg0`` is sorted by the calls' buckets as it is written. Both a Master.csv
    (DuckDB's reader) and a database's Arrow stream go through the checks as they arrive.
    ConnectorX queues the batches its reading thread produces without limit, so the checks must
    keep up with the server: they do (``benchmarks/cdr_bench.py``: under 1 GB of peak RSS at 10M
    rows), and save the copy of the whole stream the engine made before (a third of reading and
    checking 1M rows)."""
    con = connect(memory_mb, threads)

    rows = estimate_rows(source)
    # sorted where the estimate (the CSV's is rough) says 2 parts' legs or more: the sort costs
    # 15 % of reading and checking, the parts then save twice that at 10M rows
    ordered = rows is not None and rows > 2 * PART_LEGS_PER_MB * memory_mb

    # the read number of each leg (the last tie-break of a call's order, as in the pandas
    # reference): a database's stream carries it (:func:`_completed`); a Master.csv written in
    # its order has it as the row id of leg0 (DuckDB's row_number() over a whole CSV runs on
    # one thread: 40 % of reading and checking 1M lines), sorted by bucket it needs the window
    by_rowid = not isinstance(source, Database) and not ordered

    def fill(typed: Iterable[str] = ()) -> None:
        rid = 'raw."rid"' if isinstance(source, Database) else None
        rid = "NULL::BIGINT" if by_rowid else rid
        sql = _leg0_sql(legacy, typed, start, end, ordered, rid)
        if by_rowid:
            con.execute("SET preserve_insertion_order = true")
        if ordered:  # the sort's runs pile up while the stream's queue grows: room for both
            con.execute(f"SET memory_limit = '{int(memory_mb * SORT_SHARE)}MB'")
        con.execute(f"CREATE TEMP TABLE leg0 AS {sql}")
        con.execute("SET preserve_insertion_order = false")
        con.execute(f"SET memory_limit = '{int(memory_mb)}MB'")

    n_views = 0
    if isinstance(source, Database):
        legacy = source.schema.cdr_layout == "legacy"
        read_database(con, source, start, end, tenants, fill, since, ids)
        description = source.description
    else:
        description, n_views = read_csv(con, source, columns)
        legacy = False
        fill()
    rows = _csv_rejects(con, n_views)
    for reason, fld, n in con.execute(
        "SELECT reason, field, COUNT(*) FROM leg0 WHERE reason IS NOT NULL GROUP BY ALL"
    ).fetchall():
        rows[(reason, fld)] = rows.get((reason, fld), 0) + int(n)
    rejects = rejects_frame(rows)
    where = "keep"
    if tenants:
        where += f" AND tenant IN ({', '.join(_q(t) for t in tenants)})"
    columns = "* REPLACE (rowid AS rid)" if by_rowid else "*"
    con.execute(f"CREATE TEMP VIEW leg1 AS SELECT {columns} FROM leg0 WHERE {where}")
    total, without = con.execute(
        "SELECT COUNT(*), COUNT(*) FILTER (WHERE linkedid = '') FROM leg1"
    ).fetchone()
    links: dict[str, int] = {}
    if without:
        sub = con.execute(
            'SELECT rid, linkedid, uniqueid, prevuniqueid, channel, dstchannel, start, "end", '
            "duration FROM leg1 WHERE linkedid = '' ORDER BY start, uniqueid, sequence, rid"
        ).df()
        sub["end"] = sub["end"].astype("datetime64[ns]")
        sub["start"] = sub["start"].astype("datetime64[ns]")
        sub = sub.set_index(pd.RangeIndex(len(sub)))
        keys, links = call_grouping(sub)
        fallback = pd.DataFrame({"rid": sub["rid"].to_numpy(), "key": keys.to_numpy()})
        con.register("fallback_keys", fallback)
        con.execute("CREATE TEMP TABLE keys AS SELECT * FROM fallback_keys")
        con.unregister("fallback_keys")
        call_id = "COALESCE(NULLIF(l.linkedid, ''), key)"
        joined = "leg1 l LEFT JOIN keys k USING (rid)"
    else:
        call_id, joined = "l.linkedid", "leg1 l"
    _channel_trunks(con)
    con.execute(
        f"CREATE TEMP VIEW legs AS SELECT l.*, {call_id} AS call_id, "
        f"CASE WHEN tch <> '' THEN tch ELSE tdch END AS trunk FROM ("
        f"SELECT l.*{', k.key' if without else ''}, "
        f"COALESCE(a.t, {_trunk_sql('l.channel')}) AS tch, "
        f"COALESCE(b.t, {_trunk_sql('l.dstchannel')}) AS tdch FROM {joined} "
        f"LEFT JOIN chans a ON a.c = l.ck LEFT JOIN chans b ON b.c = l.dk) l"
    )
    con.execute(f"CREATE TEMP VIEW legs_ids AS SELECT l.*, {call_id} AS call_id FROM {joined}")
    return Legs(con, description, rejects, links, int(without), int(total), int(memory_mb), ordered)


def rejects_frame(rows: dict[tuple[str, str], int]) -> pd.DataFrame:
    """The rejects table (``reason, field, rows``, most rows first) from counts per
    ``(reason, field)``."""
    return pd.DataFrame(
        {
            "reason": pd.Series([k[0] for k in rows], dtype="str"),
            "field": pd.Series([k[1] for k in rows], dtype="str"),
            "rows": pd.Series([int(n) for n in rows.values()], dtype="int64"),
        }
    ).sort_values(["rows", "reason", "field"], ascending=[False, True, True], ignore_index=True)


# ------------------------------------------------------------------------------------ calls
def _utc_table(con: duckdb.DuckDBPyConnection, tz: str) -> None:
    """Table ``tzh``: per local hour of the legs, the UTC offsets of its first and second
    occurrence (they differ in the repeated hour of a DST change) and, for an hour that does
    not exist (skipped by a DST change), the instant it is moved to (pandas'
    ``nonexistent='shift_forward'``)."""
    hours = (
        con.execute("SELECT DISTINCT date_trunc('hour', start) AS h FROM leg1 ORDER BY 1")
        .df()["h"]
        .astype("datetime64[ns]")
    )
    idx = pd.DatetimeIndex(hours)
    naive = idx.as_unit("ns").asi8 / 1e9 if len(idx) else np.array([])
    first = idx.tz_localize(tz, ambiguous=np.ones(len(idx), bool), nonexistent="shift_forward")
    second = idx.tz_localize(tz, ambiguous=np.zeros(len(idx), bool), nonexistent="shift_forward")
    gap = idx.tz_localize(tz, ambiguous=np.ones(len(idx), bool), nonexistent="NaT").isna()
    s1 = first.as_unit("ns").asi8 / 1e9 if len(idx) else np.array([])
    s2 = second.as_unit("ns").asi8 / 1e9 if len(idx) else np.array([])
    frame = pd.DataFrame(
        {
            "h": hours.to_numpy(),
            "off1": naive - s1,
            "off2": naive - s2,
            "nx": np.where(np.asarray(gap), s1, np.nan),
        }
    )
    con.register("tzh_src", frame)
    con.execute("CREATE OR REPLACE TEMP TABLE tzh AS SELECT * FROM tzh_src")
    con.unregister("tzh_src")


def _utc_view_sql(view: str, source: str) -> str:
    """SQL: view ``view`` of the legs of ``source`` with their times on the UTC axis
    (``s_utc``, ``start_utc``, ``end_utc``; :func:`_utc_table`)."""
    return f"""
CREATE OR REPLACE TEMP VIEW {view} AS
SELECT *, s_utc AS start_utc, s_utc + duration AS end_utc FROM (
  SELECT *,
    CASE WHEN nx IS NOT NULL AND NOT isnan(nx) THEN nx
         WHEN off1 <> off2 AND ep IS NOT NULL
              AND ABS(e0 - off2 - ep) < ABS(e0 - off1 - ep) THEN e0 - off2
         ELSE e0 - off1 END AS s_utc
  FROM (
    SELECT l.*, z.off1, z.off2, z.nx, epoch_us(l.start) / 1e6 AS e0,
      CASE WHEN z.off1 <> z.off2  -- the repeated hour of a DST change only
           THEN TRY_CAST(regexp_extract(l.uniqueid, '(\\d{{9,}})\\.\\d+$', 1) AS DOUBLE)
           END AS ep
    FROM {source} l JOIN tzh z ON z.h = date_trunc('hour', l.start)
  )
)
"""


def _part_calls(con: duckdb.DuckDBPyConnection, src: str, ranks: str, append: bool) -> None:
    """Tables ``first1`` (per call: the sums and the first leg's values) and ``bill`` (the
    answered time of calls with several billed legs) from the legs of table ``src``, every leg
    of each of its calls; with ``append``, added to those tables."""
    into = "INSERT INTO {} " if append else "CREATE OR REPLACE TEMP TABLE {} AS "
    con.execute(
        into.format("bill")
        + f"""
SELECT call_id, SUM(GREATEST(b1 - GREATEST(b0, COALESCE(pe, b0)), 0)) AS billable FROM (
  SELECT call_id, b0, b1, MAX(b1) OVER (PARTITION BY call_id ORDER BY b0, b1
                                        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS pe
  FROM (SELECT call_id, b0, b1, COUNT(*) OVER (PARTITION BY call_id) AS n
        FROM (SELECT call_id, end_utc - billsec AS b0, end_utc AS b1 FROM {src}
              WHERE disposition = 'ANSWERED' AND billsec > 0))
  WHERE n > 1
) GROUP BY call_id
"""
    )
    con.execute(  # the legs' order (a narrow sort of every leg: cheaper than per call)
        "CREATE OR REPLACE TEMP TABLE ord AS SELECT rid, row_number() OVER "
        f"(ORDER BY start_utc, uniqueid, seq, rid) AS k FROM {src}"
    )
    con.execute(
        f"""
CREATE OR REPLACE TEMP TABLE agg1 AS
SELECT call_id, arg_min(rid, k) AS r1,
  COALESCE(arg_min(tenant, k) FILTER (WHERE tenant <> ''), '') AS tenant,
  COALESCE(arg_min(trunk, k) FILTER (WHERE trunk <> ''), '') AS trunk,
  MIN(start) AS start, MAX(start) AS last_start, MIN(start_utc) AS start_utc,
  MAX(end_utc) AS end_utc,
  MIN(CASE disposition {ranks} ELSE 9 END) AS outcome,
  COUNT(*) FILTER (WHERE disposition = 'ANSWERED' AND billsec > 0) AS n_billed,
  COALESCE(SUM(billsec) FILTER (WHERE disposition = 'ANSWERED' AND billsec > 0), 0) AS bill1
FROM {src} JOIN ord USING (rid) GROUP BY call_id
"""
    )
    con.execute("DROP TABLE ord")
    con.execute(  # the first leg's values
        into.format("first1")
        + "SELECT a.*, UPPER(TRIM(f.userfield)) AS uf1, f.tch AS tch1, f.tdch AS tdch1, "
        f"f.uniqueid AS uid1, f.dst FROM agg1 a JOIN {src} f ON f.rid = a.r1"
    )
    con.execute("DROP TABLE agg1")


def build_calls(legs: Legs, tz: str = "Europe/Rome") -> int:
    """Table ``calls`` (one row per call: the columns the report's tables need) from view
    ``legs``; returns the number of calls.

    The legs are read once into a narrow table ``lx`` (times on the UTC axis, trunks) and
    numbered in their order (UTC start, uniqueid, sequence, read order) by one narrow sort of
    every leg: inside a call that number orders its legs. One aggregate per call then takes the
    sums, the first non-empty tenant and trunk and the read number (``rid``) of the first leg,
    all by ``arg_min`` over that integer; the first leg's strings come back by one join on
    ``rid`` (string payloads and composite keys in an aggregate cost seconds at a million
    legs). More legs than :data:`PART_LEGS_PER_MB` x ``memory_mb`` are grouped in parts (runs
    of the buckets of ``leg0``, when :func:`open_legs` sorted it by them), so that the sort,
    the aggregate and the join of each part stay in memory instead of spilling to disk: at 10M
    legs under 512 MB, 29 s instead of 49 s. Legs without linkedid (their calls are not
    bucketed) are grouped at once."""
    con = legs.con
    _utc_table(con, tz)
    ranks = " ".join(f"WHEN '{d}' THEN {i}" for i, d in enumerate(CALL_OUTCOME_ORDER))
    names = " ".join(f"WHEN {i} THEN '{d}'" for i, d in enumerate(CALL_OUTCOME_ORDER))
    dirs = ", ".join(_q(d) for d in DIRECTIONS)
    node = f"regexp_extract(uid1, {_re(NODE_PREFIX)}, 1)"
    con.execute(_utc_view_sql("lu", "legs"))
    parts = 1
    if legs.ordered and not legs.without_linkedid:  # fallback keys are not bucketed
        parts = min(BUCKETS, math.ceil(legs.total / (PART_LEGS_PER_MB * legs.memory_mb)))
    cols = (
        "call_id, rid, start, start_utc, end_utc, "
        "uniqueid, COALESCE(sequence, 9223372036854775807) AS seq, tenant, trunk, tch, tdch, "
        "disposition, billsec, userfield, CASE WHEN firstdst <> '' THEN firstdst ELSE dst END "
        "AS dst"
    )
    for p in range(parts):
        lo, hi = p * BUCKETS // parts, (p + 1) * BUCKETS // parts
        where = f" WHERE bucket >= {lo} AND bucket < {hi}" if parts > 1 else ""
        con.execute(f"CREATE OR REPLACE TEMP TABLE lx AS SELECT {cols} FROM lu{where}")
        _part_calls(con, "lx", ranks, append=p > 0)
    con.execute("DROP TABLE lx")
    con.execute(
        f"""
CREATE OR REPLACE TEMP TABLE calls AS
SELECT g.call_id, tenant, direction, node, trunk, start, day, hour, weekday, dst, disposition,
       disposition = 'ANSWERED' AS answered, start_utc, end_utc, last_start,
       CAST(round_even(end_utc - start_utc, 0) AS BIGINT) AS duration,
       CAST(round_even(CASE WHEN n_billed > 1 THEN b.billable ELSE bill1 END, 0) AS BIGINT)
           AS billable
FROM (
  SELECT call_id, tenant, trunk, start, last_start, start_utc, end_utc, dst, n_billed, bill1,
         date_trunc('day', start) AS day, CAST(hour(start) AS BIGINT) AS hour,
         CAST(isodow(start) - 1 AS BIGINT) AS weekday,
         CASE outcome {names} ELSE 'nan' END AS disposition,
         CASE WHEN uf1 IN ({dirs}) THEN uf1
              WHEN tch1 <> '' THEN 'IN'
              WHEN tdch1 <> '' THEN 'OUT' ELSE 'LOCAL' END AS direction,
         {node} AS node
  FROM first1
) g LEFT JOIN bill b ON b.call_id = g.call_id
"""
    )
    con.execute("DROP TABLE first1; DROP TABLE bill")
    return int(con.execute("SELECT COUNT(*) FROM calls").fetchone()[0])


# ----------------------------------------------------------------------------------- tables
def cube(con: duckdb.DuckDBPyConnection, short_s: int = 6) -> pd.DataFrame:
    """The call cube (:func:`mirtalib.cdr.cube.cube_from_calls` of the same calls)."""
    dims = ", ".join(DIMENSIONS)
    out = con.execute(
        f"SELECT {dims}, COUNT(*) AS calls, SUM(billable) AS billable, "
        f"SUM(duration) AS duration, "
        f"SUM(CASE WHEN answered AND billable < {int(short_s)} THEN 1 ELSE 0 END) AS short "
        f"FROM calls GROUP BY {dims} ORDER BY {dims}"
    ).df()
    for col in ("tenant", "direction", "node", "trunk", "disposition"):
        out[col] = out[col].astype("str")
    out["day"] = out["day"].astype("datetime64[ns]")
    for col in ("hour", *MEASURES):
        out[col] = out[col].astype("int64")
    return out[[*DIMENSIONS, *MEASURES]]


def destinations(con: duckdb.DuckDBPyConnection, home_region: str, top_n: int = 10):
    """``top_destinations`` (per tenant) and ``international`` (share per tenant) of the
    outbound calls, as :func:`mirtalib.cdr.destinations.top_destinations` and
    :func:`~mirtalib.cdr.destinations.international_share` give them."""
    region = check_region(home_region)
    per = con.execute(
        "SELECT tenant, dst, COUNT(*) AS calls, COUNT(*) FILTER (WHERE answered) AS answered, "
        "SUM(billable) AS seconds FROM calls WHERE direction = 'OUT' GROUP BY tenant, dst"
    ).df()
    per["tenant"] = per["tenant"].astype("str")
    per["dst"] = per["dst"].astype("str")
    for col in ("calls", "answered", "seconds"):
        per[col] = per[col].astype("int64")
    info = {d: classify_number(d, region) for d in per["dst"].unique()}
    per["country"] = per["dst"].map(lambda d: info[d][0]).astype("str")
    per["number_type"] = per["dst"].map(lambda d: info[d][1]).astype("str")
    per["international"] = per["dst"].map(lambda d: info[d][2]).astype(bool)
    top = per.assign(minutes=per["seconds"] / 60.0).sort_values(
        ["tenant", "calls", "minutes", "dst"], ascending=[True, False, False, True]
    )
    top = top.groupby("tenant").head(top_n).reset_index(drop=True)
    top = top[["tenant", "dst", "country", "number_type", "calls", "answered", "minutes"]]
    intl = per.assign(
        intl_calls=per["calls"].where(per["international"], 0),
        intl_sec=per["seconds"].where(per["international"], 0),
    )
    agg = intl.groupby("tenant").agg(
        outbound=("calls", "sum"),
        international=("intl_calls", "sum"),
        minutes=("seconds", "sum"),
        intl_minutes=("intl_sec", "sum"),
    )
    agg["minutes"] = agg["minutes"] / 60.0
    agg["intl_minutes"] = agg["intl_minutes"] / 60.0
    agg["call_share"] = agg["international"] / agg["outbound"]
    agg["minute_share"] = (agg["intl_minutes"] / agg["minutes"]).where(agg["minutes"] > 0)
    return top, agg.reset_index()


#: The dimensions of the concurrency table and the calls column naming each one's group.
CONCURRENCY_DIMS = {"all": "''", "tenant": "tenant", "node": "node", "trunk": "trunk"}


def _dim_filter(dim: str) -> str:
    return " AND trunk <> ''" if dim == "trunk" else ""


def minute_levels(con: duckdb.DuckDBPyConnection, table: str, since: float | None = None) -> None:
    """Table ``table``: per dimension, group and minute (``m``: UTC epoch minutes) in which the
    number of calls in progress changes, the highest level in it (``top``) and when it was first
    reached (``top_at``), the first change (``t0``) and the level after the last one (``last``).

    Levels count the calls of view ``calls`` on the UTC axis, ends before starts at equal times.
    With ``since`` (epoch seconds), only the minutes from ``floor(since / 60)`` on: the level
    carried into them is counted from the calls that started before and end at or after that
    minute (:mod:`mirtalib.cdr.callcache` keeps the earlier minutes of a previous run)."""
    cut = None if since is None else math.floor(since / 60) * 60
    after = "" if cut is None else f" AND {{t}} >= {cut}"
    events = " UNION ALL ".join(
        f"SELECT '{dim}' AS dim, {col} AS g, {t} AS t, {d} AS d FROM calls "
        f"WHERE end_utc > start_utc{_dim_filter(dim)}{after.format(t=t)}"
        for dim, col in CONCURRENCY_DIMS.items()
        for t, d in (("start_utc", 1), ("end_utc", -1))
    )
    if cut is not None:  # the level carried into the first minute
        events += " UNION ALL " + " UNION ALL ".join(
            f"SELECT '{dim}', {col}, {cut - 1}, COUNT(*) FROM calls WHERE end_utc > start_utc"
            f"{_dim_filter(dim)} AND start_utc < {cut} AND end_utc >= {cut} GROUP BY ALL"
            for dim, col in CONCURRENCY_DIMS.items()
        )
    con.execute(
        f"""
CREATE OR REPLACE TEMP TABLE lv AS
SELECT dim, g, t, SUM(d) OVER (PARTITION BY dim, g ORDER BY t ROWS UNBOUNDED PRECEDING) AS level
FROM (SELECT dim, g, t, SUM(d) AS d FROM ({events}) GROUP BY dim, g, t)
"""
    )
    start = "" if cut is None else f" WHERE t >= {cut}"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT dim, g, "
        "CAST(floor(t / 60) AS BIGINT) AS m, MAX(level) AS top, arg_min(t, (-level, t)) AS top_at, "
        f"MIN(t) AS t0, arg_max(level, t) AS last FROM lv{start} GROUP BY ALL"
    )
    con.execute("DROP TABLE lv")


def concurrency(
    con: duckdb.DuckDBPyConnection,
    period: tuple[pd.Timestamp, pd.Timestamp] | None,
    tz: str = "Europe/Rome",
    minutes: str | None = None,
) -> pd.DataFrame:
    """Peaks and per-minute distribution per dimension (all, tenant, node, trunk) and group,
    as :func:`mirtalib.cdr.concurrency.concurrency` computes them from the calls: levels on the
    UTC axis, ends before starts at equal times, per-minute peaks over the period.

    ``minutes``: a table of :func:`minute_levels` over every minute of view ``calls`` (made
    here when None)."""
    dims = CONCURRENCY_DIMS
    if minutes is None:
        minute_levels(con, "lvm")
        minutes = "lvm"
    peaks = con.execute(
        f"SELECT dim, g, MAX(top) AS peak, arg_min(top_at, (-top, top_at)) AS at FROM {minutes} "
        "GROUP BY ALL"
    ).df()
    minutes = con.execute(f"SELECT dim, g, m, top, t0, last FROM {minutes} ORDER BY dim, g, m").df()
    groups = con.execute(
        " UNION ALL ".join(
            f"SELECT '{dim}' AS dim, {col} AS g, MIN(start_utc) AS lo, MAX(end_utc) AS hi "
            f"FROM calls{' WHERE trunk <> ' + chr(39) * 2 if dim == 'trunk' else ''} "
            f"GROUP BY {'ALL' if dim != 'all' else '()'}"
            for dim, col in dims.items()
        )
    ).df()
    span: dict[str, tuple[float, float]] = {}
    if period is not None:
        lo = pd.Timestamp(period[0]).tz_localize(tz, ambiguous=True).timestamp()
        hi = pd.Timestamp(period[1]).tz_localize(tz, ambiguous=True).timestamp()
        span = dict.fromkeys(dims, (lo, hi))
    else:
        for dim in dims:
            part = groups[groups["dim"] == dim]
            ok = part["lo"].notna()
            span[dim] = (
                (float(part.loc[ok, "lo"].min()), float(part.loc[ok, "hi"].max()))
                if ok.any()
                else (0.0, 0.0)
            )
    by_group = {k: p for k, p in minutes.groupby(["dim", "g"], sort=False)}
    peak_of = {(r.dim, r.g): (r.peak, r.at) for r in peaks.itertuples(index=False)}
    rows = []
    for dim in dims:
        part = groups[groups["dim"] == dim]
        names = [""] if dim == "all" else sorted(part["g"].astype(str).unique())
        lo, hi = span[dim]
        t0 = math.floor(lo / 60) * 60
        n = max(math.ceil((hi - t0) / 60), 1)
        for g in names:
            full = _minute_peaks(by_group.get((dim, g)), int(t0 // 60), n)
            peak, at = peak_of.get((dim, g), (0, None))
            row = {"dim": dim, "group": g}
            if peak and peak > 0:
                row["peak"] = int(peak)
                stamp = pd.Timestamp(at, unit="s", tz="UTC").tz_convert(tz).tz_localize(None)
                row["peak_at"] = stamp
            else:
                row["peak"], row["peak_at"] = 0, pd.NaT
            row["p50"] = float(np.percentile(full, 50))
            row["p95"] = float(np.percentile(full, 95))
            row["max_per_minute_mean"] = float(full.mean())
            rows.append(row)
    out = pd.DataFrame(rows, columns=["dim", "group", *PEAK_COLUMNS])
    out["peak"] = out["peak"].astype("int64")
    out["peak_at"] = pd.to_datetime(out["peak_at"]).astype("datetime64[ns]")
    out["group"] = out["group"].astype("str")
    return out


def _minute_peaks(part: pd.DataFrame | None, m0: int, n: int) -> np.ndarray:
    """The highest level in each of the ``n`` minutes from minute ``m0`` (as
    :func:`mirtalib.cdr.concurrency.per_minute_max`): the top of the minute's own changes, and
    the level carried in from the last change before it (a change at the minute's first
    second replaces it)."""
    full = np.zeros(n, dtype=np.int64)
    if part is None or part.empty:
        return full
    m = part["m"].to_numpy(np.int64) - m0
    top = part["top"].to_numpy(np.int64)
    last = part["last"].to_numpy(np.int64)
    at_start = part["t0"].to_numpy(float) <= (m + m0) * 60.0
    carry = np.zeros(n, dtype=np.int64)
    # level after the last change before each minute: the last minute with changes before it
    starts = np.arange(n)
    pos = np.searchsorted(m, starts, side="left") - 1
    carry = np.where(pos >= 0, last[np.clip(pos, 0, None)], 0)
    inside = (m >= 0) & (m < n)
    full = carry.copy()
    blocked = np.zeros(n, bool)
    blocked[m[inside & at_start]] = True
    full[blocked] = 0
    np.maximum.at(full, m[inside], top[inside])
    return full
