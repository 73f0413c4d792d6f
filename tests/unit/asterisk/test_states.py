# ruff: noqa: E501  (real CLI output lines are long)
"""Tests of the extension-state CLI parsers (devstate list, queue show, core show hints)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mirtalib.asterisk.states import (
    extension_of,
    normalize_state,
    parse_channels_concise,
    parse_core_show_hints,
    parse_devstate_list,
    parse_queue_show,
)
from mirtalib.errors import ParseError

DEVSTATE = """
---------------------------------------------------------------------
--- Custom Device States --------------------------------------------
---------------------------------------------------------------------
---
--- Name: 'Custom:100-DEVEL'  State: 'INUSE'
--- Name: 'Custom:101-DEVEL'  State: 'NOT_INUSE'
--- Name: 'Custom:200-ACME'  State: 'RINGINUSE'
---------------------------------------------------------------------
---------------------------------------------------------------------
"""

QUEUE = """\
500-DEVEL has 0 calls (max unlimited) in 'rrmemory' strategy (4s holdtime, 63s talktime), W:0, C:12, A:1, SL:91.7%, SL2:0.0% within 0s
   Members:
      100-DEVEL (Local/AG-000-NF-1@fromotherpbx from Custom:100-DEVEL) (ringinuse disabled) (dynamic) (In use) has taken 7 calls (last was 35 secs ago)
      101-DEVEL (Local/AG-000-NF-2@fromotherpbx from Custom:101-DEVEL) (ringinuse disabled) (dynamic) (paused was 120 secs ago) (Not in use) has taken no calls yet
   No Callers

600-ACME has 1 call (max unlimited) in 'ringall' strategy (0s holdtime, 0s talktime), W:0, C:0, A:0, SL:0.0%, SL2:0.0% within 0s
   Members:
      SIP/200-ACME (dynamic) (Ringing) has taken no calls yet
   Callers:
      1. SIP/trunk-00000012 (wait: 0:03, prio: 0)

700-ACME has 0 calls (max unlimited) in 'ringall' strategy (0s holdtime, 0s talktime), W:0, C:0, A:0, SL:0.0%, SL2:0.0% within 0s
   No Members
   No Callers
"""

HINTS = """\

    -= Registered Asterisk Dial Plan Hints =-
100-DEVEL@authentica          : Custom:100-DEVEL      State:InUse           Presence:not_set         Watchers  1
101-DEVEL@authentica          : Custom:101-DEVEL      State:Idle            Presence:not_set         Watchers  2
200-ACME@authentica           : Custom:200-ACME       State:InUse&Ringing   Presence:not_set         Watchers  0
----------------
- 3 hints registered
"""
HINTS_OLD = """\
    -= Registered Asterisk Dial Plan Hints =-
         100-DEVEL@authentica: Custom:100-DEVEL      State:Unavailable     Watchers  0
----------------
- 1 hints registered
"""


def _ami(text: str) -> str:
    return (
        "Response: Success\r\nMessage: Command output follows\r\n"
        + "".join(f"Output: {line}\r\n" for line in text.rstrip("\n").split("\n"))
        + "\r\n"
    )


def _ami_old(text: str) -> str:
    return f"Response: Follows\r\nPrivilege: Command\r\n{text}--END COMMAND--\r\n"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("NOT_INUSE", "NOT_INUSE"),
        ("NOT INUSE", "NOT_INUSE"),
        ("Not in use", "NOT_INUSE"),
        ("Idle", "NOT_INUSE"),
        ("In use", "INUSE"),
        ("InUse", "INUSE"),
        ("Ring+Inuse", "RINGINUSE"),
        ("InUse&Ringing", "RINGINUSE"),
        ("InUse&Hold", "ONHOLD"),
        ("On Hold", "ONHOLD"),
        ("2", "INUSE"),
        ("0", "UNKNOWN"),
        ("99", "UNKNOWN"),
        ("", "UNKNOWN"),
        (None, "UNKNOWN"),
        (float("nan"), "UNKNOWN"),
        ("gibberish", "UNKNOWN"),
    ],
)
def test_normalize_state(raw, expected):
    assert normalize_state(raw) == expected


def test_extension_of():
    assert extension_of("Custom:100-DEVEL") == "100-DEVEL"
    assert extension_of("SIP/100-DEVEL-0000001a") == "100-DEVEL"
    assert extension_of("PJSIP/205-ACME_2-00000003") == "205-ACME_2"
    assert extension_of("Local/AG-000-NF-12@fromotherpbx") == ""


@pytest.mark.parametrize("wrap", [lambda t: t, _ami, _ami_old])
def test_devstate_list(wrap):
    df = parse_devstate_list(wrap(DEVSTATE))
    assert df["extension"].tolist() == ["100-DEVEL", "101-DEVEL", "200-ACME"]
    assert df["devstate"].tolist() == ["INUSE", "NOT_INUSE", "RINGINUSE"]
    assert df.attrs["unparsed"] == []


def test_devstate_list_empty_is_fine():
    assert parse_devstate_list("--- Custom Device States ---\n---\n").empty


def test_devstate_list_rejects_other_output():
    with pytest.raises(ParseError, match="devstate list: not the output"):
        parse_devstate_list(HINTS)


def test_devstate_list_keeps_unknown_lines():
    df = parse_devstate_list(DEVSTATE + "something odd\n")
    assert len(df) == 3
    assert df.attrs["unparsed"] == ["something odd"]


@pytest.mark.parametrize("wrap", [lambda t: t, _ami, _ami_old])
def test_queue_show(wrap):
    df = parse_queue_show(wrap(QUEUE))
    assert df["queue"].tolist() == ["500-DEVEL", "500-DEVEL", "600-ACME"]
    assert df["extension"].tolist() == ["100-DEVEL", "101-DEVEL", "200-ACME"]
    assert df["member_state"].tolist() == ["INUSE", "NOT_INUSE", "RINGING"]
    assert df["paused"].tolist() == [False, True, False]
    assert df["ringinuse"].tolist() == [False, False, None]
    assert df["calls_taken"].tolist() == [7, 0, 0]
    assert df["last_call_secs"].tolist()[0] == 35
    assert df.loc[0, "interface"] == "Local/AG-000-NF-1@fromotherpbx"
    assert df.loc[0, "state_interface"] == "Custom:100-DEVEL"
    assert df.loc[2, "interface"] == "SIP/200-ACME"
    assert df.attrs["unparsed"] == []


def test_queue_show_member_with_penalty_and_ansi_colours():
    text = (
        "q1 has 0 calls (max 5) in 'ringall' strategy (0s holdtime, 0s talktime), W:0, C:0, A:0\n"
        "   Members:\n"
        "      Local/AG-000-NF-9@fromotherpbx with penalty 2 (ringinuse enabled)"
        "\x1b[1;36m (dynamic)\x1b[0m (\x1b[1;32mNot in use\x1b[0m) has taken 1 call"
        " (last was 9 secs ago)\n"
    )
    df = parse_queue_show(text)
    assert df.loc[0, "member_state"] == "NOT_INUSE"
    assert df.loc[0, "ringinuse"] is True or df.loc[0, "ringinuse"] == True  # noqa: E712
    assert df.loc[0, "extension"] == ""


def test_queue_show_rejects_other_output():
    with pytest.raises(ParseError, match="queue show"):
        parse_queue_show(DEVSTATE)


@pytest.mark.parametrize("wrap", [lambda t: t, _ami, _ami_old])
def test_core_show_hints(wrap):
    df = parse_core_show_hints(wrap(HINTS))
    assert df["extension"].tolist() == ["100-DEVEL", "101-DEVEL", "200-ACME"]
    assert df["hint_state"].tolist() == ["INUSE", "NOT_INUSE", "RINGINUSE"]
    assert df["watchers"].tolist() == [1, 2, 0]
    assert df.loc[0, "presence"] == "not_set"


def test_core_show_hints_old_layout():
    df = parse_core_show_hints(HINTS_OLD)
    assert df.loc[0, "hint"] == "100-DEVEL@authentica"
    assert df.loc[0, "hint_state"] == "UNAVAILABLE"
    assert df.loc[0, "presence"] == ""


def test_ami_error_is_reported_with_command_name():
    with pytest.raises(ParseError, match="queue show: AMI command failed"):
        parse_queue_show("Response: Error\nMessage: Permission denied\n\n")


_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400)
_structured = st.lists(
    st.sampled_from(
        [
            "--- Name: 'Custom:100-DEVEL'  State: 'INUSE'",
            "      100-DEVEL (Local/A@b from Custom:100-DEVEL) (In use) has taken 1 calls "
            "(last was 3 secs ago)",
            "q has 0 calls (max unlimited) in 'x' strategy",
            "100@c : Custom:1-A State:Idle Watchers 1",
            "Output: x",
            "Response: Follows",
            "--END COMMAND--",
            "Members:",
            "",
            "(",
            "State:",
        ]
    )
    | _text,
    max_size=12,
).map("\n".join)


@pytest.mark.parametrize(
    "parser",
    [parse_devstate_list, parse_queue_show, parse_core_show_hints, parse_channels_concise],
)
@given(text=_text | _structured)
@settings(max_examples=150, deadline=None)
def test_fuzz_parsers_give_frame_or_parse_error(parser, text):
    try:
        df = parser(text)
    except ParseError:
        return
    assert isinstance(df.attrs["unparsed"], list)


CHANNELS = (
    "PJSIP/107-DEVEL-00000a1f!authentica!0571509644!3!Up!Dial!PJSIP/0571509644@prov,120,T!107!DEVEL"
    "!!3!212!5c1e0a7e!srv01-1793608675.40211\n"
    "PJSIP/prov-00000a20!authentica!!1!Up!AppDial!(Outgoing Line)!0571509644!DEVEL!!3!211!5c1e0a7e"
    "!srv01-1793608676.40212\n"
    "Local/AG-000-NF-3@fromotherpbx-00000001;1!q!s!1!Ring!Dial!x!!DEVEL!!3!x!!srv01-1.3\n"
)


@pytest.mark.parametrize("wrap", [lambda t: t, _ami, _ami_old])
def test_channels_concise(wrap):
    df = parse_channels_concise(wrap(CHANNELS))
    assert df["extension"].tolist() == ["107-DEVEL", "", ""]
    assert df["duration"].tolist() == [212, 211, -1]
    assert df.loc[0, "uniqueid"] == "srv01-1793608675.40211"


def test_channels_concise_keeps_odd_lines_and_rejects_other_output():
    df = parse_channels_concise(CHANNELS + "3 active channels\n")
    assert df.attrs["unparsed"] == ["3 active channels"]
    with pytest.raises(ParseError, match="channels concise"):
        parse_channels_concise(HINTS)
