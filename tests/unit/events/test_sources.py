# ruff: noqa: E501  (real log lines are long)
"""Event-log table, AMI captures and full logs into the one events frame."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, insert

from mirtalib.data.db import Database
from mirtalib.data.schema import Schema, SchemaMap
from mirtalib.errors import ParameterError
from mirtalib.events.eventlog import load_event_log
from mirtalib.events.sources import load_log_files, read_ami_capture, read_full_log

# 2026-10-05 10:42:13 Europe/Rome (CEST, UTC+2) = 08:42:13 UTC
EPOCH = datetime(2026, 10, 5, 8, 42, 13).timestamp() - datetime(1970, 1, 1).timestamp()


def ami(event, offset=0, **headers):
    lines = [f"Event: {event}", "Privilege: call,all", f"Timestamp: {EPOCH + offset:.6f}"]
    lines += [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
    return "\r\n".join(lines) + "\r\n\r\n"


CAPTURE = (
    "Asterisk Call Manager/5.0.1\r\n"
    + ami("DeviceStateChange", Device="Custom:100-DEVEL", State="INUSE")
    + ami(
        "Newchannel",
        1,
        Channel="SIP/100-DEVEL-0000001a",
        ChannelState="4",
        ChannelStateDesc="Ring",
        Uniqueid="srv01-1791182533.1",
    )
    + ami(
        "Newstate",
        2,
        Channel="SIP/101-DEVEL-0000001b",
        ChannelState="5",
        ChannelStateDesc="Ringing",
        Uniqueid="srv01-1791182533.2",
    )
    + ami(
        "Newstate",
        3,
        Channel="SIP/101-DEVEL-0000001b",
        ChannelState="6",
        ChannelStateDesc="Up",
        Uniqueid="srv01-1791182533.2",
    )
    + ami(
        "Hangup",
        60,
        Channel="SIP/101-DEVEL-0000001b",
        Uniqueid="srv01-1791182533.2",
        Cause="16",
        Cause_txt="Normal Clearing",
    )
    + ami("DeviceStateChange", 61, Device="SIP/gateway", State="NOT_INUSE")
    + ami("DeviceStateChange", 62, Device="Custom:100-DEVEL", State="WEIRD")
    + "Event: DeviceStateChange\r\nDevice: Custom:101-DEVEL\r\nState: INUSE\r\n\r\n"
    + ami("VarSet", 63, Variable="X", Value="1")
)

FULL = """\
[2026-10-05 10:42:13] VERBOSE[1234][C-00000001] pbx.c: -- Executing [100@authentica:1] Set("SIP/100-DEVEL-0000001a", "DEVICE_STATE(Custom:100-DEVEL)=INUSE") in new stack
[2026-10-05 10:42:13.250] DEBUG[1234] devicestate.c: Changing state for Custom:100-DEVEL - state 2 (In use)
[2026-10-05 10:43:00] DEBUG[1234] devicestate.c: Changing state for SIP/101-DEVEL - state 1 (Not in use)
[2026-10-05 10:43:01] DEBUG[1234] devicestate.c: Changing state for SIP/trunk1 - state 1 (Not in use)
[Oct  5 10:44:00] DEBUG[1234] devicestate.c: Changing state for Custom:102-DEVEL - state 6 (Ringing)
garbage line Changing state for Custom:103-DEVEL - state 2 (In use)
[2026-10-05 10:45:00] NOTICE[1234] chan_sip.c: Registration from '"100" <sip:100-DEVEL@pbx>' failed
"""


def test_ami_capture():
    load = read_ami_capture("capture.txt", node="srv01", text=CAPTURE)
    ev = load.events
    assert ev[["extension", "state", "kind"]].values.tolist() == [
        ["100-DEVEL", "INUSE", "custom"],
        ["100-DEVEL", "INUSE", "channel"],  # Ring = dialling out: INUSE
        ["101-DEVEL", "RINGING", "channel"],
        ["101-DEVEL", "INUSE", "channel"],
        ["101-DEVEL", "NOT_INUSE", "channel"],
    ]
    assert ev["time"].iloc[0] == pd.Timestamp("2026-10-05 10:42:13")
    assert set(ev["source"]) == {"ami:srv01/capture.txt"}
    assert load.rejects["reason"].tolist() == [
        "state not understood",
        "no usable Timestamp (set timestampevents=yes)",
    ]
    assert load.skipped == 2  # the trunk device state and the VarSet event


def test_full_log_lines():
    load = read_full_log("full", node="srv02", text=FULL)
    ev = load.events
    assert ev[["extension", "state", "kind", "event"]].values.tolist() == [
        ["100-DEVEL", "INUSE", "custom", "DEVICE_STATE()"],
        ["100-DEVEL", "INUSE", "custom", "devicestate"],
        ["101-DEVEL", "NOT_INUSE", "device", "devicestate"],
    ]
    assert ev["time"].iloc[1] == pd.Timestamp("2026-10-05 10:42:13.250")
    assert load.rejects["reason"].tolist() == [
        "timestamp without year (pass year=)",
        "no usable timestamp",
    ]
    with_year = read_full_log("full", node="srv02", year=2026, text=FULL)
    assert with_year.events["state"].tolist()[-1] == "RINGING"


def test_log_folder(tmp_path):
    for node in ("srv01", "srv02"):
        (tmp_path / node).mkdir()
        (tmp_path / node / "full").write_text(FULL)
        (tmp_path / node / "ami-events.txt").write_text(CAPTURE)
    load = load_log_files(tmp_path)
    assert len(load.sources) == 4
    assert sorted(set(load.events["node"])) == ["srv01", "srv02"]
    assert load.reject_counts()["rows"].sum() == 8


@given(st.text(max_size=300))
@settings(max_examples=100, deadline=None)
def test_fuzz_readers_never_crash(text):
    for reader in (read_ami_capture, read_full_log):
        load = reader("x", text=text)
        assert load.events.columns[0] == "time"


@pytest.fixture
def db(tmp_path):
    schema = Schema(SchemaMap(tables={"ee_extensionevents": "log_extension_events"}))
    engine = create_engine(f"sqlite:///{tmp_path / 'ee.sqlite'}")
    schema.metadata.create_all(engine)
    ee = schema.table("ee_extensionevents")
    rows = [
        (1, "2026-10-05 10:00:00", "100-DEVEL", "state", "NOT INUSE", "", "srv01"),
        (2, "2026-10-05 10:05:00", "100-DEVEL", "state", "INUSE", "srv01-1.1", "srv01"),
        (3, "2026-10-05 10:06:00", "200-ACME", "state", "INUSE", "", "srv02"),
        (4, "2026-10-05 10:07:00", "bogus", "state", "INUSE", "", "srv02"),
        (5, "2026-10-05 10:08:00", "100-DEVEL", "state", "SOMETHING", "", "srv01"),
        (6, "2026-10-06 10:00:00", "100-DEVEL", "state", "INUSE", "", "srv01"),
    ]
    with engine.begin() as conn:
        conn.execute(
            insert(ee),
            [
                dict(
                    zip(
                        [
                            "ee_id",
                            "ee_time",
                            "ee_extension",
                            "ee_event",
                            "ee_state",
                            "ee_uniqueid",
                            "ee_node",
                        ],
                        [r[0], datetime.fromisoformat(r[1]), *r[2:]],
                        strict=True,
                    )
                )
                for r in rows
            ],
        )
    return Database(engine=engine, schema=schema, url=engine.url)


def test_event_log_from_database(db):
    load = load_event_log(db, "2026-10-05", "2026-10-06")
    assert load.events[["extension", "state", "ref"]].values.tolist() == [
        ["100-DEVEL", "NOT_INUSE", "ee_id=1"],
        ["100-DEVEL", "INUSE", "ee_id=2"],
        ["200-ACME", "INUSE", "ee_id=3"],
    ]
    assert load.rejects[["ref", "reason"]].values.tolist() == [
        ["ee_id=4", "not an extension name"],
        ["ee_id=5", "state not understood"],
    ]


def test_event_log_filters_in_sql(db):
    assert load_event_log(db, tenant="ACME").events["extension"].tolist() == ["200-ACME"]
    only = load_event_log(db, extensions="100-DEVEL", start="2026-10-05 10:01")
    assert only.events["ref"].tolist() == ["ee_id=2", "ee_id=6"]
    with pytest.raises(ParameterError, match="extensions"):
        load_event_log(db, extensions="100")
    with pytest.raises(ParameterError, match="tenant"):
        load_event_log(db, tenant="a'b")
    with pytest.raises(ParameterError, match="not after"):
        load_event_log(db, "2026-10-06", "2026-10-05")
