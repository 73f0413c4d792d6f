"""Month-to-date CDR reports that read only what is new: the calls of earlier runs kept on disk.

A scheduled report of the same database, period start, tenants and time zone (say, every night
from the first of the month) sees the same old rows every time. With ``cache="on"`` the sql
engine keeps what it computed from them in a DuckDB file under ``MIRTA_HOME/cache/cdr/``:

* ``calls``: one row per call (the columns of :func:`mirtalib.cdr.engine.build_calls`, with
  ``last_start``, the start of its latest leg);
* ``minutes``: the concurrency levels per dimension, group and minute
  (:func:`mirtalib.cdr.engine.minute_levels`);
* ``rows`` and ``rejects``: the CDR rows read and the rejected ones per minute of their start;
* ``meta``: what the file was made from (source, period start, tenants, time zone, the digest
  of the rules' code) and the newest row seen (the watermark).

The next run reads only the rows from the *cut* ``R`` on, plus every leg of the calls that
cross it, and replaces the calls, minutes, row and reject counts from ``R`` on:

* ``R`` = the watermark minus the longest call seen (at least an hour, at most two days):
  Asterisk writes a CDR when its leg hangs up, so a row missing at the last run started no
  earlier than that (rows written late: long calls, a node catching up);
* calls crossing the cut (started before it, a leg after it: ``last_start >= R``) are read
  whole by their linkedid (an index lookup), so a call crossing midnight or the cut is rebuilt
  from all its legs; a new leg joining a call that ended before the cut adds that call and the
  read is done again;
* the concurrency minutes from the earliest start of a changed call on are recomputed, the
  level carried into them counted from the calls in progress.

A run is a full one (the file rewritten) when there is no file, it was made from another source,
period start, tenants, time zone or other rules (a change of the rules' code changes the
digest), the period's end moved back, or ``cache="rebuild"``. Legs without linkedid are joined
by time-bounded rules over their neighbours, which a partial read cannot see: such a source is
reported in full and nothing is kept. Rows older than the cut that were added, deleted or
changed after a run are not seen by ``cache="on"``; ``cache="verify"`` counts the source's rows
before the cut (an index range count) and, where they differ from the file's, reads again from
the first minute that differs. Runs of one file are serialized by a lock; the file is written
in one transaction (a full run writes a new file and renames it). Files unused for
:data:`UNUSED_DAYS` days (last month's) are removed when a new one is written.
"""

from __future__ import annotations

import hashlib
import inspect as pyinspect
import json
import logging
import math
import os
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
from sqlalchemy import text

from mirtalib.cdr import calls as _calls_module
from mirtalib.cdr import engine as E
from mirtalib.cdr import legs as _legs_module
from mirtalib.cdr import naming as _naming_module
from mirtalib.data.db import Database
from mirtalib.errors import DataSourceError, ParameterError
from mirtalib.filelock import locked
from mirtalib.settings import default_home

log = logging.getLogger(__name__)

#: ``cache`` parameter values: no cache; read what is new; also count the older rows; rewrite.
CACHE_MODES = ("off", "on", "verify", "rebuild")
#: Layout of the cache file; another one is rebuilt.
FORMAT = "1"
#: Bounds of the re-read window before the watermark (seconds).
LATE_MIN_S = 3600
LATE_MAX_S = 2 * 86400
#: Times a read is repeated when new legs join calls that ended before the cut.
MAX_REREADS = 3
#: Cache files unused this many days are removed when a file is written (last month's, ...).
UNUSED_DAYS = 40


class _Full(Exception):
    """The cache cannot be used for this run: the reason, said in the report's notes."""


@dataclass
class CachedLegs:
    """What :func:`read_calls` leaves for the report.

    Attributes:
        legs: the engine's legs; its connection holds view ``calls`` (every call of the period).
        minutes: the table of :func:`mirtalib.cdr.engine.minute_levels` for ``calls``.
        rejects: the rejected rows of the period (``reason, field, rows``).
        kind: "full" (every row read) or "incremental".
        since: the cut of an incremental run.
        rows_read: CDR rows read by this run.
        notes: sentences for the report.
    """

    legs: E.Legs
    minutes: str
    rejects: pd.DataFrame
    kind: str
    since: datetime | None = None
    rows_read: int = 0
    notes: list[str] = field(default_factory=list)


def check_mode(mode: str) -> str:
    """``mode`` if it is one of :data:`CACHE_MODES`, else ParameterError."""
    if mode not in CACHE_MODES:
        raise ParameterError(f"cache={mode!r}: use one of {list(CACHE_MODES)}")
    return mode


def rules_digest() -> str:
    """Digest of the code that turns rows into calls and tables: calls cached by other code
    are stale."""
    h = hashlib.sha256(f"{E.RULES_VERSION}|{FORMAT}|duckdb {duckdb.__version__}".encode())
    for module in (E, _calls_module, _legs_module, _naming_module):
        h.update(pyinspect.getsource(module).encode())
    return h.hexdigest()[:24]


def source_identity(db: Database) -> str:
    """The database and table the rows come from (no user, no password)."""
    url = db.url
    table = db.schema.table("cdr").name
    return (
        f"{url.get_backend_name()}://{url.host or ''}:{url.port or ''}/{url.database or ''}"
        f"#{table}@{db.schema.cdr_layout}"
    )


def cache_file(db: Database, start: datetime, tenants, tz: str) -> Path:
    """The cache file of this source, period start, tenants and time zone."""
    key = json.dumps([source_identity(db), f"{start:%Y-%m-%d %H:%M:%S}", sorted(tenants or []), tz])
    digest = hashlib.sha256(key.encode()).hexdigest()[:20]
    return default_home() / "cache" / "cdr" / f"calls-{digest}.duckdb"


def read_calls(
    db: Database,
    start: datetime | None,
    end: datetime | None,
    tenants,
    tz: str,
    memory_mb: int = 512,
    mode: str = "on",
) -> CachedLegs:
    """The calls of ``[start, end)`` in view ``calls`` of a DuckDB connection, read in full or
    from the cut on (see the module), and the cache file brought up to date."""
    check_mode(mode)
    if mode == "off":
        raise ValueError("read_calls: cache mode 'off'")
    if start is None:
        run = _full(db, start, end, tenants, tz, memory_mb, None)
        run.notes.append("cache not used: it needs the period's start (e.g. the month's first)")
        return run
    path = cache_file(db, start, tenants, tz)
    with locked(path.with_name(path.name + ".lock")):
        why = "cache rebuilt on request" if mode == "rebuild" else ""
        meta: dict[str, str] = {}
        if not why:
            meta, why = _usable(path, db, start, end, tenants, tz)
        if not why:
            try:
                return _incremental(db, start, end, tenants, tz, memory_mb, path, meta, mode)
            except _Full as reason:
                why = str(reason)
        return _full(db, start, end, tenants, tz, memory_mb, path, why)


# ------------------------------------------------------------------------------- the file
def _meta_for(db: Database, start, end, tenants, tz: str) -> dict[str, str]:
    return {
        "format": FORMAT,
        "rules": rules_digest(),
        "source": source_identity(db),
        "start": f"{start:%Y-%m-%d %H:%M:%S}",
        "end": "" if end is None else f"{end:%Y-%m-%d %H:%M:%S}",
        "tenants": json.dumps(sorted(tenants or [])),
        "tz": tz,
    }


def _usable(path: Path, db: Database, start, end, tenants, tz) -> tuple[dict[str, str], str]:
    """The file's meta and "" when it can be brought up to date, else why not."""
    if not path.exists():
        return {}, "no cache yet"
    try:
        con = duckdb.connect(str(path), read_only=True)
        try:
            meta = dict(con.execute("SELECT k, v FROM meta").fetchall())
        finally:
            con.close()
    except duckdb.Error as exc:
        return {}, f"cache file unreadable ({type(exc).__name__}): rebuilt"
    want = _meta_for(db, start, end, tenants, tz)
    for key, label in (
        ("format", "cache format"),
        ("rules", "the rules' code"),
        ("source", "source"),
        ("start", "period start"),
        ("tenants", "tenants"),
        ("tz", "time zone"),
    ):
        if meta.get(key) != want[key]:
            return meta, f"cache rebuilt: {label} changed"
    old_end, new_end = meta.get("end") or "9999", want["end"] or "9999"  # "": open
    if new_end < old_end:
        return meta, "cache rebuilt: the period's end moved back"
    return meta, ""


def _write_full(con: duckdb.DuckDBPyConnection, path: Path, meta: dict[str, str]) -> None:
    """A new cache file from tables ``calls``, ``lvm`` and ``leg0``, renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        con.execute(f"ATTACH {E._q(str(tmp))} AS mcnew")
        con.execute("CREATE TABLE mcnew.calls AS SELECT * FROM calls")
        con.execute("CREATE TABLE mcnew.minutes AS SELECT * FROM lvm")
        con.execute(f"CREATE TABLE mcnew.rows AS {_rows_sql(None)}")
        con.execute(f"CREATE TABLE mcnew.rejects AS {_rejects_sql(None)}")
        con.execute("CREATE TABLE mcnew.meta (k VARCHAR, v VARCHAR)")
        con.executemany("INSERT INTO mcnew.meta VALUES (?, ?)", sorted(meta.items()))
        con.execute("DETACH mcnew")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
        Path(str(tmp) + ".wal").unlink(missing_ok=True)
    _prune(path.parent, keep=path)


def _prune(folder: Path, keep: Path) -> None:
    """Remove the cache files (and their locks) nobody used for :data:`UNUSED_DAYS` days."""
    old = time.time() - UNUSED_DAYS * 86400
    for other in folder.glob("calls-*.duckdb"):
        if other != keep and other.stat().st_mtime < old:
            log.info("removing the CDR cache file %s (unused for %d days)", other.name, UNUSED_DAYS)
            for part in (other, other.with_name(other.name + ".lock")):
                part.unlink(missing_ok=True)


def _rows_sql(since: datetime | None) -> str:
    after = "" if since is None else f"WHERE start >= {_ts(since)}"
    return f"SELECT date_trunc('minute', start) AS m, COUNT(*) AS n FROM leg0 {after} GROUP BY 1"


def _rejects_sql(since: datetime | None) -> str:
    after = "" if since is None else f" AND start >= {_ts(since)}"
    return (
        "SELECT date_trunc('minute', start) AS m, reason, field, COUNT(*) AS n FROM leg0 "
        f"WHERE reason IS NOT NULL{after} GROUP BY ALL"
    )


def _ts(when: datetime) -> str:
    return f"TIMESTAMP '{when:%Y-%m-%d %H:%M:%S}'"


def _watermark(con: duckdb.DuckDBPyConnection, old: str = "") -> str:
    newest = con.execute("SELECT MAX(start) FROM leg0").fetchone()[0]
    new = "" if newest is None else f"{pd.Timestamp(newest):%Y-%m-%d %H:%M:%S}"
    return max(old, new)


# ------------------------------------------------------------------------------------ runs
def _full(db, start, end, tenants, tz, memory_mb, path: Path | None, why: str = "") -> CachedLegs:
    legs = E.open_legs(db, start, end, tenants, memory_mb=memory_mb)
    E.build_calls(legs, tz)
    E.minute_levels(legs.con, "lvm")
    notes = []
    if legs.without_linkedid:
        notes.append(
            f"cache not kept: {legs.without_linkedid:,} CDR rows have no linkedid (their calls "
            "are joined by rules over neighbouring rows, which a partial read cannot see)"
        )
    elif path is not None:
        meta = _meta_for(db, start, end, tenants, tz)
        meta["watermark"] = _watermark(legs.con)
        _write_full(legs.con, path, meta)
        notes.append(f"cache: every CDR row read ({why}); the calls are kept for the next run")
    total = int(legs.con.execute("SELECT COUNT(*) FROM leg0").fetchone()[0])
    return CachedLegs(legs, "lvm", legs.rejects, "full", None, total, notes)


def _cut(con: duckdb.DuckDBPyConnection, meta: dict[str, str], start: datetime) -> datetime:
    """The cut: the watermark minus the longest call seen (bounded), to the minute."""
    if not meta.get("watermark"):
        return start
    longest = con.execute("SELECT MAX(end_utc - start_utc) FROM calls").fetchone()[0] or 0
    late = min(max(float(longest), LATE_MIN_S), LATE_MAX_S)
    cut = datetime.fromisoformat(meta["watermark"]) - timedelta(seconds=math.ceil(late))
    cut = cut.replace(second=0, microsecond=0)
    return max(cut, start)


def _verified_cut(db: Database, con, cut: datetime, start, end, tenants) -> tuple[datetime, str]:
    """``cut`` when the source holds as many rows before it as the file counted, else the first
    minute whose count differs, and a note."""
    where, legacy = E.db_where(db, start, None, tenants)
    table = db.schema.table("cdr")
    prep = db.engine.dialect.identifier_preparer
    when = prep.quote(table.c["calldate" if legacy else "start"].name)
    before = f"{where} AND {when} < '{cut:%Y-%m-%d %H:%M:%S}'"
    name = prep.quote(table.name)
    have = con.execute(f"SELECT COALESCE(SUM(n), 0) FROM rows WHERE m < {_ts(cut)}").fetchone()
    have = int(have[0])
    with db.connect() as conn:
        count = int(conn.execute(text(f"SELECT COUNT(*) FROM {name} WHERE {before}")).scalar_one())
        if count == have:
            return cut, ""
        minute = (
            f"DATE_FORMAT({when}, '%Y-%m-%d %H:%i:00')"
            if db.url.get_backend_name() in ("mysql", "mariadb")
            else f"strftime('%Y-%m-%d %H:%M:00', {when})"
        )
        per = conn.execute(
            text(f"SELECT {minute} AS m, COUNT(*) FROM {name} WHERE {before} GROUP BY 1")
        ).fetchall()
    source = pd.DataFrame(per, columns=["m", "n"]).astype({"m": "datetime64[ns]", "n": "int64"})
    cached = con.execute(f"SELECT m, n FROM rows WHERE m < {_ts(cut)}").df()
    both = source.merge(cached, on="m", how="outer", suffixes=("_src", "_kept")).fillna(0)
    differ = both.loc[both["n_src"] != both["n_kept"], "m"]
    first = pd.Timestamp(differ.min()).to_pydatetime() if len(differ) else cut
    return min(first, cut), (
        f"cache: the source has {count:,} CDR rows before {cut:%Y-%m-%d %H:%M} where the last "
        f"run read {have:,}; read again from {first:%Y-%m-%d %H:%M}"
    )


def _incremental(db, start, end, tenants, tz, memory_mb, path: Path, meta, mode) -> CachedLegs:
    notes = []
    con = duckdb.connect(str(path), read_only=True)
    try:
        since = _cut(con, meta, start)
        if mode == "verify":
            since, note = _verified_cut(db, con, since, start, end, tenants)
            if note:
                notes.append(note)
        ids = {
            r[0]
            for r in con.execute(
                f"SELECT call_id FROM calls WHERE start < {_ts(since)} AND last_start >= "
                f"{_ts(since)}"
            ).fetchall()
        }
    finally:
        con.close()
    for _ in range(MAX_REREADS + 1):
        legs = E.open_legs(db, start, end, tenants, memory_mb=memory_mb, since=since, ids=ids)
        if legs.without_linkedid:
            legs.con.close()
            raise _Full(
                f"every CDR row read: {legs.without_linkedid:,} recent rows have no linkedid"
            )
        con = legs.con
        con.execute(f"ATTACH {E._q(str(path))} AS mc")
        con.execute(
            "CREATE OR REPLACE TEMP TABLE kset AS SELECT UNNEST(?::VARCHAR[]) AS id", [sorted(ids)]
        )
        joined = {  # new legs of calls that ended before the cut: read those calls whole
            r[0]
            for r in con.execute(
                "SELECT DISTINCT call_id FROM legs_ids WHERE call_id IN (SELECT call_id FROM "
                f"mc.calls WHERE start < {_ts(since)}) AND call_id NOT IN (SELECT id FROM kset)"
            ).fetchall()
        }
        if not joined:
            break
        con.close()
        ids |= joined
    else:
        raise _Full("every CDR row read: new legs kept joining older calls")
    E.build_calls(legs, tz)
    con.execute("ALTER TABLE calls RENAME TO newcalls")
    changed = f"(start >= {_ts(since)} OR call_id IN (SELECT id FROM kset))"
    cut_utc = con.execute(
        f"SELECT MIN(s) FROM (SELECT start_utc AS s FROM newcalls UNION ALL "
        f"SELECT start_utc FROM mc.calls WHERE {changed})"
    ).fetchone()[0]
    con.execute(
        f"CREATE TEMP VIEW calls AS SELECT * FROM mc.calls WHERE NOT {changed} "
        "UNION ALL BY NAME SELECT * FROM newcalls"
    )
    if cut_utc is not None:
        E.minute_levels(con, "lvm", float(cut_utc))
    rows_read = int(con.execute("SELECT COUNT(*) FROM leg0").fetchone()[0])
    kept = int(con.execute(f"SELECT COUNT(*) FROM mc.calls WHERE NOT {changed}").fetchone()[0])
    try:
        con.execute("BEGIN TRANSACTION")
        con.execute(f"DELETE FROM mc.calls WHERE {changed}")
        con.execute("INSERT INTO mc.calls BY NAME SELECT * FROM newcalls")
        for table, sql in (("rows", _rows_sql(since)), ("rejects", _rejects_sql(since))):
            con.execute(f"DELETE FROM mc.{table} WHERE m >= {_ts(since)}")
            con.execute(f"INSERT INTO mc.{table} BY NAME {sql}")
        if cut_utc is not None:
            first = math.floor(float(cut_utc) / 60)
            con.execute(f"DELETE FROM mc.minutes WHERE m >= {first}")
            con.execute("INSERT INTO mc.minutes BY NAME SELECT * FROM lvm")
        new_meta = _meta_for(db, start, end, tenants, tz)
        new_meta["watermark"] = _watermark(con, meta.get("watermark", ""))
        con.execute("DELETE FROM mc.meta")
        con.executemany("INSERT INTO mc.meta VALUES (?, ?)", sorted(new_meta.items()))
        con.execute("COMMIT")
    except duckdb.Error as exc:
        con.execute("ROLLBACK")
        raise DataSourceError(f"cache file {path.name}: {exc}") from exc
    con.execute("CREATE OR REPLACE TEMP VIEW calls AS SELECT * FROM mc.calls")
    counts = con.execute("SELECT reason, field, SUM(n) FROM mc.rejects GROUP BY ALL").fetchall()
    rejects = E.rejects_frame({(r, f): int(n) for r, f, n in counts})
    calls = "call" if len(ids) == 1 else "calls"
    notes.append(
        f"cache: {kept:,} calls kept from earlier runs; {rows_read:,} CDR rows read, from "
        f"{since:%Y-%m-%d %H:%M} on and the legs of {len(ids):,} {calls} crossing that time"
    )
    log.info("%s: %s", path.name, notes[-1])
    return CachedLegs(legs, "mc.minutes", rejects, "incremental", since, rows_read, notes)
