"""Fixtures of the phone tests: the recorded demo nodes with only the fragments these tests read.

Other pages' fragments are left out, so a fragment being edited elsewhere cannot break these tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mirtalib.runbook.replay import ReplayTarget
from mirtalib.runbook.replay import isolated_replays as copy_replays

PAGES = ("p11", "p32", "p39", "p42", "p44", "p45")


@pytest.fixture(scope="session")
def replays(tmp_path_factory) -> Path:
    """A folder with srv01/srv02 and the fragments of :data:`PAGES`."""
    dest = tmp_path_factory.mktemp("replays")
    return copy_replays(dest, PAGES)["replay_dir"]


@pytest.fixture
def node(replays):
    """``node("srv01")`` -> a fresh ReplayTarget of the isolated recording."""
    return lambda name: ReplayTarget.load(name, replay_dir=replays)
