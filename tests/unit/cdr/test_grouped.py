"""The pieces of MariaDB's one-GROUP-BY call grouping that run in Python (mirtalib.cdr.grouped)."""

from __future__ import annotations

import re
import threading
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mirtalib.cdr import grouped
from mirtalib.cdr.naming import trunk_of
from mirtalib.cdr.sqlagg import NODE_RE

intervals = st.tuples(st.integers(0, 60), st.integers(0, 30)).map(lambda t: (t[0], t[0] + t[1]))


def covered(ivs: list[tuple[int, int]]) -> int:
    """Seconds covered by at least one interval, counted one by one."""
    return len({t for a, e in ivs for t in range(a, e)})


def agg(f, values):
    return f(values) if values else np.nan


def grouped_row(ivs: list[tuple[int, int]]) -> dict:
    """What the GROUP BY returns about the answered legs of one call."""
    a = [x for x, _ in ivs]
    e = [y for _, y in ivs]
    return {
        "n_ans": len(ivs),
        "a_min": agg(min, a), "a_max": agg(max, a), "a_sum": agg(sum, a),
        "e_min": agg(min, e), "e_max": agg(max, e), "e_sum": agg(sum, e),
    }  # fmt: skip


@given(st.lists(intervals, min_size=1, max_size=7))
def test_union_needs_only_sorted_starts_and_ends(ivs):
    starts = np.sort(np.array([a for a, _ in ivs], dtype=float))[None, :]
    ends = np.sort(np.array([e for _, e in ivs], dtype=float))[None, :]
    assert grouped.union_from_sorted(starts, ends)[0] == covered(ivs)


@given(st.lists(st.lists(intervals, min_size=0, max_size=3), min_size=1, max_size=20))
def test_billable_of_up_to_three_answered_legs_from_min_max_sum(calls):
    frame = pd.DataFrame([grouped_row(ivs) for ivs in calls])
    assert list(grouped._inline_billable(frame)) == [covered(ivs) for ivs in calls]


def test_billable_by_hand():
    # transfer chain: A-B 0..60, B-C 50..120 (overlaps 10 s), C alone 130..140 after a gap
    chain = [(0, 60), (50, 120), (130, 140)]
    # parallel legs of a ring group answered at once, one nested in the other
    nested = [(10, 100), (20, 30)]
    frame = pd.DataFrame([grouped_row(chain), grouped_row(nested), grouped_row([])])
    assert list(grouped._inline_billable(frame)) == [130, 90, 0]


def test_trunk_names_match_the_pandas_rule():
    channels = [
        "SIP/trunk-eutelia-000001a3",
        "PJSIP/provider-messagenet-000001a7",
        "DAHDI/i1/0212345678-1a2b3c4d",
        "IAX2/peer",
        "SIP/abc-0000001z",  # not a hex suffix: part of the name
        "SIP/-0000001a",  # a bare suffix is the name
        "H323/gw1-00000001",
    ]
    want = trunk_of(pd.Series(channels)).tolist()
    assert [grouped.trunk_name(c) for c in channels] == want
    assert want[0] == "trunk-eutelia" and want[4] == "abc-0000001z"


def test_node_follows_the_sql_rule():
    dims = grouped._Dims()
    uids = [
        "srv01-1790805890.1190",
        "1790805890.12",
        "my-node-1.2",
        "srv.a-1.2",
        "srv01-12",
        "srv01-1.2.3",
        "9srv-1.2",
        "node_2-17.3",
        "srv01-1.",
    ]
    want = [u.partition("-")[0] if re.match(NODE_RE, u) else "" for u in uids]
    assert [dims.node(u) for u in uids] == want
    assert want[:4] == ["srv01", "", "", "srv.a"]


def _key(s: int, uid: str, seq: int) -> str:
    return f"{s + 10**10:011d}{uid}\x01{seq + 10**10:011d}"


def test_direction_trunk_and_destination_of_the_first_leg():
    dims = grouped._Dims()
    first = [
        _key(100, "srv01-1.1", 1) + "I" + "0612345678",  # userfield says IN
        _key(100, "srv01-2.1", 1) + "-" + "0039612345678",  # first leg dials out a trunk
        _key(100, "srv02-3.1", 1) + "-" + "0612345678",  # first leg comes in from a trunk
        _key(100, "srv01-4.1", 1) + "-" + "201",  # a later leg has the trunk: LOCAL
        _key(100, "5.1", 1) + "-" + "202",  # no trunk at all
        None,
    ]
    tkf = [
        _key(100, "srv01-1.1", 1) + "O" + "SIP/voipco-0000002a",
        _key(100, "srv01-2.1", 1) + "O" + "SIP/voipco-0000002b",
        _key(100, "srv02-3.1", 1) + "I" + "PJSIP/carrier-x-0000002c",
        _key(130, "srv01-4.20", 1) + "I" + "SIP/voipco-0000002d",  # longer uniqueid
        None,
        np.nan,
    ]
    codes, dsts = dims.parse(["DEVEL", "ACME", "ACME", "", np.nan, None], first, tkf)
    table = dims.table().iloc[codes].reset_index(drop=True)
    assert table.values.tolist() == [
        ["DEVEL", "IN", "srv01", "voipco"],
        ["ACME", "OUT", "srv01", "voipco"],
        ["ACME", "IN", "srv02", "carrier-x"],
        ["", "LOCAL", "srv01", "voipco"],
        ["", "LOCAL", "", ""],
        ["", "LOCAL", "", ""],
    ]
    assert dsts == [None, "0039612345678", None, None, None, None]
    assert codes[4] == codes[5]  # same dimensions, same code


def test_events_sum_per_group_and_second_and_give_minute_peaks():
    ev = grouped._Events()
    # group 0: calls 0..90 and 30..60 (peak 2 from 30 s), group 1: 100..130 and 130..200
    ev.add(np.array([0, 0]), np.array([0, 30]), np.array([90, 60]))
    ev.add(np.array([1, 1]), np.array([100, 130]), np.array([130, 200]))
    g, m, top, at, net = ev.minutes()
    got = list(zip(g.tolist(), m.tolist(), top.tolist(), at.tolist(), net.tolist(), strict=True))
    assert got == [
        (0, 0, 2, 30, 2),  # up at 0 and 30
        (0, 1, 1, 60, -2),  # down at 60 and 90: the minute's top is 1, first at 60
        (1, 1, 1, 100, 1),
        (1, 2, 1, 130, 0),  # one ends as the next starts: the second stays, level 1
        (1, 3, 0, 200, -1),
    ]


class _Rows:
    def __init__(self, n: int) -> None:
        self.n = n

    def estimate_rows(self) -> int:
        return self.n


def test_partitions_cover_every_hash_once_and_grow_with_the_table():
    small = grouped.partitions(_Rows(1_000_000), 1 << 30, 2)
    assert small == [(0, 1, 3), (1, 3, 3)]  # unequal: the first is reduced while the rest groups
    big = grouped.partitions(_Rows(10_000_000), 1 << 30, 2)
    assert len(big) == 8 and all(hi - lo == 1 for lo, hi, _ in big)  # 7 needed, by twos
    # strings cut to CAPPED widths: about half the memory per call, half the partitions
    cut = grouped.partitions(_Rows(10_000_000), 1 << 30, 2, grouped.CAPPED)
    assert len(cut) == 4 and all(hi - lo == 1 for lo, hi, _ in cut)  # 3.7 needed, by twos
    # two fit, but not two thirds in one: equal halves
    assert grouped.partitions(_Rows(10_000_000), 4 << 30, 2) == [(0, 1, 2), (1, 2, 2)]
    for shares in (small, big, grouped.partitions(_Rows(0), 1 << 30, 3)):
        n = shares[0][2]
        covered = sorted(h for lo, hi, _ in shares for h in range(lo, hi))
        assert covered == list(range(n))


class _Partitions:
    """A stand-in for the partition queries: each 'groups' (sleeps before its first chunk),
    then yields its chunks; it records how many groupings and queries run at once."""

    def __init__(self, fail: int | None = None) -> None:
        self.lock = threading.Lock()
        self.grouping = self.alive = self.max_grouping = self.max_alive = 0
        self.fail = fail

    def stream_rows(self, sql, params, chunksize, session):
        part = int(sql)
        with self.lock:
            self.grouping += 1
            self.alive += 1
            self.max_grouping = max(self.max_grouping, self.grouping)
            self.max_alive = max(self.max_alive, self.alive)
        try:
            time.sleep(0.02 * (1 + part % 3))
            with self.lock:
                self.grouping -= 1
            if part == self.fail:
                raise RuntimeError(f"partition {part} failed")
            for c in range(3):
                yield [(part, c, r) for r in range(c + 1)]
        finally:
            with self.lock:
                self.alive -= 1


def _rows(monkeypatch, fake: _Partitions, n: int, workers: int):
    monkeypatch.setattr(grouped, "partitions", lambda *a: [(i, i + 1, n) for i in range(n)])
    monkeypatch.setattr(grouped, "grouped_calls_sql", lambda q, s, e, t, part, w: (part[0], {}))
    return grouped._parallel_rows(fake, None, None, None, 10, [], workers, 1, grouped.CAPPED)


def test_partition_queries_group_at_most_workers_at_once_and_every_row_arrives(monkeypatch):
    fake = _Partitions()
    chunks = list(_rows(monkeypatch, fake, 7, 2))
    rows = sorted(r for chunk in chunks for r in chunk)
    assert rows == sorted((p, c, r) for p in range(7) for c in range(3) for r in range(c + 1))
    for chunk in chunks:  # a query's chunks arrive together, in order
        assert len({p for p, _, _ in chunk}) == 1
    parts = [chunk[0][0] for chunk in chunks]
    assert all(parts[i : i + 3] == [parts[i]] * 3 for i in range(0, len(parts), 3))
    assert fake.max_grouping <= 2 and fake.max_alive <= 3


def test_a_failing_partition_query_is_raised_to_the_reader(monkeypatch):
    with pytest.raises(RuntimeError, match="partition 4 failed"):
        list(_rows(monkeypatch, _Partitions(fail=4), 6, 2))
