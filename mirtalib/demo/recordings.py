"""Demo plug-in: recording metadata, transcripts and a recordings folder tree with real WAV files.

Which legs are recorded is decided here from the demo's *annotations* (call kind, from/to
extension, DID), independently of the channel analysis of :mod:`mirtalib.recording.expected`, so
the audit is checked against a second derivation. Then deliberate gaps are added, and their counts
written to ``<demo root>/recordings-truth.json`` for the tests:

missing recordings, zero-length files, truncated (corrupt) files, mono files where stereo is set,
recordings made against the policy, duplicate recordings of one leg, metadata rows naming a file
that is not there, orphan files (no call), badly named files, and missing transcripts.

The WAV files are 8-bit PCM with a low sample rate chosen so that the whole tree fits the budget of
:data:`AUDIO_BUDGET` bytes: a scaled-down tone whose header declares the recording's real duration
(what the audit reads), with the caller on the left and the called party on the right channel.
"""

from __future__ import annotations

import json
import logging

import numpy as np
import pandas as pd
from sqlalchemy import Connection, insert

from mirtalib.data.schema import RECORDING_NO, Schema
from mirtalib.demo.model import DemoModel
from mirtalib.demo.paths import DemoPaths
from mirtalib.recording.naming import format_name
from mirtalib.recording.policy import PolicyBook, Setting
from mirtalib.recording.wav import wav_bytes

log = logging.getLogger(__name__)

AUDIO_BUDGET = 2_500_000
"""Bytes of audio data in the whole demo recordings tree (headers not counted)."""
TRUTH_FILE = "recordings-truth.json"
_PHRASES = (
    "Good morning, how can I help you?",
    "I am calling about the invoice of last month.",
    "Let me check that for you.",
    "Can you give me the order number?",
    "Thank you, I will send it by email.",
    "Is there anything else I can do for you?",
)
_GAPS = {  # gap -> how many (drawn from the candidate legs with the plug-in's own rng)
    "missing": 12,
    "empty": 4,
    "corrupt": 3,
    "mono_for_stereo": 4,
    "unexpected": 5,
    "duplicate": 3,
    "metadata_missing_file": 3,
    "orphan": 4,
    "bad_name": 2,
    "transcript_missing": 6,
}


def _owner(legs: pd.DataFrame, book: PolicyBook) -> tuple[list[str], list[Setting | None]]:
    """Owner (extension name or DID) and setting of each leg, from the annotations."""
    first_from = legs.groupby("linkedid")["from_ext"].transform("first")
    owners, settings = [], []
    for kind, frm, did, tenant, ffrom in zip(
        legs["call_kind"], legs["from_ext"], legs["did"], legs["tenant"], first_from, strict=True
    ):
        if kind == "transfer_by_caller" and frm != ffrom:  # the caller left: nothing records
            owners.append("")
            settings.append(None)
        elif frm == "" or kind == "parked":
            found = book.did(tenant, did)
            owners.append(did)
            settings.append(found[1] if found else None)
        else:
            owners.append(frm)
            settings.append(book.extension(frm))
    return owners, settings


def _tone(seconds: float, rate: int, channels: int, k: int) -> bytes:
    n = max(1, round(seconds * rate))
    t = np.arange(n)
    left = 128 + 50 * np.sin(2 * np.pi * t / 5.0 + k)
    if channels == 1:
        return left.astype(np.uint8).tobytes()
    right = 128 + 35 * np.sin(2 * np.pi * t / 7.0 + k)
    return np.column_stack([left, right]).astype(np.uint8).tobytes()


def generate(
    model: DemoModel, rng: np.random.Generator, paths: DemoPaths, conn: Connection, schema: Schema
) -> None:
    """Write ``rm_recordingmetadatas``, ``tr_transcripts`` and the WAV tree (plug-in contract)."""
    book = PolicyBook(model.extensions, model.dids)
    legs = model.legs.reset_index(drop=True)
    talk = legs[
        (legs["disposition"] == "ANSWERED")
        & (legs["billsec"] > 0)
        & (legs["dstchannel"] != "")
        & ~legs["channel"].str.startswith("Local/")
    ].copy()
    owners, settings = _owner(talk, book)
    talk["owner"] = owners
    talk["policy"] = [s.policy if s else RECORDING_NO for s in settings]
    talk["stereo"] = [bool(s and s.stereo) for s in settings]
    talk["transcript"] = [bool(s and s.transcript) for s in settings]
    talk["recorded"] = talk["policy"] != RECORDING_NO
    rec = talk[talk["recorded"]].copy()
    legs_pick = _Picker(rng)  # leg positions
    missing = legs_pick.take(rec.index, _GAPS["missing"])
    unexpected = legs_pick.take(talk.index[~talk["recorded"]], _GAPS["unexpected"])
    files = pd.concat([rec.drop(index=missing), talk.loc[unexpected]]).sort_index()
    files["channels"] = np.where(files["stereo"], 2, 1)
    files["duration"] = files["billsec"].astype(float)
    stoppable = files.index[files["policy"].str.startswith("YES_STOP")]
    stopped = legs_pick.take(stoppable, max(1, len(stoppable) // 30))
    files.loc[stopped, "duration"] = (files.loc[stopped, "billsec"] * 0.4).round()
    mono = legs_pick.take(files.index[files["stereo"]], _GAPS["mono_for_stereo"])
    files.loc[mono, "channels"] = 1
    dup = legs_pick.take(files.index[files["recorded"]], _GAPS["duplicate"])
    files["_dup"] = 0
    files = pd.concat([files, files.loc[dup].assign(_dup=1)]).sort_index(kind="stable")
    files = files.reset_index(names="leg_pos")
    plain = files.index[
        (files["_dup"] == 0) & files["recorded"] & ~files["leg_pos"].isin([*dup, *mono, *stopped])
    ]
    files_pick = _Picker(rng)  # file rows
    empty = set(files_pick.take(plain, _GAPS["empty"]))
    corrupt = set(files_pick.take(plain, _GAPS["corrupt"]))
    no_file = set(files_pick.take(plain, _GAPS["metadata_missing_file"]))
    rate = int(
        np.clip(
            AUDIO_BUDGET // max(1.0, float((files["duration"] * files["channels"]).sum())), 1, 8000
        )
    )
    te_id = dict(zip(model.tenants["te_code"], model.tenants["te_id"], strict=True))
    root = paths.recordings_dir
    root.mkdir(parents=True, exist_ok=True)
    meta, transcribed, single, transcribed_legs = [], [], [], set()
    for i, f in files.iterrows():
        when = pd.Timestamp(f["answer"]) + pd.Timedelta(seconds=int(f["_dup"]))
        rel = format_name(f["tenant"], when, f["src"], f["dst"], f["uniqueid"])
        data = wav_bytes(
            _tone(f["duration"], rate, int(f["channels"]), i), int(f["channels"]), rate
        )
        if i in empty:
            data = b""
        elif i in corrupt:
            data = data[: 44 + (len(data) - 44) // 3]
        if i not in no_file:
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(data)
        rm_id = len(meta) + 1
        meta.append(
            {
                "rm_id": rm_id,
                "rm_te_id": te_id[f["tenant"]],
                "rm_uniqueid": f["uniqueid"],
                "rm_linkedid": f["linkedid"],
                "rm_filename": rel,
                "rm_start": when.to_pydatetime(),
                "rm_duration": float(f["duration"]),
                "rm_size": len(data),
                "rm_channels": int(f["channels"]),
                "rm_owner": f["owner"],
            }
        )
        if f["transcript"] and i not in empty | corrupt | no_file:
            transcribed.append(rm_id)
            transcribed_legs.add(int(f["leg_pos"]))
            if f["leg_pos"] not in dup:
                single.append(rm_id)
    skip = set(_Picker(rng).take(pd.Index(single), _GAPS["transcript_missing"]))
    tr_rows = _transcripts([m for m in meta if m["rm_id"] in set(transcribed) - skip], rng)
    orphans, bad = _extras(root, rng, model)
    if meta:
        conn.execute(insert(schema.table("rm_recordingmetadatas")), meta)
    if tr_rows:
        conn.execute(insert(schema.table("tr_transcripts")), tr_rows)
    counts = {
        "missing": missing,
        "unexpected": unexpected,
        "mono_for_stereo": mono,
        "duplicate": dup,
        "empty": empty,
        "corrupt": corrupt,
        "orphan": orphans,
        "metadata_missing_file": no_file,
        "transcript_missing": skip,
        "bad_name": bad,
        "stopped_early": stopped,
    }
    truth = {
        "sample_rate": rate,
        "files_written": len(files) - len(no_file) + len(orphans) + len(bad),
        "metadata_rows": len(meta),
        "expected_legs": int(talk["recorded"].sum()),
        "transcripts_expected": len(transcribed_legs),
        **{k: len(v) for k, v in counts.items()},
        "missing_legs": [int(j) for j in missing],
        "unexpected_legs": [int(j) for j in unexpected],
    }
    (paths.root / TRUTH_FILE).write_text(json.dumps(truth, indent=1, sort_keys=True) + "\n")
    log.info(
        "demo recordings: %d files at %d Hz, %d metadata rows, %d transcript segments",
        truth["files_written"],
        rate,
        len(meta),
        len(tr_rows),
    )


class _Picker:
    """Draws disjoint samples of legs/files for the deliberate gaps."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.used: set = set()

    def take(self, index: pd.Index, count: int) -> list:
        free = [x for x in index if x not in self.used]
        if not free or count <= 0:
            return []
        chosen = self.rng.choice(len(free), size=min(count, len(free)), replace=False)
        out = sorted(free[j] for j in chosen)
        self.used.update(out)
        return out


def _transcripts(meta: list[dict], rng: np.random.Generator) -> list[dict]:
    rows = []
    for m in meta:
        t = 0.0
        for k in range(int(rng.integers(2, 5))):
            end = min(m["rm_duration"], t + float(rng.integers(3, 15)))
            rows.append(
                {
                    "tr_id": len(rows) + 1,
                    "tr_rm_id": m["rm_id"],
                    "tr_speaker": "caller" if k % 2 == 0 else "called",
                    "tr_start": t,
                    "tr_end": end,
                    "tr_text": _PHRASES[int(rng.integers(len(_PHRASES)))],
                    "tr_sentiment": round(float(rng.uniform(-0.3, 0.9)), 2),
                    "tr_summary": "Demo transcript: customer enquiry." if k == 0 else None,
                }
            )
            t = end
    return rows


def _extras(root, rng: np.random.Generator, model: DemoModel) -> tuple[list[str], list[str]]:
    """Orphan files (uniqueids no call has) and badly named files: (orphans, bad names)."""
    written = []
    start = pd.Timestamp(model.period_start)
    for k in range(_GAPS["orphan"]):
        when = start + pd.Timedelta(days=int(rng.integers(0, 28)), hours=int(rng.integers(8, 18)))
        tenant = str(model.tenants["te_code"].iloc[k % len(model.tenants)])
        rel = format_name(tenant, when, "100", "200", f"srv01-{1700000000 + k}.{k}")
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(wav_bytes(_tone(30, 8, 1, k), 1, 8))
        written.append(rel)
    bad = [
        f"{model.tenants['te_code'].iloc[0]}/{start:%Y/%m}/07/recording final(1).wav",
        f"{model.tenants['te_code'].iloc[0]}/{start:%Y/%m}/08/notes.txt",
    ]
    for rel in bad:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(
            wav_bytes(_tone(5, 8, 1, 0), 1, 8) if rel.endswith("wav") else b"left here by hand\n"
        )
    return written, bad
