"""File name pattern (assumed default and custom) and the WAV header reader."""

from __future__ import annotations

from datetime import datetime

import pytest

from mirtalib.errors import ParameterError, ParseError
from mirtalib.recording.naming import compile_pattern, format_name, parse_name
from mirtalib.recording.wav import parse_wav_header, read_wav_info, wav_bytes

GOOD = "DEVEL/2026/10/05/20261005-093012-100-0612345678-srv02-1791185412.42.wav"


def test_default_pattern_reads_cluster_uniqueid():
    name = parse_name(GOOD)
    assert (name.tenant, name.src, name.dst, name.uniqueid) == (
        "DEVEL",
        "100",
        "0612345678",
        "srv02-1791185412.42",
    )
    assert name.start == datetime(2026, 10, 5, 9, 30, 12)


def test_format_then_parse_round_trip():
    rel = format_name("ACME", datetime(2026, 10, 31, 23, 59, 59), "+39 333-1", "", "srv01-1.2")
    name = parse_name(rel)
    assert rel.startswith("ACME/2026/10/31/20261031-235959-")
    assert (name.src, name.dst, name.uniqueid) == ("+39_333_1", "unknown", "srv01-1.2")


@pytest.mark.parametrize(
    "bad",
    [
        "DEVEL/2026/10/05/recording final(1).wav",  # no identifiers
        "DEVEL/2026/10/05/20261005-093012-100-200-x.mp3",  # not a .wav
        "20261005-093012-100-200-srv01-1.1.wav",  # not in the tenant/date tree
        "DEVEL/2026/10/06/20261005-093012-100-200-u.1.wav",  # folder and file dates differ
        "DEVEL/2026/02/30/20260230-093012-100-200-u.1.wav",  # no such day
        "DEVEL/2026/10/05/20261005-093012-100-200-.wav",  # empty uniqueid
    ],
)
def test_bad_names_are_parse_errors(bad):
    with pytest.raises(ParseError, match="recording name"):
        parse_name(bad)


def test_custom_pattern_with_linkedid_only():
    pattern = r"^(?P<tenant>\w+)/(?P<linkedid>[\w.-]+)\.wav$"
    name = parse_name("DEVEL/srv01-1.7.wav", pattern)
    assert (name.linkedid, name.uniqueid, name.start) == ("srv01-1.7", "", None)


@pytest.mark.parametrize("pattern", [r"(?P<src>\d+", r"^(?P<tenant>\w+)/.*\.wav$"])
def test_bad_patterns_are_parameter_errors(pattern):
    with pytest.raises(ParameterError, match="name_pattern"):
        compile_pattern(pattern)


def test_wav_header_duration_and_channels(tmp_path):
    data = wav_bytes(bytes(2 * 8 * 30), channels=2, sample_rate=8)
    path = tmp_path / "a.wav"
    path.write_bytes(data)
    info = read_wav_info(path)
    assert (info.channels, info.sample_rate, info.duration, info.truncated) == (2, 8, 30.0, False)


def test_truncated_wav_is_detected():
    data = wav_bytes(bytes(800), channels=1, sample_rate=8000)
    info = parse_wav_header(data[:100], file_size=100)
    assert info.truncated and info.duration == 0.1


def test_wav_with_extra_chunk_before_data():
    data = wav_bytes(bytes(16), 1, 8)
    extra = b"LIST" + (6).to_bytes(4, "little") + b"INFOab"
    data = data[:36] + extra + data[36:]
    assert parse_wav_header(data).duration == 2.0


@pytest.mark.parametrize(
    "blob",
    [b"", b"ID3\x03 mp3 data", b"RIFF\x00\x00\x00\x00WAVEdata\x00", wav_bytes(b"", 1, 8)[:20]],
)
def test_not_a_wav_is_a_parse_error(blob):
    with pytest.raises(ParseError):
        parse_wav_header(blob)
