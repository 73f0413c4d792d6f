"""The demo plug-in's event log against its own truth file: every deliberate fault is found,
nothing else is, and the AMI captures and full logs agree with the log except for the faults."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from sqlalchemy import select

from mirtalib.data.db import open_database
from mirtalib.demo import ensure_demo
from mirtalib.demo.events import LOG_DAY, TRUTH_FILE
from mirtalib.events import build_timeline, load_log_files
from mirtalib.events.report import analyze, busy_disagreement

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo():
    paths = ensure_demo()
    truth = json.loads((paths.root / TRUTH_FILE).read_text())["faults"]
    db = open_database(paths.db_url)
    return paths, truth, db, analyze(db, "2026-10-01", "2026-11-01")


def of(truth, kind):
    return [f for f in truth if f["kind"] == kind]


def test_every_fault_is_found_and_nothing_else(demo):
    _, truth, _, run = demo
    f = run.findings
    gap = of(truth, "gap")[0]
    stuck = f.of_kind("stuck")
    by_gap = stuck["detail"].str.contains("has a gap meanwhile")
    assert sorted(stuck.loc[~by_gap, "extension"]) == sorted(
        x["extension"] for x in of(truth, "stuck")
    )
    assert (stuck.loc[by_gap, "node"] == gap["node"]).all()
    assert sorted(f.of_kind("inuse_without_call")["extension"]) == sorted(
        x["extension"] for x in of(truth, "phantom")
    )
    assert sorted(f.of_kind("call_without_inuse")["extension"]) == sorted(
        x["extension"] for x in of(truth, "lost_setup")
    )
    assert sorted(f.of_kind("flapping")["extension"]) == sorted(
        x["extension"] for x in of(truth, "flapping")
    )
    assert sorted(f.of_kind("node_move")["extension"]) == sorted(
        x["extension"] for x in of(truth, "move")
    )
    gaps = f.of_kind("log_gap")
    assert gaps[["node"]].values.tolist() == [[gap["node"]]]
    assert gaps["end"].iloc[0] == pd.Timestamp(gap["end"])


def test_stuck_extension_of_the_report(demo):
    _, truth, _, run = demo
    fault = of(truth, "stuck")[0]
    row = run.findings.of_kind("stuck").set_index("extension").loc[fault["extension"]]
    assert row["start"] <= pd.Timestamp(fault["hangup_lost"]) <= row["end"]
    assert row["end"] == pd.Timestamp(fault["until"])


def test_st_states_hold_the_last_logged_state(demo):
    _, truth, db, run = demo
    st = db.schema.table("st_states")
    rows = db.read_sql(select(st.c.st_extension.label("ext"), st.c.st_state.label("state")))
    states = dict(zip(rows["ext"], rows["state"], strict=True))
    open_fault = next(x for x in of(truth, "stuck") if x["until"] == "open")
    assert states[open_fault["extension"]] == "INUSE"
    last = run.load.events.groupby("extension")["state"].last()
    assert {e: s.replace("NOT_INUSE", "NOT INUSE") for e, s in last.items()} == states


def test_logs_agree_with_the_event_log_except_for_faults(demo):
    paths, truth, _, run = demo
    logs = load_log_files(paths.logs_dir)
    assert logs.rejects.empty
    end = LOG_DAY + pd.Timedelta(days=1)
    ami = logs.events[logs.events["source"].str.startswith("ami:")]
    channels = build_timeline(ami[ami["kind"] == "channel"], end)
    diff = busy_disagreement(run.timeline, channels, LOG_DAY, end)
    off = diff[(diff["only_a_s"] > 60) | (diff["only_b_s"] > 60)]
    day = [
        x["extension"]
        for x in truth
        if str(LOG_DAY.date()) in json.dumps(x) and x["kind"] in {"stuck", "move"}
    ]
    assert sorted(off["extension"]) == sorted(day)
