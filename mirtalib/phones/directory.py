"""A tenant's phone-facing numbers from the MiRTA database: extensions, queues, parking lots.

Reads ``te_tenants``, ``ex_extensions``, ``qu_queues`` and ``pk_parkinglots`` through the logical
schema (:mod:`mirtalib.data.schema`), so installations with other physical names work through
``MIRTA_SCHEMA_MAP``. The demo PBX is used when no database is configured.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from mirtalib.data.db import Database, open_database
from mirtalib.errors import DataSourceError, ParameterError
from mirtalib.phones.blf import monitor_name

log = logging.getLogger(__name__)


@dataclass
class TenantDirectory:
    """What a tenant has: ``extensions`` [number, name, tech], ``queues`` [number, name],
    ``parking`` [name, start, end]; ``tenants``: every tenant code of the PBX."""

    tenant: str
    extensions: pd.DataFrame
    queues: pd.DataFrame
    parking: pd.DataFrame
    tenants: set[str]

    def extension(self, number: str) -> dict[str, str]:
        """The row of extension ``number`` (ParameterError naming the tenant when absent)."""
        hit = self.extensions[self.extensions["number"] == str(number)]
        if hit.empty:
            raise ParameterError(f"tenant {self.tenant} has no extension {number}")
        return {k: str(v) for k, v in hit.iloc[0].items()}

    def parking_numbers(self) -> list[str]:
        """Every parking position of the tenant (700..720 -> 21 numbers)."""
        out: list[str] = []
        for lot in self.parking.itertuples():
            start, end = str(lot.start), str(lot.end)
            if not (start.isdigit() and end.isdigit()) or int(end) < int(start):
                raise DataSourceError(
                    f"parking lot {lot.name!r} of {self.tenant}: range {start}-{end} is not valid"
                )
            out.extend(str(n) for n in range(int(start), int(end) + 1))
        return out


def load_directory(tenant: str, db: Database | None = None) -> TenantDirectory:
    """Read the tenant's extensions, queues and parking lots (ParameterError: unknown tenant)."""
    db = db or open_database()
    s = db.schema
    te, ex = s.table("te_tenants"), s.table("ex_extensions")
    qu, pk = s.table("qu_queues"), s.table("pk_parkinglots")
    tenants = db.read_sql(sa.select(te.c.te_id, te.c.te_code))
    codes = set(tenants["te_code"].astype(str))
    if tenant not in codes:
        raise ParameterError(f"tenant {tenant!r} is not in the database (tenants: {sorted(codes)})")
    te_id = int(tenants.loc[tenants["te_code"] == tenant, "te_id"].iloc[0])
    exts = db.read_sql(
        sa.select(
            ex.c.ex_number.label("number"), ex.c.ex_name.label("name"), ex.c.ex_tech.label("tech")
        )
        .where(ex.c.ex_te_id == te_id)
        .order_by(ex.c.ex_number)
    )
    queues = db.read_sql(
        sa.select(qu.c.qu_number.label("number"), qu.c.qu_name.label("name"))
        .where(qu.c.qu_te_id == te_id)
        .order_by(qu.c.qu_number)
    )
    parking = db.read_sql(
        sa.select(
            pk.c.pk_name.label("name"), pk.c.pk_start.label("start"), pk.c.pk_end.label("end")
        )
        .where(pk.c.pk_te_id == te_id)
        .order_by(pk.c.pk_start)
    )
    for frame in (exts, queues, parking):
        for col in frame.columns:
            frame[col] = frame[col].fillna("").astype(str)
    log.debug("%s: %d extensions, %d queues, %d lots", tenant, len(exts), len(queues), len(parking))
    return TenantDirectory(tenant, exts, queues, parking, codes)


def monitors(directory: TenantDirectory, *, voicemail_prefix: str = "*97") -> pd.DataFrame:
    """Every name a BLF key of this tenant may watch.

    Returns:
        DataFrame ``kind`` (extension, voicemail, queue, parking), ``number``, ``label``,
        ``monitor`` (``104-DEVEL``, ``*97104-DEVEL``, ``500-DEVEL``, ``800-DEVEL``).
        Voicemail rows are given for extensions whose technology is a phone (SIP, PJSIP).
    """
    t = directory.tenant
    rows = []
    for e in directory.extensions.itertuples():
        rows.append(("extension", e.number, e.name, monitor_name(e.number, t)))
    for e in directory.extensions.itertuples():
        if e.tech.upper() in {"SIP", "PJSIP"}:
            vm = monitor_name(e.number, t, prefix=voicemail_prefix)
            rows.append(("voicemail", e.number, f"VM {e.name}", vm))
    for q in directory.queues.itertuples():
        rows.append(("queue", q.number, f"Queue {q.name}", monitor_name(q.number, t)))
    for n in directory.parking_numbers():
        rows.append(("parking", n, f"Park {n}", monitor_name(n, t)))
    return pd.DataFrame(rows, columns=["kind", "number", "label", "monitor"])
