"""The report's aggregates in one pass over the legs (see :mod:`mirtalib.cdr.sqlagg`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pandas as pd

from mirtalib.cdr import grouped
from mirtalib.cdr.sqlagg import (
    EPOCH,
    OUTCOMES,
    SqlTarget,
    _target,
    calls_cte,
)
from mirtalib.data.db import Database


def report_aggregates(
    db: Database | SqlTarget,
    start: datetime | None = None,
    end: datetime | None = None,
    tenants: Sequence[str] | None = None,
    short_s: int = 6,
    top_n: int = 10,
    tmp_mb: int = 1024,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The cube, the top destinations and the concurrency minutes in ONE pass over the legs.

    Same results as :func:`call_cube`, :func:`top_destinations_sql` and
    :func:`concurrency_minutes` (a database computes a CTE again for every reference, so three
    queries cost three groupings of every leg into calls; this one groups once): each call is
    joined to a small table of output kinds (cube row, destination row, eight concurrency
    events) and everything is grouped together. On MariaDB/MySQL that one big GROUP BY over
    the expanded rows measured slower than three queries (its temporary tables spill to disk),
    and three queries group every leg three times, so there :func:`calls_stream_aggregates`
    runs instead (one grouping, per-call rows streamed and summed in pandas).
    """
    q = _target(db)
    if q.kind == "mysql":
        return calls_stream_aggregates(q, start, end, tenants, short_s, top_n, tmp_mb=tmp_mb)
    cte, params = calls_cte(q, start, end, tenants)
    params["short_s"] = int(short_s)
    ev = ("all", "tenant", "node", "trunk")
    kinds = " UNION ALL ".join(
        [
            "SELECT 'cube' AS kind, 0 AS d",
            "SELECT 'dst' AS kind, 0 AS d",
            *[f"SELECT '{dim}' AS kind, {d} AS d" for dim in ev for d in (1, -1)],
        ]
    )
    is_ev = "k.kind IN ('all', 'tenant', 'node', 'trunk')"
    sql = (
        cte
        + f""", rows_ AS (
  SELECT k.kind,
         CASE k.kind WHEN 'all' THEN '' WHEN 'node' THEN c.node WHEN 'trunk' THEN c.trunk
                     ELSE c.tenant END AS g,
         CASE k.kind WHEN 'cube' THEN c.direction WHEN 'dst' THEN c.dst ELSE '' END AS a,
         CASE k.kind WHEN 'cube' THEN c.node ELSE '' END AS b,
         CASE k.kind WHEN 'cube' THEN c.trunk ELSE '' END AS tr,
         CASE WHEN k.kind = 'cube' THEN c.day * 24 + c.hour WHEN k.kind = 'dst' THEN 0
              WHEN k.d = 1 THEN c.t0 ELSE c.t1 END AS t,
         CASE WHEN k.kind IN ('cube', 'dst') THEN c.outcome ELSE 0 END AS o,
         k.d AS d, c.billable AS billable, c.t1 - c.t0 AS dur,
         CASE WHEN c.outcome = 0 AND c.billable < {q.param("short_s")} THEN 1 ELSE 0 END AS short
  FROM calls c CROSS JOIN ({kinds}) k
  WHERE k.kind = 'cube' OR (k.kind = 'dst' AND c.direction = 'OUT')
        OR ({is_ev} AND c.t1 > c.t0 AND (k.kind <> 'trunk' OR c.trunk <> ''))
), agg_ AS (
  SELECT kind, g, a, b, tr, t, o, SUM(d) AS d, COUNT(*) AS calls, SUM(billable) AS billable,
         SUM(dur) AS dur, SUM(short) AS short
  FROM rows_ GROUP BY kind, g, a, b, tr, t, o
), lv AS (
  SELECT agg_.*,
         CASE WHEN kind IN ('cube', 'dst') THEN t ELSE {q.idiv("t", "60")} END AS m,
         SUM(d) OVER (PARTITION BY kind, g ORDER BY t ROWS UNBOUNDED PRECEDING) AS level
  FROM agg_
), lv2 AS (
  SELECT lv.*, MAX(level) OVER (PARTITION BY kind, g, a, b, tr, m, o) AS top FROM lv
)
SELECT kind, g, a, b, tr, m, o, SUM(calls) AS calls, SUM(billable) AS billable,
       SUM(dur) AS duration, SUM(short) AS short, MAX(top) AS top,
       MIN(CASE WHEN level = top THEN t END) AS top_at, SUM(d) AS net
FROM lv2 GROUP BY kind, g, a, b, tr, m, o
"""
    )
    out = q.run(sql, params)
    for col in ("m", "o", "calls", "billable", "duration", "short", "top", "top_at", "net"):
        out[col] = pd.to_numeric(out[col]).fillna(0).astype("int64")
    for col in ("kind", "g", "a", "b", "tr"):
        out[col] = out[col].fillna("").astype("str")
    cube = out[out["kind"] == "cube"]
    days = pd.to_timedelta(cube["m"] // 24, unit="D")
    cube = pd.DataFrame(
        {
            "tenant": cube["g"],
            "direction": cube["a"],
            "node": cube["b"],
            "trunk": cube["tr"],
            "day": (EPOCH + days).astype("datetime64[ns]"),
            "hour": (cube["m"] % 24).astype("int64"),
            "calls": cube["calls"],
            "billable": cube["billable"],
            "duration": cube["duration"],
            "short": cube["short"],
            "disposition": cube["o"].map(dict(enumerate(OUTCOMES))).fillna("OTHER").astype("str"),
        }
    ).reset_index(drop=True)
    dst = out[out["kind"] == "dst"]
    per_dst = (
        dst.assign(answered=dst["calls"].where(dst["o"] == 0, 0))
        .groupby(["g", "a"], as_index=False)[["calls", "answered", "billable"]]
        .sum()
    )
    per_dst = per_dst.sort_values(
        ["g", "calls", "billable", "a"], ascending=[True, False, False, True]
    )
    top = per_dst.groupby("g").head(top_n)
    top = pd.DataFrame(
        {
            "tenant": top["g"],
            "dst": top["a"],
            "calls": top["calls"].astype("int64"),
            "answered": top["answered"].astype("int64"),
            "minutes": top["billable"] / 60.0,
        }
    ).reset_index(drop=True)
    mins = out[out["kind"].isin(ev)].rename(columns={"kind": "dim"})
    mins = mins[["dim", "g", "m", "top", "top_at", "net"]].sort_values(["dim", "g", "m"])
    return cube, top, mins.reset_index(drop=True)


_CUBE_KEYS = ["tenant", "direction", "node", "trunk", "day", "hour", "outcome"]


def _tdiv(a: pd.Series, b: int) -> pd.Series:
    """Integer division truncating toward zero, as SQL ``DIV`` does."""
    return (a.abs() // b) * a.ge(0).map({True: 1, False: -1}).astype("int64")


def calls_stream_aggregates(
    db: Database | SqlTarget,
    start: datetime | None = None,
    end: datetime | None = None,
    tenants: Sequence[str] | None = None,
    short_s: int = 6,
    top_n: int = 10,
    chunksize: int = 200_000,
    tmp_mb: int = 1024,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The same three tables as :func:`report_aggregates`, grouping the legs into calls ONCE.

    ``tmp_mb``: MariaDB/MySQL only, the in-memory temporary table this session may use (see
    :mod:`mirtalib.cdr.grouped`).

    The database groups the legs into calls (on MariaDB/MySQL with one ``GROUP BY``,
    :mod:`mirtalib.cdr.grouped`; elsewhere :func:`mirtalib.cdr.sqlagg.calls_cte`) and streams
    one compact row per call through a server-side cursor; each chunk is reduced in pandas to
    partial cube, destination and concurrency-event sums, so memory stays bounded by the chunk
    and the partial aggregates. Used for MariaDB/MySQL, where repeating the grouping for every
    table is what costs.
    """
    q = _target(db)
    if q.kind == "mysql":
        return grouped.report_aggregates(
            q, start, end, tenants, short_s, top_n, min(chunksize, 50_000), tmp_mb
        )
    cte, params = calls_cte(q, start, end, tenants)
    sql = (
        cte
        + """SELECT tenant, direction, node, trunk,
       CASE WHEN direction = 'OUT' THEN dst END AS dst, outcome, billable, t0, t1
FROM calls
"""
    )
    cubes, dsts, events = [], [], []
    for chunk in q.stream(sql, params, chunksize):
        cube, dst, ev = _reduce_chunk(chunk, short_s)
        cubes.append(cube)
        dsts.append(dst)
        events.extend(ev)
    return _cube(cubes), _top(dsts, top_n), _minutes(events)


def _reduce_chunk(chunk: pd.DataFrame, short_s: int):
    for col in ("tenant", "direction", "node", "trunk", "dst"):
        chunk[col] = chunk[col].fillna("").astype("str")
    for col in ("outcome", "billable", "t0", "t1"):
        chunk[col] = pd.to_numeric(chunk[col]).astype("int64")
    t0, t1 = chunk["t0"], chunk["t1"]
    chunk["day"] = _tdiv(t0, 86400)
    chunk["hour"] = _tdiv(t0 - 86400 * chunk["day"], 3600)
    chunk["duration"] = t1 - t0
    chunk["short"] = (chunk["outcome"].eq(0) & chunk["billable"].lt(short_s)).astype("int64")
    chunk["calls"] = 1
    cube = chunk.groupby(_CUBE_KEYS, sort=False, dropna=False)[
        ["calls", "billable", "duration", "short"]
    ].sum()
    out = chunk[chunk["direction"].eq("OUT")]
    out = out.assign(answered=out["outcome"].eq(0).astype("int64"))
    dst = out.groupby(["tenant", "dst"], sort=False)[["calls", "answered", "billable"]].sum()
    spans = chunk[t1 > t0]
    events = []
    for dim in ("all", "tenant", "node", "trunk"):
        part = spans if dim != "trunk" else spans[spans["trunk"].ne("")]
        n = len(part)
        g = [""] * (2 * n) if dim == "all" else pd.concat([part[dim], part[dim]]).to_numpy()
        ev = pd.DataFrame(
            {
                "dim": dim,
                "g": g,
                "t": pd.concat([part["t0"], part["t1"]]).to_numpy(),
                "d": [1] * n + [-1] * n,
            }
        )
        events.append(ev.groupby(["dim", "g", "t"], sort=False)["d"].sum())
    return cube, dst, events


def _cube(parts: list[pd.DataFrame]) -> pd.DataFrame:
    cols = ["calls", "billable", "duration", "short"]
    if parts:
        cube = pd.concat(parts).groupby(level=list(range(7)), dropna=False)[cols].sum()
        cube = cube.reset_index()
    else:
        cube = pd.DataFrame({c: pd.Series(dtype="int64") for c in [*_CUBE_KEYS, *cols]})
    days = pd.to_timedelta(cube["day"].astype("int64"), unit="D")
    cube["day"] = (EPOCH + days).astype("datetime64[ns]")
    cube["disposition"] = cube.pop("outcome").map(dict(enumerate(OUTCOMES))).fillna("OTHER")
    for col in ("calls", "billable", "duration", "short", "hour"):
        cube[col] = cube[col].astype("int64")
    for col in ("tenant", "direction", "node", "trunk"):
        cube[col] = cube[col].fillna("").astype("str")
    return cube[["tenant", "direction", "node", "trunk", "day", "hour", *cols, "disposition"]]


def _top(parts: list[pd.DataFrame], top_n: int) -> pd.DataFrame:
    cols = ["calls", "answered", "billable"]
    if parts:
        per = pd.concat(parts).groupby(level=[0, 1])[cols].sum().reset_index()
    else:
        per = pd.DataFrame({"tenant": [], "dst": [], **{c: [] for c in cols}})
    per = per.sort_values(
        ["tenant", "calls", "billable", "dst"], ascending=[True, False, False, True]
    )
    top = per.groupby("tenant").head(top_n)
    return pd.DataFrame(
        {
            "tenant": top["tenant"].astype("str"),
            "dst": top["dst"].astype("str"),
            "calls": top["calls"].astype("int64"),
            "answered": top["answered"].astype("int64"),
            "minutes": top["billable"].astype("float64") / 60.0,
        }
    ).reset_index(drop=True)


def _minutes(parts: list[pd.Series]) -> pd.DataFrame:
    if parts:
        ev = pd.concat(parts).groupby(level=[0, 1, 2]).sum().reset_index()
    else:
        ev = pd.DataFrame({"dim": [], "g": [], "t": [], "d": []})
    ev["t"] = ev["t"].astype("int64")
    ev["d"] = ev["d"].astype("int64")
    ev = ev.sort_values(["dim", "g", "t"], ignore_index=True)
    ev["level"] = ev.groupby(["dim", "g"], sort=False)["d"].cumsum()
    ev["m"] = _tdiv(ev["t"], 60)
    keys = ["dim", "g", "m"]
    ev["top"] = ev.groupby(keys, sort=False)["level"].transform("max")
    ev["at"] = ev["t"].where(ev["level"].eq(ev["top"]))
    out = ev.groupby(keys, sort=True).agg(
        top=("top", "max"), top_at=("at", "min"), net=("d", "sum")
    )
    out = out.reset_index()
    for col in ("m", "top", "top_at", "net"):
        out[col] = out[col].astype("int64")
    out["dim"] = out["dim"].astype("str")
    out["g"] = out["g"].fillna("").astype("str")
    return out[["dim", "g", "m", "top", "top_at", "net"]]
