"""The coverage audit: expected recordings (per CDR leg) against the recordings actually found.

:func:`mirtalib.recording.inventory.combine_inventory` joins the metadata table and the files of
a store into one row per recording. :func:`audit` ties each recording to a leg (uniqueid in the
name or metadata, else linkedid; when several legs share it, the one answered nearest the
recording's start), then counts per tenant and day: expected, recorded, missing, broken (empty,
corrupt, metadata pointing at a missing file), unexpected (recorded against the policy: a privacy
problem), duplicates, wrong format (duration implausible against billsec, mono where stereo is
asked), orphan files (no call), files with a bad name, transcripts expected/present/missing and
storage used. Every gap is also listed with the call behind it in :attr:`CoverageAudit.gaps`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

SUMMARY_COLUMNS = (
    "tenant",
    "day",
    "expected",
    "recorded",
    "missing",
    "broken",
    "unexpected",
    "duplicates",
    "wrong_format",
    "orphan_files",
    "bad_names",
    "transcripts_expected",
    "transcripts_present",
    "transcripts_missing",
    "storage_bytes",
    "coverage_pct",
)
GAP_COLUMNS = (
    "gap",
    "tenant",
    "day",
    "linkedid",
    "uniqueid",
    "leg_id",
    "parties",
    "policy",
    "relpath",
    "detail",
)
GAP_KINDS = (
    "missing",
    "broken",
    "unexpected",
    "duplicate",
    "wrong_format",
    "transcript_missing",
    "orphan",
    "bad_name",
)


@dataclass
class CoverageAudit:
    """Result of :func:`audit`.

    Attributes:
        legs: the expected-recordings frame plus status, n_recordings, quality, transcript columns.
        recordings: one row per recording with its problem and the leg it belongs to (leg_id NA
            for orphans and bad names).
        summary: per tenant and day, :data:`SUMMARY_COLUMNS`.
        gaps: one row per gap with the call behind it, :data:`GAP_COLUMNS`.
    """

    legs: pd.DataFrame
    recordings: pd.DataFrame
    summary: pd.DataFrame
    gaps: pd.DataFrame

    def totals(self) -> pd.Series:
        """Sum of the summary over tenants and days (coverage recomputed)."""
        tot = self.summary.drop(columns=["tenant", "day", "coverage_pct"]).sum().astype(float)
        tot["coverage_pct"] = _pct(tot["recorded"], tot["expected"])
        return tot


def _pct(num: float, den: float) -> float:
    return round(100.0 * num / den, 1) if den else float("nan")


def match_recordings(recordings: pd.DataFrame, legs: pd.DataFrame) -> pd.Series:
    """leg_id of each recording (NA when no call has its uniqueid or linkedid)."""
    ref = legs["answer"].fillna(legs["start"])
    answered = legs["disposition"].eq("ANSWERED") & legs["billsec"].gt(0)
    by_uid: dict[str, list[int]] = {}
    by_lid: dict[str, list[int]] = {}
    for pos, (uid, lid) in enumerate(zip(legs["uniqueid"], legs["linkedid"], strict=True)):
        by_uid.setdefault(uid, []).append(pos)
        by_lid.setdefault(lid, []).append(pos)
    refs = ref.to_numpy(dtype="datetime64[ns]")
    ans = answered.to_numpy()
    ids = legs["leg_id"].to_numpy()
    out = []
    for r in recordings.itertuples(index=False):
        cands = (
            (by_uid.get(r.uniqueid) if r.uniqueid else None)
            or (by_lid.get(r.uniqueid) if r.uniqueid else None)
            or (by_lid.get(r.linkedid) if r.linkedid else None)
        )
        if not cands:
            out.append(pd.NA)
            continue
        when = np.datetime64(r.rec_start, "ns") if pd.notna(r.rec_start) else None

        def key(p: int, when=when) -> tuple:
            gap = abs((refs[p] - when) / np.timedelta64(1, "s")) if when is not None else 0.0
            return (not ans[p], gap, p)

        out.append(int(ids[min(cands, key=key)]))
    return pd.Series(out, index=recordings.index, dtype="Int64")


def _quality(
    legs: pd.DataFrame, dur: pd.Series, channels: pd.Series, abs_tol: float, rel_tol: float
) -> pd.Series:
    """Format problems of each leg's (first sound) recording; "" when none."""
    billsec = legs["billsec"].astype(float)
    tol = np.maximum(abs_tol, rel_tol * billsec)
    text = pd.Series("", index=legs.index, dtype=object)
    longer = dur > billsec + tol
    shorter = (dur < billsec - tol) & legs["stop_allowed"].eq("")
    durs = dur.round().astype("Int64").astype(str)
    bills = legs["billsec"].astype(str)
    text = text.where(
        ~longer, "recording " + durs + "s longer than the call's billsec " + bills + "s"
    )
    text = text.where(
        ~shorter, "recording " + durs + "s shorter than the call's billsec " + bills + "s"
    )
    mono = legs["stereo_expected"].astype(bool) & (channels < 2).fillna(False).astype(bool)
    joined = text.where(text.eq(""), text + "; ") + "mono recording, stereo expected"
    return text.where(~mono, joined).astype(str)


def audit(
    expected: pd.DataFrame,
    recordings: pd.DataFrame,
    start: datetime,
    end: datetime,
    *,
    transcription_enabled: bool = True,
    abs_tol: float = 3.0,
    rel_tol: float = 0.1,
) -> CoverageAudit:
    """Compare expected recordings with the recordings found, for legs started in [start, end).

    Args:
        expected: :func:`mirtalib.recording.expected.expected_recordings` output (may cover a
            margin around the period, so recordings of calls crossing midnight still match).
        recordings: :func:`mirtalib.recording.inventory.combine_inventory` output.
        start, end: the period (naive PBX-local times).
        transcription_enabled: Admin/Settings "Transcribe phone call recordings" is on.
        abs_tol, rel_tol: a recording's duration is plausible within max(abs_tol s, rel_tol *
            billsec) of the leg's billsec (shorter is fine where the policy lets a party stop).
    """
    recs = recordings.copy()
    usable = recs["problem"].isin(["", "empty", "corrupt", "metadata_missing_file"])
    recs["leg_id"] = pd.Series(pd.NA, index=recs.index, dtype="Int64")
    recs.loc[usable, "leg_id"] = match_recordings(recs[usable], expected)
    recs.loc[usable & recs["leg_id"].isna() & recs["problem"].eq(""), "problem"] = "orphan"
    legs = expected.set_index("leg_id", drop=False)
    period = (legs["start"] >= start) & (legs["start"] < end)
    in_period = recs["leg_id"].map(period).astype("boolean")
    keep = in_period.fillna(
        (recs["rec_start"] >= start) & (recs["rec_start"] < end) | recs["rec_start"].isna()
    ).astype(bool)
    recs = recs[keep].copy()
    leg_day = pd.Series(pd.NaT, index=recs.index, dtype="datetime64[ns]")
    if len(recs):
        leg_day = pd.to_datetime(recs["leg_id"].map(legs["day"]))
    recs["day"] = leg_day.fillna(recs["rec_start"].dt.normalize())
    legs = legs[period].copy()
    matched = recs.dropna(subset=["leg_id"])
    n = matched.groupby("leg_id").size().reindex(legs.index, fill_value=0)
    sound = matched[matched["problem"].eq("")].drop_duplicates("leg_id").set_index("leg_id")
    has_good = legs.index.isin(sound.index)
    no_talk = legs["segment"].isin(["helper", "unanswered", "no_peer"])
    due = legs["expected"].astype(bool)  # object dtype when no leg is in the period
    conditions = [due & has_good, due & (n > 0), due, n > 0, no_talk]
    legs["status"] = np.select(
        [np.asarray(c, dtype=bool) for c in conditions],
        ["recorded", "broken", "missing", "unexpected", "no_talk"],
        "not_expected",
    )
    legs["n_recordings"] = n.astype("int64")
    covered = _continued(legs, sound, abs_tol)
    legs["covered_by"] = covered.reindex(legs.index).astype("Int64")
    legs.loc[covered.index, "status"] = "recorded"
    span = _span(legs, covered)
    dur = pd.to_numeric(sound["duration"], errors="coerce").reindex(legs.index)
    chans = pd.to_numeric(sound["channels"], errors="coerce").reindex(legs.index)
    quality = _quality(legs.assign(billsec=span), dur, chans, abs_tol, rel_tol)
    legs["quality"] = quality.where(legs["status"].eq("recorded") & legs["covered_by"].isna(), "")
    segs = pd.to_numeric(matched["transcript_segments"], errors="coerce")
    known = segs.notna().groupby(matched["leg_id"]).any()
    present = (segs.fillna(0) > 0).groupby(matched["leg_id"]).any().where(known)
    owner = legs["covered_by"].fillna(legs["leg_id"]).astype("int64")
    legs["transcript_due"] = (
        legs["transcript_expected"] & transcription_enabled & legs["status"].eq("recorded")
    )
    legs["transcript_present"] = pd.array(present.reindex(owner).to_numpy(), dtype="boolean")
    legs = legs.reset_index(drop=True)
    gaps = _gaps(legs, recs)
    summary = _summary(legs, recs, gaps)
    log.info("audit: %d legs, %d recordings, %d gaps", len(legs), len(recs), len(gaps))
    return CoverageAudit(
        legs=legs, recordings=recs.reset_index(drop=True), summary=summary, gaps=gaps
    )


def _continued(legs: pd.DataFrame, sound: pd.DataFrame, tol: float) -> pd.Series:
    """Missing legs whose talk lies inside the recording of an earlier leg of the same channel.

    MixMonitor keeps recording the originating channel across a transfer by the called party, so
    one file may hold A-B and then A-C. Returns covered leg_id -> leg_id owning the recording.
    """
    miss = legs.loc[legs["status"].eq("missing"), ["leg_id", "uniqueid", "answer", "billsec"]]
    cand = sound[["uniqueid", "rec_start", "duration"]].rename_axis("by").reset_index()
    m = miss.reset_index(drop=True).merge(cand, on="uniqueid")
    if m.empty:
        return pd.Series(dtype="Int64")
    end = m["rec_start"] + pd.to_timedelta(m["duration"].astype(float) + tol, unit="s")
    # the file must hold at least half of the leg's talk, not merely touch its answer time
    half = pd.to_timedelta(np.maximum(1.0, 0.5 * m["billsec"].astype(float)) + tol, unit="s")
    ok = (m["answer"] >= m["rec_start"]) & (m["answer"] + half <= end) & m["by"].ne(m["leg_id"])
    hit = m[ok].sort_values(["leg_id", "rec_start"]).drop_duplicates("leg_id", keep="last")
    return hit.set_index("leg_id")["by"].astype("Int64")


def _span(legs: pd.DataFrame, covered: pd.Series) -> pd.Series:
    """Seconds each leg's recording should last: its billsec, or up to the last leg it covers."""
    span = legs["billsec"].astype(float)
    if covered.empty:
        return span
    ends = legs.loc[covered.index, "answer"] + pd.to_timedelta(
        legs.loc[covered.index, "billsec"], unit="s"
    )
    last = ends.groupby(covered.to_numpy()).max()
    start = legs.loc[last.index, "answer"]
    span.loc[last.index] = (last - start).dt.total_seconds().to_numpy()
    return span


def _gaps(legs: pd.DataFrame, recs: pd.DataFrame) -> pd.DataFrame:
    matched = recs.dropna(subset=["leg_id"]).sort_values(["leg_id", "relpath"])
    first = matched.drop_duplicates("leg_id").set_index("leg_id")
    extra = matched[matched.duplicated("leg_id")].groupby("leg_id")["relpath"].agg(", ".join)
    detail = matched.groupby("leg_id")["detail"].agg(lambda s: "; ".join(x for x in s if x))
    base = legs.set_index("leg_id", drop=False)
    relpath = first["relpath"].reindex(base.index).astype(object).fillna("")
    owner = base["policy_owner"].where(base["policy_owner"].ne(""), "no setting")
    policy = base["policy"].where(base["policy"].ne(""), "no recording")
    kinds = [
        (
            "missing",
            base["status"].eq("missing"),
            "",
            base["policy"] + " from " + base["policy_owner"],
        ),
        (
            "broken",
            base["status"].eq("broken"),
            relpath,
            detail.reindex(base.index).astype(object).fillna(""),
        ),
        (
            "unexpected",
            base["status"].eq("unexpected"),
            relpath,
            "recorded although " + owner + " says " + policy + " (" + base["segment"] + ")",
        ),
        (
            "duplicate",
            base["n_recordings"].gt(1),
            extra.reindex(base.index).astype(object).fillna(""),
            base["n_recordings"].astype(str) + " recordings for one leg",
        ),
        ("wrong_format", base["quality"].ne(""), relpath, base["quality"]),
        (
            "transcript_missing",
            base["transcript_due"] & base["transcript_present"].eq(False).fillna(False),
            relpath,
            "no transcript segments",
        ),
    ]
    parts = []
    for kind, mask, path, text in kinds:
        mask = mask.astype(bool)
        sel = base[mask]
        path = path[mask] if isinstance(path, pd.Series) else path
        text = text[mask] if isinstance(text, pd.Series) else text
        parts.append(
            pd.DataFrame(
                {
                    "gap": kind,
                    "tenant": sel["tenant"],
                    "day": sel["day"],
                    "linkedid": sel["linkedid"],
                    "uniqueid": sel["uniqueid"],
                    "leg_id": sel["leg_id"],
                    "parties": sel["parties"],
                    "policy": sel["policy"],
                    "relpath": path,
                    "detail": text,
                }
            )
        )
    loose = recs[recs["problem"].isin(["orphan", "bad_name"])]
    parts.append(
        pd.DataFrame(
            {
                "gap": loose["problem"],
                "tenant": loose["tenant"],
                "day": loose["day"],
                "linkedid": loose["linkedid"],
                "uniqueid": loose["uniqueid"],
                "leg_id": pd.NA,
                "parties": "",
                "policy": "",
                "relpath": loose["relpath"],
                "detail": loose["detail"].where(
                    loose["detail"].ne(""), "no call with this uniqueid/linkedid"
                ),
            }
        )
    )
    gaps = (
        pd.concat([p for p in parts if len(p)], ignore_index=True)
        if any(len(p) for p in parts)
        else pd.DataFrame(columns=list(GAP_COLUMNS))
    )
    gaps = gaps[list(GAP_COLUMNS)]
    gaps["leg_id"] = gaps["leg_id"].astype("Int64")
    gaps["day"] = pd.to_datetime(gaps["day"])
    order = {k: i for i, k in enumerate(GAP_KINDS)}
    return gaps.sort_values(
        ["gap", "tenant", "day", "relpath", "uniqueid"],
        key=lambda s: s.map(order) if s.name == "gap" else s,
        kind="stable",
    ).reset_index(drop=True)


def _summary(legs: pd.DataFrame, recs: pd.DataFrame, gaps: pd.DataFrame) -> pd.DataFrame:
    keys = ["tenant", "day"]
    parts = [
        legs.groupby(keys)["expected"].sum().rename("expected"),
        *(
            legs.assign(v=legs["status"].eq(s)).groupby(keys)["v"].sum().rename(s)
            for s in ("recorded", "missing", "broken", "unexpected")
        ),
        legs.assign(v=legs["n_recordings"].clip(lower=1) - 1)
        .groupby(keys)["v"]
        .sum()
        .rename("duplicates"),
        legs.assign(v=legs["quality"].ne("")).groupby(keys)["v"].sum().rename("wrong_format"),
        *(
            recs.assign(v=recs["problem"].eq(p)).groupby(keys, dropna=False)["v"].sum().rename(name)
            for p, name in (("orphan", "orphan_files"), ("bad_name", "bad_names"))
        ),
        legs.groupby(keys)["transcript_due"].sum().rename("transcripts_expected"),
        legs.assign(v=legs["transcript_due"] & legs["transcript_present"].fillna(False))
        .groupby(keys)["v"]
        .sum()
        .rename("transcripts_present"),
        recs.groupby(keys, dropna=False)["stored_bytes"].sum().rename("storage_bytes"),
    ]
    summary = pd.concat(parts, axis=1).fillna(0).astype("int64").reset_index()
    summary["tenant"] = summary["tenant"].astype(str)
    summary["day"] = pd.to_datetime(summary["day"])  # datetime64 also when no day has data
    summary["transcripts_missing"] = (
        summary["transcripts_expected"] - summary["transcripts_present"]
    )
    summary["coverage_pct"] = [
        _pct(r, e) for r, e in zip(summary["recorded"], summary["expected"], strict=True)
    ]
    return summary[list(SUMMARY_COLUMNS)].sort_values(keys).reset_index(drop=True)
