"""The events readers on what a real Asterisk 22 wrote (tests/fixtures/realpbx, recorded by
tests/integration/realpbx/world.py).

The expected state sequences come from the AMI packets themselves (realstream.py, no mirtalib):
the timelines the library rebuilds must be exactly the states AMI reported live, and the ``full``
log of a run must give the same sequence as that run's AMI stream, to the second.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from realstream import (
    custom_state_changes,
    device_sequences,
    hint_changes,
    packets,
    timeline_changes,
)

from mirtalib.events import build_timeline, read_ami_capture, read_full_log
from mirtalib.events.sources import device_extension

FIXTURES = Path(__file__).parents[2] / "fixtures" / "realpbx"
CAPTURE = FIXTURES / "ami-events.txt"
FULL = FIXTURES / "logs" / "full"
# the AMI device-state packets of the run the full log comes from (world.py record())
FULL_AMI = FIXTURES / "logs" / "full-ami-devicestate.txt"
TZ = json.loads((FIXTURES / "truth.json").read_text())["meta"]["timezone"]
# the full log has whole seconds and is written just before AMI reports the state
FULL_LOG_SLACK = pd.Timedelta(seconds=1.05)


@pytest.fixture(scope="module")
def capture_text() -> str:
    return CAPTURE.read_text()


@pytest.fixture(scope="module")
def ami(capture_text):
    return read_ami_capture(CAPTURE, timezone=TZ)


def test_every_packet_is_an_event_a_reject_or_skipped(ami, capture_text):
    assert len(ami.events) + len(ami.rejects) + ami.skipped == len(packets(capture_text))
    assert ami.rejects.empty, ami.rejects.to_string()
    assert set(ami.events["node"]) == {"srv01"}  # SystemName
    assert set(ami.events["source"]) == {"ami:ami-events.txt"}


def test_custom_timelines_are_the_states_ami_reported(ami, capture_text):
    expected = custom_state_changes(capture_text, TZ)
    assert len(expected) == 11  # the extensions the scenarios ring
    got = timeline_changes(build_timeline(ami.events), "custom")
    assert got == expected
    # the events themselves: one per DeviceStateChange of a Custom device, none lost
    devices = device_sequences(capture_text, TZ)
    custom_packets = sum(len(v) for d, v in devices.items() if d.startswith("Custom:"))
    assert (ami.events["kind"] == "custom").sum() == custom_packets


def test_hints_agree_with_the_custom_states(capture_text):
    """ExtensionStatus of <ext>@authentica (hint Custom:<ext>) follows the custom device state."""
    devices = custom_state_changes(capture_text, TZ)
    hints = hint_changes(capture_text, TZ)
    assert set(hints) == set(devices)
    for ext, changes in hints.items():
        assert [s for _, s in changes] == [s for _, s in devices[ext]], ext
        for (t_hint, _), (t_dev, _) in zip(changes, devices[ext], strict=True):
            assert abs(t_hint - t_dev) < pd.Timedelta(milliseconds=100), ext


def test_local_queue_and_park_devices_are_not_extension_state(ami, capture_text):
    """Real streams carry Local/101-ACME@phones (INUSE while the phone still rings), queues and
    parking spaces: none of them is an extension's device state."""
    others = [d for d in device_sequences(capture_text, TZ) if not d.startswith("Custom:")]
    assert any(d.startswith("Local/101-ACME@") for d in others)
    assert {d.split(":")[0] for d in others if ":" in d.split("/")[0]} == {"Queue", "park"}
    assert all(device_extension(d) == "" for d in others)
    assert set(ami.events["kind"]) == {"custom"}  # the node has no phone channels, only Local


def test_device_extension_names():
    assert device_extension("Custom:100-DEVEL") == "100-DEVEL"
    assert device_extension("PJSIP/100-DEVEL") == "100-DEVEL"
    assert device_extension("SIP/101-ACME-0000001a") == "101-ACME"
    for other in ("Local/100-DEVEL@phones", "Local/AG-000-NF-1@fromotherpbx", "Queue:500-DEVEL",
                  "park:801@parkedcalls_DEVEL", "PJSIP/trunk1", "100-DEVEL", ""):  # fmt: skip
        assert device_extension(other) == "", other


@pytest.fixture(scope="module")
def full_pair():
    ami_text = FULL_AMI.read_text() if FULL_AMI.exists() else CAPTURE.read_text()
    return read_full_log(FULL, node="srv01"), ami_text


def test_every_full_log_line_is_an_event_a_reject_or_skipped(full_pair):
    full, _ = full_pair
    lines = [ln for ln in FULL.read_text().split("\n") if ln.strip()]
    assert len(full.events) + len(full.rejects) + full.skipped == len(lines)
    assert full.rejects.empty, full.rejects.to_string()
    # Asterisk 22 writes "Changing state for" only for devices it computes: no Custom device
    changing = [ln for ln in lines if "devicestate.c: Changing state for " in ln]
    assert changing and not any("for Custom:" in ln for ln in changing)
    assert set(full.events["kind"]) == {"custom"}
    assert set(full.events["event"]) == {"DEVICE_STATE()"}


def test_full_log_gives_the_states_ami_reported(full_pair):
    full, ami_text = full_pair
    expected = custom_state_changes(ami_text, TZ)
    got = timeline_changes(build_timeline(full.events), "custom")
    assert got, "the full log has no Set(DEVICE_STATE()) line: record it with verbose(3)"
    assert {e: [s for _, s in c] for e, c in got.items()} == {
        e: [s for _, s in c] for e, c in expected.items()
    }
    for ext, changes in got.items():
        for (t_log, _), (t_ami, _) in zip(changes, expected[ext], strict=True):
            assert abs(t_ami - t_log) <= FULL_LOG_SLACK, (ext, t_log, t_ami)
    ami = read_ami_capture(FULL_AMI if FULL_AMI.exists() else CAPTURE, timezone=TZ)
    assert timeline_changes(build_timeline(ami.events), "custom") == expected
