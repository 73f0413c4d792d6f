"""Master.csv through DuckDB: same aggregates as pandas, rejects counted per reason."""

from __future__ import annotations

import pandas as pd

from mirtalib.cdr import duckagg, load_legs, sqlagg
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
