"""The demo PBX loaded into the real MariaDB (127.0.0.1:3306, root): same rows as in SQLite."""

from __future__ import annotations

import secrets
from datetime import datetime

import pymysql
import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import URL

from mirtalib.data.db import detect_cdr_layout
from mirtalib.data.schema import Schema
from mirtalib.demo.build import build_demo
from mirtalib.demo.paths import DemoPaths

HOST, PORT = "127.0.0.1", 3306
SEED, SCALE = 99, 0.5


def _server():
    try:
        return pymysql.connect(host=HOST, port=PORT, user="root", connect_timeout=5)
    except pymysql.MySQLError as exc:  # the CI installs and starts MariaDB: this must not happen
        pytest.fail(f"MariaDB at {HOST}:{PORT} (root, no password) is not reachable: {exc}")


@pytest.fixture
def fresh_database():
    """A new empty database mirta_demo_<random>, dropped afterwards."""
    name = f"mirta_demo_{secrets.token_hex(4)}"
    conn = _server()
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    try:
        yield URL.create(
            "mysql+pymysql",
            username="root",
            host=HOST,
            port=PORT,
            database=name,
            query={"charset": "utf8mb4"},
        )
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.close()


def _aggregates(url: URL | str, layout: str = "current") -> dict:
    schema = Schema(cdr_layout=layout)
    cdr = schema.table("cdr")
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            out = {
                key: conn.execute(select(func.count()).select_from(schema.table(key))).scalar()
                for key in (
                    "no_nodes",
                    "te_tenants",
                    "ex_extensions",
                    "di_dids",
                    "qu_queues",
                    "qm_queuemembers",
                    "pk_parkinglots",
                    "cdr",
                )
            }
            t = cdr.c.calldate if layout == "legacy" else cdr.c.start
            row = conn.execute(
                select(
                    func.sum(cdr.c.billsec),
                    func.sum(cdr.c.duration),
                    func.count(func.distinct(cdr.c.linkedid)),
                    func.min(t),
                    func.max(t),
                    func.round(func.sum(cdr.c.cc_cost), 3),
                )
            ).one()
            out.update(
                billsec=int(row[0]),
                duration=int(row[1]),
                calls=row[2],
                first=row[3],
                last=row[4],
                cost=float(row[5]),
            )
            out["by_disposition"] = dict(
                conn.execute(
                    select(cdr.c.disposition, func.count()).group_by(cdr.c.disposition)
                ).all()
            )
            out["by_tenant_dir"] = {
                (a, u): n
                for a, u, n in conn.execute(
                    select(cdr.c.accountcode, cdr.c.userfield, func.count()).group_by(
                        cdr.c.accountcode, cdr.c.userfield
                    )
                ).all()
            }
            if layout == "current":
                out["unanswered_null"] = conn.execute(
                    select(func.count()).where(cdr.c.answer.is_(None))
                ).scalar()
                out["dst_day"] = conn.execute(
                    select(func.count()).where(
                        cdr.c.start >= datetime(2026, 10, 25, 2),
                        cdr.c.start < datetime(2026, 10, 25, 3),
                    )
                ).scalar()
        out["layout"] = detect_cdr_layout(engine)
    finally:
        engine.dispose()
    return out


@pytest.mark.parametrize("layout", ["current", "legacy"])
def test_mariadb_holds_the_same_demo_as_sqlite(tmp_path, fresh_database, layout):
    lite = DemoPaths(tmp_path / "sqlite")
    model = build_demo(
        lite, seed=SEED, scale=SCALE, plugins=False, master_csv=False, cdr_layout=layout
    )
    maria = build_demo(
        DemoPaths(tmp_path / "maria"),
        seed=SEED,
        scale=SCALE,
        plugins=False,
        master_csv=False,
        db_url=fresh_database,
        cdr_layout=layout,
    )
    assert maria.n_legs == model.n_legs
    expected = _aggregates(lite.db_url, layout)
    got = _aggregates(fresh_database, layout)
    assert got == expected
    assert got["cdr"] == model.n_legs and got["layout"] == layout
    assert got["calls"] == model.n_calls
    if layout == "current":
        assert got["dst_day"] > 0 and got["unanswered_null"] > 0
