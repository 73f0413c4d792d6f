"""Concurrent calls: peaks (and when), and the distribution over the period for capacity planning.

A call occupies ``[start_utc, end_utc)``: a call ending at the very second another starts does not
overlap it (at equal timestamps ends are counted before starts), and a call of zero length never
counts. Levels are measured per group (tenant, node, trunk, or overall) on the UTC axis, so DST
changes do not create or hide overlaps; times are shown back in PBX-local time.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from mirtalib.errors import ParameterError

PEAK_COLUMNS = ("peak", "peak_at", "p50", "p95", "max_per_minute_mean")


def level_steps(start_utc: np.ndarray, end_utc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The concurrent-calls step function: (times, level after each time), ends before starts.

    Returns:
        ``times`` (sorted epoch seconds, one per change) and ``level`` (calls in progress from
        that time until the next).
    """
    keep = end_utc > start_utc
    s, e = start_utc[keep], end_utc[keep]
    times = np.concatenate([e, s])
    delta = np.concatenate([-np.ones(len(e), int), np.ones(len(s), int)])
    order = np.lexsort((delta, times))  # by time, then -1 before +1
    times, delta = times[order], delta[order]
    level = np.cumsum(delta)
    # collapse equal times: the level after the last change at that time counts
    last = np.r_[times[1:] != times[:-1], True] if len(times) else np.array([], bool)
    return times[last], level[last]


def per_minute_max(
    start_utc: np.ndarray, end_utc: np.ndarray, period: tuple[float, float]
) -> np.ndarray:
    """Highest level reached in each minute of ``period`` (epoch seconds, [from, to))."""
    t0 = np.floor(period[0] / 60) * 60
    n = max(int(np.ceil((period[1] - t0) / 60)), 1)
    out = np.zeros(n, int)
    times, level = level_steps(start_utc, end_utc)
    if not len(times):
        return out
    # level after each change, in that change's own minute
    idx = ((times - t0) // 60).astype(int)
    inside = (idx >= 0) & (idx < n)
    np.maximum.at(out, idx[inside], level[inside])
    # level carried into each minute from the previous change
    starts = t0 + 60 * np.arange(n)
    pos = np.searchsorted(times, starts, side="right") - 1
    carried = np.where(pos >= 0, level[np.clip(pos, 0, None)], 0)
    return np.maximum(out, carried)


def concurrency(
    calls: pd.DataFrame,
    by: Sequence[str] | str | None = None,
    period: tuple[pd.Timestamp, pd.Timestamp] | None = None,
    tz: str = "Europe/Rome",
) -> pd.DataFrame:
    """Peak concurrent calls and the distribution of per-minute peaks, per group.

    Args:
        calls: the calls frame (needs ``start_utc``, ``end_utc``).
        by: a call column (``"tenant"``, ``"node"``, ``"trunk"``) or None for the whole PBX.
            With ``"trunk"``, calls without a trunk are left out (they use none).
        period: local (start, end) of the period for the distribution; default: first start to
            last end of the calls.
        tz: PBX time zone, for showing ``peak_at`` in local time.

    Returns:
        One row per group: the group column, ``peak`` (most calls at once), ``peak_at`` (local
        time it was first reached), ``p50``/``p95`` (of the per-minute peaks over every minute of
        the period), ``max_per_minute_mean`` (mean of the per-minute peaks).
    """
    by_cols = [by] if isinstance(by, str) else list(by or [])
    for col in by_cols:
        if col not in calls.columns:
            raise ParameterError(f"by: {col!r} is not a call column")
    data = calls
    if "trunk" in by_cols:
        data = data[data["trunk"].ne("")]
    if period is not None:
        lo = pd.Timestamp(period[0]).tz_localize(tz, ambiguous=True).timestamp()
        hi = pd.Timestamp(period[1]).tz_localize(tz, ambiguous=True).timestamp()
    elif len(data):
        lo, hi = float(data["start_utc"].min()), float(data["end_utc"].max())
    else:
        lo = hi = 0.0
    groups = data.groupby(by_cols, sort=True) if by_cols else [((), data)]
    rows = []
    for key, part in groups:
        s = part["start_utc"].to_numpy(float)
        e = part["end_utc"].to_numpy(float)
        times, level = level_steps(s, e)
        minute = per_minute_max(s, e, (lo, hi))
        row = dict(zip(by_cols, key if isinstance(key, tuple) else (key,), strict=True))
        if len(level) and level.max() > 0:
            at = times[int(np.argmax(level))]
            row["peak"] = int(level.max())
            stamp = pd.Timestamp(at, unit="s", tz="UTC").tz_convert(tz).tz_localize(None)
            row["peak_at"] = stamp
        else:
            row["peak"], row["peak_at"] = 0, pd.NaT
        row["p50"] = float(np.percentile(minute, 50))
        row["p95"] = float(np.percentile(minute, 95))
        row["max_per_minute_mean"] = float(minute.mean())
        rows.append(row)
    out = pd.DataFrame(rows, columns=[*by_cols, *PEAK_COLUMNS])
    out["peak"] = out["peak"].astype("int64")
    out["peak_at"] = pd.to_datetime(out["peak_at"]).astype("datetime64[ns]")
    for col in ("p50", "p95", "max_per_minute_mean"):
        out[col] = out[col].astype("float64")  # also when there is no group
    if out.empty:
        out = out.astype(dict.fromkeys(by_cols, "str"))
    return out


def concurrency_series(
    calls: pd.DataFrame, tz: str = "Europe/Rome", freq: str = "15min"
) -> pd.Series:
    """Highest concurrency per ``freq`` bucket over the calls' span (local time index).

    For plots.
    """
    if calls.empty:
        return pd.Series(dtype="int64", name="concurrent")
    s = calls["start_utc"].to_numpy(float)
    e = calls["end_utc"].to_numpy(float)
    minute = per_minute_max(s, e, (float(s.min()), float(e.max())))
    t0 = np.floor(s.min() / 60) * 60
    index = pd.to_datetime(t0 + 60 * np.arange(len(minute)), unit="s", utc=True)
    local = index.tz_convert(tz).tz_localize(None)
    series = pd.Series(minute, index=local, name="concurrent")
    return series.groupby(series.index.floor(freq)).max()
