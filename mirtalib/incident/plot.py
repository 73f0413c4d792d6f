"""The incident's one chart: a lane per source over the window, the complaint moment marked."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from mirtalib.events.timeline import STATE_COLOURS, mdates_num

OUTCOME_COLOURS = {"answered": "#4c9a2a", "transferred": "#4c9a2a"}
LOST_COLOUR = "#d62728"
OK_COLOUR = "#4c9a2a"


def _bars(ax, y: float, rows: pd.DataFrame, start: str, end: str, colour, label=None) -> None:
    spans = [
        (mdates_num(s), max((pd.Timestamp(e) - pd.Timestamp(s)).total_seconds(), 20) / 86400.0)
        for s, e in zip(rows[start], rows[end].fillna(rows[start]), strict=True)
    ]
    colours = colour if isinstance(colour, list) else [colour] * len(spans)
    for span, c in zip(spans, colours, strict=True):
        ax.broken_barh([span], (y - 0.35, 0.7), color=c, label=label)
        label = None


def plot_incident(inc) -> Figure:
    """One lane per source read (calls, extension state, queue, recordings, CPU, findings), the
    window on the x axis and a red line at the complaint's moment.

    Args:
        inc: a :class:`mirtalib.incident.report.Incident`.
    """
    import matplotlib.dates as mdates

    lanes: list[str] = []
    fig = Figure(figsize=(11, 4.2))
    ax = fig.subplots()
    legs = inc.table("legs")
    if len(legs):
        y = len(lanes)
        lanes.append("calls (CDR legs)")
        answered = legs["disposition"].eq("ANSWERED").tolist()
        _bars(ax, y, legs, "start", "end", [OK_COLOUR if a else LOST_COLOUR for a in answered])
    states = inc.table("states")
    for ext in list(dict.fromkeys(states["extension"]))[:3] if len(states) else []:
        y = len(lanes)
        lanes.append(f"state {ext}")
        mine = states[states["extension"] == ext]
        _bars(ax, y, mine, "start", "end", [STATE_COLOURS.get(s, "#cccccc") for s in mine["state"]])
    qc = inc.table("queue_calls")
    if len(qc):
        y = len(lanes)
        lanes.append("queue calls")
        colours = [OUTCOME_COLOURS.get(o, LOST_COLOUR) for o in qc["outcome"]]
        _bars(ax, y, qc, "enter", "end", colours)
    rec = inc.table("recordings")
    if len(rec) and len(legs):
        y = len(lanes)
        lanes.append("recordings")
        times = legs.drop_duplicates("uniqueid").set_index("uniqueid")[["start", "end"]]
        rows = rec.join(times, on="uniqueid").dropna(subset=["start"])
        colours = [
            OK_COLOUR
            if s == "recorded"
            else (LOST_COLOUR if s in ("missing", "broken") else "#bbbbbb")
            for s in rows["status"]
        ]
        _bars(ax, y, rows, "start", "end", colours)
    for name, series in list(inc.series.items())[:3]:
        if series.empty:
            continue
        y = len(lanes)
        lanes.append(f"CPU {name.split(' (')[0]} %")
        top = max(float(series["pct"].max()), 1e-9)
        xs = [mdates_num(t) for t in series["time"]]
        ax.plot(xs, y - 0.35 + 0.7 * series["pct"] / top, color="#8c564b", linewidth=1)
        ax.text(xs[-1], y + 0.38, f"max {top:.1f} %", fontsize=7, ha="right", va="bottom")
    top = inc.top(5)
    if len(top):
        y = len(lanes)
        lanes.append("findings (best first)")
        for i, r in enumerate(top.itertuples(index=False)):
            start = max(pd.Timestamp(r.start), inc.start)
            end = min(pd.Timestamp(r.end), inc.end)
            yy = y - 0.3 + 0.6 * i / max(len(top), 1)
            ax.hlines(
                yy, mdates_num(start), mdates_num(max(end, start)), color="#1f77b4", linewidth=3
            )
            ax.text(mdates_num(start), yy + 0.04, r.finding, fontsize=7, va="bottom")
    at = mdates_num(inc.at)
    ax.axvline(at, color="#d62728", linewidth=1.5)
    ax.text(
        at,
        len(lanes) - 0.45 if lanes else 0.5,
        " complaint",
        color="#d62728",
        fontsize=8,
        va="bottom",
    )
    ax.set_xlim(mdates_num(inc.start), mdates_num(inc.end))
    ax.set_ylim(-0.6, max(len(lanes), 1) - 0.2)
    ax.set_yticks(range(len(lanes)))
    ax.set_yticklabels(lanes)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M"))
    ax.set_xlabel(f"{inc.at:%Y-%m-%d} (PBX time); green: answered / recorded, red: not")
    ax.set_title("Around the complaint: one lane per source")
    if not lanes:
        ax.text(
            0.5,
            0.5,
            "no source had data in the window",
            transform=ax.transAxes,
            ha="center",
            va="center",
        )
    fig.set_layout_engine("constrained")
    fig.set_figheight(1.2 + 0.45 * max(len(lanes), 1))
    return fig
