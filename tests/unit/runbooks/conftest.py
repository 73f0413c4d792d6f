"""Fixtures of the page runbook tests (helpers live in page_helpers.py next to this file)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from page_helpers import isolated_replays


@pytest.fixture
def replays(tmp_path: Path) -> dict:
    """``target_options`` pointing at an isolated copy of the replays (see page_helpers)."""
    folder = tmp_path / "replays"
    folder.mkdir()
    return {"replay_dir": isolated_replays(folder)}


@pytest.fixture
def journal(tmp_path: Path) -> Path:
    return tmp_path / "journal"
