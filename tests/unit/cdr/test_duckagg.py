"""Master.csv through DuckDB: same aggregates as pandas, rejects counted per reason."""

from __future__ import annotations

import pandas as pd

from mirtalib.cdr import duckagg, load_legs, onepass, sqlagg
from mirtalib.cdr.calls import to_calls
from mirtalib.cdr.cube import DIMENSIONS, cube_from_calls


def test_duckdb_cube_equals_pandas_and_counts_rejects(write_csv, csv_line):
    good = csv_line()
    lines = [
        good,
        csv_line(
            accountcode="ACME",
            uniqueid="srv02-1791190900.1",
            linkedid="srv02-1791190900.1",
            dstchannel="PJSIP/voipco-00000011",
            userfield="OUT",
            dst="0612345678",
        ),
        csv_line(
            uniqueid="srv01-1791190950.2",
            linkedid="srv01-1791190950.2",
            answer="",
            billsec="0",
            disposition="BUSY",
        ),
        csv_line(answer="2026-10-05 08:59:00"),  # answer before start
        csv_line(billsec="-5"),  # negative billsec
        csv_line(disposition="MAYBE"),  # unknown disposition
        csv_line(start="2026-13-45 99:00:00"),  # unparsable timestamp
        ",".join(good.split(",")[:-2]),  # wrong column count
    ]
    path = write_csv("Master.csv", lines)
    target = duckagg.csv_target(path, threads=1)
    cube = sqlagg.call_cube(target)
    legs = load_legs(path)
    want = cube_from_calls(to_calls(legs.legs))
    cols = [*DIMENSIONS, "calls", "billable", "duration", "short"]
    pd.testing.assert_frame_equal(
        cube[cols].sort_values(list(DIMENSIONS), ignore_index=True),
        want[cols].sort_values(list(DIMENSIONS), ignore_index=True),
    )
    got = dict(zip(*duckagg.reject_counts(target).to_dict("list").values(), strict=True))
    assert got == {
        "answer before start": 1,
        "negative billsec": 1,
        "unknown disposition": 1,
        "unparsable timestamp": 1,
        "wrong column count": 1,
    }
    assert got == dict(zip(*legs.reject_counts().to_dict("list").values(), strict=True))


def test_one_pass_equals_separate_queries_on_duckdb_and_sqlite(write_csv, csv_line, tmp_path):
    from mirtalib.cdr.dbwrite import write_legs
    from mirtalib.data.db import make_engine, open_database
    from mirtalib.data.schema import Schema
    from mirtalib.settings import parse_db_url

    lines = [
        csv_line(
            uniqueid=f"srv01-17911908{i:02d}.1",
            linkedid=f"srv01-17911908{i:02d}.1",
            start=f"2026-10-05 09:{i:02d}:00",
            answer=f"2026-10-05 09:{i:02d}:05",
            end=f"2026-10-05 09:{i + 1:02d}:30",
            duration="90",
            billsec="85",
            userfield="OUT" if i % 2 else "LOCAL",
            dstchannel="PJSIP/voipco-0000001a" if i % 2 else "PJSIP/101-DEVEL-00000002",
            dst=f"06123456{i:02d}",
        )
        for i in range(12)
    ]
    path = write_csv("Master.csv", lines)
    url = parse_db_url(f"sqlite:///{tmp_path / 'x.sqlite'}")
    engine = make_engine(url, read_only=False)
    schema = Schema()
    schema.metadata.create_all(engine, tables=[schema.table("cdr")])
    with engine.begin() as conn:
        write_legs(conn, schema, load_legs(path).legs)
    engine.dispose()
    results = []
    for target in (duckagg.csv_target(path, threads=1), open_database(url)):
        cube, top, minutes = onepass.report_aggregates(target, top_n=3)
        cols = [*DIMENSIONS, "calls", "billable", "duration", "short"]
        pd.testing.assert_frame_equal(
            cube[cols].sort_values(list(DIMENSIONS), ignore_index=True),
            sqlagg.call_cube(target)[cols].sort_values(list(DIMENSIONS), ignore_index=True),
        )
        pd.testing.assert_frame_equal(top, sqlagg.top_destinations_sql(target, n=3))
        pd.testing.assert_frame_equal(minutes, sqlagg.concurrency_minutes(target))
        results.append((cube[cols].sort_values(list(DIMENSIONS), ignore_index=True), minutes))
    pd.testing.assert_frame_equal(results[0][0], results[1][0])
    pd.testing.assert_frame_equal(results[0][1], results[1][1])
    assert results[0][1].query("dim == 'all'")["top"].max() == 2  # calls overlap 30 s each
