"""CDR calls of the real PBX set against the scenario driver's truth (shared by the unit test on
the recorded fixtures and the integration test on the live node).

A CDR call (the legs :func:`mirtalib.cdr.calls.annotate_legs` gives one ``call_id``) is matched
to a driver call in one of two ways, and the match must be one to one with equal counts, so a
call merged across the restart, split in two or matched twice fails:

* ``uniqueid``: the call's legs hold the truth's linkedid as a uniqueid (the linkedid is the
  uniqueid of the originated channel);
* ``start`` (layouts without uniqueid): the call holds a leg on the originated channel
  (``Local/<dialled>@<TENANT>-<n>;1``, the name carries the dialled number and tenant) and the
  call starts within a second of the truth's start in PBX-local time. The same channel names
  recur after the restart, the start time tells the runs apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from mirtalib.cdr.calls import annotate_legs, to_calls

ORIGINATED = re.compile(r"^Local/(?P<dial>[^@]+)@(?P<tenant>[A-Z][A-Z0-9_]*)-(?P<n>[0-9a-f]{8});1$")


def originated_channel(truth: dict) -> str:
    """The channel the driver originated: the call's oldest ``Local/<n>@<TENANT>-x;1``."""
    found = [(int(m["n"], 16), ch) for ch in truth["channels"] if (m := ORIGINATED.match(ch))]
    if not found:
        raise AssertionError(f"{truth['scenario']} run {truth['run']}: no originated channel")
    return min(found)[1]


def local_start(epoch: float, tz: str) -> pd.Timestamp:
    """A truth epoch as the naive PBX-local second Asterisk writes (truncated)."""
    stamp = pd.Timestamp(epoch, unit="s", tz="UTC").tz_convert(tz).tz_localize(None)
    return stamp.floor("s")


@dataclass
class Comparison:
    calls: pd.DataFrame  # to_calls(legs)
    legs: pd.DataFrame  # annotate_legs(legs): the legs with their call_id and UTC times
    matched: pd.DataFrame  # one row per truth: scenario, run, call_id, answered/billable both


def _matches(legs: pd.DataFrame, calls: pd.DataFrame, truth: dict, by: str, tz: str) -> list:
    if by == "uniqueid":
        return sorted(set(legs.loc[legs["uniqueid"].eq(truth["linkedid"]), "call_id"]))
    channel = originated_channel(truth)
    holders = set(legs.loc[legs["channel"].eq(channel), "call_id"])
    start = local_start(truth["start"], tz)
    near = calls["start"].sub(start).abs() <= pd.Timedelta(seconds=1)
    return sorted(set(calls.loc[near & calls["call_id"].isin(holders), "call_id"]))


def compare(legs: pd.DataFrame, truths: list[dict], tz: str, by: str) -> Comparison:
    """Group ``legs`` into calls and match every truth to exactly one call (see module doc).

    Raises:
        AssertionError: a truth matches no call or several, two truths match one call, or the
            CDR has more calls than the driver placed.
    """
    calls = to_calls(legs, tz)
    annotated = annotate_legs(legs, tz)
    rows = []
    for truth in truths:
        found = _matches(annotated, calls, truth, by, tz)
        label = f"{truth['scenario']} run {truth['run']} ({truth['linkedid']})"
        assert len(found) == 1, f"{label}: matches {len(found)} CDR calls {found}"
        rows.append({**truth, "call_id": found[0]})
    matched = pd.DataFrame(rows)
    twice = matched["call_id"][matched["call_id"].duplicated()].tolist()
    assert not twice, f"CDR calls matched by two driver calls: {twice}"
    assert len(calls) == len(truths), f"{len(calls)} CDR calls for {len(truths)} driver calls"
    cdr = calls.set_index("call_id")
    matched["answered_cdr"] = matched["call_id"].map(cdr["answered"])
    matched["billable_cdr"] = matched["call_id"].map(cdr["billable"])
    return Comparison(calls, annotated, matched)


def answered_union(legs: pd.DataFrame) -> pd.Series:
    """Per call_id, the seconds covered by the answered intervals of the legs whose disposition
    is ANSWERED with billsec > 0 (interval: end - billsec to end, end = start + duration)."""
    out: dict[str, float] = {}
    for call_id, group in legs.groupby("call_id", sort=False):
        spans = sorted(
            (r.start_utc + r.duration - r.billsec, r.start_utc + r.duration)
            for r in group.itertuples()
            if r.disposition == "ANSWERED" and r.billsec > 0
        )
        total, reach = 0.0, float("-inf")
        for begin, end in spans:
            begin = max(begin, reach)
            if end > begin:
                total += end - begin
            reach = max(reach, end)
        out[call_id] = total
    return pd.Series(out, dtype=float)


def restart_crossers(legs: pd.DataFrame, restarts: list[float]) -> list[str]:
    """Calls holding legs that started before a restart and legs that started after it."""
    bad = []
    for restart in restarts:
        after = legs["start_utc"] > restart
        sides = after.groupby(legs["call_id"]).nunique()
        bad += sides.index[sides > 1].tolist()
    return sorted(set(bad))
