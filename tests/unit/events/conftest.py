"""Hand-made events and CDR legs for the events tests."""

from __future__ import annotations

import pandas as pd
import pytest

from mirtalib.events.model import make_events


def ev(rows):
    """Events from (time, extension, state[, node]) tuples, source eventlog."""
    out = []
    for i, r in enumerate(rows):
        t, ext, state, *rest = r
        out.append(
            {
                "time": pd.Timestamp(t),
                "extension": ext,
                "tenant": ext.rsplit("-", 1)[-1],
                "state": state,
                "event": "state",
                "node": rest[0] if rest else "srv01",
                "source": "eventlog",
                "kind": "custom",
                "ref": f"ee_id={i + 1}",
            }
        )
    return make_events(out)


def legs(rows):
    """Legs from (start, answer|None, end, channel, dstchannel[, uniqueid]) tuples."""
    out = []
    for i, r in enumerate(rows):
        start, answer, end, chan, dst, *rest = r
        out.append(
            {
                "start": pd.Timestamp(start),
                "answer": pd.Timestamp(answer) if answer else pd.NaT,
                "end": pd.Timestamp(end),
                "channel": chan,
                "dstchannel": dst,
                "disposition": "ANSWERED" if answer else "NO ANSWER",
                "uniqueid": rest[0] if rest else f"srv01-1790000000.{i}",
                "linkedid": rest[0] if rest else f"srv01-1790000000.{i}",
            }
        )
    return pd.DataFrame(out)


@pytest.fixture
def make_ev():
    return ev


@pytest.fixture
def make_legs():
    return legs
