"""WebSocket handshake judgement (RFC 6455): answers built by hand, fuzzed input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mirtalib.errors import ParameterError, ParseError
from mirtalib.net.websocket import (
    accept_for,
    node_command,
    parse_node_output,
    parse_response,
    request_bytes,
    stable_key,
)

RFC_KEY = "dGhlIHNhbXBsZSBub25jZQ=="


def _answer(key: str, status: str = "101 Switching Protocols", **extra: str) -> str:
    headers = {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Accept": accept_for(key),
        **extra,
    }
    return f"HTTP/1.1 {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"


def test_accept_value_of_the_rfc_example():
    assert accept_for(RFC_KEY) == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_request_carries_key_version_and_protocols():
    text = request_bytes("127.0.0.1", 9088, "/", RFC_KEY, ["media"]).decode()
    assert text.startswith("GET / HTTP/1.1\r\nHost: 127.0.0.1:9088\r\n")
    assert f"Sec-WebSocket-Key: {RFC_KEY}\r\n" in text
    assert "Sec-WebSocket-Version: 13\r\n" in text
    assert "Sec-WebSocket-Protocol: media\r\n" in text and text.endswith("\r\n\r\n")


def test_bad_inputs_are_parameter_errors():
    with pytest.raises(ParameterError, match="path"):
        request_bytes("127.0.0.1", 9088, "no-slash", RFC_KEY)
    with pytest.raises(ParameterError, match="sub-protocol"):
        request_bytes("127.0.0.1", 9088, "/", RFC_KEY, ["me dia"])
    with pytest.raises(ParameterError, match="port"):
        request_bytes("127.0.0.1", 70000, "/", RFC_KEY)


def test_good_answer_passes():
    hs = parse_response(_answer(RFC_KEY, **{"Sec-WebSocket-Protocol": "media"}), RFC_KEY, ["media"])
    assert hs.ok and hs.protocol == "media" and hs.accept_ok


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        (_answer(RFC_KEY, "200 OK"), "HTTP 200 OK instead of 101"),
        (_answer("AAAAAAAAAAAAAAAAAAAAAA=="), "Sec-WebSocket-Accept is wrong"),
        (_answer(RFC_KEY).replace("Upgrade: websocket\r\n", ""), "no 'Upgrade: websocket'"),
        (_answer(RFC_KEY), "accepted none of the sub-protocols ['media']"),
        (_answer(RFC_KEY, **{"Sec-WebSocket-Protocol": "chat"}), "chose sub-protocol 'chat'"),
    ],
)
def test_wrong_answers_name_the_problem(answer, problem):
    hs = parse_response(answer, RFC_KEY, ["media"])
    assert not hs.ok
    assert any(problem in p for p in hs.problems), hs.problems


def test_not_http_is_a_parse_error():
    with pytest.raises(ParseError, match="not an HTTP answer"):
        parse_response("SSH-2.0-OpenSSH_9.2\r\n", RFC_KEY)


def test_node_output_round_trip():
    key = stable_key("127.0.0.1", 9088, "/")
    out = "ok " + _answer(key, **{"Sec-WebSocket-Protocol": "media"}).encode().hex() + "\n"
    assert parse_node_output(out, "127.0.0.1", 9088, "/", ["media"]).ok
    refused = parse_node_output("error ConnectionRefusedError\n", "127.0.0.1", 9088)
    assert not refused.ok and "ConnectionRefusedError" in refused.summary()
    with pytest.raises(ParseError):
        parse_node_output("ok zz\n", "127.0.0.1", 9088)


def test_node_command_is_stable_and_quoted():
    one = node_command("127.0.0.1", 9088, "/", ["media"])
    assert one == node_command("127.0.0.1", 9088, "/", ["media"])
    assert one.startswith('"$(command -v python3 || command -v python)" -c ')


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_any_answer_gives_a_result_or_parse_error(data):
    try:
        hs = parse_response(data, RFC_KEY, ["media"])
    except ParseError:
        return
    assert hs.ok is (hs.status == 101 and not hs.problems)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_node_output_gives_a_result_or_parse_error(text):
    try:
        parse_node_output(text, "127.0.0.1", 9088)
    except ParseError:
        pass
