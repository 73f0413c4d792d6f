"""Charts as images, the same way in notebooks, HTML reports and tenant pages.

:func:`show` displays a matplotlib figure as a PNG (whatever the backend: a figure made with
``matplotlib.figure.Figure`` has no pyplot manager, and a notebook would print its repr,
``<Figure size 900x320 with 1 Axes>``, instead of drawing it); :func:`png_base64` gives the PNG
for an ``<img>`` of a page. Both close the figure. :func:`tidy` keeps a chart legible: date
labels that do not overlap, the legend beside the axes rather than over the data.
"""

from __future__ import annotations

import base64
import io

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

DPI = 80


def png_bytes(fig: Figure, dpi: int = DPI) -> bytes:
    """The figure as PNG bytes (no creation software or date: the same figure, the same bytes);
    pyplot figures are closed."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None}, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def png_base64(fig: Figure, dpi: int = DPI) -> str:
    """The figure as base64 PNG for ``<img src="data:image/png;base64,...">``."""
    return base64.b64encode(png_bytes(fig, dpi)).decode("ascii")


def show(fig: Figure, dpi: int = DPI) -> None:
    """Display the figure as an image in the notebook (and so in its HTML report)."""
    from IPython.display import Image, display

    display(Image(data=png_bytes(fig, dpi), format="png"))


def tidy(fig: Figure, legend_outside: bool = True) -> Figure:
    """Date axes with concise labels that do not overlap, legends beside the axes.

    Returns the figure (laid out with matplotlib's constrained layout).
    """
    for ax in fig.axes:
        if isinstance(ax.xaxis.get_major_locator(), mdates.AutoDateLocator | mdates.DayLocator):
            locator = ax.xaxis.get_major_locator()
            ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        for label in ax.get_xticklabels():
            label.set_rotation(0)
            label.set_horizontalalignment("center")
        legend = ax.get_legend()
        if legend_outside and legend is not None:
            handles, labels = ax.get_legend_handles_labels()
            if handles:
                ax.legend(
                    handles,
                    labels,
                    loc="upper left",
                    bbox_to_anchor=(1.01, 1.0),
                    fontsize=8,
                    frameon=False,
                )
    fig.set_layout_engine("constrained")
    return fig
