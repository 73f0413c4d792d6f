"""Helpers of the page runbook tests (pages 10, 17, 23, 29, 37, 38), unit and integration."""

from __future__ import annotations

from pathlib import Path

from mirtalib.runbook.replay import isolated_replays as copy_replays

PAGES = ("p10", "p17", "p23", "p29", "p37", "p38")


def isolated_replays(dest: Path) -> Path:
    """Copy srv01/srv02 and this group's fragments into ``dest``; return it.

    A fragment another page adds (or breaks) then cannot change these tests; the notebooks use
    the full shared folder.
    """
    return copy_replays(dest, PAGES)["replay_dir"]


def steps_of(report, node: int = 0) -> dict:
    """Step results of one node by step id."""
    return {r.step_id: r for r in report.nodes[node].results}
