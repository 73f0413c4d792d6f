"""The demo plug-in on a small synthetic PBX, audited end to end (SQLite + files on disk)."""

from __future__ import annotations

import json

import pytest
from rec_helpers import build_synthetic

from mirtalib.demo.recordings import TRUTH_FILE
from mirtalib.recording.report import export, run_coverage
from mirtalib.recording.wav import read_wav_info


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    root = tmp_path_factory.mktemp("syn") / "demo"
    paths, model = build_synthetic(root)
    truth = json.loads((paths.root / TRUTH_FILE).read_text())
    result = run_coverage(
        "2026-10-01", "2026-11-01", db_url=str(paths.db_url), recordings_dir=paths.recordings_dir
    )
    return paths, model, truth, result


def test_expected_from_channels_agrees_with_annotations(synthetic):
    _paths, _model, truth, result = synthetic
    assert result.audit.summary["expected"].sum() == truth["expected_legs"]


def test_every_injected_gap_is_found(synthetic):
    _paths, _model, truth, result = synthetic
    tot = result.audit.totals()
    gaps = result.audit.gaps["gap"].value_counts()
    assert tot["missing"] == truth["missing"]
    assert tot["broken"] == truth["empty"] + truth["corrupt"] + truth["metadata_missing_file"]
    assert tot["unexpected"] == truth["unexpected"]
    assert tot["duplicates"] == truth["duplicate"]
    assert tot["orphan_files"] == truth["orphan"]
    assert tot["bad_names"] == truth["bad_name"]
    assert gaps.get("transcript_missing", 0) == truth["transcript_missing"]
    wrong = result.audit.gaps[result.audit.gaps["gap"] == "wrong_format"]
    assert wrong["detail"].str.contains("mono").sum() == truth["mono_for_stereo"]
    assert tot["recorded"] + tot["missing"] + tot["broken"] == tot["expected"]


def test_missing_and_unexpected_name_the_right_legs(synthetic):
    _paths, model, truth, result = synthetic
    legs = result.audit.legs
    missing = legs[legs["status"] == "missing"]
    want = model.legs.loc[truth["missing_legs"], "uniqueid"]
    assert sorted(missing["uniqueid"]) == sorted(want)
    unexpected = legs[legs["status"] == "unexpected"]
    assert sorted(unexpected["uniqueid"]) == sorted(
        model.legs.loc[truth["unexpected_legs"], "uniqueid"]
    )


def test_wav_headers_declare_the_call_duration(synthetic):
    paths, _model, truth, result = synthetic
    recs = result.audit.recordings
    good = recs[(recs["problem"] == "") & recs["in_store"]]
    legs = result.audit.legs.set_index("leg_id")
    row = good.iloc[0]
    info = read_wav_info(paths.recordings_dir / row["relpath"])
    assert info.sample_rate == truth["sample_rate"]
    assert abs(info.duration - legs.loc[row["leg_id"], "billsec"]) <= 3
    total = sum(p.stat().st_size for p in paths.recordings_dir.rglob("*") if p.is_file())
    assert total < 3_000_000


def test_db_only_inventory_sees_metadata_but_not_files(synthetic):
    paths, _model, truth, _result = synthetic
    res = run_coverage("2026-10-01", "2026-11-01", db_url=str(paths.db_url), inventory_source="db")
    tot = res.audit.totals()
    assert tot["orphan_files"] == 0 and tot["bad_names"] == 0
    assert tot["missing"] == truth["missing"]
    assert tot["storage_bytes"] > 0


def test_tenant_filter_and_export(synthetic, tmp_path):
    paths, _model, _truth, _result = synthetic
    res = run_coverage(
        "2026-10-01",
        "2026-10-06",
        tenants="ACME",
        db_url=str(paths.db_url),
        recordings_dir=paths.recordings_dir,
    )
    assert set(res.audit.summary["tenant"]) <= {"ACME"}
    assert res.audit.summary["day"].max().day <= 5
    names = export(res.audit, tmp_path)
    assert all((tmp_path / n).stat().st_size > 0 for n in names)
