"""queue_calls on the queue log written by the real Asterisk 22 (tests/fixtures/realpbx), checked
against what the scenario driver saw over AMI (truth.json): every queue call, its outcome, who
answered, and the wait to the second."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from mirtalib.cdr import load_legs
from mirtalib.queues import agent_sessions, load_queue_log, queue_calls
from mirtalib.queues.stats import cross_check, queue_stats

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "realpbx"
# caller id number of each queue scenario (tests/integration/realpbx/scenarios.py)
CALLER = {
    "queue-answered": "3331234567",
    "queue-rrmemory": "3337654321",
    "queue-abandoned": "3330000001",
    "queue-timeout": "3330000002",
}


@pytest.fixture(scope="module")
def truth() -> dict:
    return json.loads((FIX / "truth.json").read_text())


@pytest.fixture(scope="module")
def calls() -> pd.DataFrame:
    load = load_queue_log(FIX / "logs" / "queue_log", timezone="UTC")
    assert load.rejects.empty
    return queue_calls(load.events)


def _run(truth: dict, enter: pd.Timestamp) -> int:
    restart = pd.Timestamp(truth["meta"]["restarts"][0], unit="s")
    return 1 if enter < restart else 2


def test_every_queue_call_of_the_driver_and_no_other(calls, truth):
    expected = sorted((c["scenario"], c["run"]) for c in truth["calls"] if c["queue_outcome"])
    scenario = {v: k for k, v in CALLER.items()}
    found = sorted((scenario[c], _run(truth, e)) for c, e in zip(calls["caller"], calls["enter"]))
    assert found == expected
    assert len(calls) == 8


def test_outcome_agent_and_wait_to_the_second(calls, truth):
    for t in (c for c in truth["calls"] if c["queue_outcome"]):
        runs = calls["enter"].map(lambda e: _run(truth, e))
        row = calls[(calls["caller"] == CALLER[t["scenario"]]) & (runs == t["run"])].iloc[0]
        assert row["outcome"] == t["queue_outcome"], t["scenario"]
        assert row["answered"] == t["answered"]
        # the driver's wait: from the call's start to the answer, or to its end (hang-up / timeout)
        until = t["answer"] if t["answer"] is not None else t["end"]
        assert abs(int(row["wait"]) - (until - t["start"])) < 1, t["scenario"]
        if t["answered"]:
            assert row["agent"] == t["who_answered"]
            # app_queue counts whole seconds: talk is the driver's billable time to the second
            assert abs(int(row["talk"]) - t["billable"]) < 1
        else:
            assert row["agent"] == "" and pd.isna(row["talk"])


def test_ring_no_answer_and_positions(calls):
    timeout = calls[calls["outcome"] == "timeout"]
    assert timeout["ring_no_answer"].tolist() == [1, 1]  # 103-DEVEL never answers within 4 s
    assert calls["position"].tolist() == [1] * 8
    assert timeout["exit_position"].tolist() == [1, 1]


def test_figures_on_the_real_log(calls):
    by = queue_stats(calls, ("queue",), sl_seconds=1).set_index("queue")
    sales, support = by.loc["sales-DEVEL"], by.loc["support-DEVEL"]
    assert (sales["offered"], sales["answered"], sales["timeout"]) == (4, 2, 2)
    assert (support["offered"], support["answered"], support["abandoned"]) == (4, 2, 2)
    assert support["abandon_wait_avg"] == 5.0
    assert sales["service_level"] == 0.5  # the two answered after 1 s, of 4 offered
    assert support["service_level"] == 0.0  # answered after 2 s
    assert support["longest_wait"] == 5.0 and sales["longest_wait"] == 4.0


def test_no_disagreement_with_the_real_cdr(calls):
    for name in ("cdr-csv_Master.csv", "cdr-custom_Master21.csv"):
        legs = load_legs(FIX / "logs" / name).legs
        assert cross_check(calls, legs, "UTC").empty, name


def test_static_members_have_no_session(calls):
    load = load_queue_log(FIX / "logs" / "queue_log", timezone="UTC")
    agents = agent_sessions(load.events)
    assert agents.sessions.empty and agents.pauses.empty
    table = agents.agents.set_index("agent")
    assert table.loc["103-DEVEL", "ring_no_answer"] == 2
    assert table.loc["100-DEVEL", "calls"] == 2
    assert table["occupancy"].isna().all()
