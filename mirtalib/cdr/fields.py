"""Typing and checking the raw fields of a CDR leg: times, integers, amaflags.

Shared by the Master.csv and the database readers (:mod:`mirtalib.cdr.mastercsv`,
:mod:`mirtalib.cdr.dbsource`); each check returns the typed values and, per row, the reason a
value cannot be used (NA when it can), so every line becomes a leg or a reject naming its field.
:mod:`mirtalib.cdr.legs` re-exports these names.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_datetime64_any_dtype, is_numeric_dtype

log = logging.getLogger(__name__)

__all__ = [
    "AMAFLAGS",
    "AMA_CODES",
    "INT64_MAX",
    "MAX_SECONDS",
    "R_BAD_NUMBER",
    "R_BAD_TIMESTAMP",
    "R_NUMBER_RANGE",
    "R_TIME_RANGE",
    "TIME_COLUMNS",
    "TIME_MAX",
    "TIME_MIN",
    "ZERO_DATES",
    "first_reason",
    "parse_amaflags",
    "parse_fields",
    "parse_ints",
    "parse_times",
]

TIME_COLUMNS = ("start", "answer", "end")

# Reasons of the field checks (stable strings: the report counts rejects per reason)
R_BAD_TIMESTAMP = "unparsable timestamp"
R_TIME_RANGE = "timestamp out of range"
R_BAD_NUMBER = "unparsable number"
R_NUMBER_RANGE = "number out of range"

#: Times a leg may have: [TIME_MIN, TIME_MAX).
TIME_MIN = pd.Timestamp("1900-01-01")
TIME_MAX = pd.Timestamp("2190-01-01")
#: Largest duration or billsec (seconds) accepted.
MAX_SECONDS = 2**31 - 1
INT64_MAX = 2**63 - 1
#: MySQL's "no date" values, read as no time.
ZERO_DATES = ("0000-00-00 00:00:00", "0000-00-00")

# Asterisk writes amaflags as text in Master.csv; the database holds the numeric code.
AMAFLAGS = {"OMIT": 1, "BILLING": 2, "DOCUMENTATION": 3, "DEFAULT": 0, "UNKNOWN": 0}
AMA_CODES = (0, 1, 2, 3)


def _blank_text(text: pd.Series) -> pd.Series:
    return text.isna() | text.eq("")


def _instances(values: pd.Series, kinds: type | tuple[type, ...]) -> pd.Series:
    """True where a value is an instance of ``kinds``."""
    found = np.fromiter((isinstance(v, kinds) for v in values), dtype=bool, count=len(values))
    return pd.Series(found, index=values.index)


def _is_text(values: pd.Series, dtype: object = None) -> pd.Series:
    if isinstance(dtype, pd.StringDtype):
        return values.notna()
    return _instances(values, str)


def _as_text(values: pd.Series) -> pd.Series:
    """Object series of the values as text (NaN where missing)."""
    obj = values.astype("object")
    if isinstance(values.dtype, pd.StringDtype):
        return obj
    return obj.map(lambda v: v if isinstance(v, str) else str(v), na_action="ignore")


def _one_time(value: object) -> pd.Timestamp:
    """One value as a naive Timestamp (wall time kept), NaT when it is none."""
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):  # OutOfBoundsDatetime is a ValueError
        return pd.NaT
    if pd.isna(stamp):
        return pd.NaT
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    return stamp.as_unit("us")


def parse_times(values: pd.Series, fmt: str | None = None) -> tuple[pd.Series, pd.Series]:
    """Typed times of raw values, and the reason of every value that is not usable.

    Args:
        values: text (Master.csv) or what a database driver returned (datetime objects, text,
            None, or already a datetime64 column).
        fmt: the one accepted text format (``strptime``), None for ISO 8601 text.

    Returns:
        (``datetime64[ns]`` series, NaT where empty or not usable; object series of reasons,
        NA where the value is usable or empty: :data:`R_BAD_TIMESTAMP`, :data:`R_TIME_RANGE`).
    """
    index = values.index
    if is_datetime64_any_dtype(values.dtype):
        parsed = values
        if getattr(values.dt, "tz", None) is not None:
            parsed = values.dt.tz_localize(None)
        bad = pd.Series(False, index=index)
    else:
        obj = values.astype("object")
        text_mask = _is_text(obj, values.dtype)
        text = obj.where(text_mask).str.strip()
        blank = obj.isna() | (text_mask & (text.eq("") | text.isin(ZERO_DATES)))
        usable = (datetime, date, np.datetime64)
        other = ~blank & ~text_mask & ~_instances(obj, usable)
        todo = obj.where(~text_mask, text).where(~blank & ~other)
        try:
            parsed = pd.to_datetime(todo, format=fmt or "ISO8601", errors="coerce")
        except (ValueError, TypeError, OverflowError):  # mixed time zones, odd objects
            if fmt is not None:
                parsed = pd.Series(pd.NaT, index=index, dtype="datetime64[us]")
            else:
                stamps = [_one_time(v) if isinstance(v, str | datetime | date) else pd.NaT
                          for v in todo]  # fmt: skip
                parsed = pd.Series(stamps, index=index, dtype="datetime64[us]")
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_localize(None)
        bad = ~blank & parsed.isna()
    out = parsed.notna() & ((parsed < TIME_MIN) | (parsed >= TIME_MAX))
    reason = pd.Series(pd.NA, index=index, dtype="object")
    reason = reason.mask(bad, R_BAD_TIMESTAMP).mask(out, R_TIME_RANGE)
    return parsed.mask(out).astype("datetime64[ns]"), reason


def parse_ints(
    values: pd.Series, high: int = INT64_MAX, empty_ok: bool = False
) -> tuple[pd.Series, pd.Series]:
    """Exact integers of raw values, and the reason of every value that is not usable.

    Text is read exactly (no float rounding); ``12.0`` is 12. A value above ``high`` or outside
    int64 is :data:`R_NUMBER_RANGE`; text that is no integer :data:`R_BAD_NUMBER`, and so is an
    empty value unless ``empty_ok``.

    Returns:
        (``Int64`` series, NA where empty or not usable; object series of reasons).
    """
    index = values.index
    out = pd.Series(pd.NA, index=index, dtype="Int64")
    reason = pd.Series(pd.NA, index=index, dtype="object")
    if is_bool_dtype(values.dtype) or values.dtype.kind == "u":  # unsigned: may exceed int64
        values = values.astype("object")
    if is_numeric_dtype(values.dtype):
        num = values.astype("float64") if values.dtype.kind == "f" else values
        blank = num.isna()
        if num.dtype.kind == "f":
            f = num.to_numpy(dtype="float64", na_value=np.nan)
            with np.errstate(invalid="ignore"):
                whole = np.isfinite(f) & (np.mod(f, 1) == 0)
            huge = whole & (np.abs(f) >= 2**63)
            ok = pd.Series(whole & ~huge, index=index)
            out[ok] = f[ok.to_numpy()].astype("int64")
            reason = reason.mask(pd.Series(~whole, index=index) & ~blank, R_BAD_NUMBER)
            reason = reason.mask(pd.Series(huge, index=index), R_NUMBER_RANGE)
        else:
            out = num.astype("Int64")
    else:
        text = _as_text(values)
        fast = pd.to_numeric(text, errors="coerce")  # C speed; exact where it gives int64
        if fast.dtype.kind == "i":
            out = fast.astype("Int64")
            blank = pd.Series(False, index=index)
        else:
            f = fast.to_numpy(dtype="float64", na_value=np.nan)
            with np.errstate(invalid="ignore"):
                simple = np.isfinite(f) & (np.mod(f, 1) == 0) & (np.abs(f) < 2**53)
            out[simple] = f[simple].astype("int64")
            more, why, blank_rest = _ints_exactly(text[~simple])
            keep = pd.Series(simple, index=index)
            out = out.where(keep, more.reindex(index))
            reason = reason.where(keep, why.reindex(index))
            blank = blank_rest.reindex(index, fill_value=False).astype(bool)
    above = out.notna() & (out > high)
    reason = reason.mask(above.astype(bool), R_NUMBER_RANGE)
    if not empty_ok:
        reason = reason.mask(blank & reason.isna(), R_BAD_NUMBER)
    out = out.mask(reason.notna())
    return out.astype("Int64"), reason


def _ints_exactly(text: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Integers of text values that are not plain small numbers: (Int64 values, reasons,
    blank mask); integers beyond 2**53 are read exactly (no float rounding)."""
    index = text.index
    out = pd.Series(pd.NA, index=index, dtype="Int64")
    reason = pd.Series(pd.NA, index=index, dtype="object")
    text = text.astype("object").str.strip()
    blank = _blank_text(text)
    is_int = text.str.fullmatch(r"[+-]?\d+").fillna(False).astype(bool)
    for key in text.index[is_int]:
        number = int(text[key])
        if -(2**63) <= number <= INT64_MAX:
            out[key] = number
        else:
            reason[key] = R_NUMBER_RANGE
    other = ~blank & ~is_int
    if other.any():
        f = pd.to_numeric(text[other], errors="coerce").to_numpy(dtype="float64")
        with np.errstate(invalid="ignore"):
            whole = np.isfinite(f) & (np.mod(f, 1) == 0)
        huge = whole & (np.abs(f) >= 2**63)
        keys = text.index[other]
        out[keys[whole & ~huge]] = f[whole & ~huge].astype("int64")
        reason[keys[~whole]] = R_BAD_NUMBER
        reason[keys[huge]] = R_NUMBER_RANGE
    return out, reason, blank


def parse_amaflags(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """AMA flag codes (``Int64``) of names (OMIT, BILLING, DOCUMENTATION, DEFAULT, Unknown) or
    codes 0-3, and a boolean series: True where a value is neither (its code is NA)."""
    index = values.index
    if is_numeric_dtype(values.dtype) and not is_bool_dtype(values.dtype):
        code, _ = parse_ints(values, empty_ok=True)
        blank = values.isna()
    else:
        text = _as_text(values).str.strip().str.upper()
        blank = _blank_text(text)
        code = text.map(AMAFLAGS).astype("Int64")
        rest = ~blank & code.isna()
        if rest.any():
            code = code.where(~rest, parse_ints(text[rest], empty_ok=True)[0].reindex(index))
    known = code.isin(AMA_CODES).fillna(False).astype(bool)
    unknown = (~blank & ~known).astype(bool)
    return code.where(known).astype("Int64"), pd.Series(unknown.to_numpy(), index=index)


def parse_fields(
    frame: pd.DataFrame, times: tuple[str, ...] = TIME_COLUMNS, fmt: str | None = None
) -> tuple[dict[str, pd.Series], pd.Series, pd.Series]:
    """Type the time and integer columns present in ``frame`` (raw values) with their checks.

    Returns:
        (typed columns, the first failing check's reason per row (NA when none), the field it
        names) — see :func:`parse_times`, :func:`parse_ints`, :func:`first_reason`.
    """
    typed: dict[str, pd.Series] = {}
    checks: list[tuple[pd.Series, str]] = []
    for col in times:
        if col in frame:
            typed[col], why = parse_times(frame[col], fmt)
            checks.append((why, col))
    for col, high, empty_ok in (
        ("duration", MAX_SECONDS, False),
        ("billsec", MAX_SECONDS, False),
        ("sequence", INT64_MAX, True),
    ):
        if col in frame:
            typed[col], why = parse_ints(frame[col], high, empty_ok)
            checks.append((why, col))
    reason, where = first_reason(checks, frame.index)
    return typed, reason, where


def first_reason(
    checks: list[tuple[pd.Series, str]], index: pd.Index
) -> tuple[pd.Series, pd.Series]:
    """For (reasons, field) pairs in priority order: the first reason of every row and its
    field (NA where no check found one)."""
    reason = pd.Series(pd.NA, index=index, dtype="object")
    where = pd.Series(pd.NA, index=index, dtype="object")
    for found, name in checks:
        take = reason.isna() & found.notna()
        reason = reason.mask(take, found)
        where = where.mask(take, name)
    return reason, where
