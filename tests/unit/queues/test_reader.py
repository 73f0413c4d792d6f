"""load_queue_log: files (plain, gzip, rotated), database tables (data1..data5 and the old single
data column), every line an event or a reject with its reason; hypothesis: nothing is lost."""

from __future__ import annotations

import gzip
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

from mirtalib.cdr.mastercsv import decode_lines
from mirtalib.data.db import open_database
from mirtalib.data.schema import Schema
from mirtalib.errors import DataSourceError, ParameterError, SchemaError
from mirtalib.queues import load_queue_log
from mirtalib.queues.reader import read_file

GOOD = "1790000000|a.1|q-ACME|NONE|ENTERQUEUE||333|1\n"


def test_each_bad_line_has_its_reason_and_field(write):
    path = write(
        GOOD
        + "1790000001|a.1|q-ACME|100-ACME|CONNECT|x|b|1\n"  # holdtime not a number
        + "1790000002|a.1|q-ACME|NONE\n"  # 4 fields
        + "17900000x3|a.1|q-ACME|NONE|ABANDON|1|1|3\n"
        + "99999999999|a.1|q-ACME|NONE|ABANDON|1|1|3\n"  # year 5138
        + "1790000004|NONE|q-ACME|NONE|ABANDON|1|1|3\n"
        + "1790000005|a.2||NONE|ENTERQUEUE||1|1\n"
        + "1790000006|a.1|q-ACME|NONE||\n"
        + "1790000007|a.1|q-ACME|NONE|ABANDON|1|1\n"  # no wait
        + "1790000008|a.1|q-ACME|100-ACME|RINGNOANSWER|\x00\x00\n"
        + "\n"
        + "1790000009|MANAGER|q-ACME|100-ACME|ADDMEMBER|\n"
        + "1790000010|a.1|q-ACME|NONE|ABAN"  # Asterisk was writing it
    )
    load = load_queue_log(path, timezone="UTC")
    assert load.events["event"].tolist() == ["ENTERQUEUE", "ADDMEMBER"]
    got = load.rejects[["line", "reason", "field"]].values.tolist()
    assert got == [
        [2, "unparsable number", "data1"],
        [3, "too few fields", ""],
        [4, "unparsable timestamp", "time"],
        [5, "timestamp out of range", "time"],
        [6, "missing callid", "callid"],
        [7, "missing queue", "queuename"],
        [8, "missing event", "event"],
        [9, "missing number", "data3"],
        [10, "bad encoding", ""],
        [13, "truncated last line", ""],
    ]
    assert load.rejects["file"].eq("queue_log").all()


def test_times_are_pbx_local_and_data_beyond_five_go_to_data5(write):
    path = write("1790000000|a.1|q-ACME|100-ACME|CUSTOM|1|2|3|4|5|6|7\n")
    ev = load_queue_log(path, timezone="Europe/Rome").events.iloc[0]
    assert ev["time"] == pd.Timestamp("2026-09-21 16:13:20")  # 14:13:20 UTC, CEST
    assert ev[["data1", "data5"]].tolist() == ["1", "5|6|7"]


def test_gzip_rotations_in_order_and_a_cut_gzip(tmp_path):
    (tmp_path / "queue_log.2.gz").write_bytes(gzip.compress(GOOD.encode()))
    (tmp_path / "queue_log.1").write_text(GOOD.replace("a.1", "a.2"))
    (tmp_path / "queue_log").write_text(GOOD.replace("a.1", "a.3"))
    load = load_queue_log(tmp_path, timezone="UTC")
    assert load.events["callid"].tolist() == ["a.1", "a.2", "a.3"]
    assert load.source == "queue_log.2.gz, queue_log.1, queue_log"
    cut = tmp_path / "cut" / "queue_log.gz"
    cut.parent.mkdir()
    cut.write_bytes(gzip.compress((GOOD * 200).encode())[:-30])
    load = load_queue_log(cut, timezone="UTC")
    assert load.rejects["reason"].tolist()[-1] == "truncated gzip file"
    with pytest.raises(DataSourceError, match="no queue_log file"):
        load_queue_log(tmp_path / "nothing", timezone="UTC")


def test_period_keeps_the_end_of_calls_that_entered_in_it(write, qlog):
    path = write(qlog((0, "a.1|q-ACME|NONE|ENTERQUEUE||1|1"),
                      (100, "a.1|q-ACME|NONE|ABANDON|1|1|100"),
                      (100, "MANAGER|q-ACME|100-ACME|ADDMEMBER|"),
                      (50, "b.1|q-ROSSI|NONE|ENTERQUEUE||1|1")))  # fmt: skip
    # T0 = 2026-09-21 14:13:20 UTC; the period ends 60 s after it
    load = load_queue_log(path, "2026-09-21 14:00", "2026-09-21 14:14:20", timezone="UTC")
    assert load.events["event"].tolist() == ["ENTERQUEUE", "ENTERQUEUE", "ABANDON"]
    only = load_queue_log(path, tenants="ROSSI", timezone="UTC")
    assert only.events["callid"].tolist() == ["b.1"]
    with pytest.raises(ParameterError):
        load_queue_log(path, "2026-10-02", "2026-10-01", timezone="UTC")
    with pytest.raises(ParameterError, match="timezone"):
        load_queue_log(path, timezone="Mars/Base")


def _table_db(tmp_path, adaptive: bool):
    url = f"sqlite:///{tmp_path / 'q.sqlite'}"
    engine = create_engine(url)
    if adaptive:
        Schema().table("queue_log").create(engine)
        rows = [
            ("2026-10-01 09:00:00.123456", "a.1", "q-ACME", "NONE", "ENTERQUEUE", "", "333", "1"),
            ("2026-10-01 09:00:20", "a.1", "q-ACME", "100-ACME", "CONNECT", "20", "b.1", "3"),
            ("2026-10-01 09:01:20", "a.1", "q-ACME", "100-ACME", "COMPLETEAGENT", "20", "60",
             "1"),
            ("not a time", "a.2", "q-ACME", "NONE", "ENTERQUEUE", "", "", ""),
        ]  # fmt: skip
        with engine.begin() as conn:
            for i, r in enumerate(rows, start=1):
                conn.execute(
                    text("INSERT INTO queue_log (id, time, callid, queuename, agent, event, "
                         "data1, data2, data3) VALUES (:i, :t, :c, :q, :a, :e, :d1, :d2, :d3)"),
                    dict(i=i, t=r[0], c=r[1], q=r[2], a=r[3], e=r[4], d1=r[5], d2=r[6], d3=r[7]),
                )  # fmt: skip
    else:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "CREATE TABLE queue_log (id INTEGER PRIMARY KEY, time TEXT, "
                    "callid TEXT, queuename TEXT, agent TEXT, event TEXT, data TEXT)"
                )
            )
            conn.execute(text("INSERT INTO queue_log VALUES (1, '1790000000', 'a.1', 'q-ACME', "
                              "'NONE', 'ENTERQUEUE', '|333|1'), (2, '1790000020', 'a.1', "
                              "'q-ACME', '100-ACME', 'CONNECT', 'x|b.1|3')"))  # fmt: skip
    engine.dispose()
    return open_database(url)


def test_table_with_data1_to_data5(tmp_path):
    load = load_queue_log(_table_db(tmp_path, True), timezone="UTC")
    assert load.events["event"].tolist() == ["ENTERQUEUE", "CONNECT", "COMPLETEAGENT"]
    assert load.events["time"].iloc[0] == pd.Timestamp("2026-10-01 09:00:00.123456")
    assert load.rejects[["reason", "field"]].values.tolist() == [["unparsable timestamp", "time"]]
    assert load.rejects["line"].isna().all()


def test_old_table_with_one_data_column_and_epoch_times(tmp_path):
    load = load_queue_log(_table_db(tmp_path, False), timezone="UTC")
    ev = load.events.iloc[0]
    assert (ev["time"], ev["data2"], ev["data3"]) == (pd.Timestamp("2026-09-21 14:13:20"), "333",
                                                       "1")  # fmt: skip
    assert load.rejects[["reason", "field"]].values.tolist() == [["unparsable number", "data1"]]


def test_a_database_without_queue_log(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    create_engine(url).dispose()
    with pytest.raises(SchemaError, match="queue_log"):
        load_queue_log(open_database(url), timezone="UTC")


FIELD = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="|\n\r"), max_size=12)
EVENTS = st.sampled_from(["ENTERQUEUE", "CONNECT", "COMPLETECALLER", "ABANDON", "EXITWITHKEY",
                          "RINGNOANSWER", "PAUSE", "ATTENDEDTRANSFER", "", "X Y"])  # fmt: skip
LINE = st.one_of(
    st.builds(
        lambda t, parts, ev, data: "|".join([t, *parts, ev, *data]),
        st.one_of(st.integers(-10, 10**11).map(str), FIELD),
        st.lists(FIELD, min_size=3, max_size=3),
        EVENTS,
        st.lists(st.one_of(FIELD, st.integers(-5, 10**6).map(str)), max_size=7),
    ),
    FIELD,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lines=st.lists(LINE, max_size=12), tail=st.binary(max_size=40), newline=st.booleans())
def test_any_input_every_line_is_an_event_or_a_reject(tmp_path_factory, lines, tail, newline):
    data = "\n".join(lines).encode() + (b"\n" if newline else b"") + tail
    path = tmp_path_factory.mktemp("h") / "queue_log"
    path.write_bytes(data)
    events, rejects = read_file(path, ZoneInfo("UTC"))
    # the lines as Asterisk's readers split them (\n, \r\n, \r): each non-blank one (and a cut
    # last line) is exactly one event or one reject
    lines, _bad, truncated = decode_lines(data)
    expected = [i for i, ln in enumerate(lines, start=1)
                if ln.strip() or (truncated and i == len(lines))]  # fmt: skip
    seen = sorted(events["line"].astype(int).tolist() + rejects["line"].astype(int).tolist())
    assert seen == expected
    assert rejects["reason"].ne("").all()
    assert events["time"].notna().all()
