"""pyVmomi answers (recorded, replayed as attribute objects) into tidy counters."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from mirtalib.errors import ParseError
from mirtalib.vmware import per_vcpu_percent
from mirtalib.vmware.vcenter import perf_to_counters

DATA = Path(__file__).parent / "data" / "queryperf-realtime.json"


def objects(value):
    """JSON -> objects with attribute access, like pyVmomi data objects."""
    if isinstance(value, dict):
        return SimpleNamespace(**{k: objects(v) for k, v in value.items()})
    if isinstance(value, list):
        return [objects(v) for v in value]
    return value


def test_recorded_queryperf_conversion():
    rec = objects(json.loads(DATA.read_text()))
    load = perf_to_counters(rec.queryPerf, rec.perfCounter, {"vm-1042": "srv02"}, source="recorded")
    c = load.counters
    assert set(c["counter"]) == {"ready", "costop", "usage", "readiness"}
    assert str(c["time"].dtype) == "datetime64[ns]"
    assert c["time"].min().isoformat() == "2026-10-14T08:00:20"  # UTC, naive
    usage = c[c["counter"] == "usage"]["value"].tolist()
    assert usage == pytest.approx([21.5, 18.0, 19.0])  # raw percent is in 1/100 %
    reasons = list(load.rejects["reason"])
    assert "srv02: metric not used here: mem.usage.average" in reasons
    assert "entity vm-9999: no name known" in reasons
    assert sum("no data (-1)" in r for r in reasons) == 2  # -1 samples of both ready series
    pct, _ = per_vcpu_percent(c, {"srv02": 8})
    ready = pct[pct["counter"] == "ready"].sort_values("time")["pct"].tolist()
    # whole-VM rows win over instance "0": 3200 / (20 * 1000 * 8) * 100 = 2 %, 1600 -> 1 %
    assert ready == pytest.approx([2.0, 1.0])
    readiness = pct[pct["counter"] == "readiness"].sort_values("time")["pct"].tolist()
    assert readiness == pytest.approx([10.0, 5.0, 0.0])


def test_shape_errors_are_parse_errors():
    rec = objects(json.loads(DATA.read_text()))
    broken = [
        SimpleNamespace(
            entity=SimpleNamespace(_moId="vm-1042"),
            sampleInfo=rec.queryPerf[0].sampleInfo,
            value=[SimpleNamespace(id=SimpleNamespace(counterId=12, instance=""), value=[1])],
        )
    ]
    with pytest.raises(ParseError, match="1 values for 3 samples"):
        perf_to_counters(broken, rec.perfCounter, {"vm-1042": "x"})
    with pytest.raises(ParseError, match="counter info not understood"):
        perf_to_counters([], [SimpleNamespace(key=1)], {})


def test_live_collection_fails_clearly_without_vcenter(monkeypatch):
    from mirtalib.errors import DataSourceError
    from mirtalib.vmware.vcenter import collect_vcenter

    monkeypatch.setenv("TEST_VC_PASSWORD", "not-a-real-password")
    # pyVmomi absent: says how to install it; present: nothing listens on 127.0.0.1:9
    with pytest.raises(DataSourceError, match="pyvmomi|cannot connect") as err:
        collect_vcenter("127.0.0.1", "ro", "TEST_VC_PASSWORD", port=9, verify_tls=False)
    assert "not-a-real-password" not in str(err.value)
