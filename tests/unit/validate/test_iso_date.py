"""Dates are ISO: 2026-10-02 is read, 02/10/2026 is refused with the ISO forms to write."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest

from mirtalib.cdr import load_legs
from mirtalib.errors import ParameterError
from mirtalib.validate import iso_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-10-02", datetime(2026, 10, 2)),
        (" 2026-10-02 ", datetime(2026, 10, 2)),
        ("2026-10-02 14:30", datetime(2026, 10, 2, 14, 30)),
        ("2026-10-02T14:30:05", datetime(2026, 10, 2, 14, 30, 5)),
        ("2026-10-02 14:30:05.250", datetime(2026, 10, 2, 14, 30, 5, 250000)),
    ],
)
def test_iso_forms_are_read(text, expected):
    assert iso_date(text, "start") == expected


def test_objects_are_accepted_and_zones_dropped():
    assert iso_date(date(2026, 10, 2)) == datetime(2026, 10, 2)
    assert iso_date(pd.Timestamp("2026-10-02 10:00")) == datetime(2026, 10, 2, 10)
    aware = datetime(2026, 10, 2, 10, tzinfo=UTC)
    assert iso_date(aware) == datetime(2026, 10, 2, 10)


def test_day_month_ambiguity_is_refused_with_both_readings():
    with pytest.raises(ParameterError) as err:
        iso_date("02/10/2026", "start")
    text = str(err.value)
    assert "start='02/10/2026'" in text
    assert "2026-10-02 (2 October 2026)" in text
    assert "2026-02-10 (10 February 2026)" in text


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("22/10/2026", "2026-10-22 (22 October 2026)"),  # only one reading is a date
        ("10/22/2026", "2026-10-22 (22 October 2026)"),
        ("02.10.2026 10:42", "2026-10-02 10:42 (2 October 2026)"),
        ("2026/10/02", "write it as 2026-10-02"),
        ("20261002", "write it as 2026-10-02"),
        ("2026-10", "YYYY-MM-DD"),
        ("yesterday", "YYYY-MM-DD"),
        ("2026-10-02+02:00", "YYYY-MM-DD"),
    ],
)
def test_other_forms_are_refused_with_the_iso_form(text, hint):
    with pytest.raises(ParameterError, match="is not an ISO date") as err:
        iso_date(text, "end")
    assert hint in str(err.value)
    assert "22 October" not in str(err.value) or "22" in text


def test_impossible_dates_and_non_text():
    with pytest.raises(ParameterError, match="not a real date"):
        iso_date("2026-02-30", "start")
    with pytest.raises(ParameterError, match="got int"):
        iso_date(20261002, "start")


def test_the_cdr_reader_refuses_a_non_iso_period(tmp_path):
    # the value is checked before any source is opened: never read as 10 February
    with pytest.raises(ParameterError, match=r"2026-10-02 \(2 October 2026\)"):
        load_legs(tmp_path / "Master.csv", start="02/10/2026")
