"""Call search on the demo PBX: filters, pages, a call's legs and its recordings; and its
widget driven without a browser (the buttons' handlers are what a click runs)."""

from __future__ import annotations

import pandas as pd
import pytest

from mirtalib.cdr.report import ReportParams, build_report
from mirtalib.cdr.search import CallSearch, coverage_for, search_calls
from mirtalib.errors import ParameterError
from mirtalib.reporting.widgets import CallSearchUI

DAY = ("2026-10-05", "2026-10-06")


@pytest.fixture(scope="module")
def report():
    return build_report(ReportParams(start=DAY[0], end=DAY[1]))


@pytest.fixture(scope="module")
def search(report):
    return CallSearch(report, coverage_for(DAY[0], DAY[1], "all"))


def test_filters_combine_and_pages_cover_every_match(report):
    calls = report.calls
    expected = calls[
        calls["disposition"].eq("ANSWERED") & (calls["duration"] >= 60) & calls["tenant"].eq("ACME")
    ]
    pages, seen = None, []
    page = 1
    while pages is None or page <= pages:
        found = search_calls(
            calls,
            disposition="answered",
            min_duration_s=60,
            tenants="ACME",
            page=page,
            page_size=7,
        )
        pages = found.pages
        seen += found.rows["call_id"].tolist()
        page += 1
    assert found.total == len(expected) and pages == -(-len(expected) // 7)
    assert sorted(seen) == sorted(expected["call_id"]) and len(set(seen)) == len(seen)
    first = search_calls(calls, disposition="ANSWERED", tenants="ACME", min_duration_s=60)
    assert first.rows["start"].is_monotonic_decreasing  # newest first
    assert first.describe().startswith(f"calls 1-{len(first.rows)} of {len(expected):,} (page 1")


def test_number_extension_and_time_filters(report):
    calls = report.calls
    dialed = calls[calls["dst"].str.len() > 6]["dst"].iloc[0]
    part = dialed[2:7]
    found = search_calls(calls, number=f"+{part[:2]} {part[2:]}", page_size=500)
    assert dialed in set(found.rows["dst"])
    assert all(
        part in (str(r.src) + "|" + str(r.dst) + "|" + str(r.landed) + "|" + str(r.caller))
        or part in str(calls.set_index("call_id").loc[r.call_id, "who_answered"])
        or part in str(calls.set_index("call_id").loc[r.call_id, "e164"]).replace("+", "")
        for r in found.rows.itertuples()
    )
    ext = search_calls(calls, extension="100-ACME", page_size=500).rows
    assert len(ext) and ext["tenant"].eq("ACME").all()
    info = calls.set_index("call_id")
    for call_id in ext["call_id"]:
        c = info.loc[call_id]
        assert {"100", "100-ACME"} & {
            c["caller"],
            c["landed"],
            c["who_answered"],
            c["src"],
            c["dst"],
        }
    assert search_calls(calls, extension="100", page_size=500).total >= len(ext)
    window = search_calls(calls, start="2026-10-05 10:00", end="2026-10-05 11:00", page_size=500)
    assert (
        window.rows["start"]
        .between(pd.Timestamp("2026-10-05 10:00"), pd.Timestamp("2026-10-05 10:59:59"))
        .all()
    )
    assert (
        window.total == calls["start"].between("2026-10-05 10:00", "2026-10-05 10:59:59.999").sum()
    )


def test_bad_filters_are_parameter_errors(report):
    with pytest.raises(ParameterError, match="did you mean ANSWERED"):
        search_calls(report.calls, disposition="anwsered")
    with pytest.raises(ParameterError, match="ISO"):
        search_calls(report.calls, start="05/10/2026")
    with pytest.raises(ParameterError, match="page 999"):
        search_calls(report.calls, page=999)
    with pytest.raises(ParameterError, match="digits"):
        search_calls(report.calls, number="abc")


def test_a_call_opens_its_legs_and_recordings(report, search):
    multi = report.calls[report.calls["legs"] >= 3]["call_id"].iloc[0]
    legs = search.legs(multi)
    assert len(legs) == report.calls.set_index("call_id").loc[multi, "legs"]
    assert legs["start"].is_monotonic_increasing
    audit = search.coverage()
    recorded = audit.legs.query("status == 'recorded'")
    uid = recorded["uniqueid"].iloc[0]
    recs = search.recordings(_call_of(report, uid))
    row = recs[(recs["uniqueid"] == uid) & recs["status"].eq("recorded")].iloc[0]
    files = audit.recordings.loc[audit.recordings["uniqueid"] == uid, "relpath"]
    assert row["relpath"] in set(files) and row["relpath"].endswith(".wav")
    unrecorded = audit.legs.query("status == 'not_expected'")["uniqueid"].iloc[0]
    other = search.recordings(_call_of(report, unrecorded))
    assert "not_expected" in set(other["status"])
    with pytest.raises(ParameterError, match="no call"):
        search.legs("nope-1.1")


def _call_of(report, uid):
    from mirtalib.cdr.calls import annotate_legs

    legs = annotate_legs(report.legs, report.params.timezone)
    return legs.loc[legs["uniqueid"] == uid, "call_id"].iloc[0]


def test_search_needs_the_pandas_engine():
    sql = build_report(ReportParams(start=DAY[0], end=DAY[1], engine="sql"))
    with pytest.raises(ParameterError, match="pandas engine"):
        CallSearch(sql)


def test_widget_search_pages_and_opens_a_call(search):
    ui = CallSearchUI(search, page_size=5)
    ui.disposition.value = "BUSY"
    ui.search_button.click()
    assert ui.status.value.startswith("calls 1-5 of ")
    assert ui.results.value.count("<tr>") >= 5 and ui.prev_button.disabled
    first_page = list(ui.call.options)
    ui.next_button.click()
    assert "(page 2 of" in ui.status.value and not ui.prev_button.disabled
    assert set(ui.call.options) - {""} and set(ui.call.options) & set(first_page) == {""}
    ui.call.value = ui.call.options[1]
    assert f"Call {ui.call.value}: " in ui.detail.value and "<table" in ui.detail.value
    ui.start.value = "14/10/2026"
    ui.search_button.click()
    assert "ISO" in ui.status.value  # shown in the form, not raised
