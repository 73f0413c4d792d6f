"""Fixtures of the recording unit tests (helpers live in rec_helpers.py next to this file)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from rec_helpers import dids, extensions

from mirtalib.recording.policy import PolicyBook


@pytest.fixture
def book() -> PolicyBook:
    """The page-14 example: phones "stop by caller", DID "stop by called"."""
    return PolicyBook(extensions(), dids())
