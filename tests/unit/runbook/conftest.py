"""Fixtures of the runbook engine tests (helpers live in rb_helpers.py next to this file)."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from rb_helpers import PJSIP, SYSCTL


@pytest.fixture
def target_root(tmp_path: Path) -> Path:
    root = tmp_path / "target"
    root.mkdir()
    (root / "pjsip.conf").write_text(PJSIP)
    os.chmod(root / "pjsip.conf", 0o640)
    (root / "sysctl.conf").write_text(SYSCTL)
    return root


@pytest.fixture
def journal(tmp_path: Path) -> Path:
    return tmp_path / "journal"


@pytest.fixture
def clock():
    return lambda: datetime(2026, 11, 2, 8, 30, tzinfo=UTC)
