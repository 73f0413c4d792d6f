"""The events readers on the session's real Asterisk: the AMI stream of both runs and the ``full``
log rebuild the extension states AMI reported live.

The expected sequences are read from the raw packets without mirtalib (tests/unit/events/
realstream.py): ``DeviceStateChange`` of the ``Custom:<ext>`` devices, cross-checked with the
``ExtensionStatus`` of the hints ``<ext>@authentica``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parents[2] / "unit" / "events"))

from realstream import (
    custom_state_changes,
    device_sequences,
    hint_changes,
    packets,
    timeline_changes,
)

from mirtalib.events import build_timeline, read_ami_capture, read_full_log
from mirtalib.events.sources import device_extension

# the full log has whole seconds and is written just before AMI reports the state
FULL_LOG_SLACK = pd.Timedelta(seconds=1.05)


@pytest.fixture(scope="module")
def timezone(real_node) -> str:
    return real_node.pbx.chroot("date", "+%Z").stdout.strip()


@pytest.fixture(scope="module")
def ami(real_node, timezone):
    return read_ami_capture("ami-events.txt", timezone=timezone, text=real_node.world.ami_events)


def test_every_packet_is_read_and_nothing_rejected(real_node, ami):
    stream = real_node.world.ami_events
    assert len(ami.events) + len(ami.rejects) + ami.skipped == len(packets(stream))
    assert ami.rejects.empty, ami.rejects.to_string()
    assert set(ami.events["node"]) == {real_node.pbx.node}
    # the live stream has the packets the recorded fixture leaves out (VarSet, Newexten ...)
    assert "Event: VarSet\r\n" in stream and "SystemName: srv01\r\n" in stream


def test_timelines_are_the_states_ami_reported_live(real_node, ami, timezone):
    stream = real_node.world.ami_events
    expected = custom_state_changes(stream, timezone)
    rung = {p.ext for batch in _scenario_batches() for sc in batch for p in sc.phones}
    assert set(expected) == rung - {"100-ACME"}  # the busy phone never sets its state
    assert timeline_changes(build_timeline(ami.events), "custom") == expected
    # both runs are there: the restart between them is inside every extension's timeline
    restart = pd.Timestamp(real_node.world.restarts[0], unit="s", tz="UTC")
    restart = restart.tz_convert(timezone).tz_localize(None)
    for ext, changes in expected.items():
        assert changes[0][0] < restart < changes[-1][0], ext


def test_hints_follow_the_custom_states(real_node, timezone):
    stream = real_node.world.ami_events
    devices = custom_state_changes(stream, timezone)
    hints = hint_changes(stream, timezone)
    assert set(hints) == set(devices)
    for ext, changes in hints.items():
        assert [s for _, s in changes] == [s for _, s in devices[ext]], ext
        for (t_hint, _), (t_dev, _) in zip(changes, devices[ext], strict=True):
            assert abs(t_hint - t_dev) < pd.Timedelta(milliseconds=200), ext


def test_local_queue_and_park_devices_stay_out(real_node, ami, timezone):
    devices = device_sequences(real_node.world.ami_events, timezone)
    others = [d for d in devices if not d.startswith("Custom:")]
    assert any(d.startswith("Local/") and "-DEVEL@phones" in d for d in others)
    assert all(device_extension(d) == "" for d in others)
    assert set(ami.events["kind"]) == {"custom"}


def test_full_log_matches_the_ami_stream(real_node, timezone):
    full_path = real_node.world.logs / "full"
    text = full_path.read_text(errors="replace")
    full = read_full_log(full_path, node=real_node.pbx.node)
    lines = [ln for ln in text.replace("\r\n", "\n").split("\n") if ln.strip()]
    assert len(full.events) + len(full.rejects) + full.skipped == len(lines)
    assert full.rejects.empty, full.rejects.to_string()
    # devicestate.c at debug 3 logs the devices Asterisk computes; custom states are never there
    changing = [ln for ln in lines if "devicestate.c: Changing state for " in ln]
    assert changing, "core set debug 3 devicestate.c did not reach the full log"
    assert not any("for Custom:" in ln for ln in changing)
    logged = {ln.split("Changing state for ")[1].split(" - state ")[0] for ln in changing}
    assert logged <= set(device_sequences(real_node.world.ami_events, timezone))
    assert not (full.events["kind"] != "custom").any()
    # logger.conf: full => ...,verbose(3), so the phones' Set(DEVICE_STATE(Custom:...)) are there
    assert any("DEVICE_STATE(Custom:" in ln for ln in lines)
    expected = custom_state_changes(real_node.world.ami_events, timezone)
    got = timeline_changes(build_timeline(full.events), "custom")
    assert {e: [s for _, s in c] for e, c in got.items()} == {
        e: [s for _, s in c] for e, c in expected.items()
    }
    for ext, changes in got.items():
        for (t_log, _), (t_ami, _) in zip(changes, expected[ext], strict=True):
            assert abs(t_ami - t_log) <= FULL_LOG_SLACK, (ext, t_log, t_ami)


def _scenario_batches():
    from scenarios import scenario_set

    return scenario_set()
