"""Destinations, quality and toll-fraud findings, and export, on hand-built calls."""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import load_workbook

from mirtalib.cdr.calls import to_calls
from mirtalib.cdr.destinations import (
    classify_calls,
    classify_number,
    countries,
    international_share,
    top_destinations,
)
from mirtalib.cdr.export import export_tables
from mirtalib.cdr.findings import BusinessHours
from mirtalib.cdr.fraud import minute_spikes, off_hours_international, sequential_dialing
from mirtalib.cdr.quality import asr_drops, failure_bursts, short_calls
from mirtalib.errors import ParameterError

EXT = "PJSIP/100-DEVEL-00000001"


def out_leg(i, s, dst, a=None, e=None, disposition=None, src_chan=EXT, trunk="voipco"):
    row = {
        "s": s,
        "e": e if e is not None else s + 30,
        "dst": dst,
        "channel": src_chan,
        "dstchannel": f"PJSIP/{trunk}-{i:08x}",
        "linkedid": f"c{i}",
        "uniqueid": f"srv01-{i}.1",
        "accountcode": "DEVEL",
        "userfield": "OUT",
        "src": "100",
    }
    if a is not None:
        row["a"] = a
    if disposition:
        row["disposition"] = disposition
    return row


def test_classify_numbers_relative_to_home_region():
    assert classify_number("0039061234567", "IT")[:3] == ("IT", "fixed_line", False)
    assert classify_number("0612345678", "IT")[0] == "IT"
    assert classify_number("00442071234567", "IT")[:3] == ("GB", "fixed_line", True)
    assert classify_number("+12025550123", "IT")[2] is True
    assert classify_number("899123456", "IT")[1] == "premium_rate"
    assert classify_number("101", "IT") == ("", "", False, "")
    with pytest.raises(ParameterError, match="home_region"):
        classify_calls(pd.DataFrame(), "XX")


def test_destinations_tables(make_legs):
    legs = make_legs(
        [
            out_leg(1, 0, "00442071234567", a=5, e=65),
            out_leg(2, 100, "00442071234567", a=105, e=225),
            out_leg(3, 300, "0612345678", a=301, e=361),
            {
                "s": 400,
                "a": 401,
                "e": 461,
                "channel": EXT,
                "dstchannel": "PJSIP/101-DEVEL-0000000a",
                "linkedid": "c4",
                "accountcode": "DEVEL",
                "userfield": "LOCAL",
                "dst": "101",
            },
        ]
    )
    calls = classify_calls(to_calls(legs), "IT")
    top = top_destinations(calls, n=5)
    assert list(top["dst"]) == ["00442071234567", "0612345678"]
    assert list(top["calls"]) == [2, 1] and list(top["minutes"]) == [3.0, 1.0]
    assert list(countries(calls)["country"]) == ["GB", "IT"]
    share = international_share(calls).iloc[0]
    # 2 of 3 outbound calls; 3 of 4 outbound minutes
    assert share["call_share"] == 2 / 3 and share["minute_share"] == 0.75


def test_short_calls_failure_bursts_and_asr_drop(make_legs):
    rows = [out_leg(i, i * 10, "0612345678", disposition="CONGESTION", e=i * 10) for i in range(6)]
    rows += [
        out_leg(10, 1000, "0612345678", a=1000, e=1003),  # short (3 s)
        out_leg(11, 1100, "0612345678", a=1100, e=1160),
        out_leg(12, 5000, "0612345678", disposition="FAILED", e=5000),
    ]  # isolated failure
    calls = to_calls(make_legs(rows))
    sc = short_calls(calls).iloc[0]
    assert (sc["answered"], sc["short"], sc["short_share"]) == (2, 1, 0.5)
    bursts = failure_bursts(calls, gap_s=60, min_failures=5)
    assert len(bursts) == 1
    b = bursts.iloc[0]
    assert (b["subject"], b["calls"], b["strength"], b["severity"]) == ("voipco", 6, 6.0, "low")
    assert b["call_ids"] == "c0, c1, c2, c3, c4, c5" and "100% of its calls" in b["reason"]
    # ASR: 20 answered calls on each of days 1-4, then day 5 with 20 calls, 2 answered
    rows = []
    for day in range(5):
        for k in range(20):
            i = day * 100 + k
            ok = k < 2 if day == 4 else True
            rows.append(
                out_leg(
                    i,
                    day * 86400 + k * 60,
                    "0612345678",
                    a=day * 86400 + k * 60 + 1 if ok else None,
                )
            )
    calls = to_calls(make_legs(rows))
    drops = asr_drops(calls, freq="D", min_attempts=20)
    assert list(drops["subject"]) == ["day 2026-10-09 00:00"]
    # baseline 82/100 = 0.82; day ASR 0.10; z = (0.10 - 0.82) / sqrt(0.82*0.18/20) = -8.38
    assert drops["strength"][0] == pytest.approx(8.38, abs=0.01)
    assert drops["calls"][0] == 20


def test_toll_fraud_findings(make_legs):
    night = 14 * 3600  # 09:00 + 14 h = 23:00 on Monday 2026-10-05
    rows = [
        out_leg(1, night, "00442071234567", a=night + 5, e=night + 1205),  # 20 min to GB
        out_leg(2, night + 2000, "899123456", a=night + 2001, e=night + 2061),  # premium
        out_leg(3, 0, "00442071234567", a=5, e=65),
    ]  # in business hours: not a finding
    # sequential dialing from 101: 0612345670..0612345676 within minutes, plus noise
    chan = "PJSIP/101-DEVEL-00000002"
    rows += [out_leg(20 + k, 3600 + 20 * k, f"061234567{k}", src_chan=chan) for k in range(7)]
    rows += [out_leg(40, 3600 + 200, "0699999999", src_chan=chan)]
    # minute spike: 102 speaks 2 min a day for 9 days, then 120 min on day 10
    chan2 = "PJSIP/102-DEVEL-00000003"
    for d in range(10):
        length = 7200 if d == 9 else 120
        rows.append(
            out_leg(
                60 + d,
                d * 86400 + 600,
                "0612000000",
                a=d * 86400 + 600,
                e=d * 86400 + 600 + length,
                src_chan=chan2,
            )
        )
    calls = classify_calls(to_calls(make_legs(rows)), "IT")
    hours = BusinessHours.parse("Mon-Fri 08:00-19:00")
    off = off_hours_international(calls, hours)
    assert len(off) == 1
    f = off.iloc[0]
    assert (f["subject"], f["calls"], f["call_ids"], f["severity"]) == (
        "100-DEVEL",
        2,
        "c1, c2",
        "high",
    )
    assert f["strength"] == pytest.approx(21.0) and "1 premium" in f["reason"]
    seq = sequential_dialing(calls, min_run=5)
    assert "7 numbers from 0612345670 to 0612345676 in steps of 1" in seq["reason"][0]
    assert len(seq) == 1 and seq["subject"][0] == "101-DEVEL" and seq["strength"][0] == 7
    assert seq["call_ids"][0] == ", ".join(f"c{20 + k}" for k in range(7))
    spikes = minute_spikes(calls, factor=5, min_minutes=30)
    assert list(spikes["subject"]) == ["102-DEVEL"]
    # baseline = 9 days x 2 min / 9 = 2 min/day; 120 / 2 = 60x
    assert spikes["strength"][0] == pytest.approx(60.0)
    with pytest.raises(ParameterError, match="business_hours"):
        BusinessHours.parse("weekdays 9-5")


def test_export_csv_and_xlsx(tmp_path):
    tables = {
        "kpis per tenant": pd.DataFrame({"tenant": ["A"], "asr": [0.5]}),
        "heatmap": pd.DataFrame({"0": [1]}, index=pd.Index(["Mon"], name="weekday")),
    }
    files = export_tables(tables, tmp_path)
    assert [p.name for p in files] == ["kpis_per_tenant.csv", "heatmap.csv", "cdr-report.xlsx"]
    assert (tmp_path / "heatmap.csv").read_text().splitlines()[0] == "weekday,0"
    wb = load_workbook(tmp_path / "cdr-report.xlsx")
    assert wb.sheetnames == ["kpis_per_tenant", "heatmap"]
    assert wb["kpis_per_tenant"]["B2"].value == 0.5
    with pytest.raises(ParameterError, match="formats"):
        export_tables(tables, tmp_path, formats=["pdf"])
