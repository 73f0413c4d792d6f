"""Timeline rebuild, time in state, clipping: answers computed by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from mirtalib.errors import ParameterError
from mirtalib.events.timeline import build_timeline, clip, plot_timeline, state_at, time_in_state

T = pd.Timestamp


@pytest.fixture
def events(make_ev):
    return make_ev(
        [
            ("2026-10-05 10:00", "100-DEVEL", "NOT_INUSE"),
            ("2026-10-05 10:05", "100-DEVEL", "INUSE"),
            ("2026-10-05 10:06", "100-DEVEL", "INUSE"),  # repeat: same interval
            ("2026-10-05 10:10", "100-DEVEL", "NOT_INUSE"),
            ("2026-10-05 10:00", "101-DEVEL", "INUSE"),
        ]
    )


def test_intervals(events):
    tl = build_timeline(events, until="2026-10-05 11:00")
    got = tl[["extension", "state", "start", "end", "duration_s", "n_events", "open"]]
    assert got.values.tolist() == [
        ["100-DEVEL", "NOT_INUSE", T("2026-10-05 10:00"), T("2026-10-05 10:05"), 300.0, 1, False],
        ["100-DEVEL", "INUSE", T("2026-10-05 10:05"), T("2026-10-05 10:10"), 300.0, 2, False],
        ["100-DEVEL", "NOT_INUSE", T("2026-10-05 10:10"), T("2026-10-05 11:00"), 3000.0, 1, True],
        ["101-DEVEL", "INUSE", T("2026-10-05 10:00"), T("2026-10-05 11:00"), 3600.0, 1, True],
    ]
    assert tl["first_ref"].tolist() == ["ee_id=1", "ee_id=2", "ee_id=4", "ee_id=5"]


def test_default_until_is_last_event(events):
    tl = build_timeline(events)
    assert tl["end"].max() == T("2026-10-05 10:10")
    assert tl.loc[3, "duration_s"] == 600.0


def test_until_before_last_event_is_refused(events):
    with pytest.raises(ParameterError, match="until"):
        build_timeline(events, until="2026-10-05 10:07")


def test_sources_are_separate_timelines(events, make_ev):
    other = make_ev([("2026-10-05 10:02", "100-DEVEL", "INUSE")]).assign(source="ami:srv01/x")
    tl = build_timeline(pd.concat([events, other], ignore_index=True), until="2026-10-05 11:00")
    assert len(tl) == 5
    assert tl[tl["source"] == "ami:srv01/x"]["duration_s"].tolist() == [3480.0]


def test_time_in_state_per_extension_and_tenant(events):
    tl = build_timeline(events, until="2026-10-05 11:00")
    per_ext = time_in_state(tl).set_index("extension")
    assert per_ext.loc["100-DEVEL", "INUSE"] == 0.08  # 300 s
    assert per_ext.loc["100-DEVEL", "NOT_INUSE"] == 0.92  # 3300 s
    assert per_ext.loc["100-DEVEL", "busy_share"] == 8.3
    assert per_ext.loc["101-DEVEL", "busy_share"] == 100.0
    per_tenant = time_in_state(tl, by="tenant").set_index("tenant")
    assert per_tenant.loc["DEVEL", "INUSE"] == 1.08  # 3900 s
    assert per_tenant.loc["DEVEL", "busy_share"] == 54.2  # 3900 / 7200


def test_clip_and_state_at(events):
    tl = build_timeline(events, until="2026-10-05 11:00")
    part = clip(tl, "2026-10-05 10:07", "2026-10-05 10:30")
    assert part["duration_s"].tolist() == [180.0, 1200.0, 1380.0]
    now = state_at(tl, "2026-10-05 10:07")
    assert dict(zip(now["extension"], now["state"], strict=True)) == {
        "100-DEVEL": "INUSE",
        "101-DEVEL": "INUSE",
    }


def test_empty_events_give_empty_timeline(make_ev):
    assert build_timeline(make_ev([])).empty


def test_plot_has_one_lane_per_extension(events):
    import matplotlib

    matplotlib.use("Agg")
    tl = build_timeline(events, until="2026-10-05 11:00")
    fig = plot_timeline(tl, ["100-DEVEL", "101-DEVEL"], "2026-10-05 10:00", "2026-10-05 11:00")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["100-DEVEL (eventlog)", "101-DEVEL (eventlog)"]


def test_busy_disagreement_by_hand(make_ev):
    from mirtalib.events.report import busy_disagreement

    log = make_ev(
        [("2026-10-05 10:00", "100-DEVEL", "INUSE"), ("2026-10-05 10:30", "100-DEVEL", "NOT_INUSE")]
    )
    # channels seen on two nodes: 10:00-10:10 on srv01, 10:05-10:20 on srv02, 10:40-10:45 srv01
    ch1 = make_ev(
        [
            ("2026-10-05 10:00", "100-DEVEL", "INUSE"),
            ("2026-10-05 10:10", "100-DEVEL", "NOT_INUSE"),
            ("2026-10-05 10:40", "100-DEVEL", "INUSE"),
            ("2026-10-05 10:45", "100-DEVEL", "NOT_INUSE"),
        ]
    ).assign(source="ami:srv01")
    ch2 = make_ev(
        [("2026-10-05 10:05", "100-DEVEL", "INUSE"), ("2026-10-05 10:20", "100-DEVEL", "NOT_INUSE")]
    ).assign(source="ami:srv02")
    until = "2026-10-05 11:00"
    a = build_timeline(log, until=until)
    b = build_timeline(pd.concat([ch1, ch2], ignore_index=True), until=until)
    got = busy_disagreement(a, b, "2026-10-05 10:00", until).iloc[0].to_dict()
    # log busy 30 min; channels busy 10:00-10:20 and 10:40-10:45 = 25 min; both: 20 min
    assert got == {
        "extension": "100-DEVEL",
        "busy_a_s": 1800.0,
        "busy_b_s": 1500.0,
        "only_a_s": 600.0,
        "only_b_s": 300.0,
    }
