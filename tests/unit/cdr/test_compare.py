"""The CDR report against the previous period of the same length (deltas overall and per
tenant), on the demo PBX: the second half of October against the first."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from mirtalib.cdr.compare import compare_with_previous, comparison_or_reason, previous_period
from mirtalib.cdr.report import ReportParams, build_report
from mirtalib.errors import ParameterError


@pytest.fixture(scope="module")
def month():
    return build_report(ReportParams(start="2026-10-01", end="2026-11-01"))


@pytest.fixture(scope="module")
def halves():
    report = build_report(ReportParams(start="2026-10-15", end="2026-10-29"))
    return report, compare_with_previous(report)


def test_previous_period_has_the_same_length():
    assert previous_period("2026-10-01", "2026-11-01") == (
        datetime(2026, 8, 31),
        datetime(2026, 10, 1),
    )
    assert previous_period("2026-10-14 08:00", "2026-10-14 18:00") == (
        datetime(2026, 10, 13, 22),
        datetime(2026, 10, 14, 8),
    )
    with pytest.raises(ParameterError, match="not after"):
        previous_period("2026-10-02", "2026-10-01")
    with pytest.raises(ParameterError, match="ISO"):
        previous_period("01/10/2026", "2026-11-01")


def test_headline_deltas_match_the_calls_of_each_period(month, halves):
    report, cmp = halves
    assert cmp.current == (datetime(2026, 10, 15), datetime(2026, 10, 29))
    assert cmp.previous == (datetime(2026, 10, 1), datetime(2026, 10, 15))
    calls = month.calls  # the whole month, counted here independently of the comparison
    before = calls[(calls["start"] >= "2026-10-01") & (calls["start"] < "2026-10-15")]
    now = calls[(calls["start"] >= "2026-10-15") & (calls["start"] < "2026-10-29")]
    h = cmp.headline.set_index("metric")
    assert h.loc["calls", "current"] == len(now) == len(report.calls)
    assert h.loc["calls", "previous"] == len(before)
    assert h.loc["calls", "change"] == len(now) - len(before)
    assert h.loc["calls", "change_pct"] == pytest.approx(100 * (len(now) / len(before) - 1))
    asr_now = 100 * now["answered"].mean()
    asr_before = 100 * before["answered"].mean()
    assert h.loc["asr", "current"] == pytest.approx(asr_now)
    assert h.loc["asr", "change"] == pytest.approx(asr_now - asr_before)  # in points
    assert np.isnan(h.loc["asr", "change_pct"])
    minutes = (now["billable"].sum() - before["billable"].sum()) / 60
    assert h.loc["minutes", "change"] == pytest.approx(minutes)
    assert h.loc["acd", "current"] == pytest.approx(now.loc[now["answered"], "billable"].mean())


def test_per_tenant_deltas(month, halves):
    _, cmp = halves
    calls = month.calls
    before = calls[(calls["start"] >= "2026-10-01") & (calls["start"] < "2026-10-15")]
    now = calls[(calls["start"] >= "2026-10-15") & (calls["start"] < "2026-10-29")]
    per = cmp.per_tenant.set_index("tenant")
    assert sorted(per.index) == ["ACME", "DEVEL", "ROSSI", "VERDI"]
    for tenant in per.index:
        n, b = now[now["tenant"] == tenant], before[before["tenant"] == tenant]
        assert per.loc[tenant, "attempts"] == len(n)
        assert per.loc[tenant, "attempts_prev"] == len(b)
        assert per.loc[tenant, "attempts_change"] == len(n) - len(b)
        assert per.loc[tenant, "asr_change"] == pytest.approx(
            100 * (n["answered"].mean() - b["answered"].mean())
        )
    assert cmp.note == ""


def test_previous_period_without_calls_is_said(month):
    cmp = compare_with_previous(build_report(ReportParams(tenants="ACME")))
    assert cmp.previous == (datetime(2026, 8, 31), datetime(2026, 10, 1))
    assert cmp.note.startswith("no calls in the previous period (2026-08-31 to 2026-10-01")
    row = cmp.per_tenant.set_index("tenant").loc["ACME"]
    assert np.isnan(row["attempts_prev"]) and row["attempts_change"] == row["attempts"]
    assert np.isnan(row["asr_change"])  # no ASR before: no change in points either
    h = cmp.headline.set_index("metric")
    assert h.loc["calls", "previous"] == 0 and np.isnan(h.loc["calls", "change_pct"])
    assert h["change"].isna().all()
    assert cmp.headline_text().set_index("figure").loc["calls", "change"] == "-"


def test_a_period_without_start_cannot_be_compared():
    report = build_report(ReportParams(start="2026-10-05", end="2026-10-06"))
    report.params.start = ""
    with pytest.raises(ParameterError, match="needs a start"):
        compare_with_previous(report)
    assert comparison_or_reason(report) == (
        None,
        "no comparison: the comparison with the previous period needs a start",
    )


def test_a_month_to_date_is_compared_with_the_same_days_of_the_month_before():
    report = build_report(ReportParams(start="2026-10-01", end=""))
    cmp = compare_with_previous(report, now=datetime(2026, 10, 20, 9, 25, 41))
    assert cmp.current == (datetime(2026, 10, 1), datetime(2026, 10, 20, 9, 25))
    assert cmp.previous == (datetime(2026, 9, 1), datetime(2026, 9, 20, 9, 25))
    # the demo month has no September: nothing to compare with, said so
    assert cmp.note.startswith("no calls in the previous period (2026-09-01 to 2026-09-20")
    # on the 31st: September is shorter, the previous period stops where this one starts
    march = compare_with_previous(report, now=datetime(2026, 10, 31, 23, 0))
    assert march.previous == (datetime(2026, 9, 1), datetime(2026, 10, 1))


def test_comparison_as_text_with_units_and_signs(halves):
    _, cmp = halves
    head = cmp.headline_text().set_index("figure")
    h = cmp.headline.set_index("metric")
    calls = int(h.loc["calls", "change"])
    assert head.loc["calls", "change"].startswith(f"{calls:+,d} (")
    assert head.loc["asr", "change"].endswith(" points")
    assert head.loc["acd", "this period"].endswith(" min")
    assert head.loc["minutes", "previous period"].endswith(" min")
    tenants = cmp.tenants_text().set_index("tenant")
    per = cmp.per_tenant.set_index("tenant")
    assert tenants.loc["ACME", "calls"] == f"{int(per.loc['ACME', 'attempts']):,d}"
    assert tenants.loc["ACME", "asr change"].endswith(" points")
