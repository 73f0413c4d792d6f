"""Which tenants and days a CDR source has data for (shown when a report finds no calls).

On a database this is one ``GROUP BY accountcode, DATE(start)`` query (legs without an
accountcode are counted under "(no tenant)": their tenant comes from the extension names only
after loading); Master.csv files are read whole and grouped by each leg's tenant
(:func:`mirtalib.cdr.naming.leg_tenant`).
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import func, select

from mirtalib.cdr.dbsource import start_column
from mirtalib.cdr.load import Source, load_legs
from mirtalib.cdr.naming import leg_tenant
from mirtalib.data.availability import Availability
from mirtalib.data.db import Database

WHAT = "CDR rows"


def cdr_availability(source: Source) -> Availability:
    """Per tenant: first and last day with CDR rows, days with rows and rows, over the whole
    source (no period or tenant filter)."""
    if isinstance(source, Database):
        table = source.schema.table("cdr")
        when = start_column(source)
        day = func.date(when).label("day")
        query = (
            select(table.c.accountcode.label("tenant"), day, func.count().label("rows"))
            .where(when.is_not(None))
            .group_by(table.c.accountcode, day)
        )
        return Availability.from_daily(WHAT, source.read_sql(query))
    legs = load_legs(source).legs
    daily = (
        pd.DataFrame({"tenant": leg_tenant(legs), "day": legs["start"].dt.normalize()})
        .dropna(subset=["day"])
        .groupby(["tenant", "day"])
        .size()
        .rename("rows")
        .reset_index()
    )
    return Availability.from_daily(WHAT, daily)
