"""Matching recordings to legs and counting gaps, on explicit small inventories."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from rec_helpers import DID, TRUNK, A, B, C, frame, leg

from mirtalib.recording.coverage import audit
from mirtalib.recording.expected import expected_recordings
from mirtalib.recording.inventory import FileEntry, combine_inventory, files_frame
from mirtalib.recording.naming import format_name
from mirtalib.recording.wav import wav_bytes

P0, P1 = datetime(2026, 10, 1), datetime(2026, 11, 1)


def _legs(book):
    return expected_recordings(
        frame(
            leg(0, 60, A, B, "srv01-1.1", "srv01-1.1", "100", "101"),
            leg(66, 90, A, C, "srv01-1.1", "srv01-1.1", "100", "102", seq=2),  # B transferred A
            leg(400, 30, TRUNK, A, "srv01-2.1", "srv01-2.1", "333", DID),
        ),
        book,
    )


def _file(legs, pos, channels=1, seconds=None, delay=0, uid=None):
    row = legs.iloc[pos]
    rel = format_name(
        row["tenant"],
        row["answer"] + pd.Timedelta(seconds=delay),
        row["src"],
        row["dst"],
        uid or row["uniqueid"],
    )
    secs = row["billsec"] if seconds is None else seconds
    return FileEntry(
        rel, 44 + secs * 8 * channels, wav_bytes(bytes(secs * 8 * channels), channels, 8)[:4096]
    )


def _meta(entries, legs, positions):
    rows = []
    for k, (e, pos) in enumerate(zip(entries, positions, strict=True)):
        row = legs.iloc[pos]
        rows.append(
            {
                "rm_id": k + 1,
                "tenant": "DEVEL",
                "uniqueid": row["uniqueid"],
                "linkedid": row["linkedid"],
                "relpath": e.relpath,
                "rec_start": row["answer"],
                "rm_duration": float(row["billsec"]),
                "rm_size": e.size,
                "rm_channels": 1,
                "rm_owner": "",
                "transcript_segments": 2,
            }
        )
    return pd.DataFrame(rows).astype({"transcript_segments": "Int64"})


def test_same_uniqueid_legs_are_told_apart_by_time(book):
    legs = _legs(book)
    entries = [_file(legs, 0), _file(legs, 1), _file(legs, 2)]
    res = audit(legs, combine_inventory(None, files_frame(entries)), P0, P1)
    assert res.legs["status"].tolist() == ["recorded"] * 3
    assert res.recordings["leg_id"].tolist() == [0, 1, 2]
    assert res.gaps.empty


def test_duplicate_recording_for_one_leg(book):
    legs = _legs(book)
    entries = [_file(legs, 0), _file(legs, 0, delay=1), _file(legs, 1), _file(legs, 2)]
    res = audit(legs, combine_inventory(None, files_frame(entries)), P0, P1)
    assert res.legs["n_recordings"].tolist() == [2, 1, 1]
    dup = res.gaps[res.gaps["gap"] == "duplicate"]
    assert len(dup) == 1 and dup.iloc[0]["leg_id"] == 0
    assert res.totals()["duplicates"] == 1


def test_metadata_pointing_at_missing_file(book):
    legs = _legs(book)
    entries = [_file(legs, 0), _file(legs, 1), _file(legs, 2)]
    meta = _meta(entries, legs, [0, 1, 2])
    res = audit(legs, combine_inventory(meta, files_frame(entries[:2])), P0, P1)
    assert res.legs["status"].tolist() == ["recorded", "recorded", "broken"]
    rec = res.recordings.set_index("relpath").loc[entries[2].relpath]
    assert rec["problem"] == "metadata_missing_file"
    assert res.totals()["broken"] == 1 and res.totals()["storage_bytes"] == sum(
        e.size for e in entries[:2]
    )


def test_orphan_bad_name_empty_and_stereo(book):
    legs = _legs(book)
    stereo_book_legs = legs.assign(stereo_expected=True)
    entries = [
        _file(legs, 0),
        FileEntry(_file(legs, 1).relpath, 0, None),
        _file(legs, 2, uid="srv09-9.9"),
        FileEntry("DEVEL/2026/10/05/final.wav", 10, b"RIFF"),
    ]
    res = audit(stereo_book_legs, combine_inventory(None, files_frame(entries)), P0, P1)
    assert res.legs["status"].tolist() == ["recorded", "broken", "missing"]
    kinds = res.gaps["gap"].tolist()
    assert kinds == ["missing", "broken", "wrong_format", "orphan", "bad_name"]
    assert "stereo" in res.gaps.loc[kinds.index("wrong_format"), "detail"]
    day = res.summary.set_index("day").loc[pd.Timestamp("2026-10-05")]
    assert int(day["orphan_files"]) == 1 and int(day["bad_names"]) == 1


def test_duration_plausibility_respects_stop_permission(book):
    legs = _legs(book)
    short = [_file(legs, 0, seconds=10), _file(legs, 1, seconds=200), _file(legs, 2)]
    res = audit(legs, combine_inventory(None, files_frame(short)), P0, P1)
    # leg 0 may be stopped by the caller: short is fine; leg 1 is longer than the call
    assert res.legs["quality"].str.contains("longer").tolist() == [False, True, False]
    strict = audit(
        legs.assign(stop_allowed=""), combine_inventory(None, files_frame(short)), P0, P1
    )
    assert "shorter" in strict.legs.loc[0, "quality"]


def test_unexpected_recording_is_a_privacy_gap(book):
    legs = _legs(book).assign(expected=False, policy="NO")
    res = audit(legs, combine_inventory(None, files_frame([_file(legs, 2)])), P0, P1)
    assert res.legs["status"].tolist() == ["not_expected", "not_expected", "unexpected"]
    assert res.gaps["gap"].tolist() == ["unexpected"]


def test_transcripts_expected_present_missing(book):
    legs = _legs(book).assign(transcript_expected=True)
    entries = [_file(legs, 0), _file(legs, 1), _file(legs, 2)]
    meta = _meta(entries, legs, [0, 1, 2])
    meta.loc[1, "transcript_segments"] = 0
    res = audit(legs, combine_inventory(meta, files_frame(entries)), P0, P1)
    tot = res.totals()
    assert (
        tot["transcripts_expected"],
        tot["transcripts_present"],
        tot["transcripts_missing"],
    ) == (3, 2, 1)
    off = audit(
        legs, combine_inventory(meta, files_frame(entries)), P0, P1, transcription_enabled=False
    )
    assert off.totals()["transcripts_expected"] == 0


def test_one_file_across_a_transfer_by_the_called(book):
    # MixMonitor on A's channel keeps running when B transfers A to C: one file, two legs
    legs = _legs(book)
    span = int((legs.loc[1, "answer"] - legs.loc[0, "answer"]).total_seconds()) + 90
    entries = [_file(legs, 0, seconds=span), _file(legs, 2)]
    res = audit(legs, combine_inventory(None, files_frame(entries)), P0, P1)
    assert res.legs["status"].tolist() == ["recorded"] * 3
    assert pd.isna(res.legs.loc[0, "covered_by"]) and res.legs.loc[1, "covered_by"] == 0
    assert res.legs["quality"].tolist() == ["", "", ""]
    assert res.gaps.empty
    # a file that stops when C answers (attended transfer) does not cover the A-C leg
    short = [_file(legs, 0, seconds=span - 90), _file(legs, 2)]
    res = audit(legs, combine_inventory(None, files_frame(short)), P0, P1)
    assert res.legs["status"].tolist() == ["recorded", "missing", "recorded"]


def test_empty_inventories_and_no_calls(book):
    from mirtalib.recording.inventory import METADATA_COLUMNS

    legs = _legs(book)
    res = audit(legs, combine_inventory(None, files_frame([])), P0, P1)
    assert res.totals()["missing"] == 3 and res.totals()["coverage_pct"] == 0.0
    meta = pd.DataFrame(columns=list(METADATA_COLUMNS))
    assert len(audit(legs, combine_inventory(meta, None), P0, P1).gaps) == 3
    none = audit(legs.iloc[0:0], combine_inventory(None, files_frame([])), P0, P1)
    assert none.summary.empty and none.gaps.empty
