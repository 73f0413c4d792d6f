"""The report's aggregates in one pass over the legs (see :mod:`mirtalib.cdr.sqlagg`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pandas as pd

from mirtalib.cdr.sqlagg import (
    EPOCH,
    OUTCOMES,
    SqlTarget,
    _target,
    call_cube,
    calls_cte,
    concurrency_minutes,
    top_destinations_sql,
)
from mirtalib.data.db import Database


def report_aggregates(
    db: Database | SqlTarget,
    start: datetime | None = None,
    end: datetime | None = None,
    tenants: Sequence[str] | None = None,
    short_s: int = 6,
    top_n: int = 10,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The cube, the top destinations and the concurrency minutes in ONE pass over the legs.

    Same results as :func:`call_cube`, :func:`top_destinations_sql` and
    :func:`concurrency_minutes` (a database computes a CTE again for every reference, so three
    queries cost three groupings of every leg into calls; this one groups once): each call is
    joined to a small table of output kinds (cube row, destination row, eight concurrency
    events) and everything is grouped together. On MariaDB/MySQL that one big GROUP BY over
    the expanded rows measured slower than three queries (its temporary tables spill to disk),
    so there the three queries run instead.
    """
    q = _target(db)
    if q.kind == "mysql":
        return (
            call_cube(q, start, end, tenants, short_s),
            top_destinations_sql(q, start, end, tenants, top_n),
            concurrency_minutes(q, start, end, tenants),
        )
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
