"""Read CDR legs from a MiRTA database (current start/answer/end or legacy calldate layout).

The period and tenant filters run in SQL; only the columns the table really has are selected
(older installations lack linkedid, peeraccount, sequence or MiRTA's extra columns), and each is
labelled with its logical name from :mod:`mirtalib.data.schema`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

import pandas as pd
from sqlalchemy import and_, func, inspect, or_, select
from sqlalchemy.sql import ColumnElement

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
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read the legs of the period (and tenants) from ``db`` into (normalized legs, rejects)."""
    cols = present_columns(db)
    wanted = [k for k in L.LEG_COLUMNS if k in cols] + (
        ["calldate"] if db.schema.cdr_layout == "legacy" else []
    )
    query = select(*[cols[k].label(k) for k in wanted])
    terms = cdr_filter(db, start, end, tenants)
    if terms:
        query = query.where(and_(*terms))
    frame = db.read_sql(query)
    log.info("%s: %d CDR rows read", db.description, len(frame))
    if db.schema.cdr_layout == "legacy":
        frame = legacy_times(frame)
    legs = L.normalize(frame)
    return L.validate(legs)


def legacy_times(frame: pd.DataFrame) -> pd.DataFrame:
    """Derive start/answer/end of legacy rows: start = calldate, end = start + duration,
    answer = end - billsec when billsec > 0 (else NaT)."""
    frame = frame.copy()
    start = pd.to_datetime(frame["calldate"], errors="coerce")
    duration = pd.to_timedelta(pd.to_numeric(frame["duration"], errors="coerce"), unit="s")
    billsec = pd.to_numeric(frame["billsec"], errors="coerce")
    end = start + duration
    frame["start"] = start
    frame["end"] = end
    frame["answer"] = (end - pd.to_timedelta(billsec, unit="s")).where(billsec > 0)
    return frame.drop(columns=["calldate"])
