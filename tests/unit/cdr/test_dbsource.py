"""Reading legs from SQLite databases of both CDR layouts, with filters pushed into SQL."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import event, text

from mirtalib.cdr import LEG_COLUMNS, load_legs
from mirtalib.cdr.dbwrite import write_legs
from mirtalib.data.db import make_engine, open_database
from mirtalib.data.schema import Schema
from mirtalib.settings import parse_db_url


@pytest.fixture
def legs(make_legs):
    return make_legs(
        [
            {
                "s": 0,
                "a": 5,
                "e": 65,
                "accountcode": "DEVEL",
                "uniqueid": "srv01-1.1",
                "linkedid": "srv01-1.1",
                "channel": "PJSIP/100-DEVEL-00000001",
                "sequence": 1,
                "cc_cost": 0.25,
                "realsrc": "100",
            },
            {
                "s": 100,
                "e": 120,
                "accountcode": "",
                "uniqueid": "srv02-2.1",
                "linkedid": "srv02-2.1",
                "channel": "PJSIP/200-ACME-00000002",
            },
            {"s": 86400, "a": 86410, "e": 86500, "accountcode": "ACME", "uniqueid": "srv02-3.1"},
        ]
    )


def make_db(tmp_path, legs, layout):
    url = parse_db_url(f"sqlite:///{tmp_path / 'cdr.sqlite'}")
    engine = make_engine(url, read_only=False)
    schema = Schema(cdr_layout=layout)
    schema.metadata.create_all(engine, tables=[schema.table("cdr")])
    with engine.begin() as conn:
        write_legs(conn, schema, legs)
    engine.dispose()
    return open_database(url)


@pytest.mark.parametrize("layout", ["current", "legacy"])
def test_both_layouts_give_the_same_legs(tmp_path, legs, layout):
    db = make_db(tmp_path, legs, layout)
    assert db.schema.cdr_layout == layout
    load = load_legs(db)
    assert list(load.legs.columns) == list(LEG_COLUMNS)
    assert load.rejects.empty
    want = legs.drop(columns="source_line")
    got = load.legs.drop(columns="source_line")
    pd.testing.assert_frame_equal(got, want, check_exact=False)
    assert load.legs["source_line"].isna().all()


def test_period_and_tenant_filters_run_in_sql(tmp_path, legs):
    db = make_db(tmp_path, legs, "legacy")
    seen: list[str] = []
    event.listen(
        db.engine,
        "before_cursor_execute",
        lambda conn, cur, stmt, params, ctx, many: seen.append(stmt),
    )
    load = load_legs(db, start="2026-10-05", end="2026-10-06", tenants="ACME")
    assert list(load.legs["uniqueid"]) == ["srv02-2.1"]  # tenant from the channel name
    sql = seen[-1].lower()
    assert "calldate >=" in sql and "calldate <" in sql and "accountcode in" in sql


def test_old_table_without_linkedid_or_mirta_columns(tmp_path):
    url = parse_db_url(f"sqlite:///{tmp_path / 'old.sqlite'}")
    engine = make_engine(url, read_only=False)
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE cdr (calldate DATETIME, clid TEXT, src TEXT, dst TEXT, dcontext TEXT,"
                " channel TEXT, dstchannel TEXT, lastapp TEXT, lastdata TEXT, duration INT,"
                " billsec INT, disposition TEXT, amaflags INT, accountcode TEXT, uniqueid TEXT,"
                " userfield TEXT)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO cdr VALUES ('2026-10-05 09:00:00','', '100','101','ctx',"
                "'SIP/100-DEVEL-00000001','SIP/101-DEVEL-00000002','Dial','',70,60,'ANSWERED',3,"
                "'DEVEL','1791190800.1','')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO cdr VALUES ('2026-10-05 09:05:00','', '100','101','ctx','','','','',"
                "10,-3,'ANSWERED',3,'DEVEL','1791190800.2','')"
            )
        )
    engine.dispose()
    load = load_legs(str(url))
    leg = load.legs.iloc[0]
    assert leg["end"] == pd.Timestamp("2026-10-05 09:01:10")
    assert leg["answer"] == pd.Timestamp("2026-10-05 09:00:10")
    assert leg["linkedid"] == "" and pd.isna(leg["cc_cost"])
    assert list(load.rejects["reason"]) == ["negative billsec"]
    assert load.rejects["line"].isna().all() and "1791190800.2" in load.rejects["raw"][0]
