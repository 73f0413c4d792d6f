"""Fixtures of the page runbook tests (pages 10, 17, 23, 29, 37, 38).

``replays`` is a copy of the recorded demo nodes holding only the base recordings and the
fragments of these pages, so a fragment another page adds (or breaks) cannot change these tests;
the notebooks use the full shared folder.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mirtalib.runbook.replay import replay_dir

PAGES = ("p10", "p17", "p23", "p29", "p37", "p38")


def isolated_replays(dest: Path) -> Path:
    """Copy srv01/srv02 and this group's fragments into ``dest``; return it."""
    src = replay_dir()
    for node in ("srv01", "srv02"):
        shutil.copy(src / f"{node}.yaml", dest / f"{node}.yaml")
        (dest / f"{node}.d").mkdir(exist_ok=True)
        for page in PAGES:
            frag = src / f"{node}.d" / f"{page}.yaml"
            if frag.is_file():
                shutil.copy(frag, dest / f"{node}.d" / frag.name)
    return dest


@pytest.fixture
def replays(tmp_path: Path) -> dict:
    """``target_options`` pointing at an isolated copy of the replays."""
    folder = tmp_path / "replays"
    folder.mkdir()
    return {"replay_dir": isolated_replays(folder)}


@pytest.fixture
def journal(tmp_path: Path) -> Path:
    return tmp_path / "journal"


def steps_of(report, node: int = 0) -> dict:
    """Step results of one node by step id."""
    return {r.step_id: r for r in report.nodes[node].results}
