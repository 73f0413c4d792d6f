"""Fixtures of the asterisk parser tests: realistic command outputs kept in ``data/``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture
def sample() -> Callable[[str], str]:
    """Return a function reading ``data/<name>`` as text (exact bytes, no newline translation)."""

    def read(name: str) -> str:
        return (DATA / name).read_bytes().decode("utf-8")

    return read
