"""Fast "how many seconds of this window are covered" queries over per-extension interval sets."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

_NS = np.int64(1_000_000_000)


class Coverage:
    """Union of time intervals per key (extension), answering overlap queries in O(log n).

    Args:
        frame: rows with a key column and ``start`` / ``end`` (datetime64) columns.
        key: name of the key column.
    """

    def __init__(self, frame: pd.DataFrame, key: str = "extension") -> None:
        self._sets: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        valid = frame[frame["end"].notna() & frame["start"].notna()]
        for name, rows in valid.groupby(key, sort=False):
            s = rows["start"].to_numpy("datetime64[ns]").astype(np.int64)
            e = rows["end"].to_numpy("datetime64[ns]").astype(np.int64)
            order = np.argsort(s, kind="stable")
            s, e = s[order], np.maximum(e[order], s[order])
            # merge overlapping intervals: a new block starts where start > running max of ends
            run_end = np.maximum.accumulate(e)
            new = np.empty(len(s), dtype=bool)
            new[0] = True
            new[1:] = s[1:] > run_end[:-1]
            idx = np.flatnonzero(new)
            starts = s[idx]
            ends = np.maximum.reduceat(e, idx)
            cum = np.concatenate([[0], np.cumsum(ends - starts)])
            self._sets[str(name)] = (starts, ends, cum)

    def seconds(self, name: str, start: datetime | pd.Timestamp, end: datetime | pd.Timestamp):
        """Seconds of ``[start, end)`` covered by the intervals of ``name`` (0.0 when none)."""
        sets = self._sets.get(name)
        if sets is None:
            return 0.0
        starts, ends, cum = sets
        s = pd.Timestamp(start).value
        e = pd.Timestamp(end).value
        if e <= s:
            return 0.0
        i0 = int(np.searchsorted(ends, s, side="right"))  # first block ending after s
        i1 = int(np.searchsorted(starts, e, side="left"))  # blocks starting before e
        if i1 <= i0:
            return 0.0
        total = cum[i1] - cum[i0]
        total -= max(0, s - starts[i0])
        total -= max(0, ends[i1 - 1] - e)
        return float(total) / float(_NS)

    def __contains__(self, name: str) -> bool:
        return name in self._sets
