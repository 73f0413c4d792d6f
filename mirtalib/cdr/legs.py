"""The normalized CDR legs frame (docs/ARCHITECTURE.md) and the checks every source shares.

One row per CDR record whatever the source. :data:`LEG_DTYPES` gives the columns, in order, and
their dtypes; :func:`normalize` turns a frame with (some of) those columns into the contract, and
:func:`validate` moves the rows no analysis can use into the rejects frame with a reason.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mirtalib.data.schema import DISPOSITIONS

log = logging.getLogger(__name__)

TIME_COLUMNS = ("start", "answer", "end")
STR_COLUMNS = (
    "disposition",
    "accountcode",
    "src",
    "dst",
    "dcontext",
    "clid",
    "channel",
    "dstchannel",
    "lastapp",
    "lastdata",
    "uniqueid",
    "userfield",
    "peeraccount",
    "linkedid",
)
MIRTA_STR_COLUMNS = (
    "realsrc",
    "firstdst",
    "lastdst",
    "wherelanded",
    "prevuniqueid",
    "cc_country",
    "cc_network",
)

#: Column -> dtype of the normalized legs frame, in contract order.
LEG_DTYPES: dict[str, str] = {
    "start": "datetime64[ns]",
    "answer": "datetime64[ns]",
    "end": "datetime64[ns]",
    "duration": "int64",
    "billsec": "int64",
    **dict.fromkeys(STR_COLUMNS, "str"),
    "amaflags": "Int64",
    "sequence": "Int64",
    **dict.fromkeys(MIRTA_STR_COLUMNS, "str"),
    "cc_cost": "float64",
    "cc_buy": "float64",
    "source_line": "Int64",
}
LEG_COLUMNS: tuple[str, ...] = tuple(LEG_DTYPES)
REJECT_COLUMNS = ("line", "reason", "raw")
RAW_LIMIT = 500

# Reasons (stable strings: the report counts rejects per reason)
R_ANSWER_BEFORE_START = "answer before start"
R_NEGATIVE_BILLSEC = "negative billsec"
R_NEGATIVE_DURATION = "negative duration"
R_UNKNOWN_DISPOSITION = "unknown disposition"
R_BROKEN_QUOTES = "broken quotes"
R_TRUNCATED = "truncated last line"
R_COLUMN_COUNT = "wrong column count"
R_BAD_TIMESTAMP = "unparsable timestamp"
R_MISSING_START = "missing start timestamp"
R_BAD_NUMBER = "unparsable number"
R_BAD_ENCODING = "bad encoding"

# Asterisk writes amaflags as text in Master.csv; the database holds the numeric code.
AMAFLAGS = {"OMIT": 1, "BILLING": 2, "DOCUMENTATION": 3, "DEFAULT": 0, "UNKNOWN": 0}


@dataclass
class LegLoad:
    """Result of :func:`mirtalib.cdr.load_legs`.

    Attributes:
        legs: the normalized legs (:data:`LEG_COLUMNS`), sorted by start then uniqueid.
        rejects: rows that could not be used: ``line`` (Int64, NA for database rows),
            ``reason`` (str), ``raw`` (str, at most 500 characters).
        source: where the legs came from, for messages (never a password).
    """

    legs: pd.DataFrame
    rejects: pd.DataFrame
    source: str

    def reject_counts(self) -> pd.DataFrame:
        """Rejects per reason: columns ``reason``, ``rows`` (sorted by count, then reason)."""
        return reject_counts(self.rejects)


def empty_legs() -> pd.DataFrame:
    """An empty legs frame with the contract's columns and dtypes."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in LEG_DTYPES.items()})


def empty_rejects() -> pd.DataFrame:
    """An empty rejects frame."""
    return pd.DataFrame(
        {
            "line": pd.Series(dtype="Int64"),
            "reason": pd.Series(dtype="str"),
            "raw": pd.Series(dtype="str"),
        }
    )


def make_rejects(lines, reasons, raws) -> pd.DataFrame:
    """Build a rejects frame from three parallel sequences (raw trimmed to 500 characters)."""
    frame = pd.DataFrame(
        {
            "line": pd.array(list(lines), dtype="Int64"),
            "reason": pd.Series(list(reasons), dtype="str"),
            "raw": pd.Series([str(r)[:RAW_LIMIT] for r in raws], dtype="str"),
        }
    )
    return frame if len(frame) else empty_rejects()


def reject_counts(rejects: pd.DataFrame) -> pd.DataFrame:
    """Count rejects per reason (columns ``reason``, ``rows``)."""
    if rejects.empty:
        return pd.DataFrame({"reason": pd.Series(dtype="str"), "rows": pd.Series(dtype="int64")})
    out = rejects.groupby("reason").size().rename("rows").reset_index()
    return out.sort_values(["rows", "reason"], ascending=[False, True], ignore_index=True)


def normalize(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with exactly the contract columns and dtypes (missing ones filled).

    Strings: NULL/NaN become ""; integers: missing duration/billsec become 0 (callers validate
    before); optional integers stay NA; times are coerced to naive ``datetime64[ns]``.
    """
    n = len(frame)
    out: dict[str, pd.Series | np.ndarray] = {}
    for col, dtype in LEG_DTYPES.items():
        if col not in frame.columns:
            series = pd.Series([pd.NA] * n, index=frame.index, dtype="object")
        else:
            series = frame[col]
        if dtype == "datetime64[ns]":
            series = pd.to_datetime(series, errors="coerce")
            if getattr(series.dt, "tz", None) is not None:
                series = series.dt.tz_localize(None)
            out[col] = series.astype("datetime64[ns]")
        elif dtype == "str":
            out[col] = series.astype("object").where(series.notna(), "").astype("str")
        elif dtype == "int64":
            out[col] = pd.to_numeric(series, errors="coerce").fillna(0).astype("int64")
        elif dtype == "Int64":
            out[col] = pd.to_numeric(series, errors="coerce").astype("Int64")
        else:
            out[col] = pd.to_numeric(series, errors="coerce").astype("float64")
    return pd.DataFrame(out, index=frame.index)


def validate(legs: pd.DataFrame, raw: pd.Series | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split normalized legs into (usable legs, rejects) by the semantic checks.

    A row is rejected (first matching reason wins) when its start is missing, its disposition is
    not one of :data:`mirtalib.data.schema.DISPOSITIONS`, billsec or duration is negative, or
    answer is before start.

    Args:
        legs: normalized legs.
        raw: optional text of each row (same index) for the rejects' ``raw`` column; by default
            a few identifying fields are joined.
    """
    disp = legs["disposition"].str.strip().str.upper()
    checks = [
        (legs["start"].isna(), R_MISSING_START),
        (~disp.isin(DISPOSITIONS), R_UNKNOWN_DISPOSITION),
        (legs["billsec"] < 0, R_NEGATIVE_BILLSEC),
        (legs["duration"] < 0, R_NEGATIVE_DURATION),
        (legs["answer"].notna() & (legs["answer"] < legs["start"]), R_ANSWER_BEFORE_START),
    ]
    reason = pd.Series(pd.NA, index=legs.index, dtype="object")
    for mask, text in checks:
        reason = reason.where(~(mask & reason.isna()), text)
    bad = reason.notna()
    good = legs.loc[~bad].copy()
    good["disposition"] = disp[~bad].astype("str")
    if not bad.any():
        return good, empty_rejects()
    if raw is None:
        raw = describe_rows(legs.loc[bad])
    rejects = make_rejects(legs.loc[bad, "source_line"], reason[bad], raw[bad])
    return good, rejects


def describe_rows(legs: pd.DataFrame) -> pd.Series:
    """A short text per row naming the leg (used as ``raw`` for database rejects)."""
    parts = ["start", "uniqueid", "src", "dst", "disposition", "duration", "billsec", "answer"]
    return (
        legs[parts]
        .astype("str")
        .apply(lambda r: " ".join(f"{k}={v}" for k, v in r.items()), axis=1)
    )


def sort_legs(legs: pd.DataFrame) -> pd.DataFrame:
    """Sort legs by start then uniqueid then sequence (stable), with a fresh index."""
    return legs.sort_values(["start", "uniqueid", "sequence"], kind="stable", ignore_index=True)
