"""The demo's Asterisk ``full`` logs have the lines a real Asterisk 22 writes
(tests/fixtures/realpbx/logs/full) and say what the demo's AMI captures of the same day say."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from mirtalib.demo import ensure_demo
from mirtalib.events import build_timeline, load_log_files

pytestmark = pytest.mark.slow

# the two state lines of a real full log (dateformat = %F %T)
SET_LINE = re.compile(
    r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] VERBOSE\[\d+\]\[C-[0-9a-f]{8}\] pbx\.c: Executing "
    r"\[s@phone-(?:state|hangup):1\] Set\(\"(?:PJSIP|SIP)/\d+-[A-Z]+-[0-9a-f]{8}\", "
    r"\"DEVICE_STATE\(Custom:\d+-[A-Z]+\)=(?:NOT_INUSE|INUSE|RINGING|RINGINUSE)\"\) in new stack$"
)
DEVICE_LINE = re.compile(
    r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] DEBUG\[\d+\] devicestate\.c: Changing state for "
    r"(?:PJSIP|SIP)/\d+-[A-Z]+ - state (?:1 \(Not in use\)|2 \(In use\)|6 \(Ringing\)|"
    r"7 \(Ring\+Inuse\))$"
)


@pytest.fixture(scope="module")
def logs():
    return ensure_demo().logs_dir


def test_every_line_has_a_real_shape(logs):
    for node in ("srv01", "srv02"):
        lines = (logs / node / "full").read_text().splitlines()
        assert lines
        assert not [ln for ln in lines if "Changing state for Custom:" in ln]
        odd = [ln for ln in lines if not (SET_LINE.match(ln) or DEVICE_LINE.match(ln))]
        assert not odd, odd[:3]


def _changes(events):
    out = {}
    for (node, ext), g in events.sort_values("time", kind="stable").groupby(["node", "extension"]):
        seq = []
        for t, s in zip(g["time"], g["state"], strict=True):
            if not seq or seq[-1][1] != s:
                seq.append((t, s))
        out[(node, ext)] = seq
    return out


def test_full_log_states_are_the_ami_states(logs):
    load = load_log_files(logs)
    assert load.rejects.empty
    ev = load.events
    full, ami = ev[ev["source"].str.startswith("full:")], ev[ev["source"].str.startswith("ami:")]
    # the phones' devices: as Asterisk combines the channels the AMI capture shows
    assert _changes(full[full["kind"] == "device"]) == _changes(ami[ami["kind"] == "channel"])
    # the custom states: every dialplan line is a DeviceStateChange of the capture; the others
    # (registration, daemon restart, the moved phone's call) were set over AMI and have no line
    f_custom, a_custom = full[full["kind"] == "custom"], ami[ami["kind"] == "custom"]
    key = ["node", "time", "extension", "state"]
    a_keys = set(map(tuple, a_custom[key].to_numpy()))
    assert all(tuple(k) in a_keys for k in f_custom[key].to_numpy())
    assert 0 < len(a_custom) - len(f_custom) <= 5
    day_end = ev["time"].max().normalize() + pd.Timedelta(days=1)
    assert set(build_timeline(f_custom, day_end)["extension"]) == set(a_custom["extension"])
