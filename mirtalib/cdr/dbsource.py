"""Read CDR legs from a MiRTA database (current start/answer/end or legacy calldate layout).

The period and tenant filters run in SQL; only the columns the table really has are selected
(older installations lack linkedid, peeraccount, sequence or MiRTA's extra columns), and each is
labelled with its logical name from :mod:`mirtalib.data.schema`.

Values arrive as the driver gives them (no SQLAlchemy type processing, which raises on a
SQLite text that is no date or number) and are read by :mod:`mirtalib.cdr.legs` like the
values of a Master.csv: a row with a time outside the range pandas can hold (MariaDB allows
1000-01-01 to 9999-12-31), a text that is no time or number, or a number out of range is a
reject naming its field, never an error for the whole read. MySQL's zero date means no time.
Legacy rows: start = calldate, end = start + duration, answer = end - billsec when billsec > 0
(billsec = duration + 1, from ``initiatedseconds`` rounding, gives answer = start).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

import pandas as pd
from sqlalchemy import and_, func, inspect, or_, select, type_coerce
from sqlalchemy.sql import ColumnElement
from sqlalchemy.types import NullType

from mirtalib.cdr import legs as L
from mirtalib.data.db import Database
from mirtalib.errors import SchemaError

log = logging.getLogger(__name__)


def present_columns(db: Database) -> dict[str, object]:
    """Logical name -> SQLAlchemy column, for the ``cdr`` columns the database really has."""
    db.require_table("cdr")
    table = db.schema.table("cdr")
    physical = {c["name"].lower() for c in inspect(db.engine).get_columns(table.name)}
    cols = {key: col for key, col in table.c.items() if col.name.lower() in physical}
    if db.schema.cdr_layout == "legacy":
        needed = {"calldate", "duration", "billsec", "disposition"}
    else:
        needed = {"start", "duration", "billsec", "disposition"}
    missing = needed - set(cols)
    if missing:
        raise SchemaError(
            f"{db.description}: table {table.name!r} lacks the CDR columns {sorted(missing)}"
        )
    return cols


def start_column(db: Database) -> ColumnElement:
    """The column holding a leg's start (``start``, or ``calldate`` in the legacy layout)."""
    table = db.schema.table("cdr")
    return table.c.calldate if db.schema.cdr_layout == "legacy" else table.c.start


def cdr_filter(
    db: Database,
    start: datetime | None,
    end: datetime | None,
    tenants: Sequence[str] | None,
) -> list[ColumnElement]:
    """WHERE terms for the period [start, end) and the tenants.

    The tenant term keeps legs whose accountcode is one of ``tenants`` and legs without an
    accountcode (their tenant is then read from the extension names, after loading).
    """
    table = db.schema.table("cdr")
    when = start_column(db)
    terms: list[ColumnElement] = []
    if start is not None:
        terms.append(when >= start)
    if end is not None:
        terms.append(when < end)
    if tenants:
        acc = table.c.accountcode
        terms.append(or_(acc.in_(list(tenants)), acc.is_(None), func.trim(acc) == ""))
    return terms


def read_database(
    db: Database,
    start: datetime | None = None,
    end: datetime | None = None,
    tenants: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Read the legs of the period (and tenants) from ``db`` into (normalized legs, rejects,
    flags); ``flags`` has the legs' index (:func:`mirtalib.cdr.legs.leg_flags`)."""
    cols = present_columns(db)
    legacy = db.schema.cdr_layout == "legacy"
    wanted = [k for k in L.LEG_COLUMNS if k in cols] + (["calldate"] if legacy else [])
    # the driver's values as they are: no result processing by SQLAlchemy's column types
    query = select(*[type_coerce(cols[k], NullType()).label(k) for k in wanted])
    terms = cdr_filter(db, start, end, tenants)
    if terms:
        query = query.where(and_(*terms))
    frame = db.read_sql(query)
    log.info("%s: %d CDR rows read", db.description, len(frame))
    return convert_rows(frame, legacy)


def convert_rows(
    frame: pd.DataFrame, legacy: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Database rows (logical column names, values as the driver gave them) to (legs, rejects,
    flags)."""
    times = ("calldate",) if legacy else L.TIME_COLUMNS
    typed, reason, where = L.parse_fields(frame, times)
    unknown_ama = None
    if "amaflags" in frame:
        typed["amaflags"], unknown_ama = L.parse_amaflags(frame["amaflags"])
    bad = reason.notna()
    rejects = L.make_rejects(
        [pd.NA] * int(bad.sum()), reason[bad], describe_raw(frame.loc[bad]), where[bad]
    )
    data = frame.loc[~bad].copy()
    for col, series in typed.items():
        data[col] = series[~bad]
    if legacy:
        data = legacy_times(data)
    legs = L.normalize(data)
    legs, semantic = L.validate(legs)
    flags = L.leg_flags(legs, unknown_ama, has_answer=not legacy)
    return legs, pd.concat([rejects, semantic], ignore_index=True), flags


def describe_raw(frame: pd.DataFrame) -> pd.Series:
    """A short text per database row, from its values as read (the ``raw`` of its reject)."""
    shown = ("calldate", "start", "answer", "end", "uniqueid", "src", "dst", "disposition",
             "duration", "billsec", "sequence")  # fmt: skip
    parts = [c for c in shown if c in frame]
    if frame.empty:
        return pd.Series([], dtype="str")
    return (
        frame[parts]
        .apply(lambda r: " ".join(f"{k}={v}" for k, v in r.items()), axis=1)
        .astype("str")
    )


def legacy_times(frame: pd.DataFrame) -> pd.DataFrame:
    """Derive start/answer/end of legacy rows: start = calldate, end = start + duration,
    answer = end - billsec when billsec > 0 (else NaT), never before start when billsec is
    duration + 1 (``initiatedseconds`` rounding)."""
    frame = frame.copy()
    start = L.parse_times(frame["calldate"])[0]
    duration = pd.to_numeric(frame["duration"], errors="coerce").astype("float64")
    billsec = pd.to_numeric(frame["billsec"], errors="coerce").astype("float64")
    end = start + pd.to_timedelta(duration, unit="s")
    rounded = billsec.where(billsec != duration + 1, duration)
    frame["start"] = start
    frame["end"] = end
    frame["answer"] = (end - pd.to_timedelta(rounded, unit="s")).where(billsec > 0)
    return frame.drop(columns=["calldate"])
