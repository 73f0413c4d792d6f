"""Every line of a CDR file (and every database row) ends up as a leg or as a reject naming its
field: encodings, line ends, out-of-range values, inconsistent legs, cdr_custom column orders.

Inputs are built from what a real Asterisk 22 wrote (tests/fixtures/realpbx/logs).
"""

from __future__ import annotations

import csv
import gzip
import random
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import text

from mirtalib.cdr import load_legs
from mirtalib.cdr.dbwrite import write_legs
from mirtalib.cdr.legs import FLAGS
from mirtalib.cdr.report import ReportParams, build_report
from mirtalib.data.db import make_engine, open_database
from mirtalib.data.schema import Schema
from mirtalib.errors import MirtaError, ParameterError
from mirtalib.settings import parse_db_url

LOGS = Path(__file__).resolve().parents[2] / "fixtures" / "realpbx" / "logs"
REAL18 = (LOGS / "cdr-csv_Master.csv").read_text(encoding="utf-8").splitlines()
REAL21 = (LOGS / "cdr-custom_Master21.csv").read_text(encoding="utf-8").splitlines()
ANSWERED = [line for line in REAL18 if '"ANSWERED"' in line]
UNANSWERED = [line for line in REAL18 if '"NO ANSWER"' in line]


def write(tmp_path: Path, data: bytes | str, name: str = "Master.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def fields(line: str) -> list[str]:
    return next(csv.reader([line]))


def reasons(load) -> dict[int, tuple[str, str]]:
    """Line -> (reason, field) of the rejects."""
    rej = load.rejects
    named = rej["field"] if "field" in rej else pd.Series("?", index=rej.index)
    return {int(n): (r, f) for n, r, f in zip(rej["line"], rej["reason"], named, strict=True)}


def accounted(load, lines: int) -> None:
    """legs + rejects = lines: nothing silently dropped."""
    assert len(load.legs) + len(load.rejects) == lines
    assert set(load.legs["source_line"]).isdisjoint(set(load.rejects["line"]))


# ------------------------------------------------------------------ bytes and lines
def test_a_byte_order_mark_does_not_stick_to_the_first_accountcode(tmp_path):
    path = write(tmp_path, "\ufeff" + "\n".join(REAL18[:3]) + "\n")
    load = load_legs(path)
    assert load.legs.set_index("source_line").loc[1, "accountcode"] == "ACME"
    assert list(load_legs(path, tenants="ACME").legs["source_line"]) == [1, 2, 3]
    # concatenated files: a BOM at the start of a later line too
    again = write(tmp_path, ("\ufeff" + REAL18[0] + "\n") * 2, "both.csv")
    assert list(load_legs(again, tenants="ACME").legs["source_line"]) == [1, 2]


def test_encoding_is_decided_per_line(tmp_path):
    utf8 = REAL18[0].replace('"""busy"" <101>"', '"""José"" <101>"')
    latin = REAL18[1].replace('"""busy"" <101>"', '"""Müller"" <101>"')
    assert utf8 != REAL18[0] and latin != REAL18[1]
    nul = REAL18[2].replace('"Hangup"', '"Hang\x00up"')
    cp1252 = REAL18[3].replace('"AppDial2"', '"AppDial2 \u20ac"')  # € is 0x80 in Windows-1252
    data = b"\n".join(
        [
            utf8.encode("utf-8"),
            latin.encode("latin-1"),
            nul.encode("utf-8"),
            cp1252.encode("cp1252"),
            REAL18[4].encode("utf-8"),
            b"\x00" * 40,  # what a crash leaves at the end of a file
        ]
    )
    load = load_legs(write(tmp_path, data + b"\n"))
    clid = load.legs.set_index("source_line")["clid"]
    assert clid[1] == '"José" <101>'  # UTF-8 stays UTF-8 though another line is Latin-1
    assert clid[2] == '"Müller" <101>'
    assert sorted(clid.index) == [1, 2, 5]
    assert reasons(load) == {
        3: ("bad encoding", "lastapp"),
        4: ("bad encoding", "lastapp"),
        6: ("bad encoding", ""),
    }
    accounted(load, 6)


@pytest.mark.parametrize("end", ["\r", "\r\n"])
def test_cr_and_crlf_line_ends(tmp_path, end):
    load = load_legs(write(tmp_path, end.join(REAL18[:5]) + end))
    assert list(load.legs["source_line"].sort_values()) == [1, 2, 3, 4, 5]
    assert load.rejects.empty
    # without the final line end the last line is cut: it is the only reject
    cut = load_legs(write(tmp_path, end.join(REAL18[:5]), "cut.csv"))
    assert reasons(cut) == {5: ("truncated last line", "")}


def test_a_field_over_the_csv_limit_is_named(tmp_path):
    huge = ANSWERED[0].replace('"Return",""', '"Return","' + "x" * 200_000 + '"')
    assert huge != ANSWERED[0]
    load = load_legs(write(tmp_path, "\n".join([huge, ANSWERED[1]]) + "\n"))
    assert reasons(load) == {1: ("field too long", "lastdata")}
    assert len(load.rejects["raw"][0]) == 500
    accounted(load, 2)


def test_a_gzip_file_cut_short_is_read_as_far_as_it_goes(tmp_path):
    """A rotated Master.csv.gz copied while gzip was writing it: the lines that are there are
    read, the last one is cut, and one reject says the rest of the file is lost."""
    whole = gzip.compress(("\n".join(REAL18) + "\n").encode())
    path = write(tmp_path, whole[: len(whole) // 2], "Master.csv.1.gz")
    load = load_legs(path)
    got = reasons(load)
    last = max(got)
    assert got[last] == ("truncated gzip file", "")
    assert got[last - 1] == ("truncated last line", "")
    assert len(got) == 2 and sorted(load.legs["source_line"]) == list(range(1, last - 1))
    assert last - 2 >= 10
    # a corrupt one is refused, naming the file
    damaged = bytearray(whole)
    damaged[len(whole) // 2] ^= 0xFF
    with pytest.raises(MirtaError, match="cannot read Master.csv.2.gz"):
        load_legs(write(tmp_path, bytes(damaged), "Master.csv.2.gz"))


# ------------------------------------------------------------------ values
def _with(line: str, index: int, value: str) -> str:
    """``line`` with field ``index`` replaced by the raw text ``value`` (quotes included)."""
    parts = fields(line)
    out = []
    for i, f in enumerate(parts):
        if i == index:
            out.append(value)
        elif i in (12, 13):  # duration, billsec: bare numbers
            out.append(f)
        elif i == 10 and not f:  # an empty answer: a bare empty field
            out.append("")
        else:
            out.append('"' + f.replace('"', '""') + '"')
    return ",".join(out)


def test_times_outside_pandas_range_are_rejected_per_line(tmp_path):
    good = ANSWERED[0]
    lines = [
        _with(good, 9, '"2263-01-01 00:00:00"'),  # start after pandas' 2262
        _with(good, 10, '"1677-01-01 00:00:00"'),  # answer before its 1677
        _with(good, 11, '"9999-12-31 23:59:59"'),  # MariaDB's last DATETIME
        _with(good, 9, '"2026-02-30 10:00:00"'),  # no such day
        good,
    ]
    load = load_legs(write(tmp_path, "\n".join(lines) + "\n"))
    assert reasons(load) == {
        1: ("timestamp out of range", "start"),
        2: ("timestamp out of range", "answer"),
        3: ("timestamp out of range", "end"),
        4: ("unparsable timestamp", "start"),
    }
    assert list(load.legs["source_line"]) == [5]


def test_numbers_beyond_int64_get_their_own_reason(tmp_path):
    good = ANSWERED[0]
    lines = [
        _with(good, 12, "99999999999999999999"),  # duration: int64 overflow
        _with(good, 13, "9223372036854775808"),  # billsec: 2**63
        _with(good, 12, "3000000000"),  # fits int64, not Asterisk's INT columns
        _with(good, 12, "-99999999999999999999"),
        _with(good, 13, "2.5"),
        good,
    ]
    load = load_legs(write(tmp_path, "\n".join(lines) + "\n"))
    assert reasons(load) == {
        1: ("number out of range", "duration"),
        2: ("number out of range", "billsec"),
        3: ("number out of range", "duration"),
        4: ("number out of range", "duration"),
        5: ("unparsable number", "billsec"),
    }
    big_sequence = REAL21[0].rsplit(",", 1)[0] + ",99999999999999999999"
    load = load_legs(write(tmp_path, big_sequence + "\n" + REAL21[1] + "\n", "seq.csv"))
    assert reasons(load) == {1: ("number out of range", "sequence")}


def test_inconsistent_legs_are_rejected_or_flagged(tmp_path):
    good = ANSWERED[0]  # start 02:33:35, answer 02:33:36, end 02:33:39, duration 3, billsec 2
    assert fields(good)[9:14] == [
        "2026-12-06 02:33:35", "2026-12-06 02:33:36", "2026-12-06 02:33:39", "3", "2",
    ]  # fmt: skip
    lines = [
        _with(good, 13, "5"),  # 1 billsec 5 > duration 3 + 1: rejected
        _with(good, 13, "4"),  # 2 billsec = duration + 1 (initiatedseconds): kept
        _with(good, 11, '"2026-12-06 02:33:30"'),  # 3 end before start (and answer)
        _with(good, 11, '"2026-12-06 02:33:35"'),  # 4 end before answer
        _with(good, 10, ""),  # 5 ANSWERED without answer time
        _with(good, 15, '"WEIRD"'),  # 6 unknown amaflags
        _with(good, 15, '"BILLING"'),  # 7 fine
        _with(good, 15, '"Unknown"'),  # 8 what Asterisk writes for flag 0: fine
    ]
    load = load_legs(write(tmp_path, "\n".join(lines) + "\n"))
    assert reasons(load) == {1: ("billsec over duration", "billsec")}
    flags = load.flags.set_index(load.legs["source_line"])
    assert list(flags.columns) == list(FLAGS)
    flagged = {int(n): [f for f in FLAGS if row[f]] for n, row in flags.iterrows() if row.any()}
    assert flagged == {
        3: ["end before start", "end before answer"],
        4: ["end before answer"],
        5: ["answered without answer time"],
        6: ["unknown amaflags"],
    }
    ama = load.legs.set_index("source_line")["amaflags"]
    assert pd.isna(ama[6]) and ama[7] == 2 and ama[8] == 0
    assert load.flag_counts().to_dict("list") == {
        "flag": ["end before answer", "answered without answer time", "end before start",
                 "unknown amaflags"],
        "legs": [2, 1, 1, 1],
    }  # fmt: skip
    # flags follow the legs through the period and tenant filters and the sort
    some = load_legs(write(tmp_path, "\n".join(lines[::-1]) + "\n", "rev.csv"), tenants="DEVEL")
    assert len(some.flags) == len(some.legs)
    assert some.flag_counts().equals(load.flag_counts())


# ------------------------------------------------------------------ cdr_custom column orders
# Asterisk's sample cdr_custom.conf (and Debian's): clid first, accountcode after amaflags
SAMPLE_ORDER = (
    "clid", "src", "dst", "dcontext", "channel", "dstchannel", "lastapp", "lastdata", "start",
    "answer", "end", "duration", "billsec", "disposition", "amaflags", "accountcode", "uniqueid",
    "userfield", "sequence",
)  # fmt: skip
MASTER21 = (
    "accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp",
    "lastdata", "start", "answer", "end", "duration", "billsec", "disposition", "amaflags",
    "uniqueid", "userfield", "peeraccount", "linkedid", "sequence",
)  # fmt: skip


def _sample_custom_lines() -> list[str]:
    """The real 21-column records written as the sample mapping writes them (CSV_QUOTE on every
    field but sequence)."""
    out = []
    for line in REAL21:
        value = dict(zip(MASTER21, fields(line), strict=True))
        quoted = ['"' + value[c].replace('"', '""') + '"' for c in SAMPLE_ORDER[:-1]]
        out.append(",".join([*quoted, value["sequence"]]))
    return out


def test_cdr_custom_in_another_column_order(tmp_path):
    path = write(tmp_path, "\n".join(_sample_custom_lines()) + "\n", "Master-custom.csv")
    blind = load_legs(path)  # 19 fields: read as a 19-column Master.csv, it does not parse
    assert blind.legs.empty and len(blind.rejects) == len(REAL21)
    reason = blind.rejects["reason"][0]
    assert set(blind.rejects["reason"]) == {reason}
    assert reason.startswith("not a Master.csv column order: end does not parse")
    assert "columns=" in reason and set(blind.rejects["field"]) == {"end"}
    named = load_legs(path, columns=",".join(SAMPLE_ORDER))
    assert named.rejects.empty
    want = load_legs(LOGS / "cdr-custom_Master21.csv").legs
    same = [c for c in SAMPLE_ORDER if c != "sequence"] + ["sequence", "source_line"]
    pd.testing.assert_frame_equal(named.legs[same], want[same])
    # a list works too, and "-" skips a column the legs do not have
    skipped = ["-" if c == "userfield" else c for c in SAMPLE_ORDER]
    assert set(load_legs(path, columns=skipped).legs["userfield"]) == {""}


def test_cdr_custom_without_end_or_answer_derives_them(tmp_path):
    order = ("start", "duration", "billsec", "disposition", "uniqueid")
    rows = [fields(line) for line in ANSWERED[:2] + UNANSWERED[:1]]
    lines = [",".join(f'"{r[MASTER21.index(c)]}"' for c in order) for r in rows]
    load = load_legs(write(tmp_path, "\n".join(lines) + "\n"), columns=list(order))
    want = load_legs(write(tmp_path, "\n".join(ANSWERED[:2] + UNANSWERED[:1]) + "\n", "m.csv"))
    got = load.legs.set_index("uniqueid").sort_index()
    ref = want.legs.set_index("uniqueid").sort_index()
    assert (got["end"] - got["start"]).dt.total_seconds().tolist() == ref["duration"].tolist()
    assert got["answer"].isna().tolist() == ref["answer"].isna().tolist()
    assert not load.flags.any().any()  # no answer column: no "answered without answer time"


def test_columns_parameter_is_checked():
    with pytest.raises(ParameterError, match="'calltime' is not a CDR field"):
        load_legs(LOGS / "cdr-csv_Master.csv", columns="calltime,start")
    with pytest.raises(ParameterError, match="must have duration, billsec, disposition"):
        load_legs(LOGS / "cdr-csv_Master.csv", columns="start,src")
    with pytest.raises(ParameterError, match="more than once"):
        load_legs(LOGS / "cdr-csv_Master.csv", columns=[*SAMPLE_ORDER, "src"])
    with pytest.raises(ParameterError, match="not of a database"):
        load_legs("sqlite:///nowhere.sqlite", columns=",".join(SAMPLE_ORDER))
    # "" means none given
    assert len(load_legs(LOGS / "cdr-csv_Master.csv", columns="").legs) == len(REAL18)


# ------------------------------------------------------------------ nothing crashes the load
def test_damaged_real_files_never_raise_and_every_line_is_accounted(tmp_path):
    """Random damage to the real file (digits of dates and numbers, quotes, commas, NUL, Latin-1
    and C1 bytes): every line is still a leg or a reject, and nothing but a MirtaError is ever
    raised."""
    data = (LOGS / "cdr-csv_Master.csv").read_bytes()
    rng = random.Random(20261206)
    alphabet = b'0123456789",-:. \x00\xe9\x85\xff9'
    for run in range(40):
        damaged = bytearray(data)
        for _ in range(25):
            at = rng.randrange(len(damaged))
            if damaged[at] not in b"\r\n":
                damaged[at] = rng.choice(alphabet)
        path = write(tmp_path, bytes(damaged), f"damaged{run}.csv")
        try:
            load = load_legs(path)
        except MirtaError:
            continue  # refused as a whole with a message (e.g. most lines too few fields)
        assert len(load.legs) + len(load.rejects) == len(REAL18), run
        assert load.rejects["reason"].ne("").all()


# ------------------------------------------------------------------ SQLite rows
def test_sqlite_rows_with_bad_values_are_rejects_and_the_report_runs(tmp_path):
    legs = load_legs(LOGS / "cdr-custom_Master21.csv").legs
    url = parse_db_url(f"sqlite:///{tmp_path / 'cdr.sqlite'}")
    engine = make_engine(url, read_only=False)
    schema = Schema()
    schema.metadata.create_all(engine, tables=[schema.table("cdr")])
    once = ~legs["uniqueid"].duplicated(keep=False)
    uid = legs.loc[legs["disposition"].eq("ANSWERED") & once, "uniqueid"].tolist()
    with engine.begin() as conn:
        write_legs(conn, schema, legs)
        for sql, key in [
            ("UPDATE cdr SET \"end\" = '9999-12-31 23:59:59.000000' WHERE uniqueid = :u", 0),
            ("UPDATE cdr SET answer = '1000-01-01 00:00:00.000000' WHERE uniqueid = :u", 1),
            ("UPDATE cdr SET \"end\" = 'not a date' WHERE uniqueid = :u", 2),
            ("UPDATE cdr SET duration = 'abc' WHERE uniqueid = :u", 3),
            ("UPDATE cdr SET billsec = 99999999999999999999 WHERE uniqueid = :u", 4),
            ("UPDATE cdr SET answer = '0000-00-00 00:00:00' WHERE uniqueid = :u", 5),
            ("UPDATE cdr SET amaflags = 7, cc_cost = 'n/a' WHERE uniqueid = :u", 6),
        ]:
            conn.execute(text(sql), {"u": uid[key]})
    engine.dispose()
    load = load_legs(open_database(url))
    got = sorted(zip(load.rejects["field"], load.rejects["reason"], strict=True))
    assert got == [
        ("answer", "timestamp out of range"),
        ("billsec", "number out of range"),
        ("duration", "unparsable number"),
        ("end", "timestamp out of range"),
        ("end", "unparsable timestamp"),
    ]
    assert load.rejects["line"].isna().all() and load.rejects["raw"].str.contains("uniqueid=").all()
    assert len(load.legs) + len(load.rejects) == len(legs)
    flagged = load.legs[load.flags.any(axis=1)]
    assert flagged["uniqueid"].tolist() == sorted([uid[5], uid[6]], key=uid.index)
    assert load.flag_counts().to_dict("list") == {
        "flag": ["answered without answer time", "unknown amaflags"],
        "legs": [1, 1],
    }
    for engine_name in ("pandas", "sql"):
        report = build_report(
            ReportParams(source=str(url), start="2026-12-01", end="2027-01-01", engine=engine_name)
        )
        assert report.tables["kpis_tenant"]["attempts"].sum() > 0


def test_sqlite_blob_strings_are_decoded(tmp_path):
    """SQLite keeps what it is given: a BLOB in a text column came back as bytes, and bytes
    that are not UTF-8 failed the whole read (UnicodeDecodeError)."""
    legs = load_legs(LOGS / "cdr-custom_Master21.csv").legs
    url = parse_db_url(f"sqlite:///{tmp_path / 'cdr.sqlite'}")
    engine = make_engine(url, read_only=False)
    schema = Schema()
    schema.metadata.create_all(engine, tables=[schema.table("cdr")])
    with engine.begin() as conn:
        write_legs(conn, schema, legs)
        conn.execute(text("UPDATE cdr SET clid = :b WHERE rowid = 1"), {"b": b"M\xfcller <101>"})
        conn.execute(text("UPDATE cdr SET dst = :b WHERE rowid = 2"), {"b": "caffè".encode()})
    engine.dispose()
    load = load_legs(open_database(url))
    assert load.rejects.empty and len(load.legs) == len(legs)
    assert {"Müller <101>", "caffè"} <= set(load.legs["clid"]) | set(load.legs["dst"])
