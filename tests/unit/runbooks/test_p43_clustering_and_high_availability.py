"""Page 43 (Clustering and High Availability) on the recorded demo nodes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from mirtalib.errors import ParameterError, ParseError
from mirtalib.runbook import Phase, Status, Verdict, VerificationFailed
from mirtalib.runbooks import get
from mirtalib.runbooks.p43_clustering_and_high_availability import (
    RUNBOOK,
    design,
    phones_per_node,
    placement,
    placement_check,
    registered_phones,
    shares_text,
    tenant_of,
)

SIP_PEERS = (Path(__file__).parent / "data" / "sip_show_peers_p43.txt").read_text()


@pytest.fixture
def rb(tmp_path):
    runbook = RUNBOOK.open("replay:srv01,replay:srv02", journal=tmp_path / "journal")
    yield runbook
    runbook.close()


def _steps(report, node):
    return {r.step_id: r for r in report.nodes[node].results}


def test_registry_finds_page_43():
    assert get(43) is RUNBOOK


def test_design_is_the_pages_two_pools(rb):
    lines = [(r.owner, r.priority, r.target) for r in design(rb.values)]
    assert lines == [
        ("_sip._udp.pbxa.demo.mirta.example", 10, "srv01.demo.mirta.example"),
        ("_sip._udp.pbxa.demo.mirta.example", 20, "srv02.demo.mirta.example"),
        ("_sip._udp.pbxb.demo.mirta.example", 10, "srv02.demo.mirta.example"),
        ("_sip._udp.pbxb.demo.mirta.example", 20, "srv01.demo.mirta.example"),
    ]
    text = shares_text(design(rb.values))
    assert "pbxa.demo.mirta.example: srv01.demo.mirta.example down -> srv02" in text


def test_plan_flags_the_single_pool_layout_of_pbxb(rb):
    plan = rb.plan()
    live = _steps(plan, 0)["srv-live-before"]
    assert live.status is Status.WARN
    assert (
        "_sip._udp.pbxb.demo.mirta.example: missing [20 10 5060 srv01.demo.mirta.example]"
        in live.reason
    )
    assert "unexpected [10 10 5060 srv01.demo.mirta.example]" in live.reason
    assert "(as designed: _sip._udp.pbxa.demo.mirta.example)" in live.reason
    assert _steps(plan, 1)["phones-before"].reason == (
        "37 phone(s) registered: ACME 11, DEVEL 1, ROSSI 13, VERDI 12"
    )
    assert not plan.failed


def test_verify_fails_until_the_zone_is_published(rb):
    with pytest.raises(VerificationFailed, match="The pools are published as designed"):
        rb.verify().raise_for_failure()


def test_phones_per_node_and_placement(rb):
    frame = phones_per_node(rb)
    assert frame.loc["ACME"].tolist() == [12, 11]  # 205-ACME is Unavail
    table = placement(frame, rb.values["pools"], 0.2).set_index("tenant")
    assert table.loc["ACME", "finding"] == (
        "48% elsewhere, above 20%: split across nodes, provision pbxa on all its phones"
    )
    assert table.loc["DEVEL", "finding"].startswith("10% on the secondary")
    assert table.loc["ROSSI", ["main_node", "pool", "elsewhere"]].tolist() == ["srv02", "pbxb", 0.0]


def test_secondary_threshold_is_the_pages_ten_percent(rb):
    assert RUNBOOK.validate({})["secondary_warn"] == 0.1
    frame = phones_per_node(rb)
    table = placement(frame, rb.values["pools"], rb.values["secondary_warn"]).set_index("tenant")
    # DEVEL: 1 of 10 phones on srv02, exactly the page's ~10%: normal
    assert table.loc["DEVEL", "verdict"] == "pass"
    assert table.loc["DEVEL", "finding"].startswith("10% on the secondary: normal")
    # ACME: 11 of 23 elsewhere: a finding
    assert table.loc["ACME", "verdict"] == "warn"
    verdict, reason = placement_check(frame, rb.values["pools"])
    assert verdict is Verdict.WARN
    assert reason == (
        "ACME: 48% elsewhere, above 10%: split across nodes, provision pbxa on all its phones"
    )


@pytest.mark.parametrize(
    ("away", "verdict"),
    [(0, Verdict.PASS), (10, Verdict.PASS), (11, Verdict.WARN), (50, Verdict.WARN)],
)
def test_placement_check_threshold(away, verdict):
    frame = pd.DataFrame(
        {"srv01": [100 - away], "srv02": [away]}, index=pd.Index(["SHOP"], name="tenant")
    )
    assert placement_check(frame, "pbxa:srv01,pbxb:srv02")[0] is verdict
    # a stricter threshold turns the page's 10% into a finding
    if away == 10:
        assert placement_check(frame, "pbxa:srv01,pbxb:srv02", 0.05)[0] is Verdict.WARN


def test_switch_effects_are_said_before_starting():
    step = {s.id: s for s in RUNBOOK.build(RUNBOOK.validate({}))}["switch-effects"]
    assert step.phase is Phase.BEFORE
    assert "loses its INUSE state" in step.detail
    assert "re-registers with a delay" in step.detail


def test_placement_of_an_empty_frame_and_ties():
    frame = pd.DataFrame({"srv01": [5], "srv02": [5]}, index=pd.Index(["SHOP"], name="tenant"))
    row = placement(frame, "pbxa:srv01,pbxb:srv02", 0.2).iloc[0]
    assert (row.main_node, row.elsewhere, row.pool) == ("srv01", 0.5, "pbxa")


def test_chan_sip_registrations():
    assert registered_phones(SIP_PEERS, "sip") == {"ACME": 1, "DEVEL": 1}
    assert tenant_of("trunk-eutelia") == "" and tenant_of("100-DEVEL") == "DEVEL"


def test_unreadable_contacts_are_not_silently_dropped():
    with pytest.raises(ParseError, match="not understood"):
        registered_phones("  Contact:  garbage\n", "pjsip")


@pytest.mark.parametrize(
    "values, match",
    [
        ({"pools": "pbxa"}, "is not POOL:NODE"),
        ({"pools": "pbx_a:srv01"}, "is not a host name"),
        ({"ttl": 5}, "ttl=5 is outside 60-604800"),
        ({"secondary_warn": 1.5}, "must be a fraction between 0 and 1"),
        ({"resolver": "dns.google"}, "is not an IP address"),
        ({"channel_driver": "iax"}, "is not one of"),
    ],
)
def test_bad_parameters_are_refused_with_a_clear_message(values, match):
    with pytest.raises(ParameterError, match=match):
        RUNBOOK.open("replay:srv01", **values)
