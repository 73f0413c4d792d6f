"""CDR analytics: readers (:func:`load_legs`), calls (:func:`to_calls`) and metrics (:func:`kpis`).

>>> from mirtalib.cdr import load_legs, to_calls, kpis
>>> load = load_legs()                      # the configured database, else the demo PBX
>>> calls = to_calls(load.legs)             # one row per call (linkedid), no double counting
>>> kpis(calls, by=["tenant"])              # attempts, answered, ASR, ACD, NER, minutes
"""

from mirtalib.cdr.legs import LEG_COLUMNS, LegLoad
from mirtalib.cdr.load import load_legs

__all__ = ["LEG_COLUMNS", "LegLoad", "load_legs"]
