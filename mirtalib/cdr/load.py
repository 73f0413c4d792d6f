"""``load_legs``: one entry point for every CDR source."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.engine import URL

from mirtalib.cdr import legs as L
from mirtalib.cdr.dbsource import read_database
from mirtalib.cdr.mastercsv import normalize_columns, read_master_csv
from mirtalib.cdr.naming import leg_tenant
from mirtalib.data.db import Database, open_database
from mirtalib.errors import ParameterError
from mirtalib.validate import iso_date

log = logging.getLogger(__name__)

Source = Database | URL | str | Path | Iterable[str | Path] | None


def _as_datetime(value: date | datetime | str | None, name: str) -> datetime | None:
    """``None`` stays None; anything else is an ISO date (:func:`mirtalib.validate.iso_date`)."""
    return None if value is None else iso_date(value, name)


def normalize_tenants(tenants: str | Sequence[str] | None) -> list[str] | None:
    """``None``/"all"/"*"/[] mean every tenant; a comma-separated string or a list selects some."""
    if tenants is None:
        return None
    items = tenants.split(",") if isinstance(tenants, str) else list(tenants)
    codes = [str(t).strip().upper() for t in items if str(t).strip()]
    if not codes or codes in (["ALL"], ["*"]):
        return None
    for code in codes:
        if not code.replace("_", "").isalnum():
            raise ParameterError(f"tenants: {code!r} is not a tenant code")
    return codes


def _is_csv_source(source: object) -> bool:
    if isinstance(source, Path):
        return True
    if isinstance(source, str):
        return "://" not in source
    return not isinstance(source, Database | URL) and source is not None


def load_legs(
    source: Source = None,
    start: date | datetime | str | None = None,
    end: date | datetime | str | None = None,
    tenants: str | Sequence[str] | None = None,
    columns: str | Sequence[str] | None = None,
) -> L.LegLoad:
    """Load CDR legs from a database or from Master.csv files, normalized and checked.

    Args:
        source: an open :class:`~mirtalib.data.db.Database`, a database URL (``mysql+pymysql://``
            or ``sqlite:///``), ``None`` for the configured database (MIRTA_DB_URL, else the demo
            PBX), or Master.csv files: a path, a folder (its ``Master.csv*``), a glob, or a list;
            gzip files are read as such.
        start: first instant of the period (inclusive, PBX-local time), or None.
        end: end of the period (exclusive), or None.
        tenants: tenant codes (list or comma-separated), None/"all" for every tenant. A leg's
            tenant is its accountcode, else the tenant of the extension in its channel/src/dst.
        columns: files only: the field names of a cdr_custom file in its column order (a list
            or a comma-separated string; "" or "-" skips a column), e.g. for Asterisk's sample
            cdr_custom.conf ``"clid,src,dst,dcontext,channel,dstchannel,lastapp,lastdata,start,
            answer,end,duration,billsec,disposition,amaflags,accountcode,uniqueid,userfield,
            sequence"``. None or "" (default): a Master.csv layout, chosen by the column count.

    Returns:
        :class:`~mirtalib.cdr.legs.LegLoad` with the legs in the contract of
        docs/ARCHITECTURE.md, every unusable row in ``rejects`` with its reason and field, and
        the ``flags`` of doubtful legs that were kept.

    Raises:
        ParameterError: bad period, tenant codes or columns (or columns for a database).
        DataSourceError: the source cannot be opened or is not a CDR source.
    """
    t0, t1 = _as_datetime(start, "start"), _as_datetime(end, "end")
    if t0 and t1 and t1 <= t0:
        raise ParameterError(f"end={t1} is not after start={t0}")
    codes = normalize_tenants(tenants)
    if _is_csv_source(source):
        names = normalize_columns(columns)
        legs, rejects, files, flags = read_master_csv(source, names)  # type: ignore[arg-type]
        described = ", ".join(p.name for p in files)
        if t0 is not None:
            legs = legs[legs["start"] >= t0]
        if t1 is not None:
            legs = legs[legs["start"] < t1]
    else:
        if normalize_columns(columns) is not None:
            raise ParameterError("columns names the fields of cdr_custom files, not of a database")
        db = source if isinstance(source, Database) else open_database(source)
        legs, rejects, flags = read_database(db, t0, t1, codes)
        described = db.description
    if codes is not None:
        legs = legs[leg_tenant(legs).isin(codes)]
    order = L.sort_order(legs)
    legs = legs.loc[order].reset_index(drop=True)
    flags = flags.loc[order].reset_index(drop=True)
    if len(rejects):
        log.warning("%s: %d CDR rows rejected", described, len(rejects))
    flagged = int(flags.any(axis=1).sum())
    if flagged:
        log.warning("%s: %d CDR legs kept with a flag", described, flagged)
    return L.LegLoad(legs=legs, rejects=rejects, source=described, flags=flags)
