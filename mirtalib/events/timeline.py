"""Per-extension state timelines rebuilt from events, time in each state, and the timeline plot.

A timeline is a frame of *intervals*: one row per stretch of time an extension stayed in one state
according to one source. An event that repeats the current state extends the interval (it is
counted in ``n_events``); the last interval of each extension ends at ``until`` and is marked
``open`` (nothing says the state changed after it).
"""

from __future__ import annotations

import logging
from datetime import datetime

import pandas as pd

from mirtalib.errors import ParameterError
from mirtalib.events.model import BUSY_STATES
from mirtalib.validate import iso_date

log = logging.getLogger(__name__)

INTERVAL_COLUMNS = (
    "extension",
    "tenant",
    "source",
    "kind",
    "state",
    "start",
    "end",
    "duration_s",
    "node",
    "n_events",
    "first_ref",
    "open",
)
GROUP = ["extension", "source", "kind"]
STATE_COLOURS = {
    "NOT_INUSE": "#9bd39b",
    "INUSE": "#d9534f",
    "BUSY": "#8b0000",
    "RINGING": "#f0ad4e",
    "RINGINUSE": "#e67e22",
    "ONHOLD": "#5bc0de",
    "UNAVAILABLE": "#999999",
    "INVALID": "#555555",
    "UNKNOWN": "#dddddd",
}


def empty_intervals() -> pd.DataFrame:
    """An empty intervals frame."""
    frame = pd.DataFrame({c: pd.Series(dtype="str") for c in INTERVAL_COLUMNS})
    frame["start"] = pd.Series(dtype="datetime64[ns]")
    frame["end"] = pd.Series(dtype="datetime64[ns]")
    frame["duration_s"] = pd.Series(dtype="float64")
    frame["n_events"] = pd.Series(dtype="int64")
    frame["open"] = pd.Series(dtype="bool")
    return frame


def build_timeline(events: pd.DataFrame, until: datetime | str | None = None) -> pd.DataFrame:
    """Rebuild state intervals per (extension, source, kind) from an events frame.

    Args:
        events: tidy events (:data:`mirtalib.events.model.EVENT_COLUMNS`).
        until: end of the observed window: the last interval of every extension ends there
            (default: the time of the last event of all).

    Returns:
        Intervals (:data:`INTERVAL_COLUMNS`) sorted by extension, source, kind, start.

    Raises:
        ParameterError: when ``until`` is before the last event.
    """
    if events.empty:
        return empty_intervals()
    ev = events.sort_values([*GROUP, "time"], kind="stable", ignore_index=True)
    last = ev["time"].max()
    end_of_window = pd.Timestamp(until) if until is not None else last
    if end_of_window < last:
        raise ParameterError(f"until={end_of_window} is before the last event ({last})")
    same_group = (ev[GROUP] == ev[GROUP].shift()).all(axis=1)
    change = ~same_group | ev["state"].ne(ev["state"].shift())
    ev["interval"] = change.cumsum()
    agg = ev.groupby("interval", sort=True).agg(
        extension=("extension", "first"),
        tenant=("tenant", "first"),
        source=("source", "first"),
        kind=("kind", "first"),
        state=("state", "first"),
        start=("time", "first"),
        node=("node", "first"),
        n_events=("time", "size"),
        first_ref=("ref", "first"),
    )
    nxt_same = (agg[GROUP] == agg[GROUP].shift(-1)).all(axis=1)
    agg["end"] = agg["start"].shift(-1).where(nxt_same, end_of_window)
    agg["open"] = ~nxt_same
    agg["duration_s"] = (agg["end"] - agg["start"]).dt.total_seconds()
    out = agg.reset_index(drop=True)[list(INTERVAL_COLUMNS)]
    out["n_events"] = out["n_events"].astype("int64")
    return out


def clip(intervals: pd.DataFrame, start: datetime | str, end: datetime | str) -> pd.DataFrame:
    """The part of each interval inside ``[start, end)`` (durations recomputed)."""
    t0, t1 = pd.Timestamp(start), pd.Timestamp(end)
    if t1 <= t0:
        raise ParameterError(f"end={t1} is not after start={t0}")
    keep = intervals[(intervals["end"] > t0) & (intervals["start"] < t1)].copy()
    keep["start"] = keep["start"].clip(lower=t0)
    keep["end"] = keep["end"].clip(upper=t1)
    keep["duration_s"] = (keep["end"] - keep["start"]).dt.total_seconds()
    return keep.reset_index(drop=True)


def time_in_state(intervals: pd.DataFrame, by: str = "extension") -> pd.DataFrame:
    """Hours spent in each state, per extension (``by="extension"``) or per tenant.

    Returns:
        One row per tenant (and extension), one column per state seen (hours, 2 decimals), plus
        ``busy_share`` (share of time in INUSE/BUSY/RINGINUSE/ONHOLD, %).
    """
    if by not in {"extension", "tenant"}:
        raise ParameterError(f"by={by!r}: use 'extension' or 'tenant'")
    keys = ["tenant", "extension"] if by == "extension" else ["tenant"]
    if intervals.empty:
        return pd.DataFrame(columns=[*keys, "busy_share"])
    hours = (
        intervals.pivot_table(
            index=keys, columns="state", values="duration_s", aggfunc="sum", fill_value=0.0
        )
        / 3600.0
    )
    hours.columns.name = None
    total = hours.sum(axis=1)
    busy = hours[[c for c in hours.columns if c in BUSY_STATES]].sum(axis=1)
    hours = hours.round(2)
    hours["busy_share"] = (100 * busy / total.where(total > 0)).round(1).fillna(0.0)
    return hours.reset_index()


def state_at(intervals: pd.DataFrame, when: datetime | str) -> pd.DataFrame:
    """The interval each (extension, source, kind) is in at ``when`` (rows with none are absent)."""
    t = pd.Timestamp(when)
    hit = intervals[(intervals["start"] <= t) & ((intervals["end"] > t) | intervals["open"])]
    return hit.reset_index(drop=True)


def plot_timeline(
    intervals: pd.DataFrame,
    extensions: list[str],
    start: datetime | str,
    end: datetime | str,
    title: str = "Extension state",
):
    """A matplotlib figure: one lane per extension (and source), coloured by state; a black line
    marks where the extension's events start coming from another node.

    Returns:
        The ``matplotlib.figure.Figure`` (the caller shows or saves it).
    """
    import matplotlib.pyplot as plt  # optional heavy import

    start, end = iso_date(start, "plot_start"), iso_date(end, "plot_end")
    part = clip(intervals[intervals["extension"].isin(extensions)], start, end)
    lanes = part[["extension", "source"]].drop_duplicates().sort_values(["extension", "source"])
    fig, ax = plt.subplots(figsize=(11, 0.5 + 0.45 * max(1, len(lanes))))
    for y, (ext, src) in enumerate(lanes.itertuples(index=False)):
        lane = part[(part["extension"] == ext) & (part["source"] == src)]
        for state, rows in lane.groupby("state"):
            spans = [
                (mdates_num(r.start), (r.end - r.start).total_seconds() / 86400.0)
                for r in rows.itertuples()
            ]
            ax.broken_barh(
                spans, (y - 0.4, 0.8), color=STATE_COLOURS.get(state, "#cccccc"), label=state
            )
        lane = lane.sort_values("start")
        moved = lane[lane["node"].ne(lane["node"].shift()) & lane["node"].shift().notna()]
        for r in moved.itertuples():  # the phone's events now come from another node
            x = mdates_num(r.start)
            ax.vlines(x, y - 0.45, y + 0.45, color="black", linewidth=1.5)
            ax.text(x, y, f" -> {r.node}", fontsize=8, va="center")
    ax.set_yticks(range(len(lanes)))
    ax.set_yticklabels([f"{e} ({s})" for e, s in lanes.itertuples(index=False)])
    ax.set_xlim(mdates_num(pd.Timestamp(start)), mdates_num(pd.Timestamp(end)))
    import matplotlib.dates as mdates

    ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d %H:%M"))
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    ax.legend(unique.values(), unique.keys(), loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_title(title)
    fig.tight_layout()
    return fig


def mdates_num(t: pd.Timestamp) -> float:
    """Matplotlib date number of a timestamp."""
    import matplotlib.dates as mdates

    return float(mdates.date2num(pd.Timestamp(t).to_pydatetime()))
