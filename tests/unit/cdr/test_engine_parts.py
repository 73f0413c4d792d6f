"""The engine's calls grouped in parts (large sources): the same tables as grouped at once."""

from __future__ import annotations

import pytest
from engines_agree import assert_engines_agree

from mirtalib.cdr import engine as E
from mirtalib.cdr.mastercsv import CSV_LINE_BYTES
from mirtalib.data.db import open_database


@pytest.fixture
def parts_seen(monkeypatch, request):
    """The engine made to group few legs per part (``PART_LEGS_PER_MB`` from the test's
    parameter, else 0.01: 5 legs at 512 MB); the parts it grouped, per build_calls."""
    seen: list[int] = []
    original = E._part_calls

    def counting(con, src, ranks, append):
        if not append:
            seen.append(0)
        seen[-1] += 1
        return original(con, src, ranks, append)

    monkeypatch.setattr(E, "PART_LEGS_PER_MB", getattr(request, "param", 0.01))
    monkeypatch.setattr(E, "_part_calls", counting)
    return seen


@pytest.mark.parametrize("parts_seen", [0.01, 10], indirect=True)
def test_parts_give_the_pandas_tables_on_the_demo_month(parts_seen):
    from mirtalib.demo import ensure_demo

    demo = ensure_demo()
    tables = assert_engines_agree(str(demo.master_csv), start="2026-10-01", end="2026-11-01")
    assert tables["kpis_tenant"]["attempts"].sum() > 1000
    # 0.01: more parts than buckets, capped; 10: 5,120 legs a part, uneven runs of buckets
    if E.PART_LEGS_PER_MB < 1:
        assert parts_seen[-1] == E.BUCKETS
    else:
        assert 1 < parts_seen[-1] < E.BUCKETS and E.BUCKETS % parts_seen[-1], parts_seen
    assert_engines_agree(str(demo.master_csv), start="2026-10-10", end="2026-10-20",
                         tenants="ACME,ROSSI")  # fmt: skip


def test_sqlite_is_not_estimated_and_is_grouped_at_once(parts_seen):
    from mirtalib.demo import ensure_demo

    demo = ensure_demo()
    assert E.estimate_rows(open_database(str(demo.db_url))) is None
    assert_engines_agree(str(demo.db_url), start="2026-10-01", end="2026-11-01")
    assert parts_seen == [1]


def test_legs_without_linkedid_are_grouped_at_once(parts_seen, monkeypatch, write_csv, csv_line):
    lines = [
        csv_line(linkedid="", uniqueid=f"srv01-1791190800.{i}", start=f"2026-10-05 09:0{i}:00")
        for i in range(5)
    ]
    path = write_csv("Master.csv", lines)
    assert E.estimate_rows(str(path)) == path.stat().st_size // CSV_LINE_BYTES
    monkeypatch.setattr(E, "estimate_rows", lambda source: 10**9)  # leg0 sorted by bucket
    assert_engines_agree(str(path))
    assert parts_seen == [1]


@pytest.mark.parametrize("sorted_legs", [False, True], ids=["rowid", "window"])
def test_a_tie_in_a_calls_order_goes_to_the_row_read_first(
    sorted_legs, monkeypatch, write_csv, csv_line, tmp_path
):
    """Two rows of one call with the same start, uniqueid and sequence (a row written twice,
    edited): the first leg is the one read first, in the file and in a database, however the
    engine numbers the rows (leg0's row id, the window over a sorted leg0, the stream's
    count). The SQLite table has no firstdst nor prevuniqueid (MiRTA's columns): read as
    empty."""
    import sqlite3

    import pandas as pd

    if sorted_legs:
        monkeypatch.setattr(E, "estimate_rows", lambda source: 10**9)
    a = csv_line(accountcode="ACME", dst="0611", userfield="OUT", dstchannel="PJSIP/voipco-1")
    b = csv_line(accountcode="ROSSI", dst="0622", userfield="IN", channel="PJSIP/voipco-2")
    seen = []
    for order in ((a, b), (b, a)):
        path = write_csv("Master.csv", list(order))
        tables = assert_engines_agree(str(path))
        seen.append(tables["kpis_tenant"]["tenant"].tolist())
        legs = pd.read_csv(path, header=None, dtype=str, keep_default_na=False)
        db = tmp_path / f"cdr{len(seen)}.db"
        with sqlite3.connect(db) as con:  # the same rows, in the same order, in a table
            legs.iloc[:, [0, 1, 2, 5, 6, 9, 10, 11, 12, 13, 14, 16, 17, 19, 20]].set_axis(
                ["accountcode", "src", "dst", "channel", "dstchannel", "start", "answer", "end",
                 "duration", "billsec", "disposition", "uniqueid", "userfield", "linkedid",
                 "sequence"], axis=1,
            ).to_sql("cdr", con, index=False)  # fmt: skip
        assert assert_engines_agree(f"sqlite:///{db}")["kpis_tenant"]["tenant"].tolist() == seen[-1]
    assert seen == [["ACME"], ["ROSSI"]]
