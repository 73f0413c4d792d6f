"""RFC 2782 SRV model: the page-43 example, RFC odds, pools, zone lines, comparison."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mirtalib.errors import ParameterError, ParseError
from mirtalib.net.srv import (
    SrvRecord,
    compare,
    parse_zone_lines,
    pool_records,
    rfc_odds,
    select,
    shares,
    zone_lines,
)

PAGE = """
_sip._udp.example.com. 86400 IN SRV 10 60 5060 bigbox.example.com.
_sip._udp.example.com. 86400 IN SRV 10 20 5060 smallbox1.example.com.
_sip._udp.example.com. 86400 IN SRV 10 10 5060 smallbox2.example.com.
_sip._udp.example.com. 86400 IN SRV 10 10 5066 smallbox2.example.com.
_sip._udp.example.com. 86400 IN SRV 20 0 5060 backupbox.example.com.
"""


@pytest.fixture
def page():
    return parse_zone_lines(PAGE)


def test_the_pages_example_shares(page):
    assert shares(page) == {
        ("bigbox.example.com", 5060): Fraction(60, 100),
        ("smallbox1.example.com", 5060): Fraction(20, 100),
        ("smallbox2.example.com", 5060): Fraction(10, 100),
        ("smallbox2.example.com", 5066): Fraction(10, 100),
    }


def test_the_pages_failover_shares(page):
    # bigbox down: smallbox1 and smallbox2 share 50/50, smallbox2 split over its two ports
    got = shares(page, ["bigbox.example.com"])
    assert got[("smallbox1.example.com", 5060)] == Fraction(1, 2)
    assert got[("smallbox2.example.com", 5060)] + got[("smallbox2.example.com", 5066)] == Fraction(
        1, 2
    )
    # all four priority-10 records down: the backup takes everything although its weight is 0
    down = ["bigbox.example.com", "smallbox1.example.com", "smallbox2.example.com"]
    assert shares(page, down) == {("backupbox.example.com", 5060): Fraction(1)}
    assert shares(page, [*down, "backupbox.example.com"]) == {}


def test_one_port_down_keeps_the_other(page):
    got = shares(page, [("smallbox2.example.com", 5066)])
    assert got[("bigbox.example.com", 5060)] == Fraction(60, 90)
    assert ("smallbox2.example.com", 5066) not in got


def test_rfc_procedure_odds_and_simulation(page):
    group = [r for r in page if r.priority == 10]
    odds = rfc_odds(group)
    assert odds[("bigbox.example.com", 5060)] == Fraction(61, 101)
    assert sum(odds.values()) == 1
    rng = np.random.default_rng(2782)
    n = 40_000
    picks = [select(page, rng).endpoint for _ in range(n)]
    for endpoint, p in odds.items():
        assert abs(picks.count(endpoint) / n - float(p)) < 0.01, endpoint
    assert select(page, rng, down=[r.target for r in page]) is None


def test_zero_weight_first_gets_one_chance_in_sum_plus_one():
    recs = [SrvRecord(10, 0, 5060, "a.example"), SrvRecord(10, 3, 5060, "b.example")]
    assert rfc_odds(recs) == {
        ("a.example", 5060): Fraction(1, 4),
        ("b.example", 5060): Fraction(3, 4),
    }
    assert shares(recs)[("a.example", 5060)] == 0


def test_pools_zone_lines_round_trip():
    recs = pool_records(
        {"pbxa": "voip1", "pbxb": "voip2"}, ["voip1", "voip2"], domain="domain.com", ttl=86400
    )
    text = zone_lines(recs)
    assert (
        text.splitlines()[0]
        == "_sip._udp.pbxa.domain.com. 86400 IN SRV 10 10 5060 voip1.domain.com."
    )
    assert "_sip._udp.pbxb.domain.com. 86400 IN SRV 20 10 5060 voip1.domain.com." in text
    back = parse_zone_lines(text)
    assert back == recs
    pbxa = [r for r in recs if r.owner.startswith("_sip._udp.pbxa")]
    assert shares(pbxa) == {("voip1.domain.com", 5060): 1}
    assert shares(pbxa, ["voip1.domain.com"]) == {("voip2.domain.com", 5060): 1}
    tls = pool_records(
        {"pbxa": "voip1"}, ["voip1"], domain="domain.com", transport="tls", port=5061
    )
    assert tls[0].owner == "_sips._tcp.pbxa.domain.com"


def test_compare_finds_missing_and_unexpected():
    want = pool_records({"pbxb": "voip2"}, ["voip1", "voip2"], domain="d.example")
    live = [SrvRecord(10, 10, 5060, "voip2.d.example."), SrvRecord(10, 10, 5060, "voip1.d.example")]
    cmp = compare("pbxb", want, live)
    assert not cmp.ok
    assert [r.target for r in cmp.missing] == ["voip1.d.example"]
    assert cmp.unexpected[0].priority == 10
    assert compare("pbxb", want, list(want)).ok


@pytest.mark.parametrize(
    "line, match",
    [
        ("_sip._udp.x. 300 IN A 1.2.3.4", "no SRV type"),
        ("_sip._udp.x. 300 IN SRV 10 x 5060 a.", "bad SRV data"),
        ("_sip._udp.x. 300 IN SRV 10 10 99999 a.", "bad SRV data"),
    ],
)
def test_bad_zone_lines_name_the_line(line, match):
    with pytest.raises(ParseError, match=f"line 1: {match}"):
        parse_zone_lines(line)


def test_bad_records_and_pools_are_refused():
    with pytest.raises(ParameterError, match="weight"):
        SrvRecord(10, -1, 5060, "a.example")
    with pytest.raises(ParameterError, match="not one of"):
        pool_records({"pbxa": "voip9"}, ["voip1"], domain="d.example")
    with pytest.raises(ParameterError, match="transport"):
        pool_records({"pbxa": "voip1"}, ["voip1"], domain="d.example", transport="sctp")


@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 50), st.sampled_from([5060, 5061])),
        min_size=1,
        max_size=8,
    )
)
def test_shares_always_sum_to_one_within_the_chosen_group(specs):
    recs = [SrvRecord(p, w, port, f"h{i}.example") for i, (p, w, port) in enumerate(specs)]
    got = shares(recs)
    assert sum(got.values()) == 1
    best = min(r.priority for r in recs)
    assert {e for e in got} <= {r.endpoint for r in recs if r.priority == best}
