"""Coverage queries against a brute-force count over seconds."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from mirtalib.events.coverage import Coverage

T0 = pd.Timestamp("2026-10-05 10:00")
spans = st.lists(st.tuples(st.integers(0, 100), st.integers(0, 30)), max_size=8)


@given(spans, st.integers(0, 120), st.integers(0, 60))
@settings(max_examples=300, deadline=None)
def test_seconds_match_brute_force(items, q0, qlen):
    frame = pd.DataFrame(
        {
            "extension": "100-DEVEL",
            "start": [T0 + pd.Timedelta(seconds=s) for s, _ in items],
            "end": [T0 + pd.Timedelta(seconds=s + n) for s, n in items],
        }
    )
    covered = set()
    for s, n in items:
        covered.update(range(s, s + n))
    expected = len([x for x in covered if q0 <= x < q0 + qlen])
    cov = Coverage(frame) if items else Coverage(frame.iloc[0:0])
    got = cov.seconds(
        "100-DEVEL", T0 + pd.Timedelta(seconds=q0), T0 + pd.Timedelta(seconds=q0 + qlen)
    )
    assert got == expected
    assert cov.seconds("999-X", T0, T0 + pd.Timedelta(seconds=10)) == 0.0
