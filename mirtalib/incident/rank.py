"""How well each finding explains the complaint: symptoms, relevance, strength, nearness.

A complaint is read for three symptoms (:data:`SYMPTOM_WORDS`): ``unreachable`` (the phone did
not ring, calls went to voicemail or were busy), ``audio`` (choppy, one-way, robotic, dropped)
and ``recording`` (a call was not recorded or transcribed). A complaint naming none of them (or
none at all) counts as all three.

Each finding has a ``kind`` (:data:`RELEVANCE`), a ``strength`` in 0..1 given by its source
(a stuck state covering the moment is 1, a "harmful" CPU level 1 and "at risk" 0.6, ...), and a
time span. Its score is::

    relevance(kind, symptoms) x strength x nearness(span, at, window) x subject

``relevance`` is the largest of the kind's relevances for the complaint's symptoms;
``nearness`` is 1 when the span contains the moment and falls linearly to 0.25 at the edge of
the window; ``subject`` is 1 for a finding about the extension, number, queue or node the
complaint names (or the calls found for them) and 0.6 for one about something around them (the
other node, the host). Findings are ranked by score, highest first.
"""

from __future__ import annotations

import re

import pandas as pd

SYMPTOMS = ("unreachable", "audio", "recording")
SYMPTOM_WORDS = {
    "unreachable": (
        "could not take", "couldn't take", "cannot take", "can't take", "not take calls",
        "not ring", "n't ring", "no ring", "never rang", "busy", "voicemail", "voice mail",
        "unreachable", "missed", "not reach", "n't reach", "engaged", "no answer",
        "not answered", "stuck", "inuse", "in use", "blf", "offline", "not registered",
        "no calls", "lost calls",
    ),
    "audio": (
        "choppy", "robot", "garbled", "crackl", "one-way", "one way", "no audio", "silence",
        "echo", "delay", "jitter", "breaking up", "broke up", "dropped", "drops", "cut off",
        "quality", "bad audio", "bad call", "distort", "metallic",
    ),
    "recording": ("record", "transcri"),
}  # fmt: skip

#: kind -> relevance to (unreachable, audio, recording)
RELEVANCE = {
    "stuck": (1.0, 0.1, 0.05),
    "inuse_without_call": (0.9, 0.1, 0.05),
    "state_copies": (0.9, 0.05, 0.05),
    "registration": (1.0, 0.3, 0.05),
    "node_move": (0.7, 0.3, 0.05),
    "queue_ring_no_answer": (0.7, 0.05, 0.05),
    "flapping": (0.6, 0.3, 0.05),
    "queue_lost": (0.6, 0.05, 0.05),
    "calls_unanswered": (0.5, 0.05, 0.1),
    "log_gap": (0.4, 0.05, 0.05),
    "call_without_inuse": (0.3, 0.05, 0.05),
    "cpu": (0.3, 1.0, 0.2),
    "vm_config": (0.1, 0.5, 0.05),
    "recording_missing": (0.0, 0.0, 1.0),
    "recording_broken": (0.05, 0.1, 1.0),
    "recording_other": (0.0, 0.1, 0.7),
}
SUBJECT_NEAR = 0.6
"""Weight of a finding about something around the complaint's subject (another node, a host)."""
NEAR_EDGE = 0.25
"""Nearness of a finding that only touches the edge of the window."""


def symptoms_of(complaint: str) -> tuple[str, ...]:
    """The symptoms a complaint names (all of :data:`SYMPTOMS` when it names none)."""
    text = re.sub(r"\s+", " ", (complaint or "").lower())
    found = tuple(s for s in SYMPTOMS if any(w in text for w in SYMPTOM_WORDS[s]))
    return found or SYMPTOMS


def relevance(kind: str, symptoms: tuple[str, ...]) -> float:
    """How much a finding of ``kind`` can explain a complaint with these symptoms (0..1)."""
    weights = RELEVANCE.get(kind)
    if weights is None:
        return 0.0
    return max(weights[SYMPTOMS.index(s)] for s in symptoms)


def nearness(start, end, at, window: pd.Timedelta) -> float:
    """1 when ``[start, end]`` contains ``at``, falling linearly to :data:`NEAR_EDGE` at
    ``window`` away (and 0 beyond)."""
    start, end, at = pd.Timestamp(start), pd.Timestamp(end), pd.Timestamp(at)
    if pd.isna(end):
        end = start
    if start <= at <= end:
        return 1.0
    gap = (start - at) if start > at else (at - end)
    span = window.total_seconds()
    if span <= 0 or gap.total_seconds() > span:
        return 0.0
    return 1.0 - (1.0 - NEAR_EDGE) * gap.total_seconds() / span


def rank(
    findings: pd.DataFrame, symptoms: tuple[str, ...], at, window: pd.Timedelta
) -> pd.DataFrame:
    """Score and sort findings (columns ``kind, strength, start, end, subject_match``).

    Adds ``relevance``, ``nearness``, ``score`` and ``rank`` (1 = best explanation); ties keep
    the order of the input.
    """
    out = findings.copy()
    if out.empty:
        for col in ("relevance", "nearness", "score"):
            out[col] = pd.Series(dtype="float64")
        out["rank"] = pd.Series(dtype="int64")
        return out
    out["relevance"] = [relevance(k, symptoms) for k in out["kind"]]
    out["nearness"] = [
        nearness(s, e, at, window) for s, e in zip(out["start"], out["end"], strict=True)
    ]
    subject = out["subject_match"].map(lambda m: 1.0 if m else SUBJECT_NEAR)
    out["score"] = (out["relevance"] * out["strength"] * out["nearness"] * subject).round(3)
    out = out.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)
    out["rank"] = range(1, len(out) + 1)
    return out
