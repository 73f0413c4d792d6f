"""The report's aggregates computed inside the database: only small tables cross the wire.

For big CDR tables (millions of rows) reading every leg into pandas is slow and memory-hungry.
These queries group the legs into calls *in SQL* (by linkedid, else uniqueid; the union of
the billable intervals ``[end - billsec, end]`` of the ANSWERED legs with a window function, so
fan-out and transfers are not counted twice; a NO ANSWER leg carrying an answer time or billsec
adds nothing, as in :func:`mirtalib.cdr.calls.to_calls`) and return:

* :func:`call_cube`: calls per (tenant, direction, node, trunk, day, hour, outcome) with
  billable seconds and short-call counts; every volume/KPI/heatmap/disposition/trunk/node table
  of the report is a sum over it (:mod:`mirtalib.cdr.cube`).
* :func:`top_destinations_sql`: the most called outbound numbers per tenant.
* :func:`concurrency_minutes`: per group and minute, the highest concurrency and when it was
  reached, plus the net change, from which exact peaks and per-minute distributions follow.

The SQL is portable between MariaDB/MySQL (8+/10.2+) and SQLite (3.25+): windows, CTEs, integer
seconds since 2000-01-01 (naive PBX-local time, so a call spanning a DST change is off by the
change; the pandas path, :func:`mirtalib.cdr.calls.to_calls`, handles that case exactly).
Differences from the pandas path: the call key does not follow prevuniqueid/Local/channel rules
(legs without linkedid are grouped by uniqueid), and the tenant is the accountcode only.

On MariaDB/MySQL the report does not use these window queries (each window sorts every leg):
:mod:`mirtalib.cdr.grouped` computes the same per-call values with one ``GROUP BY``.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator, Sequence
from datetime import datetime

import pandas as pd
from sqlalchemy import bindparam, inspect, text

from mirtalib.cdr.legs import TIME_MAX, TIME_MIN
from mirtalib.data.db import Database, driver_reason
from mirtalib.errors import DataSourceError, SchemaError

log = logging.getLogger(__name__)

EXT_RE = "^(PJSIP|SIP|IAX2)/[0-9*#]+-[A-Z][A-Z0-9_]*(-[0-9a-fA-F]{8})?$"
TECH_RE = "^(PJSIP|SIP|IAX2|DAHDI|Dahdi|OOH323|H323)/"
SUFFIX_RE = "-[0-9a-fA-F]{8}$"
NODE_RE = "^[A-Za-z][A-Za-z0-9_.]*-[0-9]+[.][0-9]+$"
OUTCOMES = ("ANSWERED", "NO ANSWER", "BUSY", "CONGESTION", "FAILED")
EPOCH = pd.Timestamp("2000-01-01")

_SQL = {
    "mysql": {
        # TO_SECONDS is several times cheaper per row than TIMESTAMPDIFF with a literal
        "secs": "(TO_SECONDS({c}) - 63113904000)",
        "idiv": "(({a}) DIV ({b}))",
        "rankcat": "CONCAT(LPAD({n}, 9, '0'), {s})",
        "regexp": "{x} REGEXP '{p}'",
        "param": ":{name}",
        "in_list": "{x} IN :{name}",
    },
    "sqlite": {
        "secs": "CAST(ROUND((julianday({c}) - 2451544.5) * 86400) AS INTEGER)",
        "idiv": "(({a}) / ({b}))",
        "rankcat": "(printf('%09d', {n}) || {s})",
        "regexp": "{x} REGEXP '{p}'",
        "param": ":{name}",
        "in_list": "{x} IN :{name}",
    },
    "duckdb": {
        "secs": "date_diff('second', TIMESTAMP '2000-01-01', {c})",
        "idiv": "(({a}) // ({b}))",
        "rankcat": "(printf('%09d', {n}) || {s})",
        "regexp": "regexp_matches({x}, '{p}')",
        "param": "${name}",
        "in_list": "list_contains(${name}, {x})",
    },
}


class SqlTarget:
    """Where the aggregation SQL runs: dialect snippets, the ``cdr`` relation and its columns.

    Build with :meth:`for_database`, or :func:`mirtalib.cdr.duckagg.csv_target` for Master.csv
    files read by DuckDB.

    Attributes:
        kind: "mysql", "sqlite" or "duckdb".
        table: the relation to read (quoted name or a view).
        cols: logical column -> quoted physical column, for the columns present.
        start: the column holding the leg start (``start`` or legacy ``calldate``).
        description: where this is, for messages.
    """

    def __init__(
        self,
        kind: str,
        table: str,
        cols: dict[str, str],
        start: str,
        description: str,
        runner,
        streamer=None,
    ) -> None:
        self.kind, self.table, self.cols, self.start = kind, table, cols, start
        self.description = description
        self._runner = runner
        self._streamer = streamer

    @classmethod
    def for_database(cls, db: Database) -> SqlTarget:
        """The ``cdr`` table of an open MariaDB/MySQL/SQLite database."""
        name = db.engine.dialect.name
        kind = "mysql" if name in ("mysql", "mariadb") else name
        if kind not in ("mysql", "sqlite"):
            raise SchemaError(f"{db.description}: SQL aggregation supports MariaDB/MySQL/SQLite")
        table = db.schema.table("cdr")
        prep = db.engine.dialect.identifier_preparer
        present = {c["name"].lower() for c in inspect(db.engine).get_columns(table.name)}
        cols = {k: prep.quote(c.name) for k, c in table.c.items() if c.name.lower() in present}
        start = cols["calldate" if db.schema.cdr_layout == "legacy" else "start"]

        def run(sql: str, params: dict) -> pd.DataFrame:
            stmt = text(sql)
            if "tenants" in params:
                stmt = stmt.bindparams(bindparam("tenants", expanding=True))
            with db.connect() as conn:
                return pd.read_sql(stmt, conn, params=params)

        def stream(
            sql: str, params: dict, chunksize: int, session: Sequence[str] = ()
        ) -> Iterator[pd.DataFrame]:
            stmt = text(sql)
            if "tenants" in params:
                stmt = stmt.bindparams(bindparam("tenants", expanding=True))
            with db.connect() as conn:
                for setting in session:  # session variables only (allowed read-only)
                    conn.exec_driver_sql(setting)
                if kind == "mysql":
                    yield from _mysql_stream(conn, sql, params, chunksize, where=db.description)
                    return
                conn = conn.execution_options(stream_results=True)  # server-side cursor
                result = conn.execute(stmt, params)
                cols = list(result.keys())
                while rows := result.fetchmany(chunksize):
                    yield pd.DataFrame.from_records(rows, columns=cols, coerce_float=False)

        def stream_rows(
            sql: str, params: dict, chunksize: int, session: Sequence[str] = ()
        ) -> Iterator[list[tuple]]:
            with db.connect() as conn:
                for setting in session:
                    conn.exec_driver_sql(setting)
                yield from _mysql_stream(
                    conn, sql, params, chunksize, raw=True, where=db.description
                )

        target = cls(kind, prep.quote(table.name), cols, start, db.description, run, stream)
        if kind == "mysql":

            def estimate() -> int:
                sql = (
                    "SELECT TABLE_ROWS FROM information_schema.TABLES "
                    "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :name"
                )
                frame = run(sql, {"name": table.name})
                return int(frame.iloc[0, 0] or 0) if len(frame) else 0

            target._row_streamer = stream_rows
            target._row_estimator = estimate
        return target

    _row_streamer = None
    _row_estimator = None

    def estimate_rows(self) -> int:
        """The server's estimate of the rows in the table (0 where unknown)."""
        return int(self._row_estimator()) if self._row_estimator is not None else 0

    def stream_rows(
        self, sql: str, params: dict, chunksize: int = 200_000, session: Sequence[str] = ()
    ) -> Iterator[list[tuple]]:
        """MariaDB/MySQL: like :meth:`stream`, but chunks are the driver's plain tuples (no
        DataFrame), for code that turns columns into arrays itself."""
        if self._row_streamer is None:
            raise SchemaError(f"{self.description}: row streaming needs MariaDB/MySQL")
        yield from self._row_streamer(sql, params, chunksize, session)

    def run(self, sql: str, params: dict) -> pd.DataFrame:
        """Run a query, return a DataFrame."""
        return self._runner(sql, params)

    def stream(
        self, sql: str, params: dict, chunksize: int = 200_000, session: Sequence[str] = ()
    ) -> Iterator[pd.DataFrame]:
        """Run a query, yield its rows as DataFrames of at most ``chunksize`` rows.

        Databases stream through a server-side cursor (bounded memory), after running the
        ``session`` statements (``SET SESSION ...``) on the same connection; other targets run
        the query whole and yield it as one frame.
        """
        if self._streamer is None:
            yield self._runner(sql, params)
        else:
            yield from self._streamer(sql, params, chunksize, session)

    def _t(self, key: str, **kw) -> str:
        return _SQL[self.kind][key].format(**kw)

    def col(self, key: str, default: str = "''") -> str:
        return f"COALESCE({self.cols[key]}, {default})" if key in self.cols else default

    def secs(self, c: str) -> str:
        return self._t("secs", c=c)

    def idiv(self, a: str, b: str) -> str:
        return self._t("idiv", a=a, b=b)

    def rankcat(self, n: str, s: str) -> str:
        return self._t("rankcat", n=n, s=s)

    def rx(self, x: str, pattern: str) -> str:
        return self._t("regexp", x=x, p=pattern)

    def param(self, name: str) -> str:
        return self._t("param", name=name)

    def in_list(self, x: str, name: str) -> str:
        return self._t("in_list", x=x, name=name)

    def trunk(self, x: str) -> str:
        """Trunk name of channel expression ``x`` (NULL when not a trunk channel)."""
        slash = f"INSTR({x}, '/')"
        cut = (
            f"CASE WHEN {self.rx(x, SUFFIX_RE)} "
            f"THEN SUBSTR({x}, {slash} + 1, LENGTH({x}) - {slash} - 9) "
            f"ELSE SUBSTR({x}, {slash} + 1) END"
        )
        return f"CASE WHEN {self.rx(x, TECH_RE)} AND NOT {self.rx(x, EXT_RE)} THEN {cut} END"


def _mysql_stream(
    conn, sql: str, params: dict, chunksize: int, raw: bool = False, where: str = "database"
) -> Iterator[pd.DataFrame] | Iterator[list[tuple]]:
    """Stream a query through the driver's own server-side cursor (PyMySQL or mysqlclient).

    SQLAlchemy's row objects cost more than the query itself for hundreds of thousands of
    per-call rows (measured: 4 s of 11 s), so the plain tuples are read and turned into frames.
    ``:name`` parameters become ``%(name)s`` (lists for ``IN`` are expanded as ``name_i``).
    """
    args: dict = {}
    if params:
        sql = sql.replace("%", "%%")  # the drivers format with %
    for name in sorted(params, key=len, reverse=True):
        value = params[name]
        if isinstance(value, list | tuple):
            marks = ", ".join(f"%({name}_{i})s" for i in range(len(value)))
            sql = re.sub(rf":{name}\b", f"({marks})", sql)
            args.update({f"{name}_{i}": v for i, v in enumerate(value)})
        else:
            sql = re.sub(rf":{name}\b", f"%({name})s", sql)
            args[name] = value
    raw = conn.connection.dbapi_connection
    module = sys.modules[type(raw).__module__.split(".")[0]]
    cursor = raw.cursor(module.cursors.SSCursor)
    try:
        cursor.execute(sql, args or None)
        cols = [d[0] for d in cursor.description]
        while rows := cursor.fetchmany(chunksize):
            yield list(rows) if raw else pd.DataFrame.from_records(rows, columns=cols)
    except module.Error as exc:  # the driver's own error: name the database, as db.connect does
        raise DataSourceError(f"{where}: {driver_reason(exc, sql)}") from None
    finally:
        cursor.close()


def _target(db: Database | SqlTarget) -> SqlTarget:
    return db if isinstance(db, SqlTarget) else SqlTarget.for_database(db)


def _where(
    q: SqlTarget,
    start: datetime | None,
    end: datetime | None,
    tenants: Sequence[str] | None,
) -> tuple[str, dict]:
    """``WHERE ...`` for the period and tenants (or ""), and its bind parameters.

    Legs without a start, or with a start outside [TIME_MIN, TIME_MAX) of
    :mod:`mirtalib.cdr.legs`, are left out here as the pandas readers reject them (a start in
    year 1000 or 9999 overflows the report's nanosecond times); :func:`missing_start_count` and
    :func:`out_of_range_count` count them for the report's notes.
    """
    where, params = [f"{q.start} IS NOT NULL", in_range(q)], {}
    if start is not None:
        where.append(f"{q.start} >= {q.param('t_from')}")
        params["t_from"] = start
    if end is not None:
        where.append(f"{q.start} < {q.param('t_to')}")
        params["t_to"] = end
    if tenants:
        where.append(q.in_list(q.cols["accountcode"], "tenants"))
        params["tenants"] = list(tenants)
    return "WHERE " + " AND ".join(where), params


def in_range(q: SqlTarget) -> str:
    """SQL: the leg's start lies in [TIME_MIN, TIME_MAX) of :mod:`mirtalib.cdr.legs`."""
    return f"{q.start} >= '{TIME_MIN:%Y-%m-%d}' AND {q.start} < '{TIME_MAX:%Y-%m-%d}'"


def out_of_range_count(
    db: Database | SqlTarget,
    start: datetime | None = None,
    end: datetime | None = None,
    tenants: Sequence[str] | None = None,
) -> int:
    """CDR rows of the period (and tenants) left out because their start is outside
    [TIME_MIN, TIME_MAX) (the pandas readers reject them as ``timestamp out of range``)."""
    q = _target(db)
    cond, params = _where(q, start, end, tenants)
    cond = cond.replace(in_range(q), f"NOT ({in_range(q)})", 1)
    frame = q.run(f"SELECT COUNT(*) AS n FROM {q.table} {cond}", params)
    return int(frame.iloc[0, 0] or 0)


def missing_start_count(db: Database | SqlTarget, tenants: Sequence[str] | None = None) -> int:
    """CDR rows without a start time (the SQL paths leave them out; they are counted)."""
    q = _target(db)
    params: dict = {}
    cond = f"{q.start} IS NULL"
    if tenants:
        cond += " AND " + q.in_list(q.cols["accountcode"], "tenants")
        params["tenants"] = list(tenants)
    frame = q.run(f"SELECT COUNT(*) AS n FROM {q.table} WHERE {cond}", params)
    return int(frame.iloc[0, 0] or 0)


def calls_cte(
    db: Database | SqlTarget,
    start: datetime | None,
    end: datetime | None,
    tenants: Sequence[str] | None,
) -> tuple[str, dict]:
    """The ``WITH ... calls AS (...)`` prefix (one row per call) and its bind parameters.

    Columns of ``calls``: call_id, t0, t1 (seconds since 2000-01-01, local), tenant, direction,
    node, trunk, dst, outcome (0..4 = ANSWERED, NO ANSWER, BUSY, CONGESTION, FAILED; 9 other),
    billable (seconds), day (days since 2000-01-01), hour.
    """
    q = _target(db)
    cond, params = _where(q, start, end, tenants)
    firstdst = q.col("firstdst")
    linkedid = q.col("linkedid")
    seq = q.col("sequence", "0")
    day = q.idiv("t0", "86400")
    hour = q.idiv(f"t0 - 86400 * {day}", "3600")
    sql = f"""
WITH legs AS (
  SELECT COALESCE(NULLIF({linkedid}, ''), {q.col("uniqueid")}) AS call_id,
         {q.secs(q.start)} AS s, {q.col("duration", "0")} AS dur, {q.col("billsec", "0")} AS bill,
         UPPER({q.col("disposition")}) AS disp, {q.col("accountcode")} AS acc,
         UPPER({q.col("userfield")}) AS uf,
         CASE WHEN {firstdst} <> '' THEN {firstdst} ELSE {q.col("dst")} END AS dst,
         {q.col("channel")} AS ch, {q.col("dstchannel")} AS dch, {q.col("uniqueid")} AS uid,
         {seq} AS seq
  FROM {q.table} {cond}
), ranked AS (
  SELECT call_id, s, dur, bill, disp, acc, uf, dst, ch, dch, uid,
         ROW_NUMBER() OVER (PARTITION BY call_id ORDER BY s, uid, seq) AS rn,
         CASE WHEN disp = 'ANSWERED' THEN s + dur - bill END AS a_s,
         MAX(CASE WHEN disp = 'ANSWERED' THEN s + dur END) OVER (
             PARTITION BY call_id
             ORDER BY CASE WHEN disp = 'ANSWERED' THEN s + dur - bill END, s + dur
             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end,
         COALESCE({q.trunk("ch")}, {q.trunk("dch")}) AS tk
  FROM legs
), grouped AS (
  SELECT call_id, MIN(s) AS t0, MAX(s + dur) AS t1, MAX(acc) AS tenant,
         MAX(CASE WHEN rn = 1 THEN uf END) AS uf1, MAX(CASE WHEN rn = 1 THEN dst END) AS dst,
         MAX(CASE WHEN rn = 1 THEN uid END) AS uid1,
         MAX(CASE WHEN rn = 1 THEN {q.trunk("ch")} END) AS tk_in,
         MAX(CASE WHEN rn = 1 THEN {q.trunk("dch")} END) AS tk_out,
         MIN(CASE WHEN tk IS NOT NULL THEN {q.rankcat("rn", "tk")} END) AS tk_first,
         MIN(CASE disp WHEN 'ANSWERED' THEN 0 WHEN 'NO ANSWER' THEN 1 WHEN 'BUSY' THEN 2
                       WHEN 'CONGESTION' THEN 3 WHEN 'FAILED' THEN 4 ELSE 9 END) AS outcome,
         SUM(CASE WHEN a_s IS NULL THEN 0
                  WHEN prev_end IS NULL OR prev_end <= a_s THEN s + dur - a_s
                  WHEN prev_end >= s + dur THEN 0
                  ELSE s + dur - prev_end END) AS billable
  FROM ranked GROUP BY call_id
), calls AS (
  SELECT call_id, t0, t1, tenant, dst, outcome, billable,
         CASE WHEN uf1 IN ('IN', 'OUT', 'LOCAL') THEN uf1
              WHEN tk_in IS NOT NULL THEN 'IN' WHEN tk_out IS NOT NULL THEN 'OUT'
              ELSE 'LOCAL' END AS direction,
         CASE WHEN {q.rx("uid1", NODE_RE)} THEN SUBSTR(uid1, 1, INSTR(uid1, '-') - 1)
              ELSE '' END AS node,
         COALESCE(SUBSTR(tk_first, 10), '') AS trunk,
         {day} AS day, {hour} AS hour
  FROM grouped
)
"""
    return sql, params


def _run(db: Database | SqlTarget, sql: str, params: dict) -> pd.DataFrame:
    return _target(db).run(sql, params)


def call_cube(
    db: Database | SqlTarget,
    start: datetime | None = None,
    end: datetime | None = None,
    tenants: Sequence[str] | None = None,
    short_s: int = 6,
) -> pd.DataFrame:
    """Calls per (tenant, direction, node, trunk, day, hour, disposition), aggregated in SQL.

    Returns:
        Columns tenant, direction, node, trunk, day (Timestamp), hour, disposition, calls,
        billable (seconds), duration (seconds), short (answered calls under ``short_s``).
    """
    cte, params = calls_cte(db, start, end, tenants)
    params["short_s"] = int(short_s)
    q = _target(db)
    short = q.param("short_s")
    sql = (
        cte
        + f"""
SELECT tenant, direction, node, trunk, day, hour, outcome, COUNT(*) AS calls,
       SUM(billable) AS billable, SUM(t1 - t0) AS duration,
       SUM(CASE WHEN outcome = 0 AND billable < {short} THEN 1 ELSE 0 END) AS short
FROM calls GROUP BY tenant, direction, node, trunk, day, hour, outcome
"""
    )
    cube = _run(db, sql, params)
    days = pd.to_timedelta(cube["day"].astype("int64"), unit="D")
    cube["day"] = (EPOCH + days).astype("datetime64[ns]")
    cube["disposition"] = cube.pop("outcome").map(dict(enumerate(OUTCOMES))).fillna("OTHER")
    for col in ("calls", "billable", "duration", "short", "hour"):
        cube[col] = pd.to_numeric(cube[col]).astype("int64")
    for col in ("tenant", "direction", "node", "trunk"):
        cube[col] = cube[col].fillna("").astype("str")
    log.info("%s: call cube of %d rows", q.description, len(cube))
    return cube


def top_destinations_sql(
    db: Database | SqlTarget,
    start: datetime | None = None,
    end: datetime | None = None,
    tenants: Sequence[str] | None = None,
    n: int = 10,
) -> pd.DataFrame:
    """The ``n`` most called outbound numbers per tenant: tenant, dst, calls, answered, minutes."""
    cte, params = calls_cte(db, start, end, tenants)
    params["n"] = int(n)
    limit = _target(db).param("n")
    sql = (
        cte
        + f""", per_dst AS (
  SELECT tenant, dst, COUNT(*) AS calls, SUM(CASE WHEN outcome = 0 THEN 1 ELSE 0 END) AS answered,
         SUM(billable) AS billable
  FROM calls WHERE direction = 'OUT' GROUP BY tenant, dst
), ranked_dst AS (
  SELECT per_dst.*, ROW_NUMBER() OVER (PARTITION BY tenant
                                       ORDER BY calls DESC, billable DESC, dst) AS r
  FROM per_dst
)
SELECT tenant, dst, calls, answered, billable FROM ranked_dst WHERE r <= {limit}
ORDER BY tenant, r
"""
    )
    out = _run(db, sql, params)
    out["minutes"] = pd.to_numeric(out.pop("billable")) / 60.0
    for col in ("calls", "answered"):
        out[col] = pd.to_numeric(out[col]).astype("int64")
    return out


def concurrency_minutes(
    db: Database | SqlTarget,
    start: datetime | None = None,
    end: datetime | None = None,
    tenants: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Per dimension (overall, tenant, node, trunk), group and minute with events: the highest
    concurrency in the minute (``top``), the first second it was reached (``top_at``) and the net
    change over the minute (``net``). Times are seconds since 2000-01-01 (local)."""
    cte, params = calls_cte(db, start, end, tenants)
    # one scan of ``calls`` (a CTE referenced several times is computed several times):
    # each call joined to the 8 (dimension, +1/-1) event kinds
    kinds = " UNION ALL ".join(
        f"SELECT '{dim}' AS dim, {d} AS d"
        for dim in ("all", "tenant", "node", "trunk")
        for d in (1, -1)
    )
    events = (
        "SELECT k.dim, CASE k.dim WHEN 'all' THEN '' WHEN 'tenant' THEN c.tenant "
        "WHEN 'node' THEN c.node ELSE c.trunk END AS g, "
        "CASE WHEN k.d = 1 THEN c.t0 ELSE c.t1 END AS t, k.d AS d "
        f"FROM calls c CROSS JOIN ({kinds}) k "
        "WHERE c.t1 > c.t0 AND (k.dim <> 'trunk' OR c.trunk <> '')"
    )
    q = _target(db)
    sql = (
        cte
        + f""", ev AS (
  SELECT dim, g, t, SUM(d) AS d FROM ({events}) x GROUP BY dim, g, t
), lv AS (
  SELECT dim, g, t, d, {q.idiv("t", "60")} AS m,
         SUM(d) OVER (PARTITION BY dim, g ORDER BY t ROWS UNBOUNDED PRECEDING) AS level
  FROM ev
), lv2 AS (
  SELECT lv.*, MAX(level) OVER (PARTITION BY dim, g, m) AS top FROM lv
)
SELECT dim, g, m, MAX(top) AS top, MIN(CASE WHEN level = top THEN t END) AS top_at,
       SUM(d) AS net
FROM lv2 GROUP BY dim, g, m ORDER BY dim, g, m
"""
    )
    out = _run(db, sql, params)
    for col in ("m", "top", "top_at", "net"):
        out[col] = pd.to_numeric(out[col]).astype("int64")
    out["g"] = out["g"].fillna("").astype("str")
    return out
