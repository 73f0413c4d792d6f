"""The figures of the queue report, from :func:`mirtalib.queues.queue_calls` rows.

Definitions (every one checked on hand-computed cases in tests/unit/queues/):

* ``offered``: calls that entered the queue (unfinished ones included); ``answered``: answered
  or transferred; ``abandoned``, ``timeout``, ``exitempty``, ``exitkey``, ``other`` (withdrawn,
  failed, unfinished): the rest by outcome;
* ``abandon_wait_avg``: mean wait (s) of the abandoned calls (after how long callers give up);
* ``service_level``: share of the offered calls answered within ``sl_seconds`` (wait <= N);
* ``wait_avg`` / ``wait_p90``: mean and 90th percentile (nearest rank: the smallest wait that
  at least 90 % of the waits do not exceed) of the answered calls' waits (speed of answer);
* ``longest_wait``: the longest wait of any call (answered or not);
* ``aht``: average handle time: mean talk time (s) of the answered calls whose end is known
  (app_queue logs no wrap-up time).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from mirtalib.cdr.calls import calls_and_legs
from mirtalib.queues.calls import ANSWERED_OUTCOMES

STAT_COLUMNS = (
    "offered",
    "answered",
    "abandoned",
    "timeout",
    "exitempty",
    "exitkey",
    "other",
    "abandon_wait_avg",
    "service_level",
    "wait_avg",
    "wait_p90",
    "longest_wait",
    "aht",
)
_KNOWN = ("abandoned", "timeout", "exitempty", "exitkey", *ANSWERED_OUTCOMES)


def p90(values) -> float:
    """Nearest-rank 90th percentile (NaN when there is no value)."""
    arr = np.sort(np.asarray(values, dtype="float64"))
    if not len(arr):
        return float("nan")
    return float(arr[math.ceil(0.9 * len(arr)) - 1])


def _mean(values: pd.Series) -> float:
    values = values.dropna()
    return float(values.astype("float64").mean()) if len(values) else float("nan")


def _figures(part: pd.DataFrame, sl_seconds: int) -> dict:
    out = part["outcome"]
    answered = part[part["answered"]]
    ans_wait = answered["wait"].dropna()
    waits = part["wait"].dropna()
    return {
        "offered": len(part),
        "answered": len(answered),
        "abandoned": int(out.eq("abandoned").sum()),
        "timeout": int(out.eq("timeout").sum()),
        "exitempty": int(out.eq("exitempty").sum()),
        "exitkey": int(out.eq("exitkey").sum()),
        "other": int((~out.isin(_KNOWN)).sum()),
        "abandon_wait_avg": _mean(part.loc[out.eq("abandoned"), "wait"]),
        "service_level": float((ans_wait <= sl_seconds).sum() / len(part)) if len(part) else np.nan,
        "wait_avg": _mean(ans_wait),
        "wait_p90": p90(ans_wait.to_numpy(dtype="float64")),
        "longest_wait": float(waits.max()) if len(waits) else float("nan"),
        "aht": _mean(answered["talk"]),
    }


def overall(calls: pd.DataFrame, sl_seconds: int = 20) -> dict:
    """The figures of the module docstring over every call (NaN where there is no call)."""
    return _figures(calls, sl_seconds)


def with_periods(calls: pd.DataFrame) -> pd.DataFrame:
    """The calls with ``day`` (midnight of the entry) and ``hour`` (0-23) columns."""
    return calls.assign(day=calls["enter"].dt.normalize(), hour=calls["enter"].dt.hour)


def queue_stats(
    calls: pd.DataFrame, by: tuple[str, ...] = ("tenant", "queue"), sl_seconds: int = 20
) -> pd.DataFrame:
    """The figures of the module docstring per group (``by``: columns of the calls, or ``day``
    / ``hour`` of the entry time); groups without calls are left out."""
    frame = with_periods(calls)
    keys = list(by)
    rows = []
    if len(frame):
        for key, part in frame.groupby(keys, sort=True):
            key = key if isinstance(key, tuple) else (key,)
            rows.append({**dict(zip(keys, key, strict=True)), **_figures(part, sl_seconds)})
    if not rows:
        cols = {k: pd.Series(dtype=frame[k].dtype if k in frame else "str") for k in keys}
        cols.update({c: pd.Series(dtype="float64") for c in STAT_COLUMNS})
        return pd.DataFrame(cols)
    out = pd.DataFrame(rows)
    for col in ("offered", "answered", "abandoned", "timeout", "exitempty", "exitkey", "other"):
        out[col] = out[col].astype("int64")
    return out[[*keys, *STAT_COLUMNS]]


def wait_histogram(calls: pd.DataFrame, bin_s: int = 10) -> pd.DataFrame:
    """Answered and not-answered calls per wait bin: ``wait_from`` (s), ``answered``,
    ``not_answered``."""
    known = calls[calls["wait"].notna()]
    if known.empty:
        return pd.DataFrame(
            {c: pd.Series(dtype="int64") for c in ("wait_from", "answered", "not_answered")}
        )
    bins = (known["wait"].astype("int64") // bin_s) * bin_s
    top = int(bins.max())
    index = pd.Index(range(0, top + bin_s, bin_s), name="wait_from")
    ans = bins[known["answered"]].value_counts().reindex(index, fill_value=0)
    nan = bins[~known["answered"]].value_counts().reindex(index, fill_value=0)
    out = pd.DataFrame({"answered": ans.astype("int64"), "not_answered": nan.astype("int64")})
    return out.reset_index()


def abandon_curve(calls: pd.DataFrame) -> pd.DataFrame:
    """Share of the abandoned calls that had given up by each wait: ``wait`` (s, every wait
    at which someone abandoned), ``abandoned`` (callers who gave up after at most that wait),
    ``share`` (of all abandoned calls)."""
    waits = calls.loc[calls["outcome"].eq("abandoned"), "wait"].dropna().astype("int64")
    if waits.empty:
        return pd.DataFrame(
            {
                "wait": pd.Series(dtype="int64"),
                "abandoned": pd.Series(dtype="int64"),
                "share": pd.Series(dtype="float64"),
            }
        )
    counts = waits.value_counts().sort_index()
    cum = counts.cumsum()
    return pd.DataFrame(
        {
            "wait": counts.index.astype("int64"),
            "abandoned": cum.to_numpy(dtype="int64"),
            "share": (cum / len(waits)).to_numpy(dtype="float64"),
        }
    )


def hourly_offered(calls: pd.DataFrame) -> pd.DataFrame:
    """Offered and answered calls per hour of the day (0-23, every hour present)."""
    frame = with_periods(calls)
    index = pd.Index(range(24), name="hour")
    offered = frame.groupby("hour").size().reindex(index, fill_value=0)
    answered = frame[frame["answered"]].groupby("hour").size().reindex(index, fill_value=0)
    out = pd.DataFrame({"offered": offered.astype("int64"), "answered": answered.astype("int64")})
    return out.reset_index()


CROSS_COLUMNS = (
    "kind",
    "callid",
    "tenant",
    "queue",
    "enter",
    "outcome",
    "wait",
    "agent",
    "cdr_call",
    "cdr_disposition",
    "cdr_billable",
    "cdr_who_answered",
)
#: Kinds of :func:`cross_check` rows.
CDR_ANSWERED_QUEUE_NOT = "CDR answered, queue log not"
QUEUE_ANSWERED_CDR_NOT = "queue log answered, CDR not"
NOT_IN_CDR = "not in the CDR"


def cross_check(calls: pd.DataFrame, legs: pd.DataFrame, timezone: str) -> pd.DataFrame:
    """Queue calls on which the queue log and the CDR disagree, each with its CDR call.

    The queue log's callid is the uniqueid of the caller's channel in the queue, so the CDR call
    is the call (:func:`mirtalib.cdr.calls.calls_and_legs`) holding a leg of that uniqueid.
    Kinds: :data:`CDR_ANSWERED_QUEUE_NOT` (the CDR call is ANSWERED, the queue call abandoned,
    timed out or left: e.g. the caller's channel was answered for an announcement before the
    queue), :data:`QUEUE_ANSWERED_CDR_NOT`, :data:`NOT_IN_CDR` (no leg has the callid; calls
    that ended in the queue are still compared). Unfinished queue calls are not judged.
    """
    judged = calls[calls["outcome"].ne("unfinished")]
    if legs.empty:
        cdr = pd.DataFrame(columns=["callid", "cdr_call", "cdr_disposition", "cdr_answered",
                                    "cdr_billable", "cdr_who_answered"])  # fmt: skip
    else:
        cdr_calls, grouped = calls_and_legs(legs, timezone)
        link = grouped[["uniqueid", "call_id"]].drop_duplicates("uniqueid")
        info = cdr_calls.reset_index() if "call_id" not in cdr_calls else cdr_calls
        info = info[["call_id", "disposition", "answered", "billable", "who_answered"]]
        cdr = link.merge(info, on="call_id", how="left").rename(
            columns={
                "uniqueid": "callid",
                "call_id": "cdr_call",
                "disposition": "cdr_disposition",
                "answered": "cdr_answered",
                "billable": "cdr_billable",
                "who_answered": "cdr_who_answered",
            }
        )
    both = judged.merge(cdr, on="callid", how="left")
    found = both["cdr_call"].notna()
    cdr_ans = both["cdr_answered"].where(found, False).astype(bool)
    kind = pd.Series("", index=both.index, dtype="str")
    kind = kind.mask(found & cdr_ans & ~both["answered"], CDR_ANSWERED_QUEUE_NOT)
    kind = kind.mask(found & ~cdr_ans & both["answered"], QUEUE_ANSWERED_CDR_NOT)
    kind = kind.mask(~found, NOT_IN_CDR)
    out = both.assign(kind=kind)[kind.ne("")]
    out = out.assign(
        cdr_call=out["cdr_call"].fillna("").astype("str"),
        cdr_disposition=out["cdr_disposition"].fillna("").astype("str"),
        cdr_billable=pd.to_numeric(out["cdr_billable"], errors="coerce").astype("float64"),
        cdr_who_answered=out["cdr_who_answered"].fillna("").astype("str"),
    )
    return out[list(CROSS_COLUMNS)].reset_index(drop=True)


def cross_counts(calls: pd.DataFrame, mismatches: pd.DataFrame) -> pd.DataFrame:
    """Per tenant: queue calls compared with the CDR and the mismatches of each kind."""
    judged = calls[calls["outcome"].ne("unfinished")]
    kinds = (CDR_ANSWERED_QUEUE_NOT, QUEUE_ANSWERED_CDR_NOT, NOT_IN_CDR)
    out = judged.groupby("tenant").size().rename("queue_calls").to_frame()
    for kind in kinds:
        sel = mismatches[mismatches["kind"].eq(kind)]
        out[kind] = sel.groupby("tenant").size().reindex(out.index, fill_value=0)
    return out.fillna(0).astype("int64").reset_index()
