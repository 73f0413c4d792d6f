"""The local endpoint: a real HTTP server on 127.0.0.1 parsing provider requests like the DID."""

from __future__ import annotations

import pytest

from mirtalib.errors import ParseError
from mirtalib.sms import LocalEndpoint, provider, try_provider
from mirtalib.sms.endpoint import SyntheticRequest, synthetic_request


@pytest.mark.parametrize("key", ["bandwidth-v1", "bandwidth-v2", "flowroute"])
def test_round_trip_over_http(key):
    request, sms = try_provider(
        provider(key), "+12065550100", "+12065550199", "hello & bye", extra_to=("+15550000002",)
    )
    assert sms.sender == "+12065550100" and sms.text == "hello & bye" and not sms.problems
    assert request.method == provider(key).method
    if key == "bandwidth-v2":
        assert sms.all_dests == ("+12065550199", "+15550000002")
    assert "127.0.0.1" not in request.describe()  # nothing volatile in what the notebook prints


def test_endpoint_counts_requests_and_answers_400_on_bad_json():
    prov = provider("flowroute")
    with LocalEndpoint(prov, "sms.php") as ep:
        assert ep.url.startswith("http://127.0.0.1:") and ep.url.endswith("/sms.php")
        answer = ep.send(SyntheticRequest("POST", "", "application/json", b"{broken"))
        good = ep.send(synthetic_request(prov, "1", "2", "t"))
        assert ep.requests_seen == ["/sms.php", "/sms.php"]
    assert answer["status"] == 400 and "not JSON" in answer["error"]
    assert good["text"] == "t"


def test_wrong_mapping_shows_in_problems_not_silently():
    v2 = provider("bandwidth-v2")
    request = synthetic_request(provider("bandwidth-v1"), "+1", "+2", "t")
    with LocalEndpoint(v2) as ep:
        answer = ep.send(request)
    assert "method GET but the DID is set for POST" in answer["problems"]
    assert any("0[message][from]" in p for p in answer["problems"])


def test_unknown_provider_shape():
    from mirtalib.sms.mapping import Provider

    with pytest.raises(ParseError, match="no synthetic request shape"):
        synthetic_request(Provider("x", "X", "GET", "query", {}), "1", "2", "t")
