"""One demo PBX, every source: SQLite, MariaDB (both CDR layouts) and Master.csv agree.

The demo generator's own legs are the ground truth for the readers; SQLite and MariaDB must give
identical legs, calls and SQL aggregates; and the SQL aggregates must equal the pandas ones.
"""

from __future__ import annotations

import pandas as pd
import pytest

from mirtalib.cdr import LEG_COLUMNS, load_legs, onepass, sqlagg
from mirtalib.cdr.calls import to_calls
from mirtalib.cdr.concurrency import concurrency
from mirtalib.cdr.cube import DIMENSIONS, cube_from_calls, cube_kpis, peaks_from_minutes
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


def test_sqlite_and_mariadb_identical(demo_sqlite, maria):
    paths, _ = demo_sqlite
    lite = open_database(str(paths.db_url))
    a, b = load_legs(lite), load_legs(maria)
    pd.testing.assert_frame_equal(a.legs, b.legs)
    pd.testing.assert_frame_equal(to_calls(a.legs), to_calls(b.legs))
    pd.testing.assert_frame_equal(
        _sorted_cube(sqlagg.call_cube(lite)), _sorted_cube(sqlagg.call_cube(maria))
    )
    pd.testing.assert_frame_equal(
        sqlagg.concurrency_minutes(lite), sqlagg.concurrency_minutes(maria)
    )
    pd.testing.assert_frame_equal(
        sqlagg.top_destinations_sql(lite, n=5), sqlagg.top_destinations_sql(maria, n=5)
    )
    # filters pushed into SQL agree too
    period = {"start": "2026-10-10", "end": "2026-10-20", "tenants": ["ACME", "ROSSI"]}
    pd.testing.assert_frame_equal(load_legs(lite, **period).legs, load_legs(maria, **period).legs)
    sub = {k: v for k, v in period.items()}
    pd.testing.assert_frame_equal(
        _sorted_cube(sqlagg.call_cube(lite, **sub)), _sorted_cube(sqlagg.call_cube(maria, **sub))
    )


def test_sql_aggregates_equal_pandas(maria):
    calls = to_calls(load_legs(maria).legs)
    pd.testing.assert_frame_equal(
        _sorted_cube(sqlagg.call_cube(maria)), _sorted_cube(cube_from_calls(calls))
    )
    peaks = peaks_from_minutes(sqlagg.concurrency_minutes(maria)).set_index(["dim", "group"])
    for dim in ("tenant", "node", "trunk"):
        want = concurrency(calls, by=dim).set_index(dim)
        got = peaks.loc[dim]
        assert list(got["peak"]) == list(want["peak"]), dim
    assert peaks.loc[("all", ""), "peak"] == concurrency(calls)["peak"][0]


def test_legacy_layout_gives_the_same_calls(maria, maria_legacy):
    assert maria_legacy.schema.cdr_layout == "legacy"
    cur, old = to_calls(load_legs(maria).legs), to_calls(load_legs(maria_legacy).legs)
    # legacy rows carry no answer time: it is end - billsec, the same instant for these legs
    pd.testing.assert_frame_equal(
        cube_kpis(cube_from_calls(cur), ["tenant"]), cube_kpis(cube_from_calls(old), ["tenant"])
    )
    pd.testing.assert_frame_equal(
        _sorted_cube(sqlagg.call_cube(maria)), _sorted_cube(sqlagg.call_cube(maria_legacy))
    )


def test_one_pass_aggregates_equal_the_separate_queries(demo_sqlite, maria):
    paths, _ = demo_sqlite
    for db in (open_database(str(paths.db_url)), maria):
        cube, top, minutes = onepass.report_aggregates(db, short_s=6, top_n=5)
        pd.testing.assert_frame_equal(_sorted_cube(cube), _sorted_cube(sqlagg.call_cube(db)))
        pd.testing.assert_frame_equal(top, sqlagg.top_destinations_sql(db, n=5))
        pd.testing.assert_frame_equal(minutes, sqlagg.concurrency_minutes(db))


@pytest.mark.parametrize("chunksize", [97, 1_000])
def test_streamed_per_call_aggregates_merge_chunks_exactly(demo_sqlite, maria, chunksize):
    """Per-call rows streamed in many small chunks sum to the same tables as the SQL queries."""
    paths, _ = demo_sqlite
    for db in (open_database(str(paths.db_url)), maria):
        cube, top, minutes = onepass.calls_stream_aggregates(
            db, short_s=6, top_n=5, chunksize=chunksize
        )
        assert cube["calls"].sum() > 3 * chunksize  # several chunks were merged
        pd.testing.assert_frame_equal(_sorted_cube(cube), _sorted_cube(sqlagg.call_cube(db)))
        pd.testing.assert_frame_equal(top, sqlagg.top_destinations_sql(db, n=5))
        pd.testing.assert_frame_equal(minutes, sqlagg.concurrency_minutes(db))
