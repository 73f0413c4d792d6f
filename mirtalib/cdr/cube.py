"""The call cube: calls counted per (tenant, direction, node, trunk, day, hour, disposition).

Both engines produce it — pandas from the calls frame (:func:`cube_from_calls`) and the database
in SQL (:func:`mirtalib.cdr.sqlagg.call_cube`) — and every volume, KPI, heatmap and disposition
table of the report is a sum over it, so the two paths give the same tables.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from mirtalib.cdr.concurrency import PEAK_COLUMNS
from mirtalib.cdr.kpis import WEEKDAYS
from mirtalib.errors import ParameterError

DIMENSIONS = ("tenant", "direction", "node", "trunk", "day", "hour", "disposition")
MEASURES = ("calls", "billable", "duration", "short")


def cube_from_calls(calls: pd.DataFrame, short_s: int = 6) -> pd.DataFrame:
    """The cube of a calls frame (same columns as :func:`mirtalib.cdr.sqlagg.call_cube`)."""
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


def peaks_from_minutes(
    minutes: pd.DataFrame, period_minutes: tuple[int, int] | None = None
) -> pd.DataFrame:
    """Peaks and per-minute distribution from :func:`mirtalib.cdr.sqlagg.concurrency_minutes`.

    Args:
        minutes: rows dim, g, m (minute number), top, top_at (seconds), net.
        period_minutes: [first, last) minute numbers of the period (default: the data's span).

    Returns:
        ``dim``, ``group`` and :data:`mirtalib.cdr.concurrency.PEAK_COLUMNS`.
    """
    rows = []
    if period_minutes is None and len(minutes):
        period_minutes = (int(minutes["m"].min()), int(minutes["m"].max()) + 1)
    lo, hi = period_minutes or (0, 1)
    for (dim, g), part in minutes.groupby(["dim", "g"], sort=True):
        m = part["m"].to_numpy() - lo
        end_level = np.cumsum(part["net"].to_numpy())
        full = np.zeros(max(hi - lo, 1), dtype=np.int64)
        keep = (m >= 0) & (m < len(full))
        carried = np.zeros(len(full), dtype=np.int64)
        carried[m[keep]] = end_level[keep]
        has = np.zeros(len(full), bool)
        has[m[keep]] = True
        # level at the end of the last minute with events, carried forward
        idx = np.where(has, np.arange(len(full)), -1)
        idx = np.maximum.accumulate(idx)
        level_end = np.where(idx >= 0, carried[np.clip(idx, 0, None)], 0)
        carry_in = np.r_[0, level_end[:-1]]
        full = carry_in.copy()
        np.maximum.at(full, m[keep], part["top"].to_numpy()[keep])
        best = part.loc[part["top"].idxmax()] if len(part) else None
        peak = int(best["top"]) if best is not None else 0
        rows.append(
            {
                "dim": dim,
                "group": g,
                "peak": peak,
                "peak_at": pd.Timestamp("2000-01-01") + pd.Timedelta(seconds=int(best["top_at"]))
                if peak
                else pd.NaT,
                "p50": float(np.percentile(full, 50)),
                "p95": float(np.percentile(full, 95)),
                "max_per_minute_mean": float(full.mean()),
            }
        )
    out = pd.DataFrame(rows, columns=["dim", "group", *PEAK_COLUMNS])
    out["peak_at"] = pd.to_datetime(out["peak_at"]).astype("datetime64[ns]")
    return out
