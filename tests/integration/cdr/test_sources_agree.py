"""One demo PBX, every source: SQLite, MariaDB (both CDR layouts) and Master.csv agree.

The demo generator's own legs are the ground truth for the readers; SQLite and MariaDB must give
identical legs, calls and SQL aggregates; and the SQL aggregates must equal the pandas ones.
"""

from __future__ import annotations

import pandas as pd
import pytest
from engines_agree import assert_engines_agree

from mirtalib.cdr import LEG_COLUMNS, load_legs
from mirtalib.cdr.calls import to_calls
from mirtalib.cdr.cube import DIMENSIONS, cube_from_calls, cube_kpis
from mirtalib.cdr.report import ReportParams, build_report
from mirtalib.data.db import open_database
from mirtalib.demo.build import build_demo
from mirtalib.demo.paths import DemoPaths

SEED, SCALE = 7, 0.15
MIRTA_EXTRAS = {
    "realsrc",
    "firstdst",
    "lastdst",
    "wherelanded",
    "prevuniqueid",
    "cc_country",
    "cc_network",
    "cc_cost",
    "cc_buy",
}
pytestmark = pytest.mark.integration


def _sorted_cube(cube: pd.DataFrame) -> pd.DataFrame:
    cols = [*DIMENSIONS, "calls", "billable", "duration", "short"]
    return cube[cols].sort_values(list(DIMENSIONS), ignore_index=True)


@pytest.fixture(scope="module")
def maria(mariadb_factory, tmp_path_factory):
    url = mariadb_factory()
    build_demo(
        DemoPaths(tmp_path_factory.mktemp("m")),
        seed=SEED,
        scale=SCALE,
        db_url=url,
        plugins=False,
        master_csv=False,
    )
    return open_database(url)


@pytest.fixture(scope="module")
def maria_legacy(mariadb_factory, tmp_path_factory):
    url = mariadb_factory()
    build_demo(
        DemoPaths(tmp_path_factory.mktemp("l")),
        seed=SEED,
        scale=SCALE,
        db_url=url,
        plugins=False,
        master_csv=False,
        cdr_layout="legacy",
    )
    return open_database(url)


def test_readers_return_the_generated_legs(demo_sqlite):
    paths, model = demo_sqlite
    truth = model.legs[list(LEG_COLUMNS)].sort_values(
        ["start", "uniqueid", "sequence"], kind="stable", ignore_index=True
    )
    db = load_legs(str(paths.db_url))
    assert db.rejects.empty and len(db.legs) == model.n_legs
    pd.testing.assert_frame_equal(db.legs, truth, check_dtype=False)
    csv = load_legs(paths.master_csv)
    assert csv.rejects.empty
    # Master.csv has no MiRTA extra columns (realsrc ... cc_buy): compare the Asterisk ones
    asterisk = [c for c in LEG_COLUMNS if c not in MIRTA_EXTRAS and c != "source_line"]
    pd.testing.assert_frame_equal(csv.legs[asterisk], truth[asterisk], check_dtype=False)
    assert (csv.legs["realsrc"] == "").all() and csv.legs["cc_cost"].isna().all()
    assert csv.legs["source_line"].notna().all()


def test_calls_match_the_generator(demo_sqlite):
    paths, model = demo_sqlite
    calls = to_calls(load_legs(str(paths.db_url)).legs)
    assert len(calls) == model.n_calls
    truth = model.legs.groupby("linkedid").agg(tenant=("tenant", "first"), node=("node", "first"))
    got = calls.set_index("call_id")[["tenant", "node"]].sort_index()
    pd.testing.assert_frame_equal(got, truth.sort_index(), check_names=False, check_dtype=False)


def _sql_tables(db, **params) -> dict[str, pd.DataFrame]:
    return build_report(
        ReportParams(source=str(db.url.render_as_string(hide_password=False)), engine="sql",
                     start="", end="", **params)
    ).tables  # fmt: skip


def test_sqlite_and_mariadb_identical(demo_sqlite, maria):
    paths, _ = demo_sqlite
    lite = open_database(str(paths.db_url))
    a, b = load_legs(lite), load_legs(maria)
    pd.testing.assert_frame_equal(a.legs, b.legs)
    pd.testing.assert_frame_equal(to_calls(a.legs), to_calls(b.legs))
    # the engine on both (SQLite through sqlite3, MariaDB through ConnectorX): same tables
    for name, table in _sql_tables(lite).items():
        pd.testing.assert_frame_equal(table, _sql_tables(maria)[name], obj=name)
    # filters pushed into SQL agree too
    period = {"start": "2026-10-10", "end": "2026-10-20", "tenants": ["ACME", "ROSSI"]}
    pd.testing.assert_frame_equal(load_legs(lite, **period).legs, load_legs(maria, **period).legs)


def test_sql_engine_equals_pandas_on_mariadb(maria):
    """Every table of the report from MariaDB: the DuckDB engine equals the pandas reference,
    for the whole month and for a period and some tenants."""
    url = str(maria.url.render_as_string(hide_password=False))
    assert_engines_agree(url)
    assert_engines_agree(url, start="2026-10-10", end="2026-10-20", tenants="ACME,ROSSI")


def test_parts_from_a_large_mariadb_table_equal_pandas(maria, monkeypatch):
    """A table estimated large (information_schema's row count above what build_calls groups
    at once): leg0 sorted by bucket as ConnectorX streams it, the calls grouped in parts."""
    from mirtalib.cdr import engine as E

    rows = E.estimate_rows(maria)
    assert rows and rows > 1000  # the statistics of the demo's cdr table
    parts: list[str] = []
    original = E._part_calls
    monkeypatch.setattr(E, "PART_LEGS_PER_MB", rows / 512 / 5)  # about 5 parts
    monkeypatch.setattr(E, "_part_calls", lambda *a, **k: parts.append(a[1]) or original(*a, **k))
    url = str(maria.url.render_as_string(hide_password=False))
    assert_engines_agree(url)
    assert 3 <= len(parts) <= 8, parts


def test_legacy_layout_gives_the_same_calls(maria, maria_legacy):
    assert maria_legacy.schema.cdr_layout == "legacy"
    cur, old = to_calls(load_legs(maria).legs), to_calls(load_legs(maria_legacy).legs)
    # legacy rows carry no answer time: it is end - billsec, the same instant for these legs
    pd.testing.assert_frame_equal(
        cube_kpis(cube_from_calls(cur), ["tenant"]), cube_kpis(cube_from_calls(old), ["tenant"])
    )
    pd.testing.assert_frame_equal(
        _sql_tables(maria)["kpis_tenant"], _sql_tables(maria_legacy)["kpis_tenant"]
    )
