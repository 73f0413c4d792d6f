"""Fixtures of the phone tests: the recorded demo nodes with only the fragments these tests read.

Other pages' fragments are left out, so a fragment being edited elsewhere cannot break these tests.
"""

from __future__ import annotations

import sys
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


@pytest.fixture(scope="session")
def sip_replays(tmp_path_factory) -> Path:
    """The same fragments with the synthetic Asterisk 20 chan_sip answers of pages 32 and 44
    (the recorded demo nodes run Asterisk 22, which has no chan_sip)."""
    sys.path.insert(0, str(Path(__file__).parents[1] / "runbooks"))
    from chan_sip_nodes import with_chan_sip

    dest = copy_replays(tmp_path_factory.mktemp("sip-replays"), PAGES)["replay_dir"]
    for page in ("p32", "p44"):
        with_chan_sip(dest, page)
    return dest


@pytest.fixture
def sip_node(sip_replays):
    """``sip_node("srv01")`` -> an Asterisk 20 (chan_sip) node, synthetic answers."""
    return lambda name: ReplayTarget.load(name, replay_dir=sip_replays)
