"""Figures of the queue report (matplotlib; each returns its Figure, laid out by
:func:`mirtalib.reporting.charts.tidy`: legends beside the axes, and closes nothing)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from mirtalib.reporting.charts import tidy

NO_CALLS = "no queue calls in the period"


def _empty(ax, title: str) -> None:
    ax.set_title(title)
    ax.text(0.5, 0.5, NO_CALLS, ha="center", va="center", transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def plot_offered_answered(
    hourly: pd.DataFrame, title: str = "Offered and answered per hour"
) -> Figure:
    """Offered vs answered calls per hour of the day
    (:func:`mirtalib.queues.stats.hourly_offered`)."""
    fig, ax = plt.subplots(figsize=(10, 3.2))
    if int(hourly["offered"].sum()) == 0:
        _empty(ax, title)
        return fig
    ax.bar(hourly["hour"] - 0.2, hourly["offered"], width=0.4, label="offered")
    ax.bar(hourly["hour"] + 0.2, hourly["answered"], width=0.4, label="answered")
    ax.set_xticks(range(24))
    ax.set_xlabel("hour of day")
    ax.set_ylabel("calls")
    ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3, axis="y")
    return tidy(fig)


def plot_wait_histogram(
    hist: pd.DataFrame, bin_s: int, title: str = "Wait before answer or hang-up"
) -> Figure:
    """Calls per wait bin, answered and not (:func:`mirtalib.queues.stats.wait_histogram`)."""
    fig, ax = plt.subplots(figsize=(10, 3.2))
    if hist.empty:
        _empty(ax, title)
        return fig
    ax.bar(hist["wait_from"], hist["answered"], width=bin_s * 0.9, align="edge", label="answered")
    ax.bar(hist["wait_from"], hist["not_answered"], width=bin_s * 0.9, align="edge",
           bottom=hist["answered"], label="not answered")  # fmt: skip
    ax.set_xlabel(f"wait (s, bins of {bin_s} s)")
    ax.set_ylabel("calls")
    ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3, axis="y")
    return tidy(fig)


def plot_abandon_curve(curve: pd.DataFrame, title: str = "Abandon curve") -> Figure:
    """Share of the abandoned callers who had given up by each wait
    (:func:`mirtalib.queues.stats.abandon_curve`)."""
    fig, ax = plt.subplots(figsize=(10, 3.2))
    if curve.empty:
        _empty(ax, title)
        return fig
    ax.step(curve["wait"], curve["share"] * 100, where="post")
    ax.set_xlabel("wait (s)")
    ax.set_ylabel("% of abandoned calls")
    ax.set_ylim(0, 100)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    return tidy(fig)
