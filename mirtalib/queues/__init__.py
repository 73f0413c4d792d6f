"""Queue analytics from Asterisk's queue log: what a call-centre supervisor asks.

>>> from mirtalib.queues import load_queue_log, queue_calls, agent_sessions
>>> load = load_queue_log("/var/log/asterisk/queue_log")   # or a database with a queue_log table
>>> load.reject_counts()                 # unusable lines per reason (never dropped silently)
>>> calls = queue_calls(load.events)     # one row per call that entered a queue
>>> agents = agent_sessions(load.events) # logins, pauses with reason, occupancy

Modules: :mod:`~mirtalib.queues.reader` (file and table readers), :mod:`~mirtalib.queues.calls`
(calls and agent sessions), :mod:`~mirtalib.queues.stats` (figures per tenant, queue, day and
hour; agents; CDR cross-check), :mod:`~mirtalib.queues.report` (the notebook's report) and
:mod:`~mirtalib.queues.plots`. Not to be confused with :mod:`mirtalib.asterisk.queues`, the
parser of the ``queue show`` CLI output.
"""

from mirtalib.queues.calls import OUTCOMES, AgentSessions, agent_sessions, queue_calls
from mirtalib.queues.reader import EVENT_COLUMNS, QueueLogLoad, load_queue_log

__all__ = [
    "EVENT_COLUMNS",
    "OUTCOMES",
    "AgentSessions",
    "QueueLogLoad",
    "agent_sessions",
    "load_queue_log",
    "queue_calls",
]
