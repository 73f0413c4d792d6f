"""The call cube: calls counted per (tenant, direction, node, trunk, day, hour, disposition).

Both engines produce it — pandas from the calls frame (:func:`cube_from_calls`) and DuckDB in
SQL (:func:`mirtalib.cdr.engine.cube`) — and every volume, KPI, heatmap and disposition table of
the report is a sum over it, so the two paths give the same tables.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from mirtalib.cdr.kpis import WEEKDAYS
from mirtalib.errors import ParameterError

DIMENSIONS = ("tenant", "direction", "node", "trunk", "day", "hour", "disposition")
MEASURES = ("calls", "billable", "duration", "short")


def cube_from_calls(calls: pd.DataFrame, short_s: int = 6) -> pd.DataFrame:
    """The cube of a calls frame (same columns as :func:`mirtalib.cdr.engine.cube`)."""
    frame = calls[list(DIMENSIONS)].copy()
    frame["calls"] = 1
    frame["billable"] = calls["billable"]
    frame["duration"] = calls["duration"]
    frame["short"] = (calls["answered"] & calls["billable"].lt(short_s)).astype("int64")
    cube = frame.groupby(list(DIMENSIONS), observed=True, sort=True)[list(MEASURES)].sum()
    return cube.reset_index()


def _by(cube: pd.DataFrame, by: Sequence[str] | str) -> list[str]:
    by = [by] if isinstance(by, str) else list(by)
    extra = {"weekday"}
    bad = [c for c in by if c not in cube.columns and c not in extra]
    if bad:
        raise ParameterError(f"by: unknown cube columns {bad}; known: {list(DIMENSIONS)}")
    return by


def _with_weekday(cube: pd.DataFrame) -> pd.DataFrame:
    return cube.assign(weekday=cube["day"].dt.day_of_week.astype("int64"))


def cube_kpis(cube: pd.DataFrame, by: Sequence[str] | str = ()) -> pd.DataFrame:
    """Attempts, answered, ASR, ACD, NER, minutes per group (as :func:`mirtalib.cdr.kpis.kpis`)."""
    by = _by(cube, by)
    c = _with_weekday(cube)
    ans = c["disposition"].eq("ANSWERED")
    frame = pd.DataFrame(
        {
            "attempts": c["calls"],
            "answered": c["calls"].where(ans, 0),
            "effective": c["calls"].where(
                c["disposition"].isin(["ANSWERED", "BUSY", "NO ANSWER"]), 0
            ),
            "ans_sec": c["billable"].where(ans, 0),
            "billable": c["billable"],
        }
    )
    if by:
        frame[by] = c[by]
        agg = frame.groupby(by, observed=True, sort=True).sum().reset_index()
    else:
        agg = frame.sum().to_frame().T
    out = agg[by].copy() if by else pd.DataFrame(index=agg.index)
    out["attempts"] = agg["attempts"].astype("int64")
    out["answered"] = agg["answered"].astype("int64")
    with np.errstate(invalid="ignore", divide="ignore"):
        out["asr"] = agg["answered"] / agg["attempts"].where(agg["attempts"] > 0)
        out["acd"] = agg["ans_sec"] / agg["answered"].where(agg["answered"] > 0)
        out["ner"] = agg["effective"] / agg["attempts"].where(agg["attempts"] > 0)
    out["minutes"] = agg["billable"] / 60.0
    return out.reset_index(drop=True)


def cube_volume(cube: pd.DataFrame, by: Sequence[str] | str = ("tenant", "day")) -> pd.DataFrame:
    """Calls per group (``by`` columns + ``calls``)."""
    by = _by(cube, by)
    out = _with_weekday(cube).groupby(by, observed=True, sort=True)["calls"].sum()
    return out.reset_index()


def cube_heatmap(cube: pd.DataFrame) -> pd.DataFrame:
    """Calls per weekday (rows Mon..Sun) and hour (columns 0..23)."""
    grid = _with_weekday(cube).pivot_table(
        index="weekday", columns="hour", values="calls", aggfunc="sum", fill_value=0
    )
    grid = grid.reindex(index=range(7), columns=range(24), fill_value=0).astype("int64")
    grid.index = pd.Index(list(WEEKDAYS), name="weekday")
    grid.columns.name = "hour"
    return grid


def cube_disposition_mix(cube: pd.DataFrame, by: Sequence[str] | str = ("tenant",)) -> pd.DataFrame:
    """Share of each call outcome per group, and ``calls``."""
    by = _by(cube, by)
    counts = _with_weekday(cube).pivot_table(
        index=by, columns="disposition", values="calls", aggfunc="sum", fill_value=0
    )
    total = counts.sum(axis=1)
    share = counts.div(total, axis=0)
    share.columns.name = None
    share["calls"] = total.astype("int64")
    return share.reset_index()


def cube_short_calls(cube: pd.DataFrame, by: str = "tenant") -> pd.DataFrame:
    """Answered calls, short answered calls and their share per group."""
    ans = cube[cube["disposition"].eq("ANSWERED")]
    agg = ans.groupby(by, observed=True, sort=True)[["calls", "short"]].sum()
    agg = agg.rename(columns={"calls": "answered"})
    agg["short_share"] = agg["short"] / agg["answered"]
    return agg.reset_index()
