"""The month-to-date cache on the demo PBX's SQLite database (the MariaDB runs are in
tests/integration/cdr/test_callcache.py): no start, and verify counting with SQLite's strftime."""

from __future__ import annotations

import pandas as pd

from mirtalib.cdr import callcache
from mirtalib.cdr.report import ReportParams, build_report


def _notes(report) -> list[str]:
    return [n for n in report.notes if n.startswith("cache")]


def test_cache_on_the_demo_sqlite_database(tmp_path, monkeypatch):
    monkeypatch.setattr(callcache, "default_home", lambda: tmp_path)
    no_start = build_report(ReportParams(engine="sql", start="", end="", cache="on"))
    assert _notes(no_start) == [
        "cache not used: it needs the period's start (e.g. the month's first)"
    ]
    assert not list(tmp_path.glob("cache/cdr/*.duckdb"))
    month = {"engine": "sql", "start": "2026-10-01", "end": ""}
    first = build_report(ReportParams(cache="on", **month))
    assert "no cache yet" in _notes(first)[0]
    checked = build_report(ReportParams(cache="verify", **month))
    assert "kept from earlier runs" in _notes(checked)[0]
    assert len(_notes(checked)) == 1  # the counts before the cut agree: nothing read again
    full = build_report(ReportParams(cache="off", **month))
    for name, table in full.tables.items():
        pd.testing.assert_frame_equal(checked.tables[name], table, obj=name)


def test_verify_finds_a_late_row_in_sqlite(tmp_path, monkeypatch):
    import shutil
    import sqlite3

    from mirtalib.data.db import open_database

    monkeypatch.setattr(callcache, "default_home", lambda: tmp_path)
    copy = tmp_path / "pbx.sqlite"
    shutil.copy(open_database().url.database, copy)
    month = {"source": f"sqlite:///{copy}", "engine": "sql", "start": "2026-10-01", "end": ""}
    build_report(ReportParams(cache="on", **month))
    with sqlite3.connect(copy) as con:  # a row of Oct 6 added after the run (a CDR import)
        cols = [r[1] for r in con.execute("PRAGMA table_info(cdr)")]
        row = dict(zip(cols, con.execute("SELECT * FROM cdr LIMIT 1").fetchone(), strict=True))
        row.update(start="2026-10-06 12:00:00", answer="2026-10-06 12:00:05",
                   end="2026-10-06 12:01:00", uniqueid="late-1.1", linkedid="late-1.1")  # fmt: skip
        con.execute(f"INSERT INTO cdr ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                    list(row.values()))  # fmt: skip
    checked = build_report(ReportParams(cache="verify", **month))
    assert "read again from 2026-10-06 12:00" in _notes(checked)[0]
    full = build_report(ReportParams(cache="off", **month))
    for name, table in full.tables.items():
        pd.testing.assert_frame_equal(checked.tables[name], table, obj=name)
