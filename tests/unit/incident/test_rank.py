"""Ranking of the incident view: symptoms read from the complaint, relevance, nearness, order."""

from __future__ import annotations

import pandas as pd
import pytest

from mirtalib.errors import ParameterError
from mirtalib.incident import IncidentParams, investigate
from mirtalib.incident.rank import NEAR_EDGE, SUBJECT_NEAR, nearness, rank, relevance, symptoms_of

AT = pd.Timestamp("2026-10-14 10:42")
WINDOW = pd.Timedelta(minutes=30)


@pytest.mark.parametrize(
    ("complaint", "symptoms"),
    [
        ("100-DEVEL could not take calls", ("unreachable",)),
        ("the phone did not ring, calls went to voicemail", ("unreachable",)),
        ("the call was choppy and robotic", ("audio",)),
        ("the call from 3408807286 was not recorded", ("recording",)),
        ("could not take calls, and the call we had was choppy", ("unreachable", "audio")),
        ("", ("unreachable", "audio", "recording")),
        ("something is wrong", ("unreachable", "audio", "recording")),
    ],
)
def test_symptoms_of_the_complaint(complaint, symptoms):
    assert symptoms_of(complaint) == symptoms


def test_relevance_takes_the_best_symptom():
    assert relevance("stuck", ("unreachable",)) == 1.0
    assert relevance("stuck", ("audio",)) == 0.1
    assert relevance("cpu", ("unreachable", "audio")) == 1.0
    assert relevance("recording_missing", ("unreachable", "audio")) == 0.0
    assert relevance("no such kind", ("audio",)) == 0.0


def test_nearness_is_one_inside_and_falls_to_the_edge():
    assert nearness(AT - WINDOW, AT + WINDOW, AT, WINDOW) == 1.0
    assert nearness(AT, pd.NaT, AT, WINDOW) == 1.0
    assert nearness(AT + WINDOW, AT + WINDOW, AT, WINDOW) == pytest.approx(NEAR_EDGE)
    half = nearness(AT - 2 * WINDOW, AT - WINDOW / 2, AT, WINDOW)
    assert half == pytest.approx(1 - (1 - NEAR_EDGE) / 2)
    assert nearness(AT + 2 * WINDOW, AT + 3 * WINDOW, AT, WINDOW) == 0.0


def _frame(rows):
    return pd.DataFrame(rows, columns=["kind", "strength", "start", "end", "subject_match", "text"])


def test_rank_orders_by_the_complaint():
    rows = [
        ("cpu", 1.0, AT - WINDOW, AT + WINDOW, True, "ready harmful"),
        ("stuck", 1.0, AT - pd.Timedelta(minutes=3), AT + WINDOW, True, "INUSE without a call"),
        ("recording_missing", 1.0, AT, AT, True, "not recorded"),
    ]
    for complaint, first in [
        ("could not take calls", "stuck"),
        ("choppy audio", "cpu"),
        ("was not recorded", "recording_missing"),
    ]:
        ranked = rank(_frame(rows), symptoms_of(complaint), AT, WINDOW)
        assert ranked["kind"].iloc[0] == first, complaint
        assert list(ranked["rank"]) == [1, 2, 3]
        assert ranked["score"].is_monotonic_decreasing


def test_something_around_the_subject_weighs_less():
    rows = [
        ("cpu", 1.0, AT, AT, False, "the host"),
        ("cpu", 0.7, AT, AT, True, "the node"),
    ]
    ranked = rank(_frame(rows), ("audio",), AT, WINDOW)
    assert list(ranked["text"]) == ["the node", "the host"]
    assert ranked["score"].tolist() == [0.7, SUBJECT_NEAR]


def test_rank_of_nothing():
    ranked = rank(_frame([]), ("audio",), AT, WINDOW)
    assert ranked.empty and "score" in ranked and "rank" in ranked


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("at", "", "at"),
        ("at", "14/10/2026 10:42", "at"),
        ("window_minutes", 0, "window_minutes"),
        ("extension", "100", "extension"),
        ("number", "12ab", "number"),
        ("queue", "sup port", "queue"),
        ("node", "srv 01", "node"),
        ("node_vms", "srv01", "node_vms"),
        ("tenants", "de'vel", "tenant"),
        ("context_hours", -1, "context_hours"),
    ],
)
def test_bad_parameters_are_named(field, value, match):
    params = IncidentParams(at="2026-10-14 10:42")
    setattr(params, field, value)
    with pytest.raises(ParameterError, match=match):
        investigate(params)


def test_nothing_configured_is_one_line_per_source(monkeypatch):
    """No database, no folders, no targets: every source says what it would have checked."""
    monkeypatch.delenv("MIRTA_DB_URL", raising=False)
    inc = investigate(IncidentParams(at="2026-10-14 10:42", extension="100-DEVEL"))
    assert list(inc.checked["source"]) == [
        "CDR", "events", "recordings", "queue log", "CPU", "registrations",
    ]  # fmt: skip
    assert (inc.checked["status"] == "absent").all()
    lines = dict(zip(inc.checked["source"], inc.checked["what"], strict=True))
    assert "no database configured" in lines["CDR"]
    assert "stuck" in lines["events"] and "no logs_dir" in lines["events"]
    assert "no vmware_dir given" in lines["CPU"] or "no node" in lines["CPU"]
    assert "no targets given" in lines["registrations"]
    assert inc.findings.empty
    assert len(inc.missing()) == 6
