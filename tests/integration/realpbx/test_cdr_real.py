"""CDR legs -> calls on the live real PBX: every Master.csv layout the node wrote and the MiRTA
``cdr`` table cdr_adaptive_odbc filled give exactly the calls the scenario driver placed (both
runs, across the Asterisk restart that renumbers Local channels). See cdrtruth.py for how CDR
calls are matched to the driver's calls.
"""

from __future__ import annotations

import os
from dataclasses import asdict

import pytest
from cdrtruth import answered_union, compare, restart_crossers
from sqlalchemy import create_engine, text

from mirtalib.cdr import load_legs

LAYOUTS = [
    ("cdr-csv/Master.csv", "uniqueid"),  # cdr_csv, 18 columns: no linkedid
    ("cdr-custom/Master16.csv", "start"),  # no uniqueid
    ("cdr-custom/Master21.csv", "uniqueid"),  # linkedid
]


def _tz(pbx) -> str:
    """The tree's time zone (the PBX writes local times), from its /etc/localtime link."""
    link = pbx.path("/etc/localtime")
    target = os.readlink(link) if link.is_symlink() else ""
    return target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else "UTC"


def _check(legs, world, tz: str, by: str) -> None:
    truths = [asdict(t) for t in world.truths]
    cmp = compare(legs, truths, tz, by)
    m = cmp.matched
    assert len(cmp.calls) == len(truths)
    assert cmp.calls["answered"].sum() == sum(t["answered"] for t in truths)
    assert (m["answered_cdr"] == m["answered"]).all(), m.to_string()
    off = (m["billable_cdr"] - m["billable"]).abs()
    assert (off <= 1.0).all(), m.assign(off=off).to_string()
    assert restart_crossers(cmp.legs, world.restarts) == []
    union = answered_union(cmp.legs).reindex(cmp.calls["call_id"]).fillna(0).round()
    assert union.astype(int).tolist() == cmp.calls["billable"].tolist()


@pytest.mark.integration
@pytest.mark.parametrize(("name", "by"), LAYOUTS)
def test_master_csv_layouts_give_the_driver_calls(real_node, name, by):
    world = real_node.world
    path = world.logs / name
    load = load_legs(path)
    lines = sum(1 for line in path.read_text().splitlines() if line.strip())
    assert len(load.legs) + len(load.rejects) == lines
    assert load.rejects.empty, load.rejects.to_string()
    _check(load.legs, world, _tz(real_node.pbx), by)


@pytest.mark.integration
def test_odbc_table_gives_the_driver_calls(real_node):
    if real_node.odbc_url is None:
        pytest.skip("MariaDB is not listening on 127.0.0.1:3306")
    world = real_node.world
    load = load_legs(real_node.odbc_url)
    engine = create_engine(real_node.odbc_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT COUNT(*) FROM cdr")).scalar_one()
    engine.dispose()
    assert len(load.legs) + len(load.rejects) == rows
    assert load.rejects.empty, load.rejects.to_string()
    csv = load_legs(world.logs / "cdr-csv" / "Master.csv")
    assert len(load.legs) == len(csv.legs)  # every record reached the table
    assert load.legs["linkedid"].ne("").all()
    _check(load.legs, world, _tz(real_node.pbx), "uniqueid")


@pytest.mark.integration
def test_odbc_writes_null_answer_and_zero_billsec_for_unanswered_legs(real_node):
    """cdr_adaptive_odbc leaves ``answer`` NULL (no zero date) on legs never answered."""
    if real_node.odbc_url is None:
        pytest.skip("MariaDB is not listening on 127.0.0.1:3306")
    engine = create_engine(real_node.odbc_url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT disposition, answer IS NULL, CAST(answer AS CHAR) LIKE '0000%',"
                " billsec > 0, COUNT(*) FROM cdr GROUP BY 1, 2, 3, 4"
            )
        ).all()
    engine.dispose()
    shapes = {tuple(r[:4]): r[4] for r in rows}
    unanswered = {k[0] for k in shapes if k[1]}
    assert unanswered == {"NO ANSWER", "BUSY", "FAILED"}, shapes
    assert all(k[1:] == (1, None, 0) for k in shapes if k[0] != "ANSWERED"), shapes
    assert {k for k in shapes if k[0] == "ANSWERED"} <= {
        ("ANSWERED", 0, 0, 0),
        ("ANSWERED", 0, 0, 1),
    }
