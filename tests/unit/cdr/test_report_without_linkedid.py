"""The report's sql engine groups by linkedid only: a table whose legs have none (cdr_csv's
18-column layout imported, old cdr_mysql tables) must not be grouped by uniqueid silently.

The legs are the real ones Asterisk 22 wrote in the project's real-PBX scenarios (24 calls, two
runs around a restart), imported into SQLite without their linkedid."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
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


def test_sql_engine_refuses_legs_without_linkedid(db_url):
    with pytest.raises(ParameterError, match="have none: use engine='pandas'"):
        build_report(ReportParams(source=db_url, engine="sql", start="", end="", timezone="UTC"))


def test_auto_engine_groups_them_with_the_fallback_rules(db_url, caplog):
    calls = _truth()["calls"]
    params = ReportParams(source=db_url, start="", end="", timezone="UTC", sql_threshold=0)
    with caplog.at_level(logging.WARNING, logger="mirtalib.cdr.report"):
        report = build_report(params)
    assert report.engine == "pandas"
    assert "have no linkedid" in caplog.text
    assert len(report.calls) == len(calls)
    assert int(report.calls["answered"].sum()) == sum(c["answered"] for c in calls)


@pytest.mark.parametrize("name", ["cdr-csv_Master.csv", "cdr-custom_Master16.csv"])
def test_duckdb_target_refuses_master_csv_without_linkedid(name):
    from mirtalib.cdr.duckagg import csv_target
    from mirtalib.errors import DataSourceError

    with pytest.raises(DataSourceError, match="has no linkedid"):
        csv_target(REAL / "logs" / name)


def test_duckdb_target_groups_the_21_column_layout_exactly():
    from mirtalib.cdr import sqlagg
    from mirtalib.cdr.duckagg import csv_target

    calls = _truth()["calls"]
    cube = sqlagg.call_cube(csv_target(REAL / "logs" / "cdr-custom_Master21.csv"))
    assert int(cube["calls"].sum()) == len(calls)
    answered = cube.loc[cube["disposition"].eq("ANSWERED"), "calls"].sum()
    assert int(answered) == sum(c["answered"] for c in calls)


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
