"""BLF strings per brand, monitor names, hint classification, the tenant directory (demo DB)."""

from __future__ import annotations

import pandas as pd
import pytest

from mirtalib.asterisk.states import parse_core_show_hints
from mirtalib.errors import ParameterError
from mirtalib.phones.blf import brand_string, classify_monitor, hint_findings, monitor_name
from mirtalib.phones.blfsteps import findings, pick_monitors
from mirtalib.phones.directory import load_directory, monitors


def test_brand_strings():
    assert brand_string("cisco-spa", "104-DEVEL") == "fnc=blf+sd+cp;sub=104-DEVEL@$PROXY"
    assert brand_string("yealink", "*97104-DEVEL", label="VM", key=3) == (
        "linekey.3.type = 16; linekey.3.value = *97104-DEVEL; linekey.3.label = VM; "
        "linekey.3.line = 1"
    )
    assert brand_string("snom", "801-DEVEL", key=2, host="pbx.example.net") == (
        "fkey1: blf <sip:801-DEVEL@pbx.example.net>"
    )
    assert "Value = 500-DEVEL" in brand_string("grandstream", "500-DEVEL")
    with pytest.raises(ParameterError, match="not a monitor name"):
        brand_string("yealink", "104DEVEL")
    with pytest.raises(ParameterError, match="phone brand 'polycom'"):
        brand_string("polycom", "104-DEVEL")


def test_monitor_names():
    assert monitor_name("104", "DEVEL", prefix="*97") == "*97104-DEVEL"
    with pytest.raises(ParameterError, match="digits only"):
        monitor_name("10a", "DEVEL")
    with pytest.raises(ParameterError, match="must look like"):
        monitor_name("104", "DEVEL", prefix="97")


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("100-DEVEL", "ok"),
        ("100DEVEL", "no-dash"),
        ("100devel", "no-dash"),
        ("*97104DEVEL", "no-dash"),
        ("150-DEVEL", "unknown"),
        ("100-ACME", "other-tenant"),
        ("100-NOPE", "unknown"),
        ("_X.", "pattern"),
        ("alice", "other"),
    ],
)
def test_classify(name, status):
    tenants = {"DEVEL", "ACME"}
    assert classify_monitor(name, "DEVEL", tenants, {"100-DEVEL"})[0] == status


def test_demo_directory_and_monitors():
    d = load_directory("DEVEL")
    assert d.parking_numbers()[:2] == ["800", "801"] and len(d.parking_numbers()) == 21
    table = monitors(d)
    assert set(table["kind"]) == {"extension", "voicemail", "queue", "parking"}
    assert "*97104-DEVEL" in set(table["monitor"])
    assert "*97105-DEVEL" not in set(table["monitor"])  # 105 is a CUSTOM follow-me, no phone
    with pytest.raises(ParameterError, match="not in the database"):
        load_directory("NOPE")
    with pytest.raises(ParameterError, match="has no extension 999"):
        d.extension("999")


def test_pick_monitors():
    chosen = pick_monitors("DEVEL", "104,500,801,vm:104", "*97")
    assert list(chosen["monitor"]) == ["104-DEVEL", "500-DEVEL", "801-DEVEL", "*97104-DEVEL"]
    assert len(pick_monitors("DEVEL", "", "*97")) == 10
    with pytest.raises(ParameterError, match="'999' is not an extension"):
        pick_monitors("DEVEL", "104,999", "*97")


def test_hint_findings_on_the_recorded_srv02(node):
    """Recorded from Asterisk 22.10.1: a phone's key on the dash-less name 100DEVEL is counted
    as a watcher of 100-DEVEL (Asterisk ignores dashes when matching), so no 100DEVEL hint."""
    text = node("srv02").run("asterisk -rx 'core show hints'").stdout
    report = findings(text, "DEVEL", "*97")
    table = report.table.set_index("name")
    assert "100DEVEL" not in table.index
    assert table.loc["100-DEVEL", "watchers"] == 3 and table.loc["100-DEVEL", "status"] == "ok"
    assert table.loc["150-DEVEL", "status"] == "unknown"
    assert table.loc["_X.", "status"] == "pattern"
    assert repr(report) == "150-DEVEL: unknown"
    assert report.table.attrs["unparsed"] == []  # the '-----' rule is chrome, nothing else left


def test_hint_findings_no_dash():
    """Synthetic, not recorded: the seed page's case of a hint left on the dash-less name (as
    the page describes it for the Asterisk versions it documents)."""
    text = (
        "    -= Registered Asterisk Dial Plan Hints =-\n"
        "100DEVEL@authentica           : Custom:100DEVEL                                    "
        "           State:Idle            Presence:not_set         Watchers  1\n"
        "----------------\n- 1 hints registered\n"
    )
    report = findings(text, "DEVEL", "*97")
    row = report.table.iloc[0]
    assert row["name"] == "100DEVEL" and row["status"] == "no-dash"
    assert "restart Asterisk" in row["why"]


def test_hint_findings_empty():
    hints = parse_core_show_hints(
        "-= Registered Asterisk Dial Plan Hints =-\n- 0 hints registered\n"
    )
    out = hint_findings(hints, "DEVEL", {"DEVEL"}, set())
    assert isinstance(out, pd.DataFrame) and out.empty


def test_long_names_are_taken_from_the_device_not_the_cut_hint_column():
    text = (
        "    -= Registered Asterisk Dial Plan Hints =-\n"
        "10001-LOGISTICA_NORD: Custom:10001-LOGISTICA_NORD   State:Idle  Presence:not_set  "
        "Watchers  1\n"
        "- 1 hints registered\n"
    )
    hints = parse_core_show_hints(text)
    out = hint_findings(hints, "LOGISTICA_NORD", {"LOGISTICA_NORD"}, {"10001-LOGISTICA_NORD"})
    assert list(out["name"]) == ["10001-LOGISTICA_NORD"] and list(out["status"]) == ["ok"]
