"""A real MariaDB on 127.0.0.1:3306 (root, no password) and small demo PBXs for the CDR tests."""

from __future__ import annotations

import os
import socket
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from mirtalib.cdr.dbwrite import write_legs
from mirtalib.data.db import make_engine, open_database
from mirtalib.data.schema import Schema
from mirtalib.demo.build import build_demo
from mirtalib.demo.paths import DemoPaths

sys.path.insert(0, str(Path(__file__).parent))  # cdrlegs.py, the tests' leg builder
sys.path.insert(0, str(Path(__file__).parents[2]))  # engines_agree.py

SEED, SCALE = 7, 0.15


def _mariadb_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 3306), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def mariadb_factory():
    """Make fresh empty databases on the local MariaDB; all are dropped at the end."""
    if not _mariadb_up():
        if os.environ.get("CI"):
            pytest.fail("MariaDB is not listening on 127.0.0.1:3306 (required in CI)")
        pytest.skip("no MariaDB server on 127.0.0.1:3306")
    admin = create_engine(URL.create("mysql+pymysql", username="root", host="127.0.0.1", port=3306))
    made: list[str] = []

    def make() -> URL:
        name = f"mirta_cdr_{uuid.uuid4().hex[:10]}"
        with admin.begin() as conn:
            conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
        made.append(name)
        return URL.create(
            "mysql+pymysql",
            username="root",
            host="127.0.0.1",
            port=3306,
            database=name,
            query={"charset": "utf8mb4"},
        )

    try:
        yield make
    finally:
        with admin.begin() as conn:
            for name in made:
                conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin.dispose()


@pytest.fixture(scope="module")
def demo_sqlite(tmp_path_factory):
    """A small demo PBX in SQLite (+ Master.csv): (paths, model)."""
    paths = DemoPaths(tmp_path_factory.mktemp("demo-sqlite"))
    model = build_demo(paths, seed=SEED, scale=SCALE, plugins=False)
    return paths, model


@pytest.fixture(scope="module")
def cdr_db(mariadb_factory):
    """``cdr_db(legs, *after, before=())``: a new MariaDB database whose cdr table holds ``legs``;
    SQL ``before`` runs on the empty table (e.g. a charset change), ``after`` once it is filled."""

    def make(legs, *after: str, before: tuple[str, ...] = ()):
        url = make_url(mariadb_factory())
        engine = make_engine(url, read_only=False)
        schema = Schema()
        schema.metadata.create_all(engine, tables=[schema.table("cdr")])
        with engine.begin() as conn:
            for statement in before:
                conn.exec_driver_sql(statement)
            write_legs(conn, schema, legs)
            for statement in after:
                conn.exec_driver_sql(statement)
        engine.dispose()
        return open_database(url)

    return make
