"""Three-way reconciliation: every stage of the chain, and collection through a replay target."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from mirtalib.asterisk.states import (
    parse_channels_concise,
    parse_core_show_hints,
    parse_devstate_list,
    parse_queue_show,
)
from mirtalib.errors import ParameterError, ParseError
from mirtalib.events.collect import (
    CLI_COMMANDS,
    collect,
    mysql_command,
    parse_mysql_batch,
    resolve_extensions,
)
from mirtalib.events.reconcile import NEXT_STEPS, reconcile

DEVSTATE = """\
--- Custom Device States ---
--- Name: 'Custom:100-DEVEL'  State: 'INUSE'
--- Name: 'Custom:101-DEVEL'  State: 'NOT_INUSE'
--- Name: 'Custom:102-DEVEL'  State: 'NOT_INUSE'
--- Name: 'Custom:104-DEVEL'  State: 'NOT_INUSE'
--- Name: 'Custom:105-DEVEL'  State: 'NOT_INUSE'
--- Name: 'Custom:106-DEVEL'  State: 'INUSE'
--- Name: 'Custom:107-DEVEL'  State: 'NOT_INUSE'
"""
QUEUES = """\
500-DEVEL has 0 calls (max unlimited) in 'rrmemory' strategy (0s holdtime, 0s talktime), W:0, C:0, A:0, SL:0.0%, SL2:0.0% within 0s
   Members:
      100-DEVEL (Local/AG-000-NF-1@fromotherpbx from Custom:100-DEVEL) (ringinuse disabled) (dynamic) (In use) has taken no calls yet
      105-DEVEL (Local/AG-000-NF-6@fromotherpbx from Custom:105-DEVEL) (ringinuse disabled) (dynamic) (In use) has taken no calls yet
   No Callers
"""  # noqa: E501
HINTS = """\
100-DEVEL@authentica          : Custom:100-DEVEL      State:InUse           Presence:not_set         Watchers  1
101-DEVEL@authentica          : Custom:101-DEVEL      State:Idle            Presence:not_set         Watchers  1
107-DEVEL@authentica          : Custom:107-DEVEL      State:InUse           Presence:not_set         Watchers  1
- 3 hints registered
"""  # noqa: E501
CHANNELS = "SIP/101-DEVEL-00000001!authentica!200!1!Up!Dial!SIP/gw!200!DEVEL!!3!42!b1!srv01-1.1\n"
DB = """st_extension\tst_state\tst_lastupdate\tst_node
100-DEVEL\tINUSE\t2026-10-31 10:42:13\tsrv01
101-DEVEL\tNOT INUSE\t2026-10-31 10:40:00\tsrv01
102-DEVEL\tINUSE\t2026-10-31 10:41:00\tsrv01
103-DEVEL\tNOT INUSE\t\\N\tsrv01
105-DEVEL\tNOT INUSE\t2026-10-31 10:00:00\tsrv01
106-DEVEL\tINUSE\t2026-10-31 09:00:00\tsrv01
107-DEVEL\tNOT INUSE\t2026-10-31 09:00:00\tsrv01
"""
EXTS = [f"10{i}-DEVEL" for i in range(9)]
EXPECTED = {
    "100-DEVEL": "ok",  # all say INUSE (no live channel given for it: see below)
    "101-DEVEL": "event reader",  # all idle, but Asterisk has a live channel
    "102-DEVEL": "state daemon",  # DB INUSE, custom NOT_INUSE
    "103-DEVEL": "state daemon -> custom device state",
    "104-DEVEL": "state daemon -> DB",
    "105-DEVEL": "custom device state -> queue",
    "106-DEVEL": "event reader",  # all INUSE, no channel: a hangup was lost
    "107-DEVEL": "custom device state -> hint",
    "108-DEVEL": "event reader -> state daemon",
}


def frames():
    return (
        parse_mysql_batch(DB),
        parse_devstate_list(DEVSTATE),
        parse_queue_show(QUEUES),
        parse_core_show_hints(HINTS),
        parse_channels_concise(CHANNELS),
    )


def test_each_stage():
    db, dev, q, h, ch = frames()
    ch = pd.concat([ch, ch.assign(extension="100-DEVEL")], ignore_index=True)
    table = reconcile(EXTS, db, dev, q, h, ch).set_index("extension")
    assert table["stage"].to_dict() == EXPECTED
    assert table.loc["100-DEVEL", "agree"]
    assert not table.loc["102-DEVEL", "agree"]
    assert table.loc["105-DEVEL", "queue_state"] == "INUSE"
    assert table.loc["105-DEVEL", "queues"] == "500-DEVEL"
    assert table.loc["101-DEVEL", "db_state"] == "NOT_INUSE"
    assert table.loc["103-DEVEL", "db_updated"] == "None"  # NULL in the DB
    assert table.loc["102-DEVEL", "next_step"] == NEXT_STEPS["state daemon"]
    assert "Log Extension Events" in NEXT_STEPS["state daemon"]


def test_without_channels_consistent_states_are_ok():
    db, dev, q, h, _ = frames()
    table = reconcile(["106-DEVEL", "101-DEVEL"], db, dev, q, h).set_index("extension")
    assert table["stage"].tolist() == ["ok", "ok"]
    assert table["live_channels"].tolist() == ["", ""]


def test_mysql_batch_parser():
    df = parse_mysql_batch("a\tb\nx\\ty\t\\N\nNULL\tz\n")
    assert df.values.tolist() == [["x\ty", None], [None, "z"]]
    with pytest.raises(ParseError, match="line 2: 1 fields"):
        parse_mysql_batch("a\tb\nx\n")
    with pytest.raises(ParseError, match="empty"):
        parse_mysql_batch("")


@given(st.text(max_size=200))
@settings(max_examples=200, deadline=None)
def test_fuzz_mysql_batch(text):
    try:
        parse_mysql_batch(text)
    except ParseError:
        pass


def test_mysql_command_is_quoted_and_checked():
    cmd = mysql_command(["DEVEL"])
    assert cmd.startswith("mysql --batch -e 'SELECT st_states.st_extension")
    assert "LIKE '\"'\"'%-DEVEL'\"'\"'" in cmd  # shlex-quoted single quotes
    assert cmd.endswith(" asterisk")
    with pytest.raises(ParameterError, match="tenant"):
        mysql_command(["DEV'EL"])
    with pytest.raises(ParameterError, match="database"):
        mysql_command(["DEVEL"], database="x;rm")


def test_resolve_extensions():
    dev = parse_devstate_list(DEVSTATE + "--- Name: 'Custom:200-ACME'  State: 'INUSE'\n")
    assert resolve_extensions(None, "ACME", dev) == ["200-ACME"]
    assert resolve_extensions(None, "DEVEL", None, parse_mysql_batch(DB))[:4] == EXTS[:4]
    db = parse_mysql_batch(DB)
    assert resolve_extensions(None, "DEVEL", None, db)[:4] == EXTS[:4]
    assert resolve_extensions("100-DEVEL, 101-DEVEL", None) == ["100-DEVEL", "101-DEVEL"]
    with pytest.raises(ParameterError, match="tenant"):
        resolve_extensions(None, None)


@pytest.fixture
def replay(tmp_path):
    from mirtalib.runbook.replay import ReplayTarget

    commands = {
        CLI_COMMANDS["devstates"]: {"stdout": DEVSTATE},
        CLI_COMMANDS["queues"]: {"stdout": QUEUES},
        CLI_COMMANDS["hints"]: {"stdout": "Response: Error\nMessage: Permission denied\n\n"},
        CLI_COMMANDS["channels"]: {"stdout": "", "stderr": "not running", "exit": 1},
        mysql_command(["DEVEL"]): {"stdout": DB},
    }
    (tmp_path / "pbx.yaml").write_text(yaml.safe_dump({"node": "pbx", "commands": commands}))
    return ReplayTarget.load("pbx", replay_dir=tmp_path)


def test_collect_through_a_replay_target(replay):
    snap = collect(replay, tenant="DEVEL")
    assert snap.node == "pbx"
    # every DEVEL extension any copy mentions (103-DEVEL only has a st_states row)
    assert snap.extensions == [f"10{i}-DEVEL" for i in range(8)]
    assert len(snap.db_states) == 7
    assert set(snap.frames) == {"devstates", "queues"}
    assert "Permission denied" in snap.errors["hints"]
    assert "exit 1: not running" in snap.errors["channels"]
    table = reconcile(
        snap.extensions,
        snap.db_states,
        snap.frame("devstates"),
        snap.frame("queues"),
        snap.frame("hints"),
        snap.frame("channels"),
    )
    assert table.set_index("extension").loc["105-DEVEL", "stage"] == "custom device state -> queue"


def test_collect_reads_st_states_from_the_database_when_given(replay, tmp_path):
    from datetime import datetime

    from sqlalchemy import create_engine, insert

    from mirtalib.data.db import Database
    from mirtalib.data.schema import Schema

    schema = Schema()
    engine = create_engine(f"sqlite:///{tmp_path / 'st.sqlite'}")
    st = schema.table("st_states")
    schema.metadata.create_all(engine, tables=[st])
    with engine.begin() as conn:
        conn.execute(
            insert(st),
            [
                {
                    "st_id": 1,
                    "st_extension": "100-DEVEL",
                    "st_state": "NOT INUSE",
                    "st_lastupdate": datetime(2026, 11, 2, 9, 0),
                    "st_node": "srv01",
                },
                {
                    "st_id": 2,
                    "st_extension": "200-ACME",
                    "st_state": "INUSE",
                    "st_lastupdate": None,
                    "st_node": None,
                },
            ],
        )
    snap = collect(replay, tenant="DEVEL", db=Database(engine, schema, engine.url))
    assert snap.db_states["st_extension"].tolist() == ["100-DEVEL"]
    assert mysql_command(["DEVEL"]) not in replay.log  # the node's mysql was not used
    table = reconcile(snap.extensions, snap.db_states, snap.frame("devstates"))
    assert table.set_index("extension").loc["100-DEVEL", "stage"] == "state daemon"
