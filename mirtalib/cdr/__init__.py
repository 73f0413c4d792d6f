"""CDR analytics: readers, calls, KPIs, capacity, destinations, quality and toll-fraud findings.

>>> from mirtalib.cdr import load_legs, to_calls, kpis
>>> load = load_legs()                   # MIRTA_DB_URL, else the demo PBX; or Master.csv paths
>>> load.reject_counts()                 # unusable rows per reason (never dropped silently)
>>> calls = to_calls(load.legs)          # one row per call (linkedid): no double counting
>>> kpis(calls, by=["tenant"])           # attempts, answered, ASR, ACD, NER, minutes
>>> call_legs(load.legs, calls.call_id[0])   # drill-down to the legs of one call

Modules: :mod:`~mirtalib.cdr.legs` (the legs contract), :mod:`~mirtalib.cdr.mastercsv` and
:mod:`~mirtalib.cdr.dbsource` (readers), :mod:`~mirtalib.cdr.calls`, :mod:`~mirtalib.cdr.kpis`,
:mod:`~mirtalib.cdr.concurrency`, :mod:`~mirtalib.cdr.destinations`,
:mod:`~mirtalib.cdr.quality`, :mod:`~mirtalib.cdr.fraud`, :mod:`~mirtalib.cdr.export`,
:mod:`~mirtalib.cdr.engine` / :mod:`~mirtalib.cdr.cube` (the report's tables from one read
of the source, grouped in DuckDB) and :mod:`~mirtalib.cdr.report` (the notebook's report).
"""

from mirtalib.cdr.calls import call_legs, to_calls
from mirtalib.cdr.concurrency import concurrency
from mirtalib.cdr.kpis import disposition_mix, hour_of_week, kpis, volume
from mirtalib.cdr.legs import LEG_COLUMNS, LegLoad
from mirtalib.cdr.load import load_legs

__all__ = [
    "LEG_COLUMNS",
    "LegLoad",
    "call_legs",
    "concurrency",
    "disposition_mix",
    "hour_of_week",
    "kpis",
    "load_legs",
    "to_calls",
    "volume",
]
