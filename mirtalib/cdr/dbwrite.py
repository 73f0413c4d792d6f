"""Write normalized legs into a ``cdr`` table (either layout): test fixtures and imports."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, insert

from mirtalib.cdr.legs import LEG_COLUMNS
from mirtalib.data.schema import Schema


def legs_to_rows(legs: pd.DataFrame, schema: Schema, columns: set[str] | None = None) -> list[dict]:
    """Rows for ``schema``'s ``cdr`` table, keyed by logical column names.

    Legacy layout: ``calldate = start``; answer and end are not stored (they follow from
    duration and billsec). ``columns`` limits the keys written (for tables lacking some columns).
    """
    table = schema.table("cdr")
    keys = [k for k in LEG_COLUMNS if k in table.c and (columns is None or k in columns)]
    frame = legs.copy()
    if schema.cdr_layout == "legacy":
        frame["calldate"] = frame["start"]
        keys = ["calldate", *[k for k in keys if k not in ("start", "answer", "end")]]
    frame = frame[keys].astype(object).where(frame[keys].notna(), None)
    rows = frame.to_dict("records")
    for row in rows:
        for key, value in row.items():
            if isinstance(value, pd.Timestamp):
                row[key] = value.to_pydatetime()
    return rows


def write_legs(
    conn: Connection, schema: Schema, legs: pd.DataFrame, columns: set[str] | None = None
) -> int:
    """Insert ``legs`` into the ``cdr`` table of ``schema`` through ``conn``; returns the count."""
    rows = legs_to_rows(legs, schema, columns)
    if rows:
        conn.execute(insert(schema.table("cdr")), rows)
    return len(rows)
