"""The audit on the demo PBX finds exactly the gaps the demo plug-in put there."""

from __future__ import annotations

import json

import pytest

from mirtalib.demo import ensure_demo
from mirtalib.demo.recordings import TRUTH_FILE
from mirtalib.recording.report import run_coverage


@pytest.fixture(scope="module")
def demo():
    paths = ensure_demo()
    truth = json.loads((paths.root / TRUTH_FILE).read_text())
    return (
        paths,
        truth,
        run_coverage(
            "2026-10-01",
            "2026-11-01",
            db_url=str(paths.db_url),
            recordings_dir=paths.recordings_dir,
        ),
    )


def test_demo_counts_match_the_plugin_truth(demo):
    _paths, truth, result = demo
    tot = result.audit.totals()
    assert tot["expected"] == truth["expected_legs"]
    assert tot["missing"] == truth["missing"]
    assert tot["unexpected"] == truth["unexpected"]
    assert tot["broken"] == truth["empty"] + truth["corrupt"] + truth["metadata_missing_file"]
    assert tot["duplicates"] == truth["duplicate"]
    assert tot["orphan_files"] == truth["orphan"]
    assert tot["bad_names"] == truth["bad_name"]
    assert tot["transcripts_expected"] == truth["transcripts_expected"]
    assert tot["transcripts_missing"] == truth["transcript_missing"]
    assert tot["wrong_format"] == truth["mono_for_stereo"]


def test_demo_recordings_stay_small(demo):
    paths, truth, _result = demo
    files = [p for p in paths.recordings_dir.rglob("*") if p.is_file()]
    assert len(files) == truth["files_written"]
    assert sum(p.stat().st_size for p in files) < 5_000_000
