"""Read MiRTA's extension event log ("Log Extension Events") from the database.

The table is the logical ``ee_extensionevents`` of :mod:`mirtalib.data.schema` (its physical name
and columns are *assumed* and overridable with ``MIRTA_SCHEMA_MAP``): ``ee_time``, ``ee_extension``,
``ee_event``, ``ee_state``, ``ee_uniqueid``, ``ee_node``. Filtering by period, extensions and tenant
happens in SQL (the ``(ee_extension, ee_time)`` index serves it), never by reading the whole table.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import datetime

import pandas as pd
from sqlalchemy import and_, func, or_, select

from mirtalib.asterisk.states import normalize_state
from mirtalib.cdr.load import normalize_tenants
from mirtalib.data.availability import Availability
from mirtalib.data.db import Database
from mirtalib.errors import ParameterError
from mirtalib.events.model import EventLoad, make_events, make_rejects
from mirtalib.validate import iso_date

log = logging.getLogger(__name__)

EXTENSION_NAME = re.compile(r"^[0-9*#]+-[A-Z0-9_]+$")
TENANT_CODE = re.compile(r"^[A-Z0-9_]+$")


def check_extensions(extensions: str | Sequence[str] | None) -> list[str] | None:
    """Validate extension names (``100-DEVEL``; list or comma-separated); None means all."""
    if extensions is None or extensions == "" or extensions == []:
        return None
    items = extensions.split(",") if isinstance(extensions, str) else list(extensions)
    out = [str(x).strip() for x in items if str(x).strip()]
    bad = [x for x in out if not EXTENSION_NAME.match(x)]
    if bad:
        raise ParameterError(
            f"extensions: {bad[0]!r} is not an extension name like '100-DEVEL' (number-TENANT)"
        )
    return out


def check_tenant(tenant: str | None) -> str | None:
    """Validate a tenant code (``DEVEL``); None or "" means every tenant."""
    if not tenant:
        return None
    if not TENANT_CODE.match(tenant):
        raise ParameterError(f"tenant: {tenant!r} is not a tenant code like 'DEVEL'")
    return tenant


def load_event_log(
    db: Database,
    start: datetime | str | None = None,
    end: datetime | str | None = None,
    extensions: str | Sequence[str] | None = None,
    tenants: str | Sequence[str] | None = None,
) -> EventLoad:
    """Read extension events of a period from the event-log table.

    Args:
        db: the open MiRTA database.
        start: first instant (inclusive, PBX-local), None for no lower bound.
        end: end instant (exclusive), None for no upper bound.
        extensions: names to keep (list or comma-separated), None for all.
        tenants: tenant codes to keep (extensions ending in ``-TENANT``; list or
            comma-separated), None / "" / "all" for every tenant.

    Returns:
        EventLoad with ``source == "eventlog"``, ``kind == "custom"``; rows with no time, an
        extension that is not a MiRTA name, or a state that cannot be read are in ``rejects``.

    Raises:
        ParameterError: bad extension names, tenant code or period.
        DataSourceError / SchemaError: the database or the table cannot be read.
    """
    names = check_extensions(extensions)
    codes = [check_tenant(c) for c in normalize_tenants(tenants) or []]
    t0 = pd.Timestamp(iso_date(start, "start")) if start is not None else None
    t1 = pd.Timestamp(iso_date(end, "end")) if end is not None else None
    if t0 is not None and t1 is not None and t1 <= t0:
        raise ParameterError(f"end={t1} is not after start={t0}")
    db.require_table("ee_extensionevents")
    ee = db.schema.table("ee_extensionevents")
    cond = []
    if t0 is not None:
        cond.append(ee.c.ee_time >= t0.to_pydatetime())
    if t1 is not None:
        cond.append(ee.c.ee_time < t1.to_pydatetime())
    if names:
        cond.append(ee.c.ee_extension.in_(names))
    if codes:
        cond.append(or_(*[ee.c.ee_extension.like(f"%-{code}") for code in codes]))
    query = select(*[ee.c[k].label(k) for k in ee.c.keys()])
    if cond:
        query = query.where(and_(*cond))
    query = query.order_by(ee.c.ee_time, ee.c.ee_id)
    raw = db.read_sql(query)
    log.info("read %d event-log rows from %s", len(raw), db.description)
    return events_from_rows(raw, source="eventlog")


def event_log_availability(db: Database) -> Availability:
    """Per tenant (the extension's suffix): first and last day with event-log rows, days with
    rows and rows, over the whole table (one ``GROUP BY ee_extension, DATE(ee_time)``)."""
    db.require_table("ee_extensionevents")
    ee = db.schema.table("ee_extensionevents")
    day = func.date(ee.c.ee_time).label("day")
    query = (
        select(ee.c.ee_extension.label("extension"), day, func.count().label("rows"))
        .where(ee.c.ee_time.is_not(None))
        .group_by(ee.c.ee_extension, day)
    )
    rows = db.read_sql(query)
    ext = rows["extension"].fillna("").astype(str).str.strip()
    tenant = ext.str.rsplit("-", n=1).str[-1].where(ext.str.match(EXTENSION_NAME.pattern), "")
    daily = rows.assign(tenant=tenant).groupby(["tenant", "day"])["rows"].sum().reset_index()
    return Availability.from_daily("event-log rows", daily)


def events_from_rows(raw: pd.DataFrame, source: str = "eventlog") -> EventLoad:
    """Turn event-log rows (logical ``ee_*`` columns) into an EventLoad (vectorized)."""
    if raw.empty:
        return EventLoad(sources=[source])
    time = pd.to_datetime(raw["ee_time"], errors="coerce")
    ext = raw["ee_extension"].fillna("").astype(str).str.strip()
    state_text = raw["ee_state"].where(
        raw["ee_state"].notna() & raw["ee_state"].ne(""), raw["ee_event"]
    )
    state = state_text.map(normalize_state)
    reason = pd.Series("", index=raw.index, dtype="str")
    reason = reason.mask(state.eq("UNKNOWN") & state_text.fillna("").ne(""), "state not understood")
    reason = reason.mask(state_text.fillna("").eq(""), "no state")
    reason = reason.mask(~ext.str.match(EXTENSION_NAME.pattern), "not an extension name")
    reason = reason.mask(time.isna(), "no time")
    bad = reason.ne("")
    rejects = make_rejects(
        [
            {
                "source": source,
                "ref": f"ee_id={r.ee_id}",
                "reason": why,
                "raw": f"{r.ee_time}|{r.ee_extension}|{r.ee_event}|{r.ee_state}",
            }
            for r, why in zip(raw[bad].itertuples(), reason[bad], strict=True)
        ]
    )
    ok = ~bad
    events = pd.DataFrame(
        {
            "time": time[ok],
            "extension": ext[ok],
            "tenant": ext[ok].str.rsplit("-", n=1).str[-1],
            "state": state[ok],
            "event": raw.loc[ok, "ee_event"].fillna(""),
            "uniqueid": raw.loc[ok, "ee_uniqueid"].fillna(""),
            "node": raw.loc[ok, "ee_node"].fillna(""),
            "source": source,
            "kind": "custom",
            "ref": "ee_id=" + raw.loc[ok, "ee_id"].astype(str),
        }
    )
    if bad.any():
        log.warning("%s: %d row(s) rejected", source, int(bad.sum()))
    return EventLoad(make_events(events), rejects, [source])
