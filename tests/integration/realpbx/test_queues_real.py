"""Queue analytics on the live real PBX: the queue_log the node wrote while the driver placed its
calls gives the driver's queue outcomes, agents and waits to the second; it agrees with the
node's CDR (Master.csv with linkedid and the MiRTA ``cdr`` table cdr_adaptive_odbc filled); and
a member added, paused with a reason, unpaused and removed on the node's CLI comes back as one
session with one pause of that reason.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict

import pandas as pd
import pytest

from mirtalib.cdr import load_legs
from mirtalib.queues import agent_sessions, load_queue_log, queue_calls
from mirtalib.queues.stats import cross_check

CALLER = {
    "queue-answered": "3331234567",
    "queue-rrmemory": "3337654321",
    "queue-abandoned": "3330000001",
    "queue-timeout": "3330000002",
}


def _tz(pbx) -> str:
    link = pbx.path("/etc/localtime")
    target = os.readlink(link) if link.is_symlink() else ""
    return target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else "UTC"


@pytest.fixture(scope="module")
def live(real_node):
    tz = _tz(real_node.pbx)
    load = load_queue_log(real_node.pbx.logdir / "queue_log", timezone=tz)
    return tz, load, queue_calls(load.events)


def test_the_driver_s_queue_calls_with_their_outcomes_and_waits(real_node, live):
    tz, load, calls = live
    assert load.rejects.empty, load.rejects.to_string()
    truths = [asdict(t) for t in real_node.world.truths if t.queue_outcome]
    assert len(truths) == 8
    restart = pd.Timestamp(real_node.world.restarts[0], unit="s", tz="UTC").tz_convert(tz)
    restart = restart.tz_localize(None)
    for t in truths:
        run = calls["enter"].map(lambda e: 1 if e < restart else 2)
        # later tests may place more queue calls: take this scenario's call of this run
        mine = calls[(calls["caller"] == CALLER[t["scenario"]]) & (run == t["run"])]
        row = mine.iloc[0]
        assert row["outcome"] == t["queue_outcome"], t["scenario"]
        until = t["answer"] if t["answer"] is not None else t["end"]
        assert abs(int(row["wait"]) - (until - t["start"])) < 1, t["scenario"]
        if t["answered"]:
            assert row["agent"] == t["who_answered"]
            assert abs(int(row["talk"]) - t["billable"]) < 1


def test_queue_log_and_cdr_agree(real_node, live):
    tz, _load, calls = live
    driver = calls[calls["caller"].isin(CALLER.values())]
    legs = load_legs(real_node.pbx.logdir / "cdr-custom" / "Master21.csv").legs
    assert cross_check(driver, legs, tz).empty
    if real_node.odbc_url is None:
        pytest.skip("MariaDB is not running: no ODBC cdr table to compare")
    odbc = load_legs(real_node.odbc_url).legs
    assert cross_check(driver, odbc, tz).empty


def test_a_member_session_with_a_pause_from_the_cli(real_node):
    pbx = real_node.pbx
    member = "Local/AG-000-NF-9@fromotherpbx"
    pbx.rx(f"queue add member {member} to support-DEVEL penalty 0 as 150-DEVEL")
    try:
        time.sleep(1.2)
        pbx.rx(f"queue pause member {member} queue support-DEVEL reason Lunch")
        time.sleep(2.2)
        pbx.rx(f"queue unpause member {member} queue support-DEVEL")
        time.sleep(1.2)
    finally:
        pbx.rx(f"queue remove member {member} from support-DEVEL")
    load = load_queue_log(pbx.logdir / "queue_log", timezone=_tz(pbx))
    mine = load.events[load.events["agent"].eq("150-DEVEL")]
    assert mine["event"].tolist() == ["ADDMEMBER", "PAUSE", "UNPAUSE", "REMOVEMEMBER"]
    result = agent_sessions(mine)
    session = result.sessions.iloc[0]
    assert (session["queue"], bool(session["open_start"]), bool(session["open_end"])) == (
        "support-DEVEL",
        False,
        False,
    )
    assert 4 <= session["seconds"] <= 6
    pause = result.pauses.iloc[0]
    assert pause["reason"] == "Lunch" and 2 <= pause["seconds"] <= 3
    agent = result.agents.set_index("agent").loc["150-DEVEL"]
    assert agent["occupancy"] == 0.0  # logged in, no call
