"""The incident view: one complaint, every source around it, findings ranked.

"100-DEVEL could not take calls yesterday around 10:40, and the call we had was choppy": from the
moment, a window around it and any of extension / number / queue / node,
:func:`~mirtalib.incident.report.investigate` gathers through the library that owns each source
(:mod:`~mirtalib.incident.sources`): the calls and legs (:mod:`mirtalib.cdr`), the extension's
state timeline and events findings (:mod:`mirtalib.events`), the recording coverage audit
(:mod:`mirtalib.recording`), queue calls and events (:mod:`mirtalib.queues`), the node's CPU
(:mod:`mirtalib.vmware`: page 17's load rule, page 40's ready / co-stop, steal) and, with runbook
targets, the phone's registrations and page 11's state copies now. Findings are ranked by how
well they explain the complaint (:mod:`~mirtalib.incident.rank`); a source that is absent is one
line saying what would have been checked. :func:`~mirtalib.incident.plot.plot_incident` draws the
one timeline chart.
"""

from mirtalib.incident.params import IncidentParams
from mirtalib.incident.plot import plot_incident
from mirtalib.incident.rank import SYMPTOMS, rank, symptoms_of
from mirtalib.incident.report import Incident, incident_summary, investigate

__all__ = [
    "SYMPTOMS",
    "Incident",
    "IncidentParams",
    "incident_summary",
    "investigate",
    "plot_incident",
    "rank",
    "symptoms_of",
]
