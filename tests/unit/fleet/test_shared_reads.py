"""What pages compute from the MiRTA database is computed once per fleet run and database, the
same answers as without sharing; the demo's answers never reach a real node."""

from __future__ import annotations

import shutil
import threading
import time

import pytest

import mirtalib.fleet.run as fleet_run
from mirtalib.data.db import NO_DATABASE, NoDatabaseConfigured, demo_scope, open_database
from mirtalib.data.shared import RunCache, database_key, shared_read, sharing
from mirtalib.demo import ensure_demo
from mirtalib.fleet.inventory import parse_inventory


def test_a_key_is_computed_once_by_concurrent_threads_and_a_failure_is_not_kept():
    cache, calls, seen = RunCache(), [], []

    def slow() -> object:
        calls.append(1)
        time.sleep(0.2)  # the other threads arrive while it computes
        return object()

    threads = [threading.Thread(target=lambda: seen.append(cache.get("k", slow))) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len({id(v) for v in seen}) == 1 and len(seen) == 6
    assert (cache.computed, cache.served) == (1, 5)

    def broken() -> object:
        raise RuntimeError("database gone")

    with pytest.raises(RuntimeError):
        cache.get("bad", broken)
    assert cache.get("bad", lambda: 42) == 42  # tried again, not the failure
    cache.clear()
    assert len(cache) == 0


def test_the_key_is_the_database_never_the_demo_for_a_real_target(monkeypatch, tmp_path):
    monkeypatch.delenv("MIRTA_DB_URL", raising=False)
    copy = tmp_path / "copy.sqlite"
    shutil.copy(ensure_demo().db_path, copy)
    cache = RunCache()

    def where() -> str:
        return open_database().description

    with sharing(cache):
        with demo_scope(True):  # a replay node
            demo = shared_read("where", (), where)
            assert database_key()[0] == "demo"
        with demo_scope(False):  # a real node, nothing configured: not the demo's answer
            assert database_key() is None
            with pytest.raises(NoDatabaseConfigured, match="no database configured"):
                shared_read("where", (), where)
        monkeypatch.setenv("MIRTA_DB_URL", f"sqlite:///{copy}")
        with demo_scope(True):  # a configured URL wins over the demo rule, as open_database
            real = shared_read("where", (), where)
    assert "copy.sqlite" in real and "copy.sqlite" not in demo
    assert cache.computed == 2
    calls = []
    shared_read("where", (), lambda: calls.append(1))  # outside a run: no sharing
    shared_read("where", (), lambda: calls.append(1))
    assert calls == [1, 1]


INVENTORY = """\
all:
  children:
    g:
      roles: [pbx]
      hosts:
        a: {address: 'replay:srv01'}
        b: {address: 'replay:srv01'}
        here: {address: local}
"""


def _run(monkeypatch, share: bool):
    caches: list[RunCache] = []

    class Recorded(RunCache):
        def __init__(self) -> None:
            super().__init__()
            caches.append(self)

    monkeypatch.setattr(fleet_run, "RunCache", Recorded)
    if not share:
        monkeypatch.setattr(fleet_run, "sharing", lambda _cache: sharing(None))
    run = fleet_run.run_fleet(parse_inventory(INVENTORY), [7, 14, 35], forks=2, run="r")
    return run, caches[0]


def test_a_fleet_run_shares_database_reads_with_the_same_results(monkeypatch):
    monkeypatch.delenv("MIRTA_DB_URL", raising=False)
    shared, cache = _run(monkeypatch, share=True)
    alone, unused = _run(monkeypatch, share=False)
    assert {**shared.to_dict(), "started": ""} == {**alone.to_dict(), "started": ""}
    # coverage (pages 07 and 14 ask the same), settings, node table: once for both demo nodes
    assert cache.computed == 3 and cache.served >= 5 and unused.computed == 0
    assert len(cache) == 0, "the run's values were not released"
    a, here = shared.nodes[0], shared.nodes[2]
    assert "transcripts present" in a.cell(7).checks[-1].reason
    for page in (7, 14):  # the local node never gets the demo's figures
        reasons = [c.reason for c in here.cell(page).checks if c.state != "ok"]
        assert any(r.startswith(NO_DATABASE) for r in reasons), reasons
