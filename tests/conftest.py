"""Root test configuration (kept tiny: fixtures belong in each area's own conftest.py)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

_INTEGRATION = Path(__file__).parent / "integration"


def pytest_configure(config: pytest.Config) -> None:
    """The tests read the demo PBX where they rely on it: ``MIRTA_DB_URL=demo``, as ``make demo``
    and the committed notebooks (a production database of the developer's shell never leaks in).
    Tests of the unconfigured case remove it with ``monkeypatch.delenv("MIRTA_DB_URL")``."""
    os.environ["MIRTA_DB_URL"] = "demo"
    # runbook applies on local and loopback-SSH targets back up into a throw-away folder, never
    # into this machine's /var/backups/mirta-ops (tests of the folder pass backup_dir= themselves)
    if "MIRTA_BACKUP_DIR" not in os.environ:
        os.environ["MIRTA_BACKUP_DIR"] = tempfile.mkdtemp(prefix="mirta-test-backups-")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under tests/integration/ as ``integration`` (select with -m)."""
    for item in items:
        if _INTEGRATION in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.integration)
