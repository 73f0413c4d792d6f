"""Figures of the CDR report (matplotlib; each returns its Figure and closes nothing)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from mirtalib.data.availability import mark_no_data

NO_CALLS = "no calls in the period"


def plot_daily_calls(kpis_day: pd.DataFrame, title: str = "Calls per day") -> Figure:
    """Calls per day, one line per tenant (from the ``kpis_day`` table)."""
    fig, ax = plt.subplots(figsize=(10, 3.5))
    if kpis_day.empty:
        mark_no_data(ax, title, NO_CALLS)
        return fig
    wide = kpis_day.pivot_table(index="day", columns="tenant", values="attempts", fill_value=0)
    wide.plot(ax=ax, marker=".", linewidth=1)
    ax.set_title(title)
    ax.set_xlabel("")
    ax.set_ylabel("calls")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_asr_daily(kpis_day: pd.DataFrame) -> Figure:
    """ASR per day and tenant."""
    fig, ax = plt.subplots(figsize=(10, 3))
    if kpis_day.empty:
        mark_no_data(ax, "Answer-seizure ratio per day", NO_CALLS)
        return fig
    wide = kpis_day.pivot_table(index="day", columns="tenant", values="asr")
    (wide * 100).plot(ax=ax, marker=".", linewidth=1)
    ax.set_ylabel("ASR %")
    ax.set_xlabel("")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.set_title("Answer-seizure ratio per day")
    fig.tight_layout()
    return fig


def plot_heatmap(grid: pd.DataFrame, title: str = "Calls by hour of week") -> Figure:
    """Weekday x hour heatmap (the ``heatmap`` table)."""
    fig, ax = plt.subplots(figsize=(10, 3))
    image = ax.imshow(grid.to_numpy(), aspect="auto", cmap="viridis")
    ax.set_yticks(range(len(grid.index)), list(grid.index))
    ax.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)])
    ax.set_xlabel("hour")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, label="calls")
    fig.tight_layout()
    return fig


def plot_dispositions(mix: pd.DataFrame) -> Figure:
    """Stacked shares of call outcomes per tenant (the ``dispositions`` table)."""
    fig, ax = plt.subplots(figsize=(8, 3))
    if mix.empty:
        mark_no_data(ax, "Call outcomes", NO_CALLS)
        return fig
    shares = mix.set_index("tenant").drop(columns="calls")
    (shares * 100).plot.barh(stacked=True, ax=ax, width=0.7)
    ax.set_xlabel("% of calls")
    ax.set_ylabel("")
    ax.legend(loc="center left", bbox_to_anchor=(1, 0.5), fontsize=8)
    ax.set_title("Call outcomes")
    fig.tight_layout()
    return fig


def plot_concurrency(series: pd.Series, peak: int) -> Figure:
    """Concurrent calls over the period (the highest per bucket) with the peak marked."""
    fig, ax = plt.subplots(figsize=(10, 3))
    ax.plot(series.index, series.to_numpy(), linewidth=0.7)
    ax.axhline(peak, color="tab:red", linestyle="--", linewidth=0.8, label=f"peak {peak}")
    ax.set_ylabel("concurrent calls")
    ax.legend(loc="upper right")
    ax.grid(alpha=0.3)
    ax.set_title("Concurrent calls (highest per 15 min)")
    fig.tight_layout()
    return fig
