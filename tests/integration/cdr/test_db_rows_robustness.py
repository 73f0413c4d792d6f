"""Database rows a report must survive (real MariaDB): times outside pandas' range, and strings
that are not ASCII on the one-GROUP-BY path (utf8mb4 and latin1 tables)."""

from __future__ import annotations

import pandas as pd
import pytest
from cdrlegs import leg
from engines_agree import assert_engines_agree

from mirtalib.cdr import load_legs
from mirtalib.cdr.legs import normalize
from mirtalib.cdr.report import ReportParams, build_report
from mirtalib.data.db import make_engine

pytestmark = pytest.mark.integration


# ----------------------------------------------------------------- times outside the range
@pytest.fixture(scope="module")
def plain_legs() -> pd.DataFrame:
    rows = [
        leg(60 * i, 60 * i + 40, a=60 * i + 5, accountcode="DEVEL",
            uniqueid=f"srv01-1791190800.{i}", linkedid=f"srv01-1791190800.{i}",
            channel=f"PJSIP/10{i}-DEVEL-0000000{i}", userfield="LOCAL", dst="101")
        for i in range(5)
    ]  # fmt: skip
    return normalize(pd.DataFrame(rows))


def test_datetime_columns_at_mariadbs_limits_are_rejects_not_a_failed_report(cdr_db, plain_legs):
    """MariaDB's DATETIME holds 1000-01-01 to 9999-12-31; pandas' times end in 1677 and 2262.
    One such row used to raise OutOfBoundsDatetime for the whole read (and the report)."""
    db = cdr_db(plain_legs)
    writer = make_engine(db.url, read_only=False)  # the reader's engine is read-only
    with writer.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE cdr SET `end` = '9999-12-31 23:59:59' WHERE uniqueid = 'srv01-1791190800.1'"
        )
        conn.exec_driver_sql(
            "UPDATE cdr SET answer = '1000-01-01 00:00:00' WHERE uniqueid = 'srv01-1791190800.2'"
        )
        conn.exec_driver_sql(  # a start MariaDB accepts, pandas cannot hold
            "UPDATE cdr SET start = '9999-12-31 00:00:00' WHERE uniqueid = 'srv01-1791190800.3'"
        )
    writer.dispose()
    load = load_legs(db)
    assert sorted(load.legs["uniqueid"]) == ["srv01-1791190800.0", "srv01-1791190800.4"]
    got = sorted(zip(load.rejects["field"], load.rejects["reason"], strict=True))
    assert got == [
        ("answer", "timestamp out of range"),
        ("end", "timestamp out of range"),
        ("start", "timestamp out of range"),
    ]
    assert "9999-12-31" in " ".join(load.rejects["raw"])
    assert len(load.legs) + len(load.rejects) == len(plain_legs)
    # the report of the period (the pandas engine) and of all time (sql engine) both run
    report = build_report(ReportParams(source=str(db.url), engine="pandas"))
    assert report.tables["kpis_tenant"]["attempts"].sum() == 2
    # the period (October 2026) is filtered in SQL: the row starting in 9999 is not read
    rejects = report.tables["rejects"]
    assert sorted(zip(rejects["reason"], rejects["field"], rejects["rows"], strict=True)) == [
        ("timestamp out of range", "answer", 1),
        ("timestamp out of range", "end", 1),
    ]
    sql = assert_engines_agree(str(db.url))  # all time: the same rejects in both engines
    assert sql["kpis_tenant"]["attempts"].sum() == 2  # the 9999 start is a reject too
    assert ("timestamp out of range", "start", 1) in set(
        zip(sql["rejects"]["reason"], sql["rejects"]["field"], sql["rejects"]["rows"], strict=True)
    )


# ----------------------------------------------------------------- strings that are not ASCII
@pytest.fixture(scope="module")
def accented() -> pd.DataFrame:
    """Three calls: two linkedids that differ only in an accent (as ASCII both are
    ``nod?-1791190800.1``), one outbound through trunk ``opérateur`` to ``caffè``, and a call
    of five answered legs (its legs are read back by linkedid)."""
    rows = [
        leg(0, 60, a=10, accountcode="ACME", uniqueid="nodé-1791190800.1",
            linkedid="nodé-1791190800.1", sequence=1, channel="PJSIP/300-ACME-00000020",
            dstchannel="PJSIP/opérateur-00000021", userfield="OUT", dst="caffè"),
        leg(30, 50, a=35, accountcode="ACME", uniqueid="nodè-1791190800.1",
            linkedid="nodè-1791190800.1", sequence=1, channel="PJSIP/301-ACME-00000022",
            dstchannel="PJSIP/302-ACME-00000023", userfield="LOCAL", dst="302"),
    ]  # fmt: skip
    for i in range(5):  # [100+40i, 145+40i] answered from +2 s; the last one 20 s later
        s = 100 + 40 * i + (20 if i == 4 else 0)
        rows.append(
            leg(s, s + 45, a=s + 2, accountcode="ACME", uniqueid=f"nodñ-1791190900.{i + 1}",
                linkedid="nodñ-1791190900.1", sequence=i + 1,
                channel=f"PJSIP/31{i}-ACME-0000003{i}", dstchannel=f"PJSIP/32{i}-ACME-0000004{i}",
                userfield="LOCAL", dst=f"32{i}")
        )  # fmt: skip
    return normalize(pd.DataFrame(rows))


def _check_accented(db, caplog) -> None:
    tables = assert_engines_agree(str(db.url))
    assert tables["kpis_tenant"]["attempts"].sum() == 3  # no two linkedids merged
    assert tables["kpis_trunk"]["trunk"].tolist() == ["opérateur"]
    # billable: 50; 15; five legs [102,145] [142,185] [182,225] [222,265] [282,325] -> 163 + 43
    minutes = tables["kpis_direction"].groupby("direction")["minutes"].sum() * 60
    assert sorted(minutes.round().astype(int).items()) == [("LOCAL", 15 + 206), ("OUT", 50)]
    assert tables["top_destinations"]["dst"].tolist() == ["caffè"]
    conc = tables["concurrency"]
    assert conc.loc[conc["dim"] == "trunk", "group"].tolist() == ["opérateur"]
    # what the pandas reader reads from the same table keeps every character too
    load = load_legs(db)
    assert set(load.legs["linkedid"]) == {
        "nodé-1791190800.1",
        "nodè-1791190800.1",
        "nodñ-1791190900.1",
    }
    assert "PJSIP/opérateur-00000021" in set(load.legs["dstchannel"])


def test_non_ascii_strings_group_exactly_on_mariadb(cdr_db, accented, caplog):
    _check_accented(cdr_db(accented), caplog)


def test_non_ascii_strings_group_exactly_in_a_latin1_table(cdr_db, accented, caplog):
    """Old Asterisk tables were made latin1 (MariaDB's default): there a character that is not
    ASCII is one byte, so LENGTH = CHAR_LENGTH cannot tell it."""
    db = cdr_db(accented, before=("ALTER TABLE cdr CONVERT TO CHARACTER SET latin1",))
    _check_accented(db, caplog)


def test_ascii_data_gives_the_pandas_tables(cdr_db, plain_legs):
    tables = assert_engines_agree(str(cdr_db(plain_legs).url))
    assert tables["kpis_tenant"]["attempts"].sum() == 5
