"""A focused view of one reported problem: "100-DEVEL stuck since about 10:42"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from mirtalib.errors import ParameterError
from mirtalib.events.calls import calls_between
from mirtalib.events.eventlog import check_extensions
from mirtalib.events.timeline import state_at
from mirtalib.validate import iso_date


@dataclass
class Focus:
    """Everything around one moment for one extension.

    Attributes:
        extension, at: what was reported.
        state: the state each source shows at ``at`` (one row per source and kind).
        events: events of the extension from ``at - before`` to ``at + after``, every source.
        calls: CDR activity of the extension overlapping that window.
        moves: events in the window whose node differs from the previous event's node.
    """

    extension: str
    at: pd.Timestamp
    state: pd.DataFrame
    events: pd.DataFrame
    calls: pd.DataFrame
    moves: pd.DataFrame


def focus(
    events: pd.DataFrame,
    timeline: pd.DataFrame,
    activity: pd.DataFrame,
    extension: str,
    at: datetime | str,
    before_s: float = 1800.0,
    after_s: float = 600.0,
) -> Focus:
    """Collect the events, calls and node moves of ``extension`` around ``at``."""
    (ext,) = check_extensions([extension]) or [""]
    t = pd.Timestamp(iso_date(at, "at"))
    if before_s < 0 or after_s < 0:
        raise ParameterError("before_s and after_s must not be negative")
    t0, t1 = t - pd.Timedelta(seconds=before_s), t + pd.Timedelta(seconds=after_s)
    mine = events[events["extension"] == ext].sort_values("time", kind="stable")
    window = mine[(mine["time"] >= t0) & (mine["time"] <= t1)].reset_index(drop=True)
    prev_node = mine["node"].shift()
    moved = mine[
        prev_node.notna()
        & mine["node"].ne(prev_node)
        & mine["node"].ne("")
        & (mine["time"] >= t0)
        & (mine["time"] <= t1)
    ]
    now = state_at(timeline[timeline["extension"] == ext], t)
    now = now[["source", "kind", "state", "start", "node", "n_events"]].rename(
        columns={"start": "since"}
    )
    return Focus(
        ext, t, now, window, calls_between(activity, ext, t0, t1), moved.reset_index(drop=True)
    )
