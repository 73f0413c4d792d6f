"""Master.csv: the cdr_csv variants, their quoting, and the demo's file."""

from __future__ import annotations

import csv
import io
import re

import pandas as pd
import pytest

from mirtalib.demo.mastercsv import VARIANTS, format_master_csv, write_master_csv
from mirtalib.errors import ParameterError

QUOTED = re.compile(r'^"(?:[^"]|"")*"$')
RAW_FIELD = re.compile(r'("(?:[^"]|"")*"|[^,"]*)(,|$)')


def _raw_fields(line: str) -> list[str]:
    """Split a cdr_csv line into its raw (still quoted) fields."""
    out, pos = [], 0
    while pos <= len(line):
        m = RAW_FIELD.match(line, pos)
        out.append(m.group(1))
        if not m.group(2):
            break
        pos = m.end()
    return out


def _one_leg(**over) -> pd.DataFrame:
    row = {
        "accountcode": "DEVEL",
        "src": "100",
        "dst": "101",
        "dcontext": "authentica",
        "clid": '"Mario ""Super"" Rossi" <100>',
        "channel": "SIP/100-DEVEL-0000001a",
        "dstchannel": "PJSIP/101-DEVEL-0000001b",
        "lastapp": "Dial",
        "lastdata": "PJSIP/101-DEVEL,30,tT",
        "start": pd.Timestamp("2026-10-25 02:30:00"),
        "answer": pd.NaT,
        "end": pd.Timestamp("2026-10-25 02:30:21"),
        "duration": 21,
        "billsec": 0,
        "disposition": "NO ANSWER",
        "amaflags": 3,
        "uniqueid": "srv01-1792888200.17",
        "userfield": "LOCAL",
        "peeraccount": "DEVEL",
        "linkedid": "srv01-1792888200.17",
        "sequence": 42,
    }
    row.update(over)
    frame = pd.DataFrame([row])
    frame["amaflags"] = frame.amaflags.astype("Int64")
    frame["sequence"] = frame.sequence.astype("Int64")
    return frame


@pytest.mark.parametrize("columns", sorted(VARIANTS))
def test_variant_column_count_and_quoting(columns):
    text = format_master_csv(_one_leg(), columns)
    assert text.endswith("\n") and text.count("\n") == 1
    fields = next(csv.reader(io.StringIO(text)))
    assert len(fields) == columns
    raw = _raw_fields(text.rstrip("\n"))
    assert len(raw) == columns
    # start is quoted, the empty answer is a bare empty field, end quoted
    assert raw[9] == '"2026-10-25 02:30:00"' and raw[10] == "" and raw[11].startswith('"')
    assert fields[12:14] == ["21", "0"]
    assert "21,0," in text  # duration and billsec are bare integers
    assert fields[4] == '"Mario ""Super"" Rossi" <100>'  # "" escapes round-trip
    assert fields[15] == "DOCUMENTATION"
    if columns in (19, 21):
        assert text.rstrip("\n").endswith(",42")  # sequence bare
        assert fields[-2] == "srv01-1792888200.17"
    if columns >= 17 and columns != 19:
        assert fields[16] == "srv01-1792888200.17"


def test_every_string_field_is_quoted_in_the_demo_file(core_demo):
    paths, model = core_demo
    lines = paths.master_csv.read_text().splitlines()
    assert len(lines) == model.n_legs
    rows = list(csv.reader(io.StringIO("\n".join(lines[:3000]))))
    assert {len(r) for r in rows} == {21}
    for line in lines[:300]:
        parts = _raw_fields(line)
        assert len(parts) == 21
        for pos in (0, 1, 2, 3, 4, 5, 6, 7, 8, 14, 15, 16, 17, 18, 19):
            assert QUOTED.match(parts[pos]), (pos, line)
        for pos in (12, 13, 20):
            assert parts[pos].isdigit(), (pos, line)
        if parts[14] == '"ANSWERED"':
            assert QUOTED.match(parts[10]), line
        else:
            assert parts[10] == "", line  # unanswered: bare empty answer time
    # the file holds the same calls as the model, in the same order
    first = rows[0]
    leg = model.legs.iloc[0]
    assert first[16] == leg.uniqueid and first[9] == leg.start.strftime("%Y-%m-%d %H:%M:%S")


def test_bad_variant_and_missing_columns_are_named(tmp_path):
    with pytest.raises(ParameterError, match="columns=20"):
        format_master_csv(_one_leg(), 20)
    with pytest.raises(ParameterError, match="linkedid"):
        format_master_csv(_one_leg().drop(columns=["linkedid"]), 21)
    assert format_master_csv(_one_leg().iloc[:0], 16) == ""


def test_write_and_append(tmp_path):
    path = tmp_path / "cdr-csv" / "Master.csv"
    assert write_master_csv(_one_leg(), path, 18) == 1
    write_master_csv(_one_leg(src="102"), path, 18, append=True)
    rows = list(csv.reader(path.open()))
    assert [r[1] for r in rows] == ["100", "102"] and {len(r) for r in rows} == {18}
    write_master_csv(_one_leg(), path, 16)
    assert len(path.read_text().splitlines()) == 1


def test_demo_master_csv_holds_exactly_the_model_legs(core_demo):
    paths, model = core_demo
    names = list(VARIANTS[21])
    csv_legs = pd.read_csv(
        paths.master_csv, header=None, names=names, dtype=str, keep_default_na=False
    )
    legs = model.legs
    assert len(csv_legs) == len(legs)
    for col in (
        "accountcode",
        "src",
        "dst",
        "clid",
        "channel",
        "dstchannel",
        "lastdata",
        "uniqueid",
        "userfield",
        "linkedid",
        "disposition",
    ):
        assert (csv_legs[col].to_numpy() == legs[col].to_numpy()).all(), col
    for col in ("duration", "billsec", "sequence"):
        assert (csv_legs[col].astype(int).to_numpy() == legs[col].astype(int).to_numpy()).all()
    answer = legs.answer.dt.strftime("%Y-%m-%d %H:%M:%S").fillna("")
    assert (csv_legs.answer.to_numpy() == answer.to_numpy()).all()
