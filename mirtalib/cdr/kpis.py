"""Call KPIs and volume tables from the calls frame (:func:`mirtalib.cdr.calls.to_calls`).

Definitions (docs/DOMAIN.md): attempts = calls; ASR = answered / attempts; ACD = mean billable
seconds of answered calls; NER = (answered + busy + no answer) / attempts, i.e. the calls the
network delivered to a party that could take them; minutes = billable minutes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from mirtalib.errors import ParameterError

KPI_COLUMNS = ("attempts", "answered", "asr", "acd", "ner", "minutes")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _check_by(calls: pd.DataFrame, by: Sequence[str]) -> list[str]:
    by = [by] if isinstance(by, str) else list(by)
    unknown = [c for c in by if c not in calls.columns]
    if unknown:
        raise ParameterError(f"by: unknown call columns {unknown}; known: {list(calls.columns)}")
    return by


def kpis(calls: pd.DataFrame, by: Sequence[str] | str = ()) -> pd.DataFrame:
    """Attempts, answered, ASR, ACD, NER and minutes, overall or per group.

    Args:
        calls: the calls frame.
        by: call columns to group by (e.g. ``["tenant"]``, ``["tenant", "day"]``); empty for one
            overall row.

    Returns:
        One row per group: the ``by`` columns, then ``attempts`` (int), ``answered`` (int),
        ``asr`` and ``ner`` (fractions 0..1, NaN without attempts), ``acd`` (seconds, NaN
        without answered calls), ``minutes`` (billable, float).
    """
    by = _check_by(calls, by)
    frame = pd.DataFrame(
        {
            "attempts": 1,
            "answered": calls["answered"].astype("int64"),
            "effective": calls["disposition"].isin(["ANSWERED", "BUSY", "NO ANSWER"]).astype(int),
            "ans_sec": calls["billable"].where(calls["answered"], 0),
            "billable": calls["billable"],
        },
        index=calls.index,
    )
    if by:
        frame[by] = calls[by]
        agg = (
            frame.groupby(by, sort=True, observed=True)[
                ["attempts", "answered", "effective", "ans_sec", "billable"]
            ]
            .sum()
            .reset_index()
        )
    else:
        agg = frame.sum().to_frame().T.astype("int64")
    out = agg[by].copy() if by else pd.DataFrame(index=agg.index)
    out["attempts"] = agg["attempts"].astype("int64")
    out["answered"] = agg["answered"].astype("int64")
    with np.errstate(invalid="ignore", divide="ignore"):
        out["asr"] = agg["answered"] / agg["attempts"].where(agg["attempts"] > 0)
        out["acd"] = agg["ans_sec"] / agg["answered"].where(agg["answered"] > 0)
        out["ner"] = agg["effective"] / agg["attempts"].where(agg["attempts"] > 0)
    out["minutes"] = agg["billable"] / 60.0
    return out.reset_index(drop=True)


def volume(calls: pd.DataFrame, by: Sequence[str] | str = ("tenant", "day")) -> pd.DataFrame:
    """Calls per group as a tidy table (``by`` columns + ``calls``), e.g. per tenant and day or
    per tenant and hour."""
    by = _check_by(calls, by)
    return calls.groupby(by, observed=True).size().rename("calls").reset_index()


def hour_of_week(calls: pd.DataFrame) -> pd.DataFrame:
    """Calls per weekday (rows Mon..Sun) and hour (columns 0..23), all cells present."""
    grid = calls.groupby(["weekday", "hour"]).size().unstack(fill_value=0)
    grid = grid.reindex(index=range(7), columns=range(24), fill_value=0)
    grid.index = list(WEEKDAYS)
    grid.index.name = "weekday"
    grid.columns.name = "hour"
    return grid.astype("int64")


def disposition_mix(calls: pd.DataFrame, by: Sequence[str] | str = ("tenant",)) -> pd.DataFrame:
    """Share of each call outcome per group: ``by`` columns, one column per disposition
    (fractions summing to 1 per row) and ``calls``."""
    by = _check_by(calls, by)
    counts = calls.groupby([*by, "disposition"]).size().unstack(fill_value=0)
    total = counts.sum(axis=1)
    share = counts.div(total, axis=0)
    share.columns.name = None
    share["calls"] = total
    return share.reset_index()
