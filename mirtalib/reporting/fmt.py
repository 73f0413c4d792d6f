"""How a report shows a number to a reader: units, separators, no ``NaT``; HTML tables.

One set of rules for every report (the analytics notebooks' HTML, the tenant pages): shares as
``73.1 %``, durations as ``3:27 min`` (``1:02:05 h`` from an hour on), sizes as ``2.9 MB``, counts
with thousands separators (``2,995,679``), times as ``2026-10-14 10:42`` and missing values as an
empty cell. :func:`html_table` renders a DataFrame with those formats as an HTML table (cells
escaped), capped at ``max_rows`` with a note linking the full table in the export.
"""

from __future__ import annotations

import html
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

Formatter = Callable[[object], str]
MAX_ROWS = 25  # rows of a table shown in a report; the export has them all
NUM = ' class="num"'  # numbers align right


def _missing(value: object) -> bool:
    if value is None or value is pd.NaT:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # arrays, lists: not a missing scalar
        return False


def count(value: object) -> str:
    """``2995679`` -> ``2,995,679`` (rounded to a whole number; "" when missing)."""
    if _missing(value):
        return ""
    return f"{round(float(value)):,}"  # type: ignore[arg-type]


def number(value: object, decimals: int = 1) -> str:
    """A measure with thousands separators and ``decimals`` digits: ``19755.1`` -> ``19,755.1``."""
    if _missing(value):
        return ""
    v = float(value)  # type: ignore[arg-type]
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    return f"{v:,.{decimals}f}"


def percent(value: object, decimals: int = 1, ratio: bool = True) -> str:
    """A share: ``0.731`` -> ``73.1 %`` (``ratio=False``: the value is already in percent)."""
    if _missing(value):
        return ""
    v = float(value) * (100 if ratio else 1)  # type: ignore[arg-type]
    if math.isinf(v):
        return "∞ %"
    return f"{v:,.{decimals}f} %"


def duration(seconds: object) -> str:
    """``207.8`` -> ``3:28 min``; ``3725`` -> ``1:02:05 h``; ``42`` -> ``0:42 min``."""
    if _missing(seconds):
        return ""
    if isinstance(seconds, pd.Timedelta):
        seconds = seconds.total_seconds()
    total = round(float(seconds))  # type: ignore[arg-type]
    sign = "-" if total < 0 else ""
    hours, rest = divmod(abs(total), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}:{minutes:02d}:{secs:02d} h"
    return f"{sign}{minutes}:{secs:02d} min"


def minutes(value: object) -> str:
    """Billable minutes as a count with its unit: ``19755.1`` -> ``19,755 min``."""
    return "" if _missing(value) else f"{count(value)} min"


def size(nbytes: object) -> str:
    """``2995679`` -> ``2.9 MB`` (powers of 1024, like ``ls -h``); ``512`` -> ``512 B``."""
    if _missing(nbytes):
        return ""
    v = float(nbytes)  # type: ignore[arg-type]
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(v) < 1024 or unit == "TB":
            return f"{v:,.0f} {unit}" if unit == "B" else f"{v:,.1f} {unit}"
        v /= 1024
    raise AssertionError("unreachable")


def when(value: object, seconds: bool = False) -> str:
    """A timestamp as ``2026-10-14 10:42`` (``seconds``: ``10:42:07``); "" for NaT/None."""
    if _missing(value):
        return ""
    ts = pd.Timestamp(value)  # type: ignore[arg-type]
    return ts.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def day(value: object) -> str:
    """A date as ``2026-10-14`` ("" for NaT/None)."""
    return "" if _missing(value) else pd.Timestamp(value).strftime("%Y-%m-%d")  # type: ignore[arg-type]


def text(value: object) -> str:
    """Any other value as text ("" when missing)."""
    return "" if _missing(value) else str(value)


# Column names whose unit the report knows (the tables of mirtalib.cdr, .recording, .vmware).
_RATIO_COLUMNS = {"asr", "ner", "busy_share"}
_DURATION_COLUMNS = {"acd", "billsec", "duration", "duration_s", "seconds"}


def column_formatter(name: object, series: pd.Series) -> Formatter:
    """The formatter a column gets by default, from its name and dtype.

    ``*_pct`` -> percent (already in %), ``asr``/``ner``/``*_share`` and the outcome shares of
    a disposition table -> percent of a ratio, ``acd``/``*_s``/``billsec`` -> duration,
    ``minutes`` -> ``min``, ``*bytes``/``size`` -> size, timestamps -> time (or day when every
    value is at midnight), integers -> count, other floats -> one decimal.
    """
    key = str(name).lower()
    if pd.api.types.is_bool_dtype(series):
        return lambda v: "" if _missing(v) else ("yes" if v else "no")
    if pd.api.types.is_datetime64_any_dtype(series):
        clean = series.dropna()
        midnight = bool(len(clean)) and bool((clean == clean.dt.normalize()).all())
        return day if midnight else when
    if pd.api.types.is_timedelta64_dtype(series):
        return duration
    if not pd.api.types.is_numeric_dtype(series):
        return text
    if key.endswith("_pct") or key.endswith(" %") or key == "pct":
        return lambda v: percent(v, ratio=False)
    if key in _RATIO_COLUMNS or key.endswith("_share") or key.endswith("_ratio_pct"):
        return percent
    if key in _DURATION_COLUMNS or key.endswith("_s") or key.endswith("_sec"):
        return duration
    if key in {"minutes", "intl_minutes"} or key.endswith("_minutes"):
        return minutes
    if key.endswith("bytes") or key in {"size", "storage"}:
        return size
    if pd.api.types.is_integer_dtype(series):
        return count
    clean = series.dropna()
    if len(clean) and bool((clean == clean.round()).all()):
        return count
    return number


@dataclass
class HtmlTable:
    """A formatted table that renders as HTML in notebooks (``_repr_html_``) and reports.

    Attributes:
        frame: the table as shown (already cut to ``max_rows``).
        total_rows: rows of the full table.
        html: the rendered ``<table>`` with its note.
    """

    frame: pd.DataFrame
    total_rows: int
    html: str = field(repr=False)

    def _repr_html_(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.html

    def __repr__(self) -> str:  # the text/plain form of a notebook output
        shown = len(self.frame)
        more = f" of {self.total_rows:,}" if shown < self.total_rows else ""
        return f"<table: {shown}{more} rows x {len(self.frame.columns)} columns>"


def html_table(
    frame: pd.DataFrame,
    formats: Mapping[str, Formatter] | None = None,
    *,
    max_rows: int | None = MAX_ROWS,
    full: str | Path | None = None,
    index: bool = False,
    caption: str = "",
    empty: str = "none",
) -> HtmlTable:
    """``frame`` as an HTML table with units and separators, cut to ``max_rows``.

    Args:
        frame: the table.
        formats: column -> formatter replacing the default of :func:`column_formatter`.
        max_rows: rows shown (None: all); a cut table says how many rows there are and where.
        full: the exported file holding the whole table (linked relative to the report when it
            lies next to it; else named).
        index: show the index as the first column(s).
        caption: a caption above the table.
        empty: what an empty table says.
    """
    data = frame.reset_index() if index else frame
    total = len(data)
    if total == 0:
        note = f'<p class="mirta-empty">{html.escape(caption + ": " if caption else "")}'
        return HtmlTable(data, 0, note + f"{html.escape(empty)}</p>")
    shown = data if max_rows is None or total <= max_rows else data.head(max_rows)
    formats = dict(formats or {})
    cells = pd.DataFrame(index=range(len(shown)))
    for pos, name in enumerate(shown.columns):
        col = shown.iloc[:, pos]
        fmt = formats.get(str(name)) or column_formatter(name, col)
        cells[pos] = [fmt(v) for v in col.tolist()]
    cells.columns = [str(c) for c in shown.columns]
    numeric = [
        i for i, c in enumerate(shown.columns) if pd.api.types.is_numeric_dtype(shown[c].dtype)
    ]
    rows = []
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cells.columns)
    for values in cells.itertuples(index=False):
        tds = "".join(
            f"<td{NUM if i in numeric else ''}>{html.escape(v)}</td>" for i, v in enumerate(values)
        )
        rows.append(f"<tr>{tds}</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    out = (
        f'<table class="mirta-table">{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    if len(shown) < total:
        out += f'<p class="mirta-note">{len(shown)} of {total:,} rows shown; {_where(full)}.</p>'
    return HtmlTable(shown, total, out)


def _where(full: str | Path | None) -> str:
    if not full:
        return "the export has them all"
    path = Path(full)
    href = link(path)
    return f'all of them in <a href="{html.escape(href)}">{html.escape(path.name)}</a>'


def link(path: str | Path) -> str:
    """A link to an exported file as the report should write it.

    Relative to the run's report page when the file lies in the run's folder (``MIRTA_RUN_DIR``,
    whose report page is ``<run>.html`` beside it), else (JupyterLab, ``mirta regen``) relative
    to the notebook's folder, where the kernel runs: no absolute path in a notebook's output.
    """
    target = Path(path).resolve()
    run_dir = os.environ.get("MIRTA_RUN_DIR")
    if run_dir:
        base = Path(run_dir).resolve()
        if target.is_relative_to(base):
            return f"{base.name}/{target.relative_to(base).as_posix()}"
    return Path(os.path.relpath(target, Path.cwd())).as_posix()
