"""Page 03 (Integrating with Microsoft Teams) on the recorded demo node srv01, and its parts."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))

from integration_pages import isolated_replays, steps

from mirtalib.asterisk.conf import parse_conf
from mirtalib.asterisk.sorcery import merge_objects, parse_sorcery
from mirtalib.errors import ParameterError, ParseError
from mirtalib.runbook import Status
from mirtalib.runbooks import get
from mirtalib.runbooks.p03_integrating_with_microsoft_teams import RUNBOOK
from mirtalib.runbooks.teams_parts import certificate_facts, name_covered

TEAMS = "/etc/asterisk/pjsip_msteams.conf"


@pytest.fixture
def rb(tmp_path):
    opts = isolated_replays(tmp_path / "replays")
    runbook = RUNBOOK.open("replay:srv01", journal=tmp_path / "journal", target_options=opts)
    yield runbook
    runbook.close()


def test_registry_finds_page_03():
    assert get(3) is RUNBOOK


def test_plan_certificate_placeholders_and_sections(rb):
    s = steps(rb.plan())
    cert = s["certificate"]
    assert cert.status is Status.WARN and "covers all 3 names" in cert.reason
    assert "(15 days)" in cert.reason  # replay clock 2026-11-02, expiry 2026-11-18
    assert s["key-private"].status is Status.PASS
    assert "+socket=tls:10.20.0.11:5067" in s["opensips-cfg"].diff
    assert '+advertised_address="203.0.113.11"' in s["opensips-cfg"].diff
    teams = s["pjsip-teams"].diff
    assert "+[transport-msteams]" in teams and "+method=tlsv1_2" in teams
    assert "+match=10.20.0.11" in teams and "+contact=sip:10.20.0.11:5067" in teams
    assert "+#include pjsip_msteams.conf" in s["pjsip-include"].diff
    assert "+endpoint=config,pjsip.conf,criteria=type=endpoint" in s["sorcery"].diff
    assert s["opensips-restart"].status is Status.WOULD_RUN
    assert s["pjsip-reload"].status is Status.WOULD_RUN


def test_apply_makes_static_sections_effective_next_to_realtime(rb):
    applied = rb.apply(confirm=True)
    assert not applied.failed, applied.text()
    t = rb.targets[0]
    sorcery = parse_sorcery(t.read_text("/etc/asterisk/sorcery.conf"))
    merged = merge_objects(
        sorcery,
        {"pjsip.conf": parse_conf(t.read_text(TEAMS))},
        {"ps_endpoints": ["100-DEVEL"], "ps_aors": ["100-DEVEL"], "ps_endpoint_id_ips": []},
    )
    static = merged[merged["source"] == "config:pjsip.conf"]
    assert set(static["status"]) == {"effective"}
    assert sorted(static["object_type"]) == ["aor", "endpoint", "identify", "transport"]
    assert "__" not in t.read_text("/etc/opensips/opensips.cfg")
    again = rb.apply(confirm=True)
    assert not any(n.changed for n in again.nodes)
    verify = rb.verify()
    verify.raise_for_failure()
    v = steps(verify)
    assert v["pjsip-listens"].status is Status.PASS
    assert v["pjsip-endpoint"].status is Status.PASS
    assert v["pjsip-aor"].status is Status.PASS


def test_verify_before_apply_names_what_is_missing(rb):
    v = steps(rb.verify())
    assert v["pjsip-listens"].status is Status.FAIL
    assert "nothing listens on TCP port 5091" in v["pjsip-listens"].reason
    assert "not found" in v["pjsip-endpoint"].reason
    assert v["opensips-filled"].status is Status.FAIL and "__FQDN__" in v["opensips-filled"].reason


def test_a_missing_name_fails_the_certificate(tmp_path):
    opts = isolated_replays(tmp_path / "replays")
    rb = RUNBOOK.open(
        "replay:srv01",
        journal=tmp_path / "j",
        target_options=opts,
        certificate_names="asterisk.example.com,sbc.example.com",
    )
    cert = steps(rb.plan())["certificate"]
    assert cert.status is Status.FAIL and "sbc.example.com" in cert.reason


def test_bad_parameters_are_refused():
    with pytest.raises(ParameterError, match="4 distinct tokens"):
        RUNBOOK.validate({"placeholders": "__A__,__B__"})
    with pytest.raises(ParameterError, match="certificate_names"):
        RUNBOOK.validate({"certificate_names": "bad name!"})
    with pytest.raises(ParameterError, match="tls_method"):
        RUNBOOK.validate({"tls_method": "sslv3"})


def test_wildcards_cover_one_label():
    assert name_covered("teams1.example.com", ("*.example.com",))
    assert not name_covered("a.b.example.com", ("*.example.com",))
    assert not name_covered("example.com", ("*.example.com",))
    assert name_covered("SBC.Example.com.", ("sbc.example.com",))


def test_certificate_facts_refuse_non_pem():
    with pytest.raises(ParseError, match="missing or empty"):
        certificate_facts(None, ["a.example.com"], datetime(2026, 1, 1))
    with pytest.raises(ParseError, match="not a PEM"):
        certificate_facts(b"-----BEGIN CERTIFICATE-----\nzz\n", ["a"], datetime(2026, 1, 1))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_give_facts_or_parse_error(data):
    try:
        certificate_facts(data, ["a.example.com"], datetime(2026, 1, 1))
    except ParseError:
        pass
