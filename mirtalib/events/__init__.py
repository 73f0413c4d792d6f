"""Extension event logs, state timelines, stuck-state findings and three-way reconciliation.

* :mod:`~mirtalib.events.eventlog`: MiRTA's "Log Extension Events" table (``ee_extensionevents``);
* :mod:`~mirtalib.events.sources`: AMI event captures and Asterisk ``full`` logs;
* :mod:`~mirtalib.events.timeline`: per-extension state intervals, time in state, the plot;
* :mod:`~mirtalib.events.calls`: what the CDRs say each extension was doing;
* :mod:`~mirtalib.events.findings`: stuck, phantom INUSE and the reverse, flapping, node moves,
  gaps in the log, each with its evidence rows; :mod:`~mirtalib.events.focus` for one report;
* :mod:`~mirtalib.events.collect` and :mod:`~mirtalib.events.reconcile`: st_states vs custom
  device state vs queue member status, and which stage of the chain a disagreement points at.
"""

from mirtalib.events.calls import extension_activity
from mirtalib.events.eventlog import load_event_log
from mirtalib.events.findings import Findings, find_all
from mirtalib.events.focus import Focus, focus
from mirtalib.events.model import EVENT_COLUMNS, EventLoad
from mirtalib.events.reconcile import reconcile
from mirtalib.events.sources import load_log_files, read_ami_capture, read_full_log
from mirtalib.events.timeline import build_timeline, clip, plot_timeline, time_in_state

__all__ = [
    "EVENT_COLUMNS",
    "EventLoad",
    "Findings",
    "Focus",
    "build_timeline",
    "clip",
    "extension_activity",
    "find_all",
    "focus",
    "load_event_log",
    "load_log_files",
    "plot_timeline",
    "read_ami_capture",
    "read_full_log",
    "reconcile",
    "time_in_state",
]
