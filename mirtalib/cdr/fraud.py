"""Toll-fraud signals: expensive calls out of hours, outbound-minute spikes, sequential dialing.

Every function takes calls classified by :func:`mirtalib.cdr.destinations.classify_calls` and
returns findings (:mod:`mirtalib.cdr.findings`): which calls, why, how strong.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mirtalib.cdr.findings import BusinessHours, make_findings, severity


def _outbound(calls: pd.DataFrame) -> pd.DataFrame:
    out = calls[calls["direction"].eq("OUT")]
    who = out["caller"].where(out["caller"].ne(""), out["src"]) if "caller" in out else out["src"]
    return out.assign(who=who)


def off_hours_international(
    classified: pd.DataFrame,
    hours: BusinessHours,
    medium_min: float = 5,
    high_min: float = 30,
    session_gap_s: float = 3600,
) -> pd.DataFrame:
    """International or premium-rate outbound calls outside business hours.

    One finding per tenant, caller and session (a call starting less than ``session_gap_s``
    after the previous ones ended continues the session, so a night across midnight is one
    finding). Strength = billable minutes of those calls;
    severity high for any answered premium call or from ``high_min`` minutes.
    """
    out = _outbound(classified)
    risky = out[(out["international"] | out["premium"]) & ~hours.contains(out["start"])]
    rows = []
    for (tenant, who), calls in risky.groupby(["tenant", "who"], sort=True):
        calls = calls.sort_values("start_utc")
        begin, finish = calls["start_utc"].to_numpy(), calls["end_utc"].to_numpy()
        busy_until = np.maximum.accumulate(finish)
        session = np.r_[0, np.cumsum(begin[1:] - busy_until[:-1] > session_gap_s)]
        for _, part in calls.groupby(session):
            minutes = part["billable"].sum() / 60
            premium = int(part["premium"].sum())
            level = severity(minutes, medium_min, high_min)
            if premium and part.loc[part["premium"], "answered"].any():
                level = "high"
            where = ", ".join(sorted(set(part["country"]) - {""})) or "unknown"
            first, last = part["start"].min(), part["end"].max()
            rows.append(
                {
                    "kind": "off-hours international",
                    "tenant": tenant,
                    "subject": who,
                    "start": first,
                    "end": last,
                    "call_ids": list(part["call_id"]),
                    "strength": minutes,
                    "severity": level,
                    "reason": f"{len(part)} international/premium calls ({premium} premium) to "
                    f"{where} outside business hours, {first:%Y-%m-%d %H:%M} to "
                    f"{last:%H:%M}, {minutes:.1f} billable min",
                }
            )
    return make_findings(rows)


def minute_spikes(
    classified: pd.DataFrame, factor: float = 5.0, min_minutes: float = 30.0, min_days: int = 7
) -> pd.DataFrame:
    """Days when one caller's outbound minutes jump far above its own baseline.

    Baseline = the caller's mean outbound minutes per day over the *other* days of the period
    (days without calls count as 0). A day is a finding when its minutes are at least
    ``min_minutes`` and at least ``factor`` times the baseline. Strength = minutes / baseline.
    With fewer than ``min_days`` other days in the data there is no baseline: no finding.
    """
    out = _outbound(classified)
    if out.empty:
        return make_findings([])
    days = pd.date_range(out["day"].min(), out["day"].max(), freq="D")
    if len(days) - 1 < min_days:
        return make_findings([])
    per_day = out.groupby(["tenant", "who", "day"])["billable"].sum().div(60)
    rows = []
    for (tenant, who), series in per_day.groupby(level=[0, 1], sort=True):
        series = series.droplevel([0, 1]).reindex(days, fill_value=0.0)
        total, n = series.sum(), len(series)
        for day, minutes in series.items():
            baseline = (total - minutes) / max(n - 1, 1)
            ratio = minutes / max(baseline, 1.0)
            if minutes < min_minutes or ratio < factor:
                continue
            ids = out.loc[
                (out["tenant"] == tenant) & (out["who"] == who) & (out["day"] == day), "call_id"
            ]
            rows.append(
                {
                    "kind": "outbound minute spike",
                    "tenant": tenant,
                    "subject": who,
                    "start": day,
                    "end": day + pd.Timedelta(days=1),
                    "call_ids": list(ids),
                    "strength": ratio,
                    "severity": severity(ratio, 2 * factor, 4 * factor),
                    "reason": f"{minutes:.0f} outbound min on {day:%Y-%m-%d} vs a baseline of "
                    f"{baseline:.1f} min/day ({ratio:.0f}x)",
                }
            )
    return make_findings(rows)


def sequential_dialing(
    classified: pd.DataFrame, min_run: int = 5, gap_s: float = 600, max_step: int = 10
) -> pd.DataFrame:
    """Runs of outbound calls from one caller to numbers that step by a constant small amount.

    A caller's outbound calls closer than ``gap_s`` seconds form a session; in a session the
    distinct numeric destinations, sorted, are searched for runs of at least ``min_run`` numbers
    with the same step (1..``max_step``), e.g. 0612345670, ...671, ...672. Strength = run length.
    """
    out = _outbound(classified).sort_values("start_utc")
    out = out[out["dst"].str.fullmatch(r"\+?\d{5,}")]
    rows = []
    for (tenant, who), part in out.groupby(["tenant", "who"], sort=True):
        session = np.r_[0, np.cumsum(np.diff(part["start_utc"].to_numpy()) > gap_s)]
        for _, sess in part.groupby(session):
            by_num: dict[int, set[str]] = {}
            for d in sess["dst"]:
                by_num.setdefault(int(d.lstrip("+")), set()).add(d)
            for run in _runs(sorted(by_num), min_run, max_step):
                dsts = set().union(*(by_num[v] for v in run))
                hit = sess[sess["dst"].isin(dsts)]
                rows.append(
                    {
                        "kind": "sequential dialing",
                        "tenant": tenant,
                        "subject": who,
                        "start": hit["start"].min(),
                        "end": hit["end"].max(),
                        "call_ids": list(hit["call_id"]),
                        "strength": len(run),
                        "severity": severity(len(run), 2 * min_run, 4 * min_run),
                        "reason": f"{len(run)} numbers from {min(by_num[run[0]])} to "
                        f"{min(by_num[run[-1]])} in steps of "
                        f"{run[1] - run[0]} dialed within one session of {len(sess)} calls",
                    }
                )
    return make_findings(rows)


def _runs(nums: list[int], min_run: int, max_step: int) -> list[list[int]]:
    """Maximal runs of ``nums`` (sorted, distinct) with one constant step <= max_step."""
    runs, i = [], 0
    while i < len(nums) - 1:
        step = nums[i + 1] - nums[i]
        j = i + 1
        while j + 1 < len(nums) and nums[j + 1] - nums[j] == step:
            j += 1
        if step <= max_step and j - i + 1 >= min_run:
            runs.append(nums[i : j + 1])
            i = j
        else:
            i += 1
    return runs
