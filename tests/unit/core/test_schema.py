"""Table definitions, name overrides and CDR layout detection."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, insert, inspect, select

from mirtalib.data.db import detect_cdr_layout
from mirtalib.data.schema import Schema, SchemaMap, load_schema
from mirtalib.errors import ConfigurationError, SchemaError

EXPECTED = {
    "te_tenants",
    "no_nodes",
    "ex_extensions",
    "di_dids",
    "qu_queues",
    "qm_queuemembers",
    "pk_parkinglots",
    "cdr",
    "st_states",
    "ee_extensionevents",
    "rm_recordingmetadatas",
    "tr_transcripts",
    "queue_log",
}


def test_all_tables_defined_and_creatable():
    schema = Schema()
    assert set(schema.tables) == EXPECTED
    engine = create_engine("sqlite://")
    schema.metadata.create_all(engine)
    assert set(inspect(engine).get_table_names()) == EXPECTED


@pytest.mark.parametrize(
    "layout,time_cols",
    [
        ("current", {"start", "answer", "end"}),
        ("legacy", {"calldate"}),
    ],
)
def test_cdr_layouts(layout, time_cols):
    cdr = Schema(cdr_layout=layout).table("cdr")
    keys = set(cdr.c.keys())
    assert time_cols <= keys
    assert {"linkedid", "uniqueid", "userfield", "realsrc", "wherelanded", "cc_cost"} <= keys
    other = {"start", "answer", "end", "calldate"} - time_cols
    assert not (other & keys)


def test_overrides_rename_physical_but_keep_logical(tmp_path):
    path = tmp_path / "map.yaml"
    path.write_text(
        "tables:\n  ee_extensionevents: log_extension_events\n"
        "columns:\n  st_states.st_state: st_status\n"
    )
    schema = load_schema(path)
    ee = schema.table("ee_extensionevents")
    assert ee.name == "log_extension_events"
    st = schema.table("st_states")
    assert st.c.st_state.name == "st_status"
    engine = create_engine("sqlite://")
    schema.metadata.create_all(engine)
    cols = {c["name"] for c in inspect(engine).get_columns("st_states")}
    assert "st_status" in cols and "st_state" not in cols
    with engine.begin() as conn:
        conn.execute(insert(st).values(st_extension="100-DEVEL", st_state="INUSE"))
        row = conn.execute(select(st.c.st_state.label("st_state"))).one()
    assert row.st_state == "INUSE"


@pytest.mark.parametrize(
    "content,msg",
    [
        ("tables:\n  nosuch: x\n", "nosuch"),
        ("columns:\n  cdr.nosuch: x\n", "cdr.nosuch"),
        ("columns:\n  nodot: x\n", "nodot"),
        ("other: 1\n", "only the keys"),
        ("tables: [1, 2\n", "cannot be read"),
    ],
)
def test_bad_maps_are_named(tmp_path, content, msg):
    path = tmp_path / "map.yaml"
    path.write_text(content)
    with pytest.raises(ConfigurationError, match=msg):
        load_schema(path)


def test_unknown_table_lookup():
    with pytest.raises(ConfigurationError, match="unknown table 'cdrs'"):
        Schema().table("cdrs")


def test_bad_layout():
    with pytest.raises(ConfigurationError, match="cdr_layout"):
        Schema(cdr_layout="ancient")  # type: ignore[arg-type]


@pytest.mark.parametrize("layout", ["current", "legacy"])
def test_detect_layout(layout):
    engine = create_engine("sqlite://")
    Schema(cdr_layout=layout).metadata.create_all(engine)
    assert detect_cdr_layout(engine) == layout


def test_detect_layout_rejects_foreign_table():
    engine = create_engine("sqlite://")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE cdr (foo INTEGER)")
    with pytest.raises(SchemaError, match="not an Asterisk CDR table"):
        detect_cdr_layout(engine)


def test_schema_map_from_yaml_empty(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("")
    assert SchemaMap.from_yaml(path) == SchemaMap()
