"""Reads shared by the nodes of one run: what a page computes from the MiRTA database once.

Every node of a fleet run reads the same database (``MIRTA_DB_URL``; the demo on ``replay:``
nodes), so a page that loads the period's CDRs or recordings computes the same answer on each
node. Inside :func:`sharing` (one :class:`RunCache` per run, entered in every worker thread),
:func:`shared_read` computes such an answer once and hands the same object to every node asking
for it; outside, it just computes. The key is the database's identity (:func:`database_key`:
the URL without password, ``demo`` only inside a demo scope, the schema map and time zone) plus
the read's name and arguments: the demo's rows, read for a replay node, are never the answer for
a real node's, and with no database configured nothing is cached (the read raises
:class:`~mirtalib.data.db.NoDatabaseConfigured` as before). A failed read is not kept (the next
node tries again). Values handed out are shared: callers must not change them.

>>> cache = RunCache()
>>> with sharing(cache):   # in each worker thread of the run
...     result = shared_read("coverage", (start, end), lambda: run_coverage(start, end))
>>> cache.clear()          # at the end of the run
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from mirtalib.data.db import database_source
from mirtalib.settings import Settings

T = TypeVar("T")

_CACHE: ContextVar[RunCache | None] = ContextVar("mirta_run_cache", default=None)


class _Entry:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.failed = False
        self.value: Any = None


class RunCache:
    """Values computed once per key for the duration of one run (thread-safe: a second thread
    asking for a key being computed waits for it instead of computing it again)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[Hashable, _Entry] = {}
        self.computed = 0  # how many values were computed (tests and benchmarks)
        self.served = 0  # how many times a computed value was handed out again

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The value of ``key``, computed by ``compute()`` the first time."""
        while True:
            with self._lock:
                entry = self._entries.get(key)
                owner = entry is None
                if owner:
                    entry = self._entries[key] = _Entry()
            assert entry is not None
            if owner:
                try:
                    value = compute()
                except BaseException:
                    with self._lock:
                        self._entries.pop(key, None)
                    entry.failed = True
                    entry.done.set()
                    raise
                entry.value = value
                with self._lock:
                    self.computed += 1
                entry.done.set()
                return value
            entry.done.wait()
            if not entry.failed:
                with self._lock:
                    self.served += 1
                return entry.value
            # the computing thread failed: try again (this thread may compute it now)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def clear(self) -> None:
        """Let go of every value (the end of the run)."""
        with self._lock:
            self._entries.clear()


@contextmanager
def sharing(cache: RunCache | None) -> Iterator[None]:
    """Inside, :func:`shared_read` uses ``cache`` (None: no sharing). Per thread (a context
    variable): enter it in each worker thread of the run."""
    token = _CACHE.set(cache)
    try:
        yield
    finally:
        _CACHE.reset(token)


def database_key(settings: Settings | None = None) -> tuple[str, ...] | None:
    """The identity of the database :func:`mirtalib.data.db.open_database` would read now: its
    URL without password (``demo`` only when the demo is selected), the schema map and the time
    zone; None when no database is configured."""
    settings = settings or Settings.load()
    source = database_source(settings)
    if not source:
        return None
    return (source, str(settings.schema_map or ""), settings.timezone)


def shared_read(name: str, args: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
    """``compute()``, computed once per run, database and ``(name, args)`` inside
    :func:`sharing`; ``args`` must hold everything besides the database that the value
    depends on. Without a run cache, or with no database configured, ``compute()`` itself."""
    cache = _CACHE.get()
    if cache is None:
        return compute()
    db = database_key()
    if db is None:
        return compute()  # raises NoDatabaseConfigured: nothing to share
    return cache.get((db, name, args), compute)
