"""Fixtures for the tests of the mirta command: a scratch project with copies of the fixtures."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parents[2] / "notebooks" / "fixtures"
MIRTA = Path(sys.executable).with_name("mirta")


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """A folder with ``nbs/demo/greeting.py`` (a copy of the fixture) and a ``reports`` folder."""
    (tmp_path / "nbs" / "demo").mkdir(parents=True)
    shutil.copy(FIXTURES / "greeting.py", tmp_path / "nbs" / "demo" / "greeting.py")
    (tmp_path / "reports").mkdir()
    return tmp_path


@pytest.fixture
def mirta(scratch: Path):
    """Run the installed ``mirta`` command in the scratch folder; returns the CompletedProcess."""

    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("MIRTA_")}
        full_env.update(env or {})
        return subprocess.run(
            [str(MIRTA), *args],
            cwd=scratch,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=300,
            stdin=subprocess.DEVNULL,
        )

    return run
