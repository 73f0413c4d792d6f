"""queue_calls and agent_sessions on small hand-written queue logs (every outcome)."""

from __future__ import annotations

import pandas as pd

from mirtalib.queues import agent_sessions, load_queue_log, queue_calls
from mirtalib.queues.calls import orphan_events


def calls_of(write, qlog, *lines) -> pd.DataFrame:
    return queue_calls(load_queue_log(write(qlog(*lines)), timezone="UTC").events)


def test_every_outcome(write, qlog):
    calls = calls_of(
        write,
        qlog,
        (0, "n1-100.1|sales-ACME|NONE|ENTERQUEUE||3331|1"),
        (1, "n1-100.2|sales-ACME|NONE|ENTERQUEUE||3332|2"),
        (2, "n1-100.3|sales-ACME|NONE|ENTERQUEUE||3333|3"),
        (3, "n1-100.4|sales-ACME|NONE|ENTERQUEUE||3334|4"),
        (4, "n1-100.5|sales-ACME|NONE|ENTERQUEUE||3335|5"),
        (5, "n1-100.6|help-ROSSI|NONE|ENTERQUEUE||3336|1"),
        (15, "n1-100.1|sales-ACME|101-ACME|RINGNOANSWER|15000"),
        (20, "n1-100.1|sales-ACME|102-ACME|CONNECT|20|n1-100.9|5"),
        (21, "n1-100.2|sales-ACME|NONE|ABANDON|1|2|20"),
        (22, "n1-100.3|sales-ACME|NONE|EXITWITHTIMEOUT|1|3|20"),
        (23, "n1-100.4|sales-ACME|NONE|EXITEMPTY|1|4|20"),
        (24, "n1-100.5|sales-ACME|NONE|EXITWITHKEY|5|1|5|20"),
        (25, "n1-100.6|help-ROSSI|200-ROSSI|CONNECT|20|n1-100.8|20"),
        (80, "n1-100.1|sales-ACME|102-ACME|COMPLETECALLER|20|60|1"),
        (95, "n1-100.6|help-ROSSI|200-ROSSI|BLINDTRANSFER|300|ROSSI|20|70|1"),
    )
    by = calls.set_index("callid")
    assert by["outcome"].to_dict() == {
        "n1-100.1": "answered", "n1-100.2": "abandoned", "n1-100.3": "timeout",
        "n1-100.4": "exitempty", "n1-100.5": "exitkey", "n1-100.6": "transferred",
    }  # fmt: skip
    first = by.loc["n1-100.1"]
    assert (first["wait"], first["talk"], first["agent"], first["ring_no_answer"]) == (
        20,
        60,
        "102-ACME",
        1,
    )
    assert first["hangup_by"] == "caller" and first["node"] == "n1"
    assert first["connect"] - first["enter"] == pd.Timedelta(seconds=20)
    assert by.loc["n1-100.2", "exit_position"] == 1 and by.loc["n1-100.2", "position"] == 2
    assert by.loc["n1-100.5", "key"] == "5" and by.loc["n1-100.5", "wait"] == 20
    assert (by.loc["n1-100.6", "talk"], by.loc["n1-100.6", "tenant"]) == (70, "ROSSI")
    assert by["answered"].sum() == 2


def test_attended_transfer_layouts_and_unfinished_calls(write, qlog):
    calls = calls_of(
        write,
        qlog,
        (0, "a.1|q-ACME|NONE|ENTERQUEUE||1|1"),
        (0, "a.2|q-ACME|NONE|ENTERQUEUE||2|2"),
        (0, "a.3|q-ACME|NONE|ENTERQUEUE||3|3"),
        (5, "a.1|q-ACME|100-ACME|CONNECT|5|b.1|5"),
        (6, "a.2|q-ACME|101-ACME|CONNECT|6|b.2|6"),
        (20, "a.1|q-ACME|100-ACME|ATTENDEDTRANSFER|LINK|Local/x;1|Local/y;2|5|15|1"),
        (30, "a.2|q-ACME|101-ACME|ATTENDEDTRANSFER|BRIDGE|abc-def|6|24|2"),
        (31, "NONE|NONE|NONE|QUEUESTART|"),
        (40, "a.3|q-ACME|NONE|ABANDON|1|3|40"),  # after the restart: no call to end
    )
    by = calls.set_index("callid")
    assert by.loc["a.1", ["outcome", "wait", "talk"]].tolist() == ["transferred", 5, 15]
    assert by.loc["a.2", ["outcome", "wait", "talk"]].tolist() == ["transferred", 6, 24]
    assert by.loc["a.3", "outcome"] == "unfinished" and pd.isna(by.loc["a.3", "wait"])


def test_a_caller_entering_two_queues_and_orphans(write, qlog):
    lines = (
        (0, "a.1|q1-ACME|NONE|ENTERQUEUE||1|1"),
        (10, "a.1|q1-ACME|NONE|EXITWITHTIMEOUT|1|1|10"),
        (10, "a.1|q2-ACME|NONE|ENTERQUEUE||1|1"),
        (12, "a.1|q2-ACME|100-ACME|CONNECT|2|b|2"),
        (42, "a.1|q2-ACME|100-ACME|COMPLETEAGENT|2|30|1"),
        (50, "z.9|q1-ACME|100-ACME|COMPLETEAGENT|9|9|1"),  # entered before the data
    )
    events = load_queue_log(write(qlog(*lines)), timezone="UTC").events
    calls = queue_calls(events)
    assert calls[["queue", "outcome"]].values.tolist() == [
        ["q1-ACME", "timeout"], ["q2-ACME", "answered"]
    ]  # fmt: skip
    assert calls["hangup_by"].tolist() == ["", "agent"]
    assert orphan_events(events) == 1


def test_agent_sessions_pauses_and_occupancy(write, qlog):
    lines = (
        (0, "MANAGER|q-ACME|100-ACME|ADDMEMBER|"),
        (0, "MANAGER|r-ACME|100-ACME|ADDMEMBER|"),
        (600, "NONE|NONE|100-ACME|PAUSEALL|Lunch"),
        (600, "NONE|q-ACME|100-ACME|PAUSE|Lunch"),
        (600, "NONE|r-ACME|100-ACME|PAUSE|Lunch"),
        (1200, "NONE|q-ACME|100-ACME|UNPAUSE|Lunch"),
        (1200, "NONE|r-ACME|100-ACME|UNPAUSE|Lunch"),
        (1300, "c.1|q-ACME|NONE|ENTERQUEUE||5|1"),
        (1310, "c.1|q-ACME|101-ACME|RINGNOANSWER|10000"),
        (1320, "c.1|q-ACME|100-ACME|CONNECT|20|d.1|10"),
        (1620, "c.1|q-ACME|100-ACME|COMPLETECALLER|20|300|1"),
        (1700, "NONE|q-ACME|100-ACME|PAUSE|Break"),
        (1800, "MANAGER|q-ACME|100-ACME|REMOVEMEMBER|"),  # ends the pause too
        (3600, "MANAGER|r-ACME|100-ACME|REMOVEMEMBER|"),
        (100, "MANAGER|q-ACME|101-ACME|ADDMEMBER|PAUSED"),  # added paused, never unpaused
    )
    load = load_queue_log(write(qlog(*lines)), timezone="UTC")
    result = agent_sessions(load.events, end=pd.Timestamp("2026-09-21 15:13:20"))
    s = result.sessions
    assert s.loc[s["agent"] == "100-ACME", "seconds"].tolist() == [1800.0, 3600.0]
    assert s.loc[s["agent"] == "101-ACME", ["seconds", "open_end"]].values.tolist() == [
        [3500.0, True]
    ]  # fmt: skip
    a = result.agents.set_index("agent")
    # 100-ACME: logged in 3600 s (union of both queues), paused 600 (lunch, both queues at
    # once) + 100 (break until removed from q) = 700; talk 300 -> 300 / 2900
    assert a.loc["100-ACME", ["logged_in_s", "paused_s", "talk_s", "calls"]].tolist() == [
        3600.0, 700.0, 300.0, 1
    ]  # fmt: skip
    assert a.loc["100-ACME", "occupancy"] == 300 / 2900
    assert a.loc["101-ACME", "ring_no_answer"] == 1
    # 101-ACME was paused all the time it was logged in: no available time, occupancy unknown
    assert a.loc["101-ACME", ["logged_in_s", "paused_s"]].tolist() == [3500.0, 3500.0]
    assert pd.isna(a.loc["101-ACME", "occupancy"])
    reasons = result.pause_reasons.set_index(["agent", "reason"])["seconds"].to_dict()
    assert reasons == {("100-ACME", "Break"): 100.0, ("100-ACME", "Lunch"): 600.0,
                       ("101-ACME", ""): 3500.0}  # fmt: skip
