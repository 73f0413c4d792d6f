"""Page 17 (Debugging bad calls): the decision table, the ranking, the load sampling."""

from __future__ import annotations

import math

import pytest
from page_helpers import steps_of

from mirtalib.asterisk.host import LoadAverage
from mirtalib.errors import ParameterError, ParseError
from mirtalib.runbook import Status
from mirtalib.runbooks.p17_debugging_bad_calls import (
    CAUSES,
    RUNBOOK,
    LoadEvidence,
    decision_table,
    load_command,
    load_evidence,
    load_frame,
    parse_load,
    rank_causes,
)


def test_the_table_is_the_pages():
    t = decision_table()
    assert t.shape == (8, 4)
    assert t.loc["Calling a DID from a mobile phone is good"].tolist() == [
        "No",
        "No",
        "Possible",
        "No",
    ]
    assert (
        t.loc["Only one tenant reports the problem", "Client Internet pipe saturated"] == "Possible"
    )


def test_demo_outcomes_point_at_the_client():
    outcomes = {
        "reported_by": "many",
        "internal_call": "bad",
        "feature_code_media": "bad",
        "did_from_mobile": "good",
    }
    used, rank, reasons = rank_causes(outcomes)
    assert len(used) == 4
    assert rank.iloc[0]["cause"] == "Client Internet pipe saturated"
    assert rank.iloc[0]["score"] == 0.25  # one Unlikely vote (many tenants report it)
    assert sorted(rank[rank["ruled_out"]]["cause"]) == sorted(
        c for c in CAUSES if "Client" not in c
    )
    assert reasons[-1] == "most likely: Client Internet pipe saturated"


def test_provider_when_only_external_calls_are_bad():
    outcomes = {
        "reported_by": "many",
        "internal_call": "good",
        "feature_code_media": "good",
        "did_from_mobile": "bad",
    }
    _, rank, reasons = rank_causes(outcomes)
    assert rank.iloc[0]["cause"] == "Provider Internet pipe saturated"
    assert not rank.iloc[0]["ruled_out"]
    assert reasons[-1] == "most likely: Provider Internet pipe saturated"


def test_contradicting_outcomes_are_reported():
    _, rank, reasons = rank_causes({"internal_call": "good", "did_from_mobile": "good"})
    assert rank["ruled_out"].all()
    assert "contradict the table" in reasons[-1]


def test_untested_and_ties():
    _, rank, reasons = rank_causes({"reported_by": "many"})
    assert "undecided between" in reasons[-1]
    assert reasons[:3] == [
        f"{t}: untested, not used"
        for t in ("internal_call", "feature_code_media", "did_from_mobile")
    ]
    _, rank, reasons = rank_causes({})
    assert math.isnan(rank.iloc[0]["score"]) and reasons[-1].startswith("no test outcome")


def test_load_above_the_cores_keeps_overload_possible():
    hot = LoadEvidence("srv09", 2, (LoadAverage(2.5, 2.0, 1.5, 3, 300, 1),))
    used, _, _ = rank_causes({"reported_by": "many", "internal_call": "bad"}, [hot])
    assert used.loc["Load on srv09: peak 2.50 on 2 cores", "Server overloaded"] == "Possible"
    cold = LoadEvidence("srv09", 8, (LoadAverage(2.5, 2.0, 1.5, 3, 300, 1),))
    _, rank2, _ = rank_causes({"reported_by": "many", "internal_call": "bad"}, [cold])
    score = dict(zip(rank2["cause"], rank2["score"], strict=True))
    assert score["Server overloaded"] == 0.25 * 0.25


def test_load_parser():
    parsed = parse_load("4\n0.50 0.40 0.30 1/100 5\n1.50 0.60 0.30 2/101 6\n")
    assert parsed.cores == 4 and [s.load1 for s in parsed.samples] == [0.5, 1.5]
    assert "4 cores, 2 samples" in repr(parsed)
    for bad in ("", "x\n0.1 0.1 0.1 1/1 1", "4\n", "4\nnot a loadavg"):
        with pytest.raises(ParseError):
            parse_load(bad)
    assert load_command(3, 2) == "nproc; for i in $(seq 3); do cat /proc/loadavg; sleep 2; done"


def test_plan_samples_both_nodes(replays, journal):
    rb = RUNBOOK.open("replay:srv01,replay:srv02", journal=journal, target_options=replays)
    plan = rb.plan()
    assert steps_of(plan, 0)["load-vs-cores"].status is Status.PASS
    s2 = steps_of(plan, 1)["load-vs-cores"]
    assert s2.status is Status.WARN and "2.20-3.12 on 4 cores" in s2.reason
    assert "most likely: Client Internet pipe saturated" in steps_of(plan)["ranking"].reason
    frame = load_frame(load_evidence(plan), 10)
    assert frame.shape[0] == 12 and frame["t_s"].max() == 50
    assert frame.loc[frame["node"] == "srv02", "load1_per_core"].max() == 0.78
    assert not plan.failed


def test_overloaded_node_fails(journal, tmp_path):
    from mirtalib.runbook import LocalTarget

    class Hot(LocalTarget):
        def run(self, command, *, timeout=120.0):
            from mirtalib.runbook.targets import CommandResult

            return CommandResult(
                command, 0, "2\n3.10 2.00 1.00 4/200 9\n2.90 2.10 1.00 4/200 9\n", ""
            )

    rb = RUNBOOK.open(Hot(), journal=journal, samples=2, interval=1)
    check = steps_of(rb.verify())["load-vs-cores"]
    assert check.status is Status.FAIL and "the server is overloaded" in check.reason


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"internal_call": "awful"}, "internal_call='awful' is not one of"),
        ({"samples": 1}, "samples=1"),
        ({"interval": 0}, "interval=0"),
    ],
)
def test_bad_parameters(values, message, journal, replays):
    with pytest.raises(ParameterError, match=message):
        RUNBOOK.open("replay:srv01", journal=journal, target_options=replays, **values)


def test_sampling_window_is_bounded(journal, replays):
    rb = RUNBOOK.open(
        "replay:srv01", journal=journal, target_options=replays, samples=30, interval=30
    )
    with pytest.raises(ParameterError, match="samples x interval = 900 s"):
        rb.plan()
