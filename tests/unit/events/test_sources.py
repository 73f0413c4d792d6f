# ruff: noqa: E501  (real log lines are long)
"""Event-log table, AMI captures and full logs into the one events frame."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, insert

from mirtalib.data.db import Database
from mirtalib.data.schema import Schema, SchemaMap
from mirtalib.errors import ParameterError
from mirtalib.events import formats as fmt
from mirtalib.events.eventlog import load_event_log
from mirtalib.events.sources import load_log_files, read_ami_capture, read_full_log

FIXTURES = Path(__file__).parents[2] / "fixtures" / "realpbx"
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

# Lines in the shape Asterisk 22 writes them (tests/fixtures/realpbx/logs/full): custom states only
# as the dialplan's Set(DEVICE_STATE()) lines at verbose 3 (Asterisk never logs "Changing state
# for Custom:..."), the devicestate.c debug line only for devices whose state it computes (the
# phones, Local channels, trunks). Timestamps: dateformat = %F %T (the real log), %F %T.%3q, and
# the default %b %e %T (no year).
FULL = """\
[2026-10-05 10:42:13] VERBOSE[1234][C-00000001] pbx.c: Executing [s@phone-state:1] Set("PJSIP/100-DEVEL-0000001a", "DEVICE_STATE(Custom:100-DEVEL)=INUSE") in new stack
[2026-10-05 10:42:13.250] VERBOSE[1234][C-00000001] pbx.c: Executing [s@phone-hangup:1] Set("PJSIP/100-DEVEL-0000001a", "DEVICE_STATE(Custom:100-DEVEL)=NOT_INUSE") in new stack
[2026-10-05 10:43:00] DEBUG[1180] devicestate.c: Changing state for PJSIP/101-DEVEL - state 1 (Not in use)
[2026-10-05 10:43:01] DEBUG[1180] devicestate.c: Changing state for PJSIP/trunk1 - state 1 (Not in use)
[2026-10-05 10:43:02] DEBUG[1180] devicestate.c: Changing state for Local/101-DEVEL@phones - state 2 (In use)
[2026-10-05 10:43:03] VERBOSE[1240][C-00000002] pbx.c: Executing [101-DEVEL@phones:5] Set("Local/AG-000-NF-2@fromotherpbx-0000000c;2", "DEVICE_STATE(Custom:101-DEVEL)=RINGING") in new stack
[Oct  5 10:44:00] VERBOSE[1240][C-00000002] pbx.c: Executing [s@phone-state:1] Set("PJSIP/102-DEVEL-0000001c", "DEVICE_STATE(Custom:102-DEVEL)=RINGING") in new stack
garbage line Set("PJSIP/103-DEVEL-0000001d", "DEVICE_STATE(Custom:103-DEVEL)=INUSE")
[2026-10-05 10:45:00] VERBOSE[1240][C-00000002] app_dial.c: Called Local/101-DEVEL@phones
[2026-10-05 10:45:01] NOTICE[1100] cdr.c: CDR simple logging enabled.
"""


def test_full_log_lines():
    load = read_full_log("full", node="srv02", text=FULL)
    ev = load.events
    assert ev[["extension", "state", "kind", "event"]].values.tolist() == [
        ["100-DEVEL", "INUSE", "custom", "DEVICE_STATE()"],
        ["100-DEVEL", "NOT_INUSE", "custom", "DEVICE_STATE()"],
        ["101-DEVEL", "NOT_INUSE", "device", "devicestate"],
        # a queue member's Local channel sets the member's custom state
        ["101-DEVEL", "RINGING", "custom", "DEVICE_STATE()"],
    ]
    assert ev["time"].iloc[1] == pd.Timestamp("2026-10-05 10:42:13.250")
    assert load.rejects["reason"].tolist() == [
        "timestamp without year (pass year=)",
        "no usable timestamp",
    ]
    assert load.skipped == 4  # the trunk, the Local device and the two other lines
    with_year = read_full_log("full", node="srv02", year=2026, text=FULL)
    assert with_year.events["state"].tolist()[-1] == "RINGING"


def test_full_log_writers_have_the_real_shape():
    """The writers the demo uses give lines like the real Asterisk 22 log's, and read back."""
    real = (FIXTURES / "logs" / "full").read_text().splitlines()
    real_set = next(ln for ln in real if '"DEVICE_STATE(Custom:' in ln)
    real_dev = next(ln for ln in real if "devicestate.c: Changing state for " in ln)
    t = pd.Timestamp("2026-10-14 10:42:13")
    set_line = fmt.set_device_state_log_line(
        t,
        "PJSIP/100-DEVEL-0000001a",
        "Custom:100-DEVEL",
        "INUSE",
        location="s@phone-state:1",
        thread=31407,
        callid=0x2A7C,
    )
    assert set_line == (
        "[2026-10-14 10:42:13] VERBOSE[31407][C-00002a7c] pbx.c: Executing [s@phone-state:1] "
        'Set("PJSIP/100-DEVEL-0000001a", "DEVICE_STATE(Custom:100-DEVEL)=INUSE") in new stack\n'
    )
    dev_line = fmt.device_state_log_line(t, "PJSIP/100-DEVEL", 7)
    assert dev_line.endswith(
        "devicestate.c: Changing state for PJSIP/100-DEVEL - state 7 (Ring+Inuse)\n"
    )

    def shape(line):  # the line with its variable parts replaced
        line = re.sub(r"\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\]", "[T]", line.rstrip("\n"))
        line = re.sub(r"\[\d+\]", "[N]", line)
        line = re.sub(r"\[C-[0-9a-f]{8}\]", "[C]", line)
        line = re.sub(r'Executing \[[^]]+\] Set\("[^"]+"', 'Executing [L] Set("X"', line)
        line = re.sub(r"Custom:[^)]+\)=[A-Z_]+", "Custom:E)=S", line)
        return re.sub(r"for \S+ - state \d \([^)]+\)", "for D - state n (s)", line)

    assert shape(set_line) == shape(real_set)
    assert shape(dev_line) == shape(real_dev)
    load = read_full_log("full", node="srv01", text=set_line + dev_line)
    assert load.events[["extension", "state", "kind"]].values.tolist() == [
        ["100-DEVEL", "INUSE", "custom"],
        ["100-DEVEL", "RINGINUSE", "device"],
    ]
    with pytest.raises(ValueError, match="Custom:100-DEVEL"):
        fmt.device_state_log_line(t, "Custom:100-DEVEL", 2)
    with pytest.raises(ValueError, match="state"):
        fmt.set_device_state_log_line(
            t, "PJSIP/100-DEVEL-0000001a", "Custom:100-DEVEL", "BUSYISH",
            location="s@phone-state:1", thread=1, callid=1,
        )  # fmt: skip


def test_device_state_aggregate_is_asterisks():
    agg = fmt.aggregate_device_code
    assert agg(()) == 1  # a registered endpoint without channels: Not in use
    assert agg((2,)) == 2 and agg((6,)) == 6 and agg((1,)) == 1
    assert agg((2, 6)) == 7 and agg((6, 2)) == 7 and agg((8, 6)) == 7  # Ring+Inuse
    assert agg((2, 2)) == 2 and agg((1, 2)) == 2 and agg((3, 2)) == 3
    assert agg((1, 6)) == 6


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
    assert load_event_log(db, tenants="ACME").events["extension"].tolist() == ["200-ACME"]
    only = load_event_log(db, extensions="100-DEVEL", start="2026-10-05 10:01")
    assert only.events["ref"].tolist() == ["ee_id=2", "ee_id=6"]
    with pytest.raises(ParameterError, match="extensions"):
        load_event_log(db, extensions="100")
    with pytest.raises(ParameterError, match="tenant"):
        load_event_log(db, tenants="a'b")
    with pytest.raises(ParameterError, match="not after"):
        load_event_log(db, "2026-10-06", "2026-10-05")
