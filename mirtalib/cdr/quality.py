"""Call quality signals: short answered calls, failure bursts per trunk, ASR drops per tenant."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mirtalib.cdr.findings import make_findings, severity
from mirtalib.errors import ParameterError

FAILURES = ("FAILED", "CONGESTION")


def short_calls(calls: pd.DataFrame, threshold_s: int = 6, by: str = "tenant") -> pd.DataFrame:
    """Answered calls shorter than ``threshold_s`` billable seconds, per group.

    Returns:
        ``by``, ``answered``, ``short``, ``short_share`` (of answered calls).
    """
    if threshold_s <= 0:
        raise ParameterError(f"short_call_s={threshold_s!r} must be positive")
    ans = calls[calls["answered"]]
    agg = (
        ans.assign(short=ans["billable"].lt(threshold_s))
        .groupby(by, observed=True)
        .agg(answered=("call_id", "size"), short=("short", "sum"))
    )
    agg["short_share"] = agg["short"] / agg["answered"]
    return agg.reset_index()


def failure_bursts(calls: pd.DataFrame, gap_s: float = 120, min_failures: int = 5) -> pd.DataFrame:
    """Bursts of FAILED/CONGESTION calls on one trunk.

    Failed calls of a trunk closer than ``gap_s`` seconds to the previous one form a burst; a
    burst of at least ``min_failures`` calls is a finding. Strength = failed calls in the burst;
    the reason also gives the share of the trunk's calls in that span that failed.
    """
    trunked = calls[calls["trunk"].ne("")].sort_values("start_utc")
    failed = trunked[trunked["disposition"].isin(FAILURES)]
    rows = []
    for trunk, part in failed.groupby("trunk", sort=True):
        t = part["start_utc"].to_numpy()
        cluster = np.r_[0, np.cumsum(np.diff(t) > gap_s)]
        for _, burst in part.groupby(cluster):
            n = len(burst)
            if n < min_failures:
                continue
            lo, hi = burst["start_utc"].min(), burst["start_utc"].max()
            span = trunked[(trunked["trunk"] == trunk) & trunked["start_utc"].between(lo, hi)]
            share = n / len(span)
            rows.append(
                {
                    "kind": "failure burst",
                    "tenant": ",".join(sorted(set(burst["tenant"]) - {""})),
                    "subject": trunk,
                    "start": burst["start"].min(),
                    "end": burst["end"].max(),
                    "call_ids": list(burst["call_id"]),
                    "strength": n,
                    "severity": severity(n, 2 * min_failures, 4 * min_failures),
                    "reason": f"{n} FAILED/CONGESTION calls on trunk {trunk} within "
                    f"{(hi - lo) / 60:.0f} min ({share:.0%} of its calls then), gaps "
                    f"<= {gap_s:.0f} s",
                }
            )
    return make_findings(rows)


def asr_drops(
    calls: pd.DataFrame,
    freq: str = "D",
    min_attempts: int = 20,
    z_threshold: float = 3.0,
    min_drop: float = 0.15,
) -> pd.DataFrame:
    """Days (``freq="D"``) or hours (``"h"``) where a tenant's ASR falls far below its baseline.

    Baseline = the tenant's ASR over the whole frame. A bucket with at least ``min_attempts``
    calls is a finding when its ASR is ``min_drop`` (absolute) or more below the baseline and the
    binomial z-score ``(asr - base) / sqrt(base (1 - base) / n)`` is at most ``-z_threshold``.
    Strength = -z.
    """
    if freq not in ("D", "h"):
        raise ParameterError(f"freq={freq!r}: use 'D' (days) or 'h' (hours)")
    rows = []
    for tenant, part in calls.groupby("tenant", sort=True):
        base = part["answered"].mean()
        if not 0 < base < 1:
            continue
        bucket = part["start"].dt.floor(freq)
        agg = part.groupby(bucket).agg(n=("call_id", "size"), ans=("answered", "sum"))
        agg["asr"] = agg["ans"] / agg["n"]
        agg["z"] = (agg["asr"] - base) / np.sqrt(base * (1 - base) / agg["n"])
        hits = agg[
            (agg["n"] >= min_attempts)
            & (agg["asr"] <= base - min_drop)
            & (agg["z"] <= -z_threshold)
        ]
        for when, row in hits.iterrows():
            ids = part.loc[bucket == when, "call_id"]
            step = pd.Timedelta(1, unit="D" if freq == "D" else "h")
            label = "day" if freq == "D" else "hour"
            rows.append(
                {
                    "kind": "ASR drop",
                    "tenant": tenant,
                    "subject": f"{label} {when:%Y-%m-%d %H:%M}",
                    "start": when,
                    "end": when + step,
                    "call_ids": list(ids),
                    "strength": float(-row["z"]),
                    "severity": severity(-row["z"], z_threshold * 1.5, z_threshold * 2),
                    "reason": f"ASR {row['asr']:.0%} on {int(row['n'])} calls vs the tenant's "
                    f"{base:.0%} baseline (z = {row['z']:.1f})",
                }
            )
    return make_findings(rows)
