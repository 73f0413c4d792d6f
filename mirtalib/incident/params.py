"""The parameters of an incident view, checked before anything is read."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from mirtalib.cdr.load import normalize_tenants
from mirtalib.errors import ParameterError
from mirtalib.events.eventlog import check_extensions
from mirtalib.validate import hostname, iso_date

NONE = "-"
"""A source parameter set to this is not read (one line in the report says so)."""
_NUMBER = re.compile(r"^\+?[0-9*#]{2,32}$")
_QUEUE = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")
MAX_WINDOW_MIN = 24 * 60


@dataclass
class IncidentParams:
    """What the operator knows about the complaint, and where the sources are.

    Attributes:
        at: the moment of the complaint (ISO, PBX-local: ``2026-10-14 10:42``).
        window_minutes: minutes before and after ``at`` that are searched.
        complaint: the complaint in words (read for its symptoms, :mod:`mirtalib.incident.rank`).
        tenants: ``all`` or tenant codes (comma-separated).
        extension: the extension concerned (``100-DEVEL``), or "".
        number: a caller or dialed number, or "".
        queue: a queue name (``500-DEVEL``), or "".
        node: the node concerned (``srv01``); "" = the node(s) of the calls found.
        source: CDR source as in the CDR report ("" = MIRTA_DB_URL; ``env:NAME``; Master.csv).
        columns: cdr_custom field order (files only), as in the CDR report.
        logs_dir: folder of ``<node>/ami-events*.txt`` and ``<node>/full`` ("" = the demo's with
            the demo, else none; ``-`` = none).
        recordings_dir: recordings folder ("" = the demo's with the demo, else the metadata table
            only; ``-`` = no recording audit).
        vmware_dir: VMware / guest exports folder ("" = the demo's with the demo, else none).
        node_vms: ``NODE:VM`` pairs where the VMs are not named after the nodes.
        queue_log: ``queue_log`` files/glob ("" = the database's ``queue_log`` table; ``-`` = none).
        targets: runbook targets for registrations and the state copies now (``replay:srv01``,
            ``ssh://root@pbx1``); "" = none.
        timezone: the PBX's time zone.
        stuck_slack_min, min_inuse_s: thresholds of the events findings.
        context_hours: how far before the window events and calls are read (a state stuck since
            the morning is found from its start).
    """

    at: str = ""
    window_minutes: float = 30.0
    complaint: str = ""
    tenants: str = "all"
    extension: str = ""
    number: str = ""
    queue: str = ""
    node: str = ""
    source: str = ""
    columns: str = ""
    logs_dir: str = ""
    recordings_dir: str = ""
    vmware_dir: str = ""
    node_vms: str = ""
    queue_log: str = ""
    targets: str = ""
    timezone: str = "Europe/Rome"
    stuck_slack_min: float = 10.0
    min_inuse_s: float = 60.0
    context_hours: float = 12.0

    def moment(self) -> pd.Timestamp:
        """``at`` as a timestamp (ParameterError when it is not an ISO date and time)."""
        if not str(self.at).strip():
            raise ParameterError("at: give the moment of the complaint, e.g. '2026-10-14 10:42'")
        return pd.Timestamp(iso_date(self.at, "at"))

    def window(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """``[at - window, at + window]``."""
        half = pd.Timedelta(minutes=float(self.window_minutes))
        at = self.moment()
        return at - half, at + half

    def check(self) -> None:
        """Raise ParameterError naming the first parameter that is wrong."""
        self.moment()
        if not 0 < float(self.window_minutes) <= MAX_WINDOW_MIN:
            raise ParameterError(
                f"window_minutes={self.window_minutes!r}: minutes before and after 'at', "
                f"more than 0 and at most {MAX_WINDOW_MIN}"
            )
        normalize_tenants(self.tenants)
        if self.extension:
            names = check_extensions(self.extension) or []
            if len(names) != 1:
                raise ParameterError("extension: give one extension name like '100-DEVEL'")
        if self.number and not _NUMBER.match(self.number.strip()):
            raise ParameterError(f"number={self.number!r}: digits (a leading + allowed)")
        if self.queue and not _QUEUE.match(self.queue.strip()):
            raise ParameterError(f"queue={self.queue!r} is not a queue name like '500-DEVEL'")
        if self.node:
            hostname(self.node, "node")
        self.vm_of()
        for name in ("stuck_slack_min", "min_inuse_s", "context_hours"):
            if not float(getattr(self, name)) > 0:
                raise ParameterError(f"{name}={getattr(self, name)!r}: must be above 0")

    def vm_of(self) -> dict[str, str]:
        """``node_vms`` as node -> VM name."""
        out = {}
        for pair in [p.strip() for p in self.node_vms.split(",") if p.strip()]:
            node, sep, vm = pair.replace("=", ":").partition(":")
            if not sep or not node.strip() or not vm.strip():
                raise ParameterError(f"node_vms: {pair!r} is not NODE:VM (e.g. srv01:pbx-a)")
            out[hostname(node.strip(), "node_vms")] = vm.strip()
        return out

    def digits(self) -> str:
        """The number's digits (no ``+``)."""
        return re.sub(r"\D", "", self.number or "")
