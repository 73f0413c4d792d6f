"""Master.csv reader: every column variant, quoting, empty timestamps, rotation, gzip, rejects."""

from __future__ import annotations

import pandas as pd
import pytest

from mirtalib.cdr import LEG_COLUMNS, load_legs
from mirtalib.cdr.legs import LEG_DTYPES
from mirtalib.errors import DataSourceError, ParameterError


@pytest.mark.parametrize("columns", [16, 17, 18, 19, 20, 21])
def test_every_variant_reads_the_same_leg(write_csv, columns, csv_line):
    path = write_csv("Master.csv", [csv_line(columns=columns), csv_line(columns=columns)])
    load = load_legs(path)
    assert list(load.legs.columns) == list(LEG_COLUMNS)
    assert {c: str(t) for c, t in load.legs.dtypes.items()} == LEG_DTYPES
    assert load.rejects.empty
    leg = load.legs.iloc[0]
    assert leg["start"] == pd.Timestamp("2026-10-05 09:00:00")
    assert leg["answer"] == pd.Timestamp("2026-10-05 09:00:05")
    assert (leg["duration"], leg["billsec"], leg["disposition"]) == (65, 60, "ANSWERED")
    assert leg["clid"] == '"Alice" <100>'
    assert leg["amaflags"] == 3
    assert leg["uniqueid"] == ("srv01-1791190800.1" if columns in (17, 18, 20, 21) else "")
    assert leg["userfield"] == ("LOCAL" if columns in (18, 21) else "")
    assert leg["linkedid"] == ("srv01-1791190800.1" if columns >= 19 else "")
    assert leg["sequence"] == 1 if columns >= 19 else pd.isna(leg["sequence"])
    assert list(load.legs["source_line"]) == [1, 2]


def test_17_columns_with_userfield_instead_of_uniqueid(write_csv, csv_line):
    lines = [csv_line(columns=18).rsplit(",", 2)[0] + ',"OUT"' for _ in range(2)]
    load = load_legs(write_csv("Master.csv", lines))
    assert list(load.legs["userfield"]) == ["OUT", "OUT"]
    assert list(load.legs["uniqueid"]) == ["", ""]


def test_quotes_commas_and_empty_answer(write_csv, csv_line):
    value = 'Say "hi", Bob <200>'
    line = csv_line(
        clid=value,
        lastdata="PJSIP/101-DEVEL,30,tT",
        answer="",
        billsec="0",
        disposition="NO ANSWER",
    )
    assert '"Say ""hi"", Bob <200>"' in line  # written with "" escapes ...
    leg = load_legs(write_csv("Master.csv", [line])).legs.iloc[0]
    assert leg["clid"] == value  # ... read back as the value
    assert leg["lastdata"] == "PJSIP/101-DEVEL,30,tT"
    assert pd.isna(leg["answer"]) and leg["billsec"] == 0 and leg["disposition"] == "NO ANSWER"


def test_malformed_lines_become_rejects_with_line_and_reason(write_csv, csv_line):
    good = csv_line()
    lines = [
        good,  # 1
        csv_line(answer="2026-10-05 08:59:00"),  # 2 answer < start
        csv_line(billsec="-5"),  # 3
        csv_line(disposition="MAYBE"),  # 4
        good.replace('"Alice"', '"Alice'),  # 5 broken quotes
        ",".join(good.split(",")[:-2]),  # 6 19 of 21 fields
        csv_line(start="2026-13-45 99:00:00"),  # 7
        "",  # 8 blank: skipped
        csv_line(duration="abc"),  # 9
        good,  # 10
        good[:40],  # 11 truncated
    ]
    load = load_legs(write_csv("Master.csv", lines, final_newline=False))
    assert list(load.legs["source_line"]) == [1, 10]
    got = dict(zip(load.rejects["line"], load.rejects["reason"], strict=True))
    assert got == {
        2: "answer before start",
        3: "negative billsec",
        4: "unknown disposition",
        5: "broken quotes",
        6: "wrong column count",
        7: "unparsable timestamp",
        9: "unparsable number",
        11: "truncated last line",
    }
    assert set(load.rejects["file"]) == {"Master.csv"}
    assert load.rejects.loc[load.rejects["line"] == 11, "raw"].item() == good[:40]
    counts = load.reject_counts()
    assert counts["rows"].sum() == 8


def test_final_line_with_newline_is_not_truncated(write_csv, csv_line):
    load = load_legs(write_csv("Master.csv", [csv_line()] * 3, final_newline=True))
    assert len(load.legs) == 3 and load.rejects.empty


def test_rotated_gzip_folder_and_glob(write_csv, tmp_path, csv_line):
    write_csv("Master.csv", [csv_line(start="2026-10-05 09:00:00")])
    write_csv(
        "Master.csv.1",
        [
            csv_line(
                start="2026-10-04 09:00:00", answer="2026-10-04 09:00:05", end="2026-10-04 09:01:05"
            )
        ],
    )
    write_csv(
        "Master.csv.2.gz",
        [
            csv_line(
                start="2026-10-03 09:00:00",
                answer="",
                end="2026-10-03 09:00:10",
                duration="10",
                billsec="0",
                disposition="BUSY",
                columns=16,
            )
        ],
    )
    folder = load_legs(tmp_path)
    assert folder.source == "Master.csv, Master.csv.1, Master.csv.2.gz"
    assert list(folder.legs["start"].dt.day) == [3, 4, 5]
    assert list(folder.legs["disposition"]) == ["BUSY", "ANSWERED", "ANSWERED"]
    globbed = load_legs(str(tmp_path / "Master.csv.*"))
    assert len(globbed.legs) == 2
    period = load_legs(tmp_path, start="2026-10-04", end="2026-10-05")
    assert list(period.legs["start"].dt.day) == [4]


def test_tenant_filter_uses_accountcode_then_names(write_csv, csv_line):
    lines = [
        csv_line(accountcode="DEVEL"),
        csv_line(accountcode="", channel="PJSIP/200-ACME-0000000a"),
        csv_line(accountcode="ACME"),
    ]
    path = write_csv("Master.csv", lines)
    assert list(load_legs(path, tenants="ACME").legs["source_line"]) == [2, 3]
    assert len(load_legs(path, tenants=["devel", "acme"]).legs) == 3
    assert len(load_legs(path, tenants="all").legs) == 3


def test_bad_sources_and_parameters(tmp_path, write_csv, csv_line):
    with pytest.raises(DataSourceError, match="no Master.csv"):
        load_legs(tmp_path / "nothing.csv")
    path = write_csv("Master.csv", ['"a","b","c"'] * 3)
    with pytest.raises(DataSourceError, match="3 fields"):
        load_legs(path)
    with pytest.raises(ParameterError, match="not after"):
        load_legs(path, start="2026-10-02", end="2026-10-01")
    with pytest.raises(ParameterError, match="start="):
        load_legs(path, start="yesterday-ish")
    with pytest.raises(ParameterError, match="tenant code"):
        load_legs(path, tenants="DE VEL")
