"""The normalized CDR legs frame (docs/ARCHITECTURE.md) and the checks every source shares.

One row per CDR record whatever the source. :data:`LEG_DTYPES` gives the columns, in order, and
their dtypes; :func:`parse_times`, :func:`parse_ints` and :func:`parse_amaflags` turn raw values
(text of a file, values of a database driver) into typed values and say which field failed and
why; :func:`normalize` turns a frame with (some of) the columns into the contract, and
:func:`validate` moves the rows no analysis can use into the rejects frame with a reason.

Every input row ends up as a leg or as a reject (``line, reason, raw, field``: ``field`` names
the value at fault, "" when the line as a whole is). The choices for doubtful values:

* timestamps: empty, NULL and MySQL's zero date (``0000-00-00 00:00:00``) mean "no time"; text
  that is no timestamp is ``unparsable timestamp``; a time outside [1900-01-01, 2190-01-01)
  (:data:`TIME_MIN`, :data:`TIME_MAX`: pandas' nanosecond times end in 1677 and 2262, and the
  margin keeps ``start + duration`` and the time-zone conversion of the analytics inside) is
  ``timestamp out of range``;
* numbers: duration and billsec must be integers (``12.0`` is 12) between 0 and
  :data:`MAX_SECONDS` (2**31 - 1, what Asterisk's ``INT`` columns hold); an empty value or
  text is ``unparsable number``, a value beyond the range (int64 overflow included) is
  ``number out of range`` (negative values keep ``negative duration``/``negative billsec``);
  sequence may be empty and must fit int64;
* rejected (the leg cannot be used): start missing, disposition unknown, negative billsec or
  duration, ``billsec over duration`` (billsec > duration + 1: Asterisk computes both from the
  same end, billsec from the later answer; with ``initiatedseconds`` billsec is rounded up and
  may exceed the truncated duration by one second, which is accepted), answer before start;
* flagged and kept (:data:`FLAGS`, :attr:`LegLoad.flags`): ``end before start`` and ``end
  before answer`` (the analytics place a leg by start + duration and end - billsec, so the end
  column is not needed to count it), ``answered without answer time`` (disposition ANSWERED, no
  answer: counted as answered, with no answered interval), ``unknown amaflags`` (a value that is
  neither OMIT/BILLING/DOCUMENTATION/DEFAULT/Unknown nor a code 0-3: amaflags is NA).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mirtalib.cdr.fields import *  # noqa: F403 - re-exported: the readers use them as legs.X
from mirtalib.cdr.fields import parse_ints, parse_times
from mirtalib.data.schema import DISPOSITIONS

log = logging.getLogger(__name__)

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
#: Columns of the rejects frame (Master.csv readers add ``file``).
REJECT_COLUMNS = ("line", "reason", "raw", "field")
RAW_LIMIT = 500

# Reasons (stable strings: the report counts rejects per reason)
R_ANSWER_BEFORE_START = "answer before start"
R_NEGATIVE_BILLSEC = "negative billsec"
R_NEGATIVE_DURATION = "negative duration"
R_BILLSEC_OVER_DURATION = "billsec over duration"
R_UNKNOWN_DISPOSITION = "unknown disposition"
R_BROKEN_QUOTES = "broken quotes"
R_TRUNCATED = "truncated last line"
R_TRUNCATED_GZIP = "truncated gzip file"
R_COLUMN_COUNT = "wrong column count"
R_MISSING_START = "missing start timestamp"
R_BAD_ENCODING = "bad encoding"
R_FIELD_TOO_LONG = "field too long"
#: Start of the reason of every line of a file read in a column order it is not written in.
R_COLUMN_ORDER = "not a Master.csv column order"

# Flags of legs that are kept (:attr:`LegLoad.flags` has one boolean column per flag)
F_END_BEFORE_START = "end before start"
F_END_BEFORE_ANSWER = "end before answer"
F_ANSWERED_WITHOUT_TIME = "answered without answer time"
F_UNKNOWN_AMAFLAGS = "unknown amaflags"
FLAGS = (F_END_BEFORE_START, F_END_BEFORE_ANSWER, F_ANSWERED_WITHOUT_TIME, F_UNKNOWN_AMAFLAGS)


def empty_flags(index: pd.Index | None = None) -> pd.DataFrame:
    """A flags frame with every flag False (one row per entry of ``index``)."""
    index = index if index is not None else pd.RangeIndex(0)
    return pd.DataFrame({f: np.zeros(len(index), dtype=bool) for f in FLAGS}, index=index)


@dataclass
class LegLoad:
    """Result of :func:`mirtalib.cdr.load_legs`.

    Attributes:
        legs: the normalized legs (:data:`LEG_COLUMNS`), sorted by start then uniqueid.
        rejects: rows that could not be used: ``line`` (Int64, NA for database rows),
            ``reason`` (str), ``raw`` (str, at most 500 characters), ``field`` (str: the
            field at fault, "" when the whole line is), and ``file`` for Master.csv files.
        source: where the legs came from, for messages (never a password).
        flags: one boolean column per flag of :data:`FLAGS`, one row per leg (same index as
            ``legs``): kept legs with a doubtful value.
    """

    legs: pd.DataFrame
    rejects: pd.DataFrame
    source: str
    flags: pd.DataFrame = field(default_factory=empty_flags)

    def __post_init__(self) -> None:
        if self.flags.empty and len(self.legs):  # made without flags: none set
            self.flags = empty_flags(self.legs.index)

    def reject_counts(self, by_field: bool = False) -> pd.DataFrame:
        """Rejects per reason: columns ``reason``, ``rows`` (sorted by count, then reason);
        with ``by_field``, per reason and field (``reason, field, rows``)."""
        return reject_counts(self.rejects, by_field)

    def flag_counts(self) -> pd.DataFrame:
        """Flagged legs per flag: columns ``flag``, ``legs`` (flags with no leg left out)."""
        return flag_counts(self.flags)


def flag_counts(flags: pd.DataFrame) -> pd.DataFrame:
    """Legs per flag (columns ``flag``, ``legs``; sorted by count, then flag; zeros left out)."""
    counts = {f: int(flags[f].sum()) for f in FLAGS if f in flags}
    out = pd.DataFrame(
        {
            "flag": pd.Series(list(counts), dtype="str"),
            "legs": pd.Series(list(counts.values()), dtype="int64"),
        }
    )
    out = out[out["legs"] > 0]
    return out.sort_values(["legs", "flag"], ascending=[False, True], ignore_index=True)


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
            "field": pd.Series(dtype="str"),
        }
    )


def make_rejects(lines, reasons, raws, fields=None) -> pd.DataFrame:
    """Build a rejects frame from parallel sequences (raw trimmed to 500 characters; ``fields``
    names the field at fault per row, "" or None when the whole line is)."""
    lines, reasons, raws = list(lines), list(reasons), list(raws)
    fields = [""] * len(lines) if fields is None else ["" if f is None else f for f in fields]
    frame = pd.DataFrame(
        {
            "line": pd.array(lines, dtype="Int64"),
            "reason": pd.Series(reasons, dtype="str"),
            "raw": pd.Series([str(r)[:RAW_LIMIT] for r in raws], dtype="str"),
            "field": pd.Series(fields, dtype="str"),
        }
    )
    return frame if len(frame) else empty_rejects()


def reject_counts(rejects: pd.DataFrame, by_field: bool = False) -> pd.DataFrame:
    """Count rejects per reason (columns ``reason``, ``rows``); with ``by_field`` per reason and
    field (``reason``, ``field``, ``rows``)."""
    keys = ["reason", "field"] if by_field else ["reason"]
    if rejects.empty:
        cols = {k: pd.Series(dtype="str") for k in keys}
        return pd.DataFrame({**cols, "rows": pd.Series(dtype="int64")})
    frame = rejects if "field" in rejects or not by_field else rejects.assign(field="")
    out = frame.groupby(keys).size().rename("rows").reset_index()
    order = [False, *[True] * len(keys)]
    return out.sort_values(["rows", *keys], ascending=order, ignore_index=True)


# ----------------------------------------------------------------------------- raw values
def _decode(value: object) -> object:
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("latin-1")
    return value


def _strings(series: pd.Series) -> pd.Series:
    """A column as ``str`` ("" where missing); bytes (a database's BLOB/BINARY values) are
    decoded as UTF-8, else Latin-1."""
    obj = series.astype("object").where(series.notna(), "")
    try:
        return obj.astype("str")
    except (UnicodeDecodeError, TypeError, ValueError):
        return obj.map(_decode).astype("str")


# ----------------------------------------------------------------------------- legs
def normalize(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with exactly the contract columns and dtypes (missing ones filled).

    Strings: NULL/NaN become "" (bytes are decoded: UTF-8, else Latin-1); integers: missing
    duration/billsec become 0 (callers validate before); optional integers stay NA; times are
    coerced to naive ``datetime64[ns]`` (values that are no time, or outside
    [:data:`TIME_MIN`, :data:`TIME_MAX`), become NaT).
    """
    n = len(frame)
    out: dict[str, pd.Series | np.ndarray] = {}
    for col, dtype in LEG_DTYPES.items():
        if col not in frame.columns:
            series = pd.Series([pd.NA] * n, index=frame.index, dtype="object")
        else:
            series = frame[col]
        if dtype == "datetime64[ns]":
            out[col] = parse_times(series)[0]
        elif dtype == "str":
            out[col] = _strings(series)
        elif dtype == "int64":
            out[col] = parse_ints(series, empty_ok=True)[0].fillna(0).astype("int64")
        elif dtype == "Int64":
            out[col] = parse_ints(series, empty_ok=True)[0]
        else:
            out[col] = pd.to_numeric(series, errors="coerce").astype("float64")
    return pd.DataFrame(out, index=frame.index)


def validate(legs: pd.DataFrame, raw: pd.Series | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split normalized legs into (usable legs, rejects) by the semantic checks.

    A row is rejected (first matching reason wins) when its start is missing, its disposition is
    not one of :data:`mirtalib.data.schema.DISPOSITIONS`, billsec or duration is negative,
    billsec exceeds duration by more than one second, or answer is before start.

    Args:
        legs: normalized legs.
        raw: optional text of each row (same index) for the rejects' ``raw`` column; by default
            a few identifying fields are joined.
    """
    disp = legs["disposition"].str.strip().str.upper()
    early = legs["answer"].notna() & (legs["answer"] < legs["start"])
    checks = [
        (legs["start"].isna(), R_MISSING_START, "start"),
        (~disp.isin(DISPOSITIONS), R_UNKNOWN_DISPOSITION, "disposition"),
        (legs["billsec"] < 0, R_NEGATIVE_BILLSEC, "billsec"),
        (legs["duration"] < 0, R_NEGATIVE_DURATION, "duration"),
        (legs["billsec"] > legs["duration"] + 1, R_BILLSEC_OVER_DURATION, "billsec"),
        (early, R_ANSWER_BEFORE_START, "answer"),
    ]  # fmt: skip
    reason = pd.Series(pd.NA, index=legs.index, dtype="object")
    where = pd.Series(pd.NA, index=legs.index, dtype="object")
    for mask, text, name in checks:
        take = mask & reason.isna()
        reason = reason.mask(take, text)
        where = where.mask(take, name)
    bad = reason.notna()
    good = legs.loc[~bad].copy()
    good["disposition"] = disp[~bad].astype("str")
    if not bad.any():
        return good, empty_rejects()
    if raw is None:
        raw = describe_rows(legs.loc[bad])
    rejects = make_rejects(legs.loc[bad, "source_line"], reason[bad], raw[bad], where[bad])
    return good, rejects


def leg_flags(
    legs: pd.DataFrame, unknown_amaflags: pd.Series | None = None, has_answer: bool = True
) -> pd.DataFrame:
    """The :data:`FLAGS` of validated legs (one boolean column each, same index).

    Args:
        legs: validated legs (disposition upper case).
        unknown_amaflags: True where the source's amaflags value was not known (any index
            containing the legs' index), or None.
        has_answer: False when the source has no answer time (legacy layout: it is derived,
            so "answered without answer time" says nothing).
    """
    start, answer, end = legs["start"], legs["answer"], legs["end"]
    flags = empty_flags(legs.index)
    flags[F_END_BEFORE_START] = (end.notna() & (end < start)).to_numpy(dtype=bool)
    flags[F_END_BEFORE_ANSWER] = (end.notna() & answer.notna() & (end < answer)).to_numpy(bool)
    if has_answer:
        answered = legs["disposition"].eq("ANSWERED") & answer.isna()
        flags[F_ANSWERED_WITHOUT_TIME] = answered.to_numpy(dtype=bool)
    if unknown_amaflags is not None:
        ama = unknown_amaflags.reindex(legs.index, fill_value=False)
        flags[F_UNKNOWN_AMAFLAGS] = ama.to_numpy(dtype=bool)
    return flags


def describe_rows(legs: pd.DataFrame) -> pd.Series:
    """A short text per row naming the leg (used as ``raw`` for database rejects)."""
    parts = ["start", "uniqueid", "src", "dst", "disposition", "duration", "billsec", "answer"]
    parts = [p for p in parts if p in legs]
    return (
        legs[parts]
        .astype("str")
        .apply(lambda r: " ".join(f"{k}={v}" for k, v in r.items()), axis=1)
        .astype("str")
    )


def sort_order(legs: pd.DataFrame) -> pd.Index:
    """Index labels of ``legs`` in the order of :func:`sort_legs`."""
    return legs.sort_values(["start", "uniqueid", "sequence"], kind="stable").index


def sort_legs(legs: pd.DataFrame) -> pd.DataFrame:
    """Sort legs by start then uniqueid then sequence (stable), with a fresh index."""
    return legs.sort_values(["start", "uniqueid", "sequence"], kind="stable", ignore_index=True)
