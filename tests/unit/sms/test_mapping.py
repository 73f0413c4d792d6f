"""SMS field mappings: bracket paths, PHP-style nesting, provider requests as the DID reads them."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mirtalib.errors import ParameterError, ParseError
from mirtalib.sms import build_inbound_url, did_settings, mapping_frame, parse_request, provider
from mirtalib.sms.endpoint import synthetic_request
from mirtalib.sms.mapping import InboundSms, extract, nest_pairs, split_path

V2 = [
    {
        "type": "message-received",
        "message": {
            "from": "+12065550100",
            "to": ["+12065550199", "+12065550111", "+12065550122"],
            "text": "hi",
            "media": [],
        },
    }
]


def test_split_path():
    assert split_path("0[message][to][0]") == ["0", "message", "to", "0"]
    assert split_path("from") == ["from"]
    for bad in ("", "[a]", "a[b", "a[b]c", "a]b["):
        with pytest.raises(ParseError):
            split_path(bad)


def test_extract_scalar_range_and_missing():
    assert extract(V2, "0[message][from]") == "+12065550100"
    assert extract(V2, "0[message][to][1]") == "+12065550111"
    assert extract(V2, "0[message][to][${n:0:10}]") == [
        "+12065550199",
        "+12065550111",
        "+12065550122",
    ]
    assert extract(V2, "0[message][to][${n:1:2}]") == ["+12065550111"]
    assert extract(V2, "0[message][subject]") is None
    assert extract(V2, "5[message][from]") is None
    assert extract({"a": "x"}, "a[b]") is None  # a string has no keys


def test_nest_pairs_like_php():
    nested = nest_pairs(
        [
            ("0[message][to][]", "a"),
            ("0[message][to][]", "b"),
            ("x", "1"),
            ("0[message][from]", "f"),
        ]
    )
    assert nested == {"0": {"message": {"to": {"0": "a", "1": "b"}, "from": "f"}}, "x": "1"}
    assert extract(nested, "0[message][to][${n:0:10}]") == ["a", "b"]


@pytest.mark.parametrize("key", ["bandwidth-v1", "bandwidth-v2", "flowroute"])
def test_each_provider_request_parses_like_the_did(key):
    prov = provider(key)
    req = synthetic_request(
        prov,
        "+12065550100",
        "+12065550199",
        "Ciao, è arrivato?",
        media_url="https://m.example/a.jpg",
    )
    sms = parse_request(prov, req.method, req.query, req.content_type, req.body)
    assert (sms.sender, sms.to, sms.text) == ("+12065550100", "+12065550199", "Ciao, è arrivato?")
    assert sms.media == "https://m.example/a.jpg"
    assert sms.did == "12065550199" and sms.problems == ()


def test_v1_fields_also_read_from_a_form_post():
    prov = provider("bandwidth-v1")
    sms = parse_request(
        prov, "POST", "", "application/x-www-form-urlencoded", b"from=%2B1206&to=%2B1207&text=a+b"
    )
    assert (sms.sender, sms.to, sms.text) == ("+1206", "+1207", "a b")
    assert sms.problems == ("method POST but the DID is set for GET",)


def test_v1_mapping_on_a_v2_request_reports_every_missing_field():
    v2 = synthetic_request(provider("bandwidth-v2"), "+1", "+2", "t")
    sms = parse_request(provider("bandwidth-v1"), "POST", "", v2.content_type, v2.body)
    assert sms.sender is None and len(sms.problems) == 4  # method + from, to, text


def test_bad_json_is_a_parse_error():
    with pytest.raises(ParseError, match="not JSON"):
        parse_request(provider("flowroute"), "POST", "", "application/vnd.api+json", b"{nope")


@settings(max_examples=200, deadline=None)
@given(
    body=st.binary(max_size=300),
    query=st.text(max_size=80),
    ctype=st.sampled_from(
        [
            "application/json",
            "application/x-www-form-urlencoded",
            "",
            "text/plain",
            "application/vnd.api+json",
        ]
    ),
    key=st.sampled_from(["bandwidth-v1", "bandwidth-v2", "flowroute"]),
)
def test_any_request_gives_a_result_or_parse_error(body, query, ctype, key):
    try:
        sms = parse_request(provider(key), "POST", query, ctype, body)
    except ParseError:
        return
    assert isinstance(sms, InboundSms)
    json.dumps(sms.as_dict())


@settings(max_examples=200, deadline=None)
@given(path=st.text(max_size=40))
def test_any_field_name_gives_a_value_or_parse_error(path):
    try:
        extract(V2, path)
    except ParseError:
        pass


def test_inbound_url_and_advice():
    url = build_inbound_url("https://pbx.example.net/pbx/", "sms.php")
    assert url.url == "https://pbx.example.net/pbx/sms.php" and url.advice == ()
    risky = build_inbound_url("http://10.0.0.5", "sms.php")
    assert any("clear text" in a for a in risky.advice)
    assert any("certificate" in a for a in risky.advice)


@pytest.mark.parametrize(
    "base, page, field",
    [
        ("ftp://pbx.example.net", "sms.php", "web_base"),
        ("https://user:pw@pbx.example.net", "sms.php", "web_base"),
        ("https://pbx.example.net?x=1", "sms.php", "web_base"),
        ("https://pbx.example.net", "../etc/passwd", "sms_page"),
        ("https://pbx.example.net", "sms.php?x=1", "sms_page"),
    ],
)
def test_inbound_url_rejects(base, page, field):
    with pytest.raises(ParameterError, match=field):
        build_inbound_url(base, page)


def test_tables_and_unknown_provider():
    frame = mapping_frame()
    assert frame.loc["text", "Flowroute (API v2)"] == "data[attributes][body]"
    assert frame.loc["method", "Bandwidth (API v1)"] == "GET"
    table = did_settings(provider("bandwidth-v2"), "https://x.example/sms.php")
    assert "0[message][to][${n:0:10}]" in set(table["value"])
    with pytest.raises(ParameterError, match="not one of"):
        provider("twilio")
