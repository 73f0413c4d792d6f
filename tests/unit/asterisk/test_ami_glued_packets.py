"""Captures that lost the blank line between two AMI packets: the second packet is read (or its
error reported), never merged into the first or dropped."""

from __future__ import annotations

import pytest

from mirtalib.asterisk.ami import AsteriskRefused, CommandNotFound, unwrap_command_output
from mirtalib.asterisk.states import parse_devstate_list

OK1 = "Response: Success\r\nActionID: 1\r\nMessage: Command output follows\r\nOutput: one\r\n"
OK2 = "Response: Success\r\nActionID: 2\r\nMessage: Command output follows\r\nOutput: two\r\n"
NOSUCH = (
    "Response: Error\r\nActionID: 2\r\nMessage: Command output follows\r\n"
    "Output: No such command 'sip show peers' (type 'core show help sip show' for other "
    "possible commands)\r\n"
)
DENIED = "Response: Error\r\nActionID: 3\r\nMessage: Permission denied\r\n"


def test_two_successes_without_a_blank_line_are_both_read():
    assert unwrap_command_output(OK1 + OK2 + "\r\n") == "one\ntwo\n"


def test_an_error_glued_to_a_success_is_reported():
    with pytest.raises(CommandNotFound, match="sip show peers"):
        unwrap_command_output(OK1 + NOSUCH + "\r\n")
    with pytest.raises(AsteriskRefused, match="Permission denied"):
        unwrap_command_output(OK1 + DENIED + "\r\n")


def test_an_event_glued_to_a_response_is_not_output():
    event = "Event: FullyBooted\r\nPrivilege: system,all\r\nStatus: Fully Booted\r\n"
    text = OK1 + event + "\r\n"
    assert unwrap_command_output(text) == "one\n"


def test_a_parser_reads_every_line_of_glued_packets():
    first = (
        "Response: Success\r\nMessage: Command output follows\r\n"
        "Output: --- Name: 'Custom:100-DEVEL'  State: 'INUSE'\r\n"
    )
    second = (
        "Response: Success\r\nMessage: Command output follows\r\n"
        "Output: --- Name: 'Custom:101-DEVEL'  State: 'NOT_INUSE'\r\n\r\n"
    )
    df = parse_devstate_list(first + second)
    assert list(df["extension"]) == ["100-DEVEL", "101-DEVEL"]
