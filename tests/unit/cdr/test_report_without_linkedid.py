"""Legs without linkedid (cdr_csv's 18-column layout imported, old cdr_mysql tables) must not
be grouped by uniqueid silently: both engines join them by the time-bounded rules of
:mod:`mirtalib.cdr.calls` and give the same tables.

The legs are the real ones Asterisk 22 wrote in the project's real-PBX scenarios (24 calls, two
runs around a restart), imported into SQLite without their linkedid."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from engines_agree import assert_engines_agree
from sqlalchemy import create_engine

from mirtalib.cdr import load_legs
from mirtalib.cdr.dbwrite import write_legs
from mirtalib.cdr.report import ReportParams, build_report, rows_without_linkedid
from mirtalib.data.db import open_database
from mirtalib.data.schema import load_schema
from mirtalib.errors import ParameterError

REAL = Path(__file__).parents[2] / "fixtures" / "realpbx"


@pytest.fixture(scope="module")
def db_url(tmp_path_factory) -> str:
    legs = load_legs(REAL / "logs" / "cdr-csv_Master.csv").legs
    assert legs["linkedid"].eq("").all()
    path = tmp_path_factory.mktemp("nolinkedid") / "cdr.sqlite"
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    schema = load_schema()
    schema.table("cdr").create(engine)
    with engine.begin() as conn:
        assert write_legs(conn, schema, legs) == len(legs)
    engine.dispose()
    return url


def _truth() -> dict:
    return json.loads((REAL / "truth.json").read_text())


def test_rows_without_linkedid_are_counted(db_url):
    db = open_database(db_url)
    lines = (REAL / "logs" / "cdr-csv_Master.csv").read_text().count("\n")
    assert rows_without_linkedid(db, None, None, None) == lines


def test_sql_engine_joins_them_by_the_fallback_rules(db_url):
    calls = _truth()["calls"]
    tables = assert_engines_agree(db_url, timezone="UTC")
    assert int(tables["kpis_tenant"]["attempts"].sum()) == len(calls)
    assert int(tables["kpis_tenant"]["answered"].sum()) == sum(c["answered"] for c in calls)
    report = build_report(
        ReportParams(source=db_url, engine="sql", start="", end="", timezone="UTC")
    )
    assert "this CDR source has no linkedid: its calls were joined by uniqueid" in report.notes[0]


def test_auto_engine_above_the_threshold_is_the_sql_engine(db_url):
    params = ReportParams(source=db_url, start="", end="", timezone="UTC", sql_threshold=0)
    report = build_report(params)
    assert report.engine == "sql" and report.calls is None


@pytest.mark.parametrize(
    "name", ["cdr-csv_Master.csv", "cdr-custom_Master16.csv", "cdr-custom_Master21.csv"]
)
def test_master_csv_of_every_layout_gives_the_pandas_tables(name):
    calls = _truth()["calls"]
    tables = assert_engines_agree(str(REAL / "logs" / name), timezone="UTC")
    assert int(tables["kpis_tenant"]["attempts"].sum()) == len(calls)
    assert int(tables["kpis_tenant"]["answered"].sum()) == sum(c["answered"] for c in calls)


def test_report_reads_cdr_custom_files_with_columns(tmp_path):
    """A cdr_custom file in the order of Debian's sample mapping (clid first) is read with
    ``columns``; without it every line is a reject naming the column that did not parse."""
    import csv

    rows = list(csv.reader((REAL / "logs" / "cdr-custom_Master16.csv").open(newline="")))
    order = ["clid", "src", "dst", "dcontext", "channel", "dstchannel", "lastapp", "lastdata",
             "start", "answer", "end", "duration", "billsec", "disposition", "amaflags",
             "accountcode"]  # fmt: skip
    master16 = ["accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel",
                "lastapp", "lastdata", "start", "answer", "end", "duration", "billsec",
                "disposition", "amaflags"]  # fmt: skip
    path = tmp_path / "custom.csv"
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh, quoting=csv.QUOTE_ALL)
        for row in rows:
            writer.writerow([row[master16.index(name)] for name in order])
    params = ReportParams(source=str(path), start="", end="", timezone="UTC")
    report = build_report(ReportParams(**{**params.__dict__, "columns": ",".join(order)}))
    assert len(report.calls) == len(_truth()["calls"]) and report.rejects.empty
    plain = build_report(params)
    assert len(plain.rejects) == len(rows) and plain.calls.empty
    by_field = plain.tables["rejects"]
    assert list(by_field["rows"]) == [len(rows)] and list(by_field["field"]) == ["end"]
    assert "columns=" in by_field["reason"].iloc[0]
    with pytest.raises(ParameterError, match="names the fields of cdr_custom files"):
        build_report(ReportParams(source=db_url_for_columns(tmp_path), columns="clid"))


def db_url_for_columns(tmp_path) -> str:
    path = tmp_path / "empty.sqlite"
    engine = create_engine(f"sqlite:///{path}")
    load_schema().table("cdr").create(engine)
    engine.dispose()
    return f"sqlite:///{path}"
