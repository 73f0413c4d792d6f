"""The month-to-date cache: a run that reads only the new rows gives a full run's numbers.

A demo month is replayed into an empty MariaDB table the way Asterisk writes it: a CDR row
appears when its leg hangs up (rows whose ``end`` is before the run's time). Runs at chosen
times (an early morning, just after midnight while a call crosses it, a day later, the end of
the month) each compare every table of the cached run with a full run of the same table state.
Hand-built calls add what the demo lacks: a call crossing midnight whose legs arrive over two
runs, a call that gets a leg hours after its first one ended (read whole again) and a call in
progress at the start of that one (the concurrency level carried into the recomputed minutes).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import duckdb
import pandas as pd
import pytest
from engines_agree import assert_engines_agree
from sqlalchemy import text

from mirtalib.cdr import callcache
from mirtalib.cdr.dbwrite import write_legs
from mirtalib.cdr.legs import normalize
from mirtalib.cdr.report import ReportParams, build_report
from mirtalib.data.db import make_engine, open_database
from mirtalib.data.schema import Schema
from mirtalib.demo.build import build_demo
from mirtalib.demo.paths import DemoPaths
from mirtalib.errors import ParameterError

pytestmark = pytest.mark.integration
MONTH = "2026-10-01"


def _leg(start: datetime, seconds: int, linkedid: str, uid: str, answered: int | None = None,
         **kw) -> dict:  # fmt: skip
    end = start + timedelta(seconds=seconds)
    return {
        "start": start,
        "answer": start + timedelta(seconds=answered) if answered is not None else None,
        "end": end,
        "duration": seconds,
        "billsec": seconds - answered if answered is not None else 0,
        "disposition": "ANSWERED" if answered is not None else "NO ANSWER",
        "accountcode": "ACME",
        "src": "101",
        "dst": "0612345678",
        "channel": "PJSIP/101-ACME-0000abcd",
        "dstchannel": "PJSIP/trunk1-0000beef",
        "uniqueid": uid,
        "linkedid": linkedid,
        **kw,
    }


#: A call crossing midnight (Oct 3 -> 4) with a transfer leg, a call with a leg 15 h later, and
#: a call in progress when that one starts (its calls are counted again from there on: the
#: level carried in must count this one).
EXTRA = [
    _leg(datetime(2026, 10, 3, 9, 55), 600, "srv01-1790000050.1", "srv01-1790000050.1", 4),
    _leg(datetime(2026, 10, 3, 23, 50), 1800, "srv01-1790000000.1", "srv01-1790000000.1", 20),
    _leg(datetime(2026, 10, 4, 0, 5), 120, "srv01-1790000000.1", "srv01-1790000000.2", 5,
         channel="PJSIP/102-ACME-0000abce", dstchannel=""),
    _leg(datetime(2026, 10, 3, 10, 0), 120, "srv01-1790000100.1", "srv01-1790000100.1", 10),
    _leg(datetime(2026, 10, 4, 1, 0), 60, "srv01-1790000100.1", "srv01-1790000100.5", 3,
         channel="PJSIP/103-ACME-0000abcf", dstchannel=""),
]  # fmt: skip


@pytest.fixture(scope="module")
def month(mariadb_factory, tmp_path_factory):
    """(source URL: the demo month plus EXTRA, live URL: an empty cdr table)."""
    src = mariadb_factory()
    build_demo(
        DemoPaths(tmp_path_factory.mktemp("cc")),
        seed=11,
        scale=0.15,
        db_url=src,
        plugins=False,
        master_csv=False,
    )
    schema = Schema()
    engine = make_engine(src, read_only=False)
    with engine.begin() as conn:
        write_legs(conn, schema, normalize(pd.DataFrame(EXTRA)))
    engine.dispose()
    live = mariadb_factory()
    engine = make_engine(live, read_only=False)
    schema.metadata.create_all(engine, tables=[schema.table("cdr")])
    engine.dispose()
    return src, live


@pytest.fixture
def tables(month):
    """The month fixture with an empty live table."""
    _sql(month[1], "DELETE FROM cdr")
    return month


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("MIRTA_HOME", str(tmp_path))
    return tmp_path


def _arrive(src, live, after: datetime | None, until: datetime) -> int:
    """Copy the rows of legs that hung up in (after, until] into the live table."""
    engine = make_engine(live, read_only=False)
    lo = "" if after is None else f" AND `end` > '{after:%Y-%m-%d %H:%M:%S}'"
    with engine.begin() as conn:
        n = conn.execute(
            text(
                f"INSERT INTO cdr SELECT * FROM `{src.database}`.cdr "
                f"WHERE `end` <= '{until:%Y-%m-%d %H:%M:%S}'{lo}"
            )
        ).rowcount
    engine.dispose()
    return n


def _sql(live, statement: str) -> None:
    engine = make_engine(live, read_only=False)
    with engine.begin() as conn:
        conn.execute(text(statement))
    engine.dispose()


def _report(live, cache: str, **kw):
    params = {"source": str(live.render_as_string(hide_password=False)), "engine": "sql",
              "start": MONTH, "end": "", "cache": cache, **kw}  # fmt: skip
    return build_report(ReportParams(**params))


def _same(got, want) -> None:
    assert set(got.tables) == set(want.tables)
    for name, table in want.tables.items():
        pd.testing.assert_frame_equal(got.tables[name], table, obj=name)
    plain = [n for n in got.notes if not n.startswith("cache")]
    assert plain == want.notes


def _cache_note(report) -> str:
    return next(n for n in report.notes if n.startswith("cache"))


def test_runs_through_the_month_give_the_full_runs_numbers(tables, home):
    src, live = tables
    times = [
        datetime(2026, 10, 2, 8, 0),
        datetime(2026, 10, 3, 23, 59, 30),
        datetime(2026, 10, 4, 0, 10),  # the transfer leg of the midnight call is in, not its A leg
        datetime(2026, 10, 4, 0, 30),  # ... now the A leg (started before the watermark)
        datetime(2026, 10, 5, 6, 0),  # the call of Oct 3 10:00 gets its leg of Oct 4 01:00
        datetime(2026, 10, 12, 7, 0),
        datetime(2026, 11, 1, 0, 0),
    ]
    prev, kinds, read = None, [], []
    for when in times:
        _arrive(src, live, prev, when)
        prev = when
        got = _report(live, "on")
        _same(got, _report(live, "off"))
        kinds.append("incremental" if "kept from earlier runs" in _cache_note(got) else "full")
        read.append(_cache_note(got))
    assert kinds == ["full"] + ["incremental"] * (len(times) - 1), read
    crossing = re.search(r"the legs of (\d+) calls? crossing", read[4])
    assert crossing and int(crossing.group(1)) >= 1, read[4]  # the call of Oct 3 10:00
    files = list((home / "cache" / "cdr").glob("*.duckdb"))
    assert len(files) == 1
    # and the cached month equals the pandas reference too
    assert_engines_agree(str(live.render_as_string(hide_password=False)), start=MONTH)


def test_the_cut_reads_only_recent_rows(month, home):
    src, _ = month
    db = open_database(src)
    first = callcache.read_calls(db, datetime(2026, 10, 1), None, None, "Europe/Rome", mode="on")
    first.legs.con.close()
    again = callcache.read_calls(db, datetime(2026, 10, 1), None, None, "Europe/Rome", mode="on")
    again.legs.con.close()
    assert first.kind == "full" and again.kind == "incremental"
    assert again.rows_read * 10 < first.rows_read, (again.rows_read, first.rows_read)
    assert again.since is not None and again.since >= datetime(2026, 10, 30)


def test_late_and_deleted_rows_before_the_cut_need_verify(tables, home):
    src, live = tables
    _arrive(src, live, None, datetime(2026, 11, 1))
    _report(live, "on")  # the cache holds the month
    late = normalize(pd.DataFrame([_leg(datetime(2026, 10, 6, 12, 0), 300, "late-1", "late-1", 7)]))
    engine = make_engine(live, read_only=False)
    with engine.begin() as conn:
        write_legs(conn, Schema(), late)
    engine.dispose()
    blind = _report(live, "on")
    full = _report(live, "off")
    with pytest.raises(AssertionError):  # "on" trusts the rows before the cut
        _same(blind, full)
    checked = _report(live, "verify")
    _same(checked, full)
    assert "read again from 2026-10-06 12:00" in _cache_note(checked)
    _sql(live, "DELETE FROM cdr WHERE linkedid = 'late-1'")
    _sql(live, "DELETE FROM cdr WHERE start < '2026-10-02 09:00:00' LIMIT 3")
    checked = _report(live, "verify")
    _same(checked, _report(live, "off"))
    _same(_report(live, "verify"), _report(live, "off"))  # and nothing differs afterwards


def test_what_makes_a_full_run(tables, home, monkeypatch):
    src, live = tables
    _arrive(src, live, None, datetime(2026, 10, 20))
    assert "no cache yet" in _cache_note(_report(live, "on"))
    assert "kept from earlier runs" in _cache_note(_report(live, "on"))
    assert "rebuilt on request" in _cache_note(_report(live, "rebuild"))
    # the period's end moving back
    assert "end moved back" in _cache_note(_report(live, "on", end="2026-11-01"))  # open: later
    assert "kept" in _cache_note(_report(live, "on", end="2026-11-02"))
    assert "end moved back" in _cache_note(_report(live, "on", end="2026-10-25"))
    # other tenants or another time zone: another file
    _report(live, "on", tenants="ACME")
    assert "no cache yet" in _cache_note(_report(live, "on", timezone="Europe/London"))
    assert len(list((home / "cache" / "cdr").glob("*.duckdb"))) == 3
    # the rules' code changed
    monkeypatch.setattr(callcache.E, "RULES_VERSION", "changed")
    got = _report(live, "on", tenants="ACME")
    assert "rules' code changed" in _cache_note(got)
    _same(got, _report(live, "off", tenants="ACME"))
    # a damaged file
    for path in (home / "cache" / "cdr").glob("*.duckdb"):
        path.write_bytes(b"not a duckdb file")
    got = _report(live, "on")
    assert "unreadable" in _cache_note(got)
    _same(got, _report(live, "off"))
    kept = callcache.cache_file(open_database(live), datetime(2026, 10, 1), None, "Europe/Rome")
    with duckdb.connect(str(kept), read_only=True) as con:
        assert con.execute("SELECT COUNT(*) FROM calls").fetchone()[0] > 0


def test_files_unused_for_weeks_are_removed(tables, home):
    import os
    import time

    src, live = tables
    _arrive(src, live, None, datetime(2026, 10, 10))
    _report(live, "on")
    _report(live, "on", tenants="ACME")
    files = sorted((home / "cache" / "cdr").glob("*.duckdb"), key=lambda p: p.stat().st_mtime)
    assert len(files) == 2
    stale = time.time() - (callcache.UNUSED_DAYS + 1) * 86400
    os.utime(files[0], (stale, stale))
    _report(live, "on", timezone="Europe/London")  # a new file: the stale one goes
    left = list((home / "cache" / "cdr").glob("*.duckdb"))
    assert files[0] not in left and files[1] in left and len(left) == 2


def test_a_source_without_linkedid_is_read_whole_and_not_kept(cdr_db, home):
    start = datetime(2026, 10, 5, 9, 0)
    legs = [
        _leg(start + timedelta(minutes=i), 60, "", f"srv01-17900{i:05d}.1", 5) for i in range(6)
    ]
    db = cdr_db(normalize(pd.DataFrame(legs)))
    url = db.url.render_as_string(hide_password=False)
    got = build_report(ReportParams(source=url, engine="sql", start=MONTH, end="", cache="on"))
    assert "cache not kept: 6 CDR rows have no linkedid" in _cache_note(got)
    want = build_report(ReportParams(source=url, engine="sql", start=MONTH, end=""))
    _same(got, want)
    assert not list((home / "cache" / "cdr").glob("*.duckdb"))


def test_cache_parameter_checks(home, tmp_path):
    with pytest.raises(ParameterError, match="cache='sometimes'"):
        build_report(ReportParams(cache="sometimes"))
    with pytest.raises(ParameterError, match="engine='sql' or 'auto'"):
        build_report(ReportParams(cache="on", engine="pandas"))
