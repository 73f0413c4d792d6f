"""Tests of mirtalib.asterisk.ami.unwrap_command_output on the three shapes of command output."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mirtalib.asterisk.ami import END_COMMAND, is_ami, unwrap_command_output
from mirtalib.errors import ParseError

CLI = (
    "--- Name: 'Custom:100-DEVEL'  State: 'INUSE'\n"
    "--- Name: 'Custom:101-DEVEL'  State: 'NOT_INUSE'\n"
    "\n"
    "--- Custom device states end ---\n"
)


def _new_style(text: str, action_id: str = "42") -> str:
    lines = text[:-1].split("\n") if text.endswith("\n") else text.split("\n")
    body = "".join(f"Output: {line}\r\n" for line in lines)
    return (
        "Asterisk Call Manager/5.0.1\r\n"
        "Response: Success\r\nMessage: Authentication accepted\r\n\r\n"
        "Event: FullyBooted\r\nPrivilege: system,all\r\nStatus: Fully Booted\r\n\r\n"
        f"Response: Success\r\nActionID: {action_id}\r\nMessage: Command output follows\r\n"
        f"{body}\r\n"
    )


def _old_style(text: str) -> str:
    return (
        "Response: Success\r\nMessage: Authentication accepted\r\n\r\n"
        f"Response: Follows\r\nPrivilege: Command\r\nActionID: 7\r\n{text}{END_COMMAND}\r\n\r\n"
    )


def test_plain_text_is_returned_unchanged():
    assert unwrap_command_output(CLI) == CLI
    assert not is_ami(CLI)


def test_plain_text_line_endings_are_normalized():
    assert unwrap_command_output(CLI.replace("\n", "\r\n")) == CLI


def test_new_style_output_lines_are_unwrapped():
    assert is_ami(_new_style(CLI))
    assert unwrap_command_output(_new_style(CLI)) == CLI


def test_new_style_keeps_empty_output_lines():
    raw = "Response: Success\nMessage: Command output follows\nOutput: a\nOutput:\nOutput: b\n\n"
    assert unwrap_command_output(raw) == "a\n\nb\n"


def test_new_style_empty_output_gives_empty_text():
    raw = "Response: Success\nMessage: Command output follows\n\n"
    assert unwrap_command_output(raw) == ""


def test_old_style_follows_block_keeps_blank_lines():
    assert unwrap_command_output(_old_style(CLI)) == CLI


def test_old_style_end_marker_glued_to_last_line():
    raw = "Response: Follows\nPrivilege: Command\nNo such command 'x'" + END_COMMAND + "\n\n"
    assert unwrap_command_output(raw) == "No such command 'x'\n"


def test_old_style_without_end_marker_is_an_error():
    with pytest.raises(ParseError, match="END COMMAND"):
        unwrap_command_output("Response: Follows\nPrivilege: Command\nsome text\n")


def test_error_response_raises_with_asterisk_message():
    raw = "Response: Error\nActionID: 1\nMessage: Permission denied\n\n"
    with pytest.raises(ParseError, match="Permission denied"):
        unwrap_command_output(raw)


def test_unknown_command_error_carries_output():
    raw = (
        "Response: Error\nMessage: Command output follows\n"
        "Output: No such command 'devstate lst'\n\n"
    )
    with pytest.raises(ParseError, match="No such command"):
        unwrap_command_output(raw)


def test_capture_without_command_output_is_an_error():
    with pytest.raises(ParseError, match="no command output"):
        unwrap_command_output("Response: Success\nMessage: Authentication accepted\n\n")


def test_bytes_are_accepted():
    assert unwrap_command_output(_new_style(CLI).encode()) == CLI


def test_non_text_is_a_parse_error():
    with pytest.raises(ParseError, match="must be text"):
        unwrap_command_output(12)  # type: ignore[arg-type]


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
@settings(max_examples=300, deadline=None)
def test_fuzz_any_text_gives_text_or_parse_error(text):
    try:
        result = unwrap_command_output(text)
    except ParseError:
        return
    assert isinstance(result, str)


_cli_line = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\r\n"),
    max_size=40,
).filter(lambda s: END_COMMAND not in s)


@given(st.lists(_cli_line, min_size=1, max_size=8))
@settings(max_examples=200, deadline=None)
def test_fuzz_round_trip_through_both_ami_shapes(lines):
    text = "\n".join(lines) + "\n"
    assert unwrap_command_output(_new_style(text)) == text
    assert unwrap_command_output(_old_style(text)) == text


_ami_lines = st.lists(
    st.sampled_from(
        [
            "Response: Follows",
            "Response: Success",
            "Response: Error",
            "Privilege: Command",
            "ActionID: 1",
            "Message: Command output follows",
            "Message: Permission denied",
            "Output: --- Name: 'Custom:100-DEVEL'  State: 'INUSE'",
            "Output:",
            "Event: DeviceStateChange",
            "Asterisk Call Manager/5.0.1",
            END_COMMAND,
            "text" + END_COMMAND,
            "plain line",
            "",
        ]
    ),
    max_size=15,
).map("\r\n".join)


@given(_ami_lines)
@settings(max_examples=400, deadline=None)
def test_fuzz_ami_shaped_input_gives_text_or_parse_error(text):
    try:
        result = unwrap_command_output(text)
    except ParseError:
        return
    assert isinstance(result, str)
    if is_ami(text) and "Response: Follows" not in text:
        # new-style packets: only the Output: values come through, never a header
        headers = ("Response:", "Message:", "ActionID:", "Privilege:", "Event:", "Output:")
        assert not any(line.startswith(headers) for line in result.split("\n"))
