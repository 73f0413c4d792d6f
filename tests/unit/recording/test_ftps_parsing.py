"""FTPS store parameters and LIST lines (the server itself is tested in tests/integration)."""

from __future__ import annotations

import pytest

from mirtalib.errors import ParameterError, ParseError
from mirtalib.recording.ftps import FtpsStore, parse_list_line


def test_list_lines_of_vsftpd():
    assert parse_list_line(
        "-rw-------    1 1001     1001          344 Nov 26 14:01 "
        "20261005-093012-100-101-srv01-1.1.wav"
    ) == ("20261005-093012-100-101-srv01-1.1.wav", False, 344)
    assert parse_list_line("drwx------    3 1001     1001         4096 Nov 26 14:01 DEVEL") == (
        "DEVEL",
        True,
        4096,
    )
    assert (
        parse_list_line("-rw-r--r--    1 0        0              10 Oct 07  2026 a b.wav")[0]
        == "a b.wav"
    )


@pytest.mark.parametrize("line", ["total 12", "garbage", "-rw------- 1 u g notanumber Nov 1 1 x"])
def test_bad_list_lines(line):
    with pytest.raises(ParseError, match="LIST line"):
        parse_list_line(line)


@pytest.mark.parametrize(
    "kw, field",
    [
        ({"host": "bad host!"}, "ftps_host"),
        ({"port": 70000}, "ftps_port"),
        ({"password_env": "hunter2 secret"}, "ftps_password_env"),
        ({"user": ""}, "ftps_user"),
        ({"root": "rec\r\nDELE x"}, "ftps_root"),
    ],
)
def test_store_parameters_are_checked(kw, field):
    args = {"host": "127.0.0.1", "user": "recording", "password_env": "MIRTA_FTPS_PASSWORD"}
    with pytest.raises(ParameterError, match=field):
        FtpsStore(**(args | kw))
