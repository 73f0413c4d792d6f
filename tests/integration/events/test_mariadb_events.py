"""The event log and st_states on a real MariaDB: SQL filters, and the node's real mysql client
read through a local target and parsed (what page 11 runs on a MiRTA node)."""

from __future__ import annotations

import shutil
from datetime import datetime

import pytest
from sqlalchemy import create_engine, insert

from mirtalib.data.db import open_database
from mirtalib.data.schema import Schema
from mirtalib.events.collect import collect
from mirtalib.events.eventlog import load_event_log
from mirtalib.events.reconcile import reconcile
from mirtalib.runbook.targets import LocalTarget

pytestmark = pytest.mark.integration

EVENTS = [
    (1, datetime(2026, 10, 5, 10, 0), "100-DEVEL", "Register", "NOT INUSE", "", "srv01"),
    (2, datetime(2026, 10, 5, 10, 5), "100-DEVEL", "Newstate", "INUSE", "srv01-1.1", "srv01"),
    (3, datetime(2026, 10, 5, 10, 6), "200-ACME", "Newstate", "INUSE", "srv02-1.2", "srv02"),
    (4, datetime(2026, 10, 5, 10, 7), "x", "Newstate", "INUSE", "", "srv02"),
    (5, datetime(2026, 10, 6, 9, 0), "100-DEVEL", "Hangup", "NOT INUSE", "srv01-1.1", "srv01"),
]
STATES = [
    (1, "100-DEVEL", "INUSE", datetime(2026, 10, 6, 8, 59, 59), "srv01"),
    (2, "101-DEVEL", "NOT INUSE", None, None),
    (3, "200-ACME", "INUSE", datetime(2026, 10, 5, 10, 6), "srv02"),
]


@pytest.fixture
def pbx(mariadb_db):
    url, name = mariadb_db
    schema = Schema()
    engine = create_engine(url)
    tables = [schema.table("ee_extensionevents"), schema.table("st_states"), schema.table("cdr")]
    schema.metadata.create_all(engine, tables=tables)
    ee, st = tables[0], tables[1]
    with engine.begin() as conn:
        conn.execute(
            insert(ee),
            [
                dict(
                    zip(
                        [
                            "ee_id",
                            "ee_time",
                            "ee_extension",
                            "ee_event",
                            "ee_state",
                            "ee_uniqueid",
                            "ee_node",
                        ],
                        r,
                        strict=True,
                    )
                )
                for r in EVENTS
            ],
        )
        conn.execute(
            insert(st),
            [
                dict(
                    zip(
                        ["st_id", "st_extension", "st_state", "st_lastupdate", "st_node"],
                        r,
                        strict=True,
                    )
                )
                for r in STATES
            ],
        )
    engine.dispose()
    return url, name


def test_event_log_filters_in_mariadb(pbx):
    url, _ = pbx
    db = open_database(url)
    day = load_event_log(db, "2026-10-05", "2026-10-06")
    assert day.events["ref"].tolist() == ["ee_id=1", "ee_id=2", "ee_id=3"]
    assert day.rejects["reason"].tolist() == ["not an extension name"]
    devel = load_event_log(db, tenants="DEVEL")
    assert devel.events["state"].tolist() == ["NOT_INUSE", "INUSE", "NOT_INUSE"]


@pytest.mark.skipif(shutil.which("mysql") is None, reason="no mysql client installed")
def test_st_states_through_the_real_mysql_client(pbx):
    _, name = pbx
    snap = collect(
        LocalTarget(),
        tenant="DEVEL",
        database=name,
        mysql_client="mysql --batch -h 127.0.0.1 -P 3306 -u root",
    )
    assert snap.errors.get("db_states") is None
    rows = snap.db_states.set_index("st_extension")
    assert rows.loc["100-DEVEL", "st_lastupdate"] == "2026-10-06 08:59:59"
    assert rows.loc["101-DEVEL", "st_lastupdate"] is None  # NULL arrives as \N
    assert "200-ACME" not in rows.index
    # no Asterisk here: each CLI command is reported, not hidden
    assert set(snap.errors) >= {"devstates", "queues", "hints", "channels"}
    table = reconcile(snap.extensions, snap.db_states, snap.frame("devstates"))
    assert table["stage"].tolist() == ["state daemon -> custom device state"] * 2


@pytest.mark.skipif(shutil.which("mysql") is None, reason="no mysql client installed")
def test_page_11_plan_over_real_ssh(pbx, sshd):
    from mirtalib.runbooks.p11_extension_state import RUNBOOK

    _, name = pbx
    url, options = sshd
    rb = RUNBOOK.open(
        url,
        target_options=options,
        tenant="DEVEL",
        database=name,
        mysql_client="mysql --batch -h 127.0.0.1 -P 3306 -u root",
    )
    try:
        results = {r.step_id: r for r in rb.plan().nodes[0].results}
    finally:
        rb.close()
    assert results["st-states"].reason == "2 st_states rows"
    # this host has no Asterisk: the CLI steps say so instead of passing
    if shutil.which("asterisk") is None:
        assert results["devstate-list"].status.value == "fail"
        assert "not collected: channels, devstates, hints, queues" in results["three-way"].reason
    assert results["three-way"].reason.startswith("2 of 2 disagree: 100-DEVEL (state daemon ->")
