"""The report's aggregates computed inside the database: only small tables cross the wire.

For big CDR tables (millions of rows) reading every leg into pandas is slow and memory-hungry.
These queries group the legs into calls *in SQL* (by linkedid, else uniqueid; the union of
answered intervals with a window function, so fan-out and transfers are not counted twice) and
return:

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
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

import pandas as pd
from sqlalchemy import bindparam, inspect, text

from mirtalib.data.db import Database
from mirtalib.errors import SchemaError

log = logging.getLogger(__name__)

EXT_RE = "^(PJSIP|SIP|IAX2)/[0-9*#]+-[A-Z][A-Z0-9_]*(-[0-9a-fA-F]{8})?$"
TECH_RE = "^(PJSIP|SIP|IAX2|DAHDI|Dahdi|OOH323|H323)/"
SUFFIX_RE = "-[0-9a-fA-F]{8}$"
NODE_RE = "^[A-Za-z][A-Za-z0-9_.]*-[0-9]+[.][0-9]+$"
OUTCOMES = ("ANSWERED", "NO ANSWER", "BUSY", "CONGESTION", "FAILED")
EPOCH = pd.Timestamp("2000-01-01")

_SQL = {
    "mysql": {
        "secs": "TIMESTAMPDIFF(SECOND, '2000-01-01', {c})",
        "idiv": "(({a}) DIV ({b}))",
        "rankcat": "CONCAT(LPAD({n}, 9, '0'), {s})",
    },
    "sqlite": {
        "secs": "CAST(ROUND((julianday({c}) - 2451544.5) * 86400) AS INTEGER)",
        "idiv": "(({a}) / ({b}))",
        "rankcat": "(printf('%09d', {n}) || {s})",
    },
}


class _Sql:
    """Dialect snippets and quoted physical column names of the ``cdr`` table."""

    def __init__(self, db: Database) -> None:
        name = db.engine.dialect.name
        self.kind = "mysql" if name in ("mysql", "mariadb") else name
        if self.kind not in _SQL:
            raise SchemaError(f"{db.description}: SQL aggregation supports MariaDB/MySQL/SQLite")
        self.db = db
        table = db.schema.table("cdr")
        prep = db.engine.dialect.identifier_preparer
        self.table = prep.quote(table.name)
        present = {c["name"].lower() for c in inspect(db.engine).get_columns(table.name)}
        self.cols = {k: prep.quote(c.name) for k, c in table.c.items() if c.name.lower() in present}
        self.start = self.cols["calldate" if db.schema.cdr_layout == "legacy" else "start"]

    def col(self, key: str, default: str = "''") -> str:
        return f"COALESCE({self.cols[key]}, {default})" if key in self.cols else default

    def secs(self, c: str) -> str:
        return _SQL[self.kind]["secs"].format(c=c)

    def idiv(self, a: str, b: str) -> str:
        return _SQL[self.kind]["idiv"].format(a=a, b=b)

    def rankcat(self, n: str, s: str) -> str:
        return _SQL[self.kind]["rankcat"].format(n=n, s=s)

    def trunk(self, x: str) -> str:
        """Trunk name of channel expression ``x`` (NULL when not a trunk channel)."""
        slash = f"INSTR({x}, '/')"
        cut = (
            f"CASE WHEN {x} REGEXP '{SUFFIX_RE}' "
            f"THEN SUBSTR({x}, {slash} + 1, LENGTH({x}) - {slash} - 9) "
            f"ELSE SUBSTR({x}, {slash} + 1) END"
        )
        return f"CASE WHEN {x} REGEXP '{TECH_RE}' AND NOT {x} REGEXP '{EXT_RE}' THEN {cut} END"


def calls_cte(
    db: Database,
    start: datetime | None,
    end: datetime | None,
    tenants: Sequence[str] | None,
) -> tuple[str, dict]:
    """The ``WITH ... calls AS (...)`` prefix (one row per call) and its bind parameters.

    Columns of ``calls``: call_id, t0, t1 (seconds since 2000-01-01, local), tenant, direction,
    node, trunk, dst, outcome (0..4 = ANSWERED, NO ANSWER, BUSY, CONGESTION, FAILED; 9 other),
    billable (seconds), day (days since 2000-01-01), hour.
    """
    q = _Sql(db)
    where, params = [], {}
    if start is not None:
        where.append(f"{q.start} >= :t_from")
        params["t_from"] = start
    if end is not None:
        where.append(f"{q.start} < :t_to")
        params["t_to"] = end
    if tenants:
        where.append(f"{q.cols['accountcode']} IN :tenants")
        params["tenants"] = list(tenants)
    cond = ("WHERE " + " AND ".join(where)) if where else ""
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
         CASE WHEN uid1 REGEXP '{NODE_RE}' THEN SUBSTR(uid1, 1, INSTR(uid1, '-') - 1)
              ELSE '' END AS node,
         COALESCE(SUBSTR(tk_first, 10), '') AS trunk,
         {day} AS day, {hour} AS hour
  FROM grouped
)
"""
    return sql, params


def _run(db: Database, sql: str, params: dict) -> pd.DataFrame:
    stmt = text(sql)
    if "tenants" in params:
        stmt = stmt.bindparams(bindparam("tenants", expanding=True))
    with db.connect() as conn:
        return pd.read_sql(stmt, conn, params=params)


def call_cube(
    db: Database,
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
    sql = (
        cte
        + """
SELECT tenant, direction, node, trunk, day, hour, outcome, COUNT(*) AS calls,
       SUM(billable) AS billable, SUM(t1 - t0) AS duration,
       SUM(CASE WHEN outcome = 0 AND billable < :short_s THEN 1 ELSE 0 END) AS short
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
    log.info("%s: call cube of %d rows", db.description, len(cube))
    return cube


def top_destinations_sql(
    db: Database,
    start: datetime | None = None,
    end: datetime | None = None,
    tenants: Sequence[str] | None = None,
    n: int = 10,
) -> pd.DataFrame:
    """The ``n`` most called outbound numbers per tenant: tenant, dst, calls, answered, minutes."""
    cte, params = calls_cte(db, start, end, tenants)
    params["n"] = int(n)
    sql = (
        cte
        + """, per_dst AS (
  SELECT tenant, dst, COUNT(*) AS calls, SUM(CASE WHEN outcome = 0 THEN 1 ELSE 0 END) AS answered,
         SUM(billable) AS billable
  FROM calls WHERE direction = 'OUT' GROUP BY tenant, dst
), ranked_dst AS (
  SELECT per_dst.*, ROW_NUMBER() OVER (PARTITION BY tenant
                                       ORDER BY calls DESC, billable DESC, dst) AS r
  FROM per_dst
)
SELECT tenant, dst, calls, answered, billable FROM ranked_dst WHERE r <= :n
ORDER BY tenant, r
"""
    )
    out = _run(db, sql, params)
    out["minutes"] = pd.to_numeric(out.pop("billable")) / 60.0
    for col in ("calls", "answered"):
        out[col] = pd.to_numeric(out[col]).astype("int64")
    return out


def concurrency_minutes(
    db: Database,
    start: datetime | None = None,
    end: datetime | None = None,
    tenants: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Per dimension (overall, tenant, node, trunk), group and minute with events: the highest
    concurrency in the minute (``top``), the first second it was reached (``top_at``) and the net
    change over the minute (``net``). Times are seconds since 2000-01-01 (local)."""
    cte, params = calls_cte(db, start, end, tenants)
    dims = [("all", "''"), ("tenant", "tenant"), ("node", "node"), ("trunk", "trunk")]
    parts = []
    for dim, expr in dims:
        extra = " AND trunk <> ''" if dim == "trunk" else ""
        parts.append(
            f"SELECT '{dim}' AS dim, {expr} AS g, t0 AS t, 1 AS d FROM calls WHERE t1 > t0{extra}"
        )
        parts.append(
            f"SELECT '{dim}' AS dim, {expr} AS g, t1 AS t, -1 AS d FROM calls WHERE t1 > t0{extra}"
        )
    q = _Sql(db)
    sql = (
        cte
        + f""", ev AS (
  SELECT dim, g, t, SUM(d) AS d FROM ({" UNION ALL ".join(parts)}) x GROUP BY dim, g, t
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
