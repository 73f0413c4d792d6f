"""A report behind a table lock gives up after MIRTA_DB_STATEMENT_TIMEOUT with a DataSourceError
naming the table, instead of waiting a day (real MariaDB: another session holds
``LOCK TABLES cdr WRITE``)."""

from __future__ import annotations

import threading

import pandas as pd
import pymysql
import pytest
from cdrlegs import leg

from mirtalib.cdr.legs import normalize
from mirtalib.cdr.report import ReportParams, build_report
from mirtalib.data.db import open_database
from mirtalib.errors import DataSourceError

pytestmark = pytest.mark.integration
LIMIT = "2"  # seconds; the test gives up on the report after 60


@pytest.fixture
def locked_cdr(cdr_db, monkeypatch):
    """A MariaDB database with a small cdr table that another session holds write-locked."""
    rows = [
        leg(60 * i, 60 * i + 40, a=60 * i + 5, accountcode="DEVEL",
            uniqueid=f"srv01-1791190800.{i}", linkedid=f"srv01-1791190800.{i}")
        for i in range(3)
    ]  # fmt: skip
    db = cdr_db(normalize(pd.DataFrame(rows)))
    monkeypatch.setenv("MIRTA_DB_STATEMENT_TIMEOUT", LIMIT)
    locker = pymysql.connect(host="127.0.0.1", port=3306, user="root", database=db.url.database)
    with locker.cursor() as cur:
        cur.execute("LOCK TABLES cdr WRITE")
    try:
        yield db
    finally:
        with locker.cursor() as cur:
            cur.execute("UNLOCK TABLES")
        locker.close()


def _report_in_thread(**params) -> BaseException | None:
    outcome: list[BaseException | None] = []

    def work() -> None:
        try:
            build_report(ReportParams(**params))
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(timeout=60)
    assert outcome, "the report still waits on the locked table after 60 s"
    return outcome[0]


@pytest.mark.parametrize("engine", ["pandas", "sql"])
def test_report_behind_a_write_lock_fails_naming_the_table(locked_cdr, engine):
    error = _report_in_thread(
        source=locked_cdr.url.render_as_string(hide_password=False),
        engine=engine,
        start="2026-10-01",
        end="2026-11-01",
    )
    assert isinstance(error, DataSourceError), repr(error)
    assert "gave up waiting on table cdr" in str(error)
    assert "MIRTA_DB_STATEMENT_TIMEOUT" in str(error)


def test_sessions_carry_the_limits(cdr_db, monkeypatch):
    db = cdr_db(normalize(pd.DataFrame([leg(0, 40, a=5, accountcode="DEVEL")])))
    monkeypatch.setenv("MIRTA_DB_STATEMENT_TIMEOUT", "7.5")
    fresh = open_database(db.url.render_as_string(hide_password=False))
    with fresh.connect() as conn:
        row = conn.exec_driver_sql(
            "SELECT @@max_statement_time, @@lock_wait_timeout, @@innodb_lock_wait_timeout"
        ).one()
    assert (float(row[0]), int(row[1]), int(row[2])) == (7.5, 8, 8)
    fresh.engine.dispose()
