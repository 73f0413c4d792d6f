"""Fixtures of the phone tests: the recorded demo nodes with only the fragments these tests read.

Other pages' fragments are left out, so a fragment being edited elsewhere cannot break these tests.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mirtalib.runbook.replay import ReplayTarget, replay_dir

PAGES = ("p11", "p32", "p39", "p42", "p44", "p45")


@pytest.fixture(scope="session")
def replays(tmp_path_factory) -> Path:
    """A folder with srv01/srv02 and the fragments of :data:`PAGES`."""
    dest = tmp_path_factory.mktemp("replays")
    src = replay_dir()
    for node in ("srv01", "srv02"):
        shutil.copy(src / f"{node}.yaml", dest / f"{node}.yaml")
        (dest / f"{node}.d").mkdir()
        for page in PAGES:
            frag = src / f"{node}.d" / f"{page}.yaml"
            if frag.is_file():
                shutil.copy(frag, dest / f"{node}.d" / frag.name)
    return dest


@pytest.fixture
def node(replays):
    """``node("srv01")`` -> a fresh ReplayTarget of the isolated recording."""
    return lambda name: ReplayTarget.load(name, replay_dir=replays)
