"""Helpers of the queue tests: queue_log text from (offset seconds, fields) lines."""

from __future__ import annotations

import pytest

T0 = 1_790_000_000  # 2026-09-21 14:13:20 UTC


def lines_text(*lines: tuple[int, str]) -> str:
    """``(offset, "callid|queue|agent|EVENT|data...")`` lines as a queue_log file's text."""
    return "".join(f"{T0 + off}|{rest}\n" for off, rest in lines)


@pytest.fixture
def qlog():
    return lines_text


@pytest.fixture
def write(tmp_path):
    def _write(text: str | bytes, name: str = "queue_log"):
        path = tmp_path / name
        path.write_bytes(text.encode() if isinstance(text, str) else text)
        return path

    return _write
