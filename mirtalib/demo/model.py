"""The in-memory description of the demo PBX, handed to the demo plug-ins.

:func:`mirtalib.demo.build.build_demo` writes the core of the demo PBX (tenants, nodes, extensions,
DIDs, queues, members, parking lots and the CDR) and then calls each plug-in module
(``mirtalib.demo.recordings``, ``mirtalib.demo.events``, ``mirtalib.demo.vmware``) as::

    generate(model: DemoModel, rng: numpy.random.Generator, paths: DemoPaths,
             conn: sqlalchemy.Connection, schema: mirtalib.data.schema.Schema) -> None

Every table of the model is a pandas DataFrame whose columns are listed in the ``*_COLUMNS``
constants below (so that a plug-in can be built and tested against hand-made frames of the same
shape). Times are naive Europe/Rome local times, as MiRTA writes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

PERIOD_START = datetime(2026, 10, 1)
PERIOD_END = datetime(2026, 11, 1)
TIMEZONE = "Europe/Rome"

NODE_COLUMNS = ("no_id", "no_name", "no_ip", "no_fqdn")
TENANT_COLUMNS = ("te_id", "te_code", "te_name")
EXTENSION_COLUMNS = (
    "ex_id",
    "ex_te_id",
    "ex_number",
    "ex_name",
    "ex_tech",
    "ex_trunk",
    "ex_recording",
    "ex_recording_stereo",
    "ex_transcript",
    "te_code",
    "name",  # Asterisk user name: '100-DEVEL'
    "node",  # node the phone registers to at the start of the period: 'srv01'
)
DID_COLUMNS = (
    "di_id",
    "di_te_id",
    "di_number",
    "di_destination",  # extension name ('100-DEVEL') or queue ('QUEUE/500-ACME')
    "di_recording",
    "di_recording_stereo",
    "di_transcript",
    "te_code",
)
QUEUE_COLUMNS = ("qu_id", "qu_te_id", "qu_number", "qu_name", "qu_strategy", "te_code", "name")
QUEUE_MEMBER_COLUMNS = ("qm_id", "qm_qu_id", "qm_ex_id", "queue", "extension")
PARKING_LOT_COLUMNS = ("pk_id", "pk_te_id", "pk_name", "pk_start", "pk_end", "te_code")
# Ring groups (MiRTA hunt lists; not written to the database): members = comma-separated names.
RING_GROUP_COLUMNS = (
    "rg_id",
    "rg_te_id",
    "rg_number",
    "rg_name",
    "rg_strategy",
    "te_code",
    "name",
    "members",
)

# The normalized legs columns of docs/ARCHITECTURE.md, in order.
LEG_COLUMNS = (
    "start",
    "answer",
    "end",
    "duration",
    "billsec",
    "disposition",
    "accountcode",
    "src",
    "dst",
    "dcontext",
    "clid",
    "channel",
    "dstchannel",
    "lastapp",
    "lastdata",
    "uniqueid",
    "userfield",
    "peeraccount",
    "linkedid",
    "amaflags",
    "sequence",
    "realsrc",
    "firstdst",
    "lastdst",
    "wherelanded",
    "prevuniqueid",
    "cc_country",
    "cc_network",
    "cc_cost",
    "cc_buy",
    "source_line",
)
# Annotation columns the generator adds to every leg (ground truth for plug-ins and tests).
# ``transfer`` is '', 'blind' or 'attended' (the kind of transfer of the call the leg belongs to).
LEG_ANNOTATIONS = ("tenant", "node", "call_kind", "from_ext", "to_ext", "did", "transfer")

CALL_KINDS = (
    "internal",
    "outbound",
    "inbound",
    "queue",
    "ringgroup",
    "transfer_by_caller",
    "transfer_by_called",
    "inbound_transfer",
    "parked",
)


@dataclass
class DemoModel:
    """The demo PBX as generated (the rows written to the database, as DataFrames).

    Attributes:
        seed: the seed the demo was generated with.
        period_start: first instant of the period (naive Europe/Rome local time).
        period_end: end of the period (exclusive).
        scale: multiplier of the number of calls (1.0 = about 20,000 calls).
        nodes, tenants, extensions, dids, queues, queue_members, parking_lots, ring_groups: the
            configuration tables, columns as in the ``*_COLUMNS`` constants of this module.
        legs: the CDR legs in the normalized legs format plus :data:`LEG_ANNOTATIONS`, in the
            order of their real start instant (the local ``start`` goes back one hour at the
            end of daylight saving time, 2026-10-25 03:00), the same order as the ``cdr`` rows
            and Master.csv lines. At large scale (``legs_complete`` False) it holds only the
            first chunk of calls, since the whole CDR does not fit in memory.
        legs_complete: True when ``legs`` holds every CDR row written.
        n_calls: number of calls (linkedid groups) written.
        n_legs: number of CDR rows written.
    """

    seed: int
    nodes: pd.DataFrame
    tenants: pd.DataFrame
    extensions: pd.DataFrame
    dids: pd.DataFrame
    queues: pd.DataFrame
    queue_members: pd.DataFrame
    parking_lots: pd.DataFrame
    legs: pd.DataFrame
    period_start: datetime = PERIOD_START
    period_end: datetime = PERIOD_END
    scale: float = 1.0
    legs_complete: bool = True
    n_calls: int = 0
    n_legs: int = 0
    ring_groups: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(RING_GROUP_COLUMNS))
    )
    extras: dict[str, object] = field(default_factory=dict)

    def extension(self, name: str) -> pd.Series:
        """The extension row named ``name`` (e.g. ``'100-DEVEL'``); KeyError when unknown."""
        rows = self.extensions[self.extensions["name"] == name]
        if rows.empty:
            raise KeyError(name)
        return rows.iloc[0]
