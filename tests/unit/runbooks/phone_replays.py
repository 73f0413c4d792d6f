"""Helpers of the phone-page runbook tests (pages 31, 32, 33, 39, 42, 44, 45).

:func:`open_isolated` opens a page's runbook on a copy of the recorded demo nodes holding only the
base recordings, these pages' fragments and page 11's (whose ``core show hints`` of srv01 they
read), so a fragment another page adds cannot change these tests.
"""

from __future__ import annotations

from pathlib import Path

from mirtalib.runbook.replay import isolated_replays as copy_replays

PAGES = ("p11", "p31", "p32", "p33", "p39", "p42", "p44", "p45")


def isolated_replays(dest: Path) -> Path:
    """Copy srv01/srv02 and the fragments of :data:`PAGES` into ``dest``; return it."""
    return copy_replays(dest, PAGES)["replay_dir"]


def open_isolated(runbook, tmp_path: Path, targets: str = "replay:srv01", **values):
    """``runbook.open`` on isolated replays with a journal under ``tmp_path``."""
    folder = tmp_path / "replays"
    folder.mkdir(exist_ok=True)
    isolated_replays(folder)
    return runbook.open(
        targets, journal=tmp_path / "journal", target_options={"replay_dir": folder}, **values
    )


def results(report, node: int = 0) -> dict:
    """Step id -> StepResult of one node of a report."""
    return {r.step_id: r for r in report.nodes[node].results}
