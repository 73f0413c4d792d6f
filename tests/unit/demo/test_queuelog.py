"""The demo's queue log agrees with its CDR: one queue call per queue CDR call, answered by the
member whose leg was answered, waits from the legs; members are logged in and unpaused
whenever the CDR rings them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mirtalib.demo.paths import DEMO_SEED
from mirtalib.demo.queuelog import build_queue_log
from mirtalib.queues import agent_sessions, queue_calls
from mirtalib.queues.reader import EVENT_COLUMNS, split_data


@pytest.fixture(scope="module")
def events(core_demo) -> pd.DataFrame:
    raw = build_queue_log(core_demo[1], np.random.default_rng([DEMO_SEED, 4]))
    data = [split_data(e, d.split("|")) for e, d in zip(raw["event"], raw["data"], strict=True)]
    frame = raw[["time", "callid", "queuename", "agent", "event"]].copy()
    for i in range(5):
        frame[f"data{i + 1}"] = [d[i] for d in data]
    frame["line"] = pd.array(range(1, len(frame) + 1), dtype="Int64")
    frame["file"] = ""
    return frame[list(EVENT_COLUMNS)]


def test_one_queue_call_per_queue_cdr_call(core_demo, events):
    legs = core_demo[1].legs
    q = legs[legs["call_kind"].eq("queue")]
    calls = queue_calls(events).set_index("callid")
    assert set(calls.index) == set(q["uniqueid"])
    assert calls["outcome"].isin(["answered", "abandoned"]).all()
    won = q[q["disposition"].eq("ANSWERED")].set_index("uniqueid")
    answered = calls[calls["answered"]]
    assert set(answered.index) == set(won.index)
    assert (answered["agent"] == won.loc[answered.index, "to_ext"]).all()
    assert (answered["talk"] == won.loc[answered.index, "billsec"]).all()
    first = q.groupby("uniqueid")["start"].min()
    wait = (won.loc[answered.index, "answer"] - first[answered.index]).dt.total_seconds()
    assert (answered["wait"].astype(float) == wait).mean() > 0.99  # but across the DST change


def test_members_are_logged_in_and_unpaused_when_rung(core_demo, events):
    legs = core_demo[1].legs
    rung = legs[legs["call_kind"].eq("queue")]
    result = agent_sessions(events)
    assert not result.sessions["open_start"].any() and not result.sessions["open_end"].any()
    for agent, mine in rung.groupby("to_ext"):
        s = result.sessions[result.sessions["agent"] == agent]
        p = result.pauses[result.pauses["agent"] == agent]
        for start in mine["start"].iloc[::25]:  # a sample of the rings of each member
            assert ((s["login"] <= start) & (start < s["logoff"])).any(), (agent, start)
            assert not ((p["start"] <= start) & (start < p["end"])).any(), (agent, start)
    assert set(result.pause_reasons["reason"]) == {"Lunch", "Break"}
