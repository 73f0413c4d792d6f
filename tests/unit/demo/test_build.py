"""build_demo: determinism, scale, CDR layouts, database safety, chunking."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import create_engine, func, inspect, select

from mirtalib.data.db import detect_cdr_layout
from mirtalib.data.schema import Schema, SchemaMap
from mirtalib.demo import schedule
from mirtalib.demo.build import build_demo
from mirtalib.demo.model import LEG_ANNOTATIONS, LEG_COLUMNS, DemoModel
from mirtalib.demo.paths import DEMO_SEED, DemoPaths
from mirtalib.errors import DataSourceError, ParameterError

from .conftest import sqlite_dump


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_seed_gives_byte_identical_database_and_master_csv(core_demo, tmp_path):
    paths, _ = core_demo
    again = DemoPaths(tmp_path / "again")
    build_demo(again, seed=DEMO_SEED, plugins=False)
    assert sqlite_dump(again.db_path) == sqlite_dump(paths.db_path)
    assert _sha(again.master_csv) == _sha(paths.master_csv)


def test_same_seed_with_plugins_gives_identical_files(tmp_path):
    """The whole demo (core + whichever plug-ins exist) is reproducible, files included."""
    trees = []
    for name in ("one", "two"):
        paths = DemoPaths(tmp_path / name)
        model = build_demo(paths, seed=7, scale=0.2)
        files = {
            str(p.relative_to(paths.root)): _sha(p)
            for p in sorted(paths.root.rglob("*"))
            if p.is_file() and p != paths.db_path
        }
        trees.append((sqlite_dump(paths.db_path), files, model.extras.get("plugins")))
    assert trees[0] == trees[1]


def test_different_seed_gives_different_calls(core_demo, tmp_path):
    paths, model = core_demo
    other = DemoPaths(tmp_path / "other")
    model2 = build_demo(other, seed=DEMO_SEED + 1, plugins=False)
    assert _sha(other.master_csv) != _sha(paths.master_csv)
    assert not model2.legs.uniqueid.head(50).equals(model.legs.uniqueid.head(50))
    # the configuration does not depend on the seed
    pd.testing.assert_frame_equal(model2.extensions, model.extensions)


def test_scale_changes_counts_linearly(tmp_path):
    small = build_demo(DemoPaths(tmp_path / "s"), seed=3, scale=0.25, plugins=False)
    big = build_demo(DemoPaths(tmp_path / "b"), seed=3, scale=0.5, plugins=False)
    fraud = lambda m: len(schedule.FRAUD_NIGHTS) * max(1, round(14 * m.scale))  # noqa: E731
    assert small.n_calls == 5000 + fraud(small)
    assert big.n_calls == 10000 + fraud(big)
    assert 1.9 < big.n_legs / small.n_legs < 2.1


def test_model_follows_the_plugin_contract(core_demo):
    _, model = core_demo
    assert isinstance(model, DemoModel)
    assert list(model.legs.columns) == [*LEG_COLUMNS, *LEG_ANNOTATIONS]
    assert str(model.period_start) == "2026-10-01 00:00:00"
    assert str(model.period_end) == "2026-11-01 00:00:00"
    legs = model.legs
    for col in ("start", "answer", "end"):
        assert legs[col].dtype == "datetime64[ns]"
    assert legs.duration.dtype == "int64" and legs.billsec.dtype == "int64"
    assert str(legs.sequence.dtype) == "Int64" and str(legs.amaflags.dtype) == "Int64"
    assert legs.cc_cost.dtype == "float64"
    for col in ("accountcode", "uniqueid", "linkedid", "tenant", "call_kind", "to_ext", "did"):
        assert legs[col].notna().all(), col
    assert model.legs_complete and model.n_legs == len(legs)
    for frame, cols in (
        (model.nodes, ["no_id", "no_name", "no_ip"]),
        (model.tenants, ["te_id", "te_code", "te_name"]),
        (
            model.dids,
            [
                "di_id",
                "di_te_id",
                "di_number",
                "di_destination",
                "di_recording",
                "di_recording_stereo",
                "di_transcript",
                "te_code",
            ],
        ),
    ):
        assert set(cols) <= set(frame.columns)


def test_database_rows_equal_the_model(core_demo):
    paths, model = core_demo
    schema = Schema()
    engine = create_engine(paths.db_url)
    with engine.connect() as conn:
        cdr = schema.table("cdr")
        assert conn.execute(select(func.count()).select_from(cdr)).scalar() == model.n_legs
        total = conn.execute(select(func.sum(cdr.c.billsec))).scalar()
        assert total == int(model.legs.billsec.sum())
        for key, frame in (
            ("ex_extensions", model.extensions),
            ("di_dids", model.dids),
            ("te_tenants", model.tenants),
            ("qu_queues", model.queues),
            ("qm_queuemembers", model.queue_members),
            ("pk_parkinglots", model.parking_lots),
            ("no_nodes", model.nodes),
        ):
            count = conn.execute(select(func.count()).select_from(schema.table(key))).scalar()
            assert count == len(frame), key
        row = conn.execute(
            select(cdr.c.start, cdr.c.answer, cdr.c.uniqueid).order_by(cdr.c.start).limit(1)
        ).one()
    engine.dispose()
    assert row.start == model.legs.start.min().to_pydatetime()
    assert detect_cdr_layout(engine) == "current"


def test_legacy_layout_is_written_and_detected(tmp_path, core_demo):
    paths = DemoPaths(tmp_path / "legacy")
    model = build_demo(paths, seed=DEMO_SEED, cdr_layout="legacy", plugins=False, master_csv=False)
    engine = create_engine(paths.db_url)
    assert detect_cdr_layout(engine) == "legacy"
    schema = Schema(cdr_layout="legacy")
    cdr = schema.table("cdr")
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(cdr)).scalar()
        first = conn.execute(select(cdr.c.calldate).order_by(cdr.c.calldate).limit(1)).scalar()
    engine.dispose()
    assert n == core_demo[1].n_legs == model.n_legs
    assert first == model.legs.start.min().to_pydatetime()
    assert not paths.master_csv.exists()


def test_refuses_a_database_that_already_has_the_tables(tmp_path):
    url = f"sqlite:///{tmp_path / 'pbx.sqlite'}"
    build_demo(DemoPaths(tmp_path / "a"), seed=1, scale=0.05, db_url=url, plugins=False)
    with pytest.raises(DataSourceError, match="already has the tables"):
        build_demo(DemoPaths(tmp_path / "b"), seed=1, scale=0.05, db_url=url, plugins=False)
    model = build_demo(
        DemoPaths(tmp_path / "c"), seed=1, scale=0.05, db_url=url, plugins=False, replace=True
    )
    engine = create_engine(url)
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(Schema().table("cdr"))).scalar()
    engine.dispose()
    assert n == model.n_legs


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"scale": 0}, "scale"),
        ({"scale": -1.0}, "scale"),
        ({"scale": "big"}, "scale"),
        ({"seed": -3}, "seed"),
        ({"scale": 6.0, "plugins": True}, "plug-ins"),
    ],
)
def test_bad_parameters_are_named(tmp_path, kwargs, match):
    with pytest.raises(ParameterError, match=match):
        build_demo(DemoPaths(tmp_path), **kwargs)


def test_chunks_never_split_a_call_and_come_in_time_order(tmp_path, monkeypatch):
    monkeypatch.setattr(schedule, "CHUNK_CALLS", 700)
    model = build_demo(DemoPaths(tmp_path), seed=11, scale=0.3, plugins=False)
    legs = model.legs
    assert model.n_calls == legs.linkedid.nunique()  # n_calls sums per-chunk counts
    counts = schedule.hourly_counts(np.random.default_rng([11, 6]), 0.3)[1]
    assert len(schedule.chunk_plan(counts)) > 5
    # uniqueids are unique per channel: a uniqueid never appears under two channels
    assert (legs.groupby("uniqueid").channel.nunique() == 1).all()
    # the CDR sequence is unique per node
    assert not legs.duplicated(["node", "sequence"]).any()


def test_large_scale_keeps_only_the_first_chunk_in_memory(tmp_path, monkeypatch):
    monkeypatch.setattr(schedule, "CHUNK_CALLS", 2000)
    monkeypatch.setattr("mirtalib.demo.build.MAX_PLUGIN_SCALE", 0.2)
    model = build_demo(DemoPaths(tmp_path), seed=5, scale=0.4)
    assert not model.legs_complete
    assert 0 < len(model.legs) < model.n_legs
    assert "plugins" not in model.extras
    assert sum(1 for _ in DemoPaths(tmp_path).master_csv.open()) == model.n_legs


def test_physical_names_follow_a_schema_map(tmp_path):
    mapping = SchemaMap(
        tables={"cdr": "cdr_pbx", "ex_extensions": "extensions"},
        columns={"cdr.start": "started_at", "cdr.userfield": "direction"},
    )
    paths = DemoPaths(tmp_path)
    model = build_demo(paths, seed=2, scale=0.05, plugins=False, master_csv=False, mapping=mapping)
    engine = create_engine(paths.db_url)
    names = set(inspect(engine).get_table_names())
    cols = {c["name"] for c in inspect(engine).get_columns("cdr_pbx")}
    schema = Schema(mapping)
    with engine.connect() as conn:
        dirs = dict(
            conn.execute(
                select(schema.table("cdr").c.userfield, func.count()).group_by(
                    schema.table("cdr").c.userfield
                )
            ).all()
        )
    engine.dispose()
    assert {"cdr_pbx", "extensions"} <= names and not {"cdr", "ex_extensions"} & names
    assert {"started_at", "direction"} <= cols and "start" not in cols
    assert sum(dirs.values()) == model.n_legs and set(dirs) == {"IN", "OUT", "LOCAL"}


def test_unreachable_database_is_named(tmp_path):
    url = "mysql+pymysql://demo@127.0.0.1:1/nowhere"
    with pytest.raises(DataSourceError, match="'nowhere' on 127.0.0.1:1"):
        build_demo(DemoPaths(tmp_path), scale=0.05, db_url=url, plugins=False)
