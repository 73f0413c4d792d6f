"""Counter files: percentages per vCPU computed by hand, rejects with reasons."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mirtalib.errors import ParseError, SchemaError
from mirtalib.vmware import per_vcpu_percent, read_esxtop, read_vcenter_csv
from mirtalib.vmware.perf_findings import counter_findings, counter_stats

HEAD = (
    '"Value","Timestamp","MetricId","Unit","Description","Entity","EntityId","IntervalSecs",'
    '"Instance"\n'
)


def vc_line(value, ts, metric, vm="pbx", interval="20", instance="", unit="ms"):
    cells = [value, ts, metric, unit, "", vm, "VirtualMachine-vm-1", interval, instance]
    return ",".join(f'"{c}"' for c in cells) + "\n"


def test_vcenter_ready_percent_by_hand(tmp_path):
    path = tmp_path / "perf.csv"
    path.write_text(
        HEAD
        # 2 vCPUs, 20 s: 2000 ms -> 2000 / (20 * 1000 * 2) * 100 = 5 %
        + vc_line(2000, "10/14/2026 10:00:20 AM", "cpu.ready.summation")
        # per-vCPU instances are ignored when the whole-VM row exists
        + vc_line(1999, "10/14/2026 10:00:20 AM", "cpu.ready.summation", instance="0")
        # only per-vCPU rows: (1000 / 20000 + 3000 / 20000) / 2 * 100 = 10 %
        + vc_line(1000, "10/14/2026 10:00:40 AM", "cpu.ready.summation", instance="0")
        + vc_line(3000, "10/14/2026 10:00:40 AM", "cpu.ready.summation", instance="1")
        # 300 s rollup, 4-vCPU VM: 15000 / (300 * 1000 * 4) * 100 = 1.25 %
        + vc_line(15000, "10/14/2026 10:05:00 AM", "cpu.ready.summation", vm="big", interval="300")
        + vc_line(400, "10/14/2026 10:00:20 AM", "cpu.costop.summation")
        + vc_line(4.5, "10/14/2026 10:00:20 AM", "cpu.readiness.average", unit="%")
        + vc_line("n/a", "10/14/2026 10:01:00 AM", "cpu.ready.summation")
        + vc_line(5, "10/14/2026 10:01:00 AM", "mem.usage.average", unit="%")
        + vc_line(5, "yesterday", "cpu.costop.summation")
    )
    load = read_vcenter_csv(path)
    reasons = sorted(load.rejects["reason"])
    assert reasons == [
        "metric not used here: mem.usage.average",
        "unreadable timestamp",
        "value is not a number",
    ]
    assert sorted(load.rejects["line"]) == [9, 10, 11]
    pct, skipped = per_vcpu_percent(load.counters, {"pbx": 2, "big": 4})
    assert skipped.empty
    got = {(r.vm, r.counter, r.time.strftime("%H:%M:%S")): r.pct for r in pct.itertuples()}
    assert got[("pbx", "ready", "10:00:20")] == pytest.approx(5.0)
    assert got[("pbx", "ready", "10:00:40")] == pytest.approx(10.0)
    assert got[("big", "ready", "10:05:00")] == pytest.approx(1.25)
    assert got[("pbx", "costop", "10:00:20")] == pytest.approx(1.0)
    assert got[("pbx", "readiness", "10:00:20")] == pytest.approx(4.5)


def test_unknown_vcpus_and_missing_interval_are_reported(tmp_path):
    path = tmp_path / "perf.csv"
    path.write_text(
        '"Value","Timestamp","MetricId","Entity"\n'
        '"100","2026-10-14 10:00:00","cpu.ready.summation","a"\n'
        '"100","2026-10-14 10:00:20","cpu.ready.summation","a"\n'
        '"100","2026-10-14 10:00:40","cpu.ready.summation","a"\n'
        '"100","2026-10-14 10:00:00","cpu.ready.summation","ghost"\n'
    )
    load = read_vcenter_csv(path)
    # no IntervalSecs column: taken from the spacing (20 s); 100 / 20000 * 100 = 0.5 %
    assert set(load.counters.loc[load.counters["vm"] == "a", "interval_s"]) == {20.0}
    pct, skipped = per_vcpu_percent(load.counters, {"a": 1})
    assert pct["pct"].tolist() == pytest.approx([0.5, 0.5, 0.5])
    assert skipped.to_dict("records") == [
        {
            "vm": "ghost",
            "counter": "ready",
            "reason": "vCPU count unknown (VM not in the inventory)",
        }
    ]


def test_vcenter_missing_column(tmp_path):
    path = tmp_path / "perf.csv"
    path.write_text('"Value","Timestamp","Entity"\n"1","2026-10-14 10:00:00","a"\n')
    with pytest.raises(SchemaError, match="missing column\\(s\\) 'MetricId'"):
        read_vcenter_csv(path)


def esxtop_text(rows):
    head = [
        "(PDH-CSV 4.0) (UTC)(0)",
        "\\\\esx\\Physical Cpu(_Total)\\% Util Time",
        "\\\\esx\\Group Cpu(1:system)\\% Ready",
        "\\\\esx\\Group Cpu(2:pbx)\\% Ready",
        "\\\\esx\\Group Cpu(2:pbx)\\% CoStop",
        "\\\\esx\\Group Cpu(2:pbx)\\% Max Limited",
    ]
    lines = [",".join(f'"{h}"' for h in head)]
    lines += [",".join(f'"{c}"' for c in r) for r in rows]
    return "\n".join(lines) + "\n"


def test_esxtop_group_percent_divided_by_vcpus(tmp_path):
    path = tmp_path / "b.csv"
    path.write_text(
        esxtop_text(
            [
                ["11/26/2026 10:00:00", "50", "1", "16.0", "4.0", "0"],
                ["11/26/2026 10:00:05", "50", "1", "8.0", "2.0", "0.4"],
                ["11/26/2026 10:00:10", "50", "1", "x", "2.0", "0"],
                ["bad time", "50", "1", "8.0", "2.0", "0"],
            ]
        )
    )
    load = read_esxtop(path)
    assert set(load.counters["vm"]) == {"pbx"}  # hypervisor group skipped
    assert set(load.counters["interval_s"]) == {5.0}
    assert sorted(load.rejects["reason"]) == ["bad timestamp 'bad time'", "pbx ready: not a number"]
    pct, _ = per_vcpu_percent(load.counters, {"pbx": 4})
    ready = pct[pct["counter"] == "ready"]["pct"].tolist()
    assert ready == pytest.approx([4.0, 2.0])  # 16 / 4, 8 / 4
    stats = counter_stats(pct)
    f = counter_findings(stats, ["pbx"]).set_index("check")
    # ready p95 of [4, 2] = 3.9: >= 2 (voice risk), < 5: at risk
    # co-stop p95 of [1, .5] = .975 >= .5: at risk
    assert f.loc["ready % per vCPU", "level"] == "at risk"
    assert f.loc["co-stop % per vCPU", "level"] == "at risk"
    assert f.loc["max-limited %", "level"] == "harmful"
    assert f.loc["max-limited %", "action"] == "remove the CPU limit on pbx"


def test_esxtop_not_a_batch_file(tmp_path):
    path = tmp_path / "b.csv"
    path.write_text('"Time","x"\n"1","2"\n')
    with pytest.raises(ParseError, match="not an esxtop batch file"):
        read_esxtop(path)
    path.write_text(
        '"(PDH-CSV 4.0) (UTC)(0)","\\\\esx\\Memory\\Free MBytes"\n"11/26/2026 10:00:00","5"\n'
    )
    with pytest.raises(ParseError, match="no 'Group Cpu"):
        read_esxtop(path)


def test_readiness_cross_check_flags_disagreement(tmp_path):
    path = tmp_path / "perf.csv"
    path.write_text(
        HEAD
        + vc_line(4000, "10/14/2026 10:00:20 AM", "cpu.ready.summation")  # 10 % per vCPU (2 vCPUs)
        + vc_line(20.0, "10/14/2026 10:00:20 AM", "cpu.readiness.average", unit="%")
    )
    pct, _ = per_vcpu_percent(read_vcenter_csv(path).counters, {"pbx": 2})
    f = counter_findings(counter_stats(pct), ["pbx"]).set_index("check")
    assert f.loc["readiness cross-check", "level"] == "at risk"
    assert f.loc["ready % per vCPU", "level"] == "harmful"


def test_thresholds_validated():
    from mirtalib.errors import ParameterError
    from mirtalib.vmware import Thresholds

    with pytest.raises(ParameterError, match="ready_risk \\(6.0\\) must be >= 0 and <= ready_harm"):
        Thresholds(ready_risk=6.0)
    with pytest.raises(ParameterError, match="ht_credit"):
        Thresholds(ht_credit=2.0)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.sampled_from(
            [
                '"(PDH-CSV 4.0) (UTC)(0)","\\\\\\\\e\\\\Group Cpu(2:pbx)\\\\% Ready"',
                '"Value","Timestamp","MetricId","Entity","IntervalSecs"',
                '"11/26/2026 10:00:00","16.0"',
                '"5","2026-10-14 10:00:00","cpu.ready.summation","a","20"',
                '"x","y"',
                "",
                '"1"',
                '"n/a","","cpu.ready.summation","","-5"',
                'a,"b',
                "\x00",
            ]
        ),
        max_size=8,
    )
)
def test_counter_readers_raise_only_mirta_errors(tmp_path, lines):
    from mirtalib.errors import MirtaError

    path = tmp_path / "x.csv"
    path.write_text("\n".join(lines))
    for reader in (read_esxtop, read_vcenter_csv):
        try:
            load = reader(path)
        except MirtaError:
            continue
        per_vcpu_percent(load.counters, {"pbx": 2, "a": 1})


def test_demand_mhz_to_percent_by_hand(tmp_path):
    path = tmp_path / "perf.csv"
    path.write_text(
        HEAD
        + vc_line(1000, "10/14/2026 10:00:20 AM", "cpu.demand.average", unit="MHz")
        + vc_line(1000, "10/14/2026 10:00:20 AM", "cpu.demand.average", vm="nomhz", unit="MHz")
    )
    load = read_vcenter_csv(path)
    pct, skipped = per_vcpu_percent(load.counters, {"pbx": 2, "nomhz": 2}, {"pbx": 2000.0})
    # 1000 MHz / (2 vCPUs x 2000 MHz) x 100 = 25 %
    assert pct.set_index("vm").loc["pbx", "pct"] == pytest.approx(25.0)
    assert skipped.to_dict("records") == [
        {"vm": "nomhz", "counter": "demand", "reason": "host core MHz unknown"}
    ]
