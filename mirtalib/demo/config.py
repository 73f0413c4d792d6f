"""The configuration of the demo PBX: nodes, tenants, extensions, DIDs, queues, ring groups ...

The configuration is fixed (it does not depend on the seed) so that notebooks and documentation can
name its parts (``100-DEVEL``, the queue ``500-ACME`` ...); only the calls depend on the seed.
Four tenants on two nodes: DEVEL (the development tenant, srv01), ACME (split over both nodes, as
the clustering runbook says is possible but not advisable), ROSSI and VERDI (srv02).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mirtalib.data.schema import (
    RECORDING_NO,
    RECORDING_YES,
    RECORDING_YES_STOP_CALLED,
    RECORDING_YES_STOP_CALLER,
)
from mirtalib.demo.model import (
    DID_COLUMNS,
    EXTENSION_COLUMNS,
    NODE_COLUMNS,
    PARKING_LOT_COLUMNS,
    QUEUE_COLUMNS,
    QUEUE_MEMBER_COLUMNS,
    RING_GROUP_COLUMNS,
    TENANT_COLUMNS,
)

NODES = [
    (1, "srv01", "10.20.0.11", "srv01.pbx.example.net"),
    (2, "srv02", "10.20.0.12", "srv02.pbx.example.net"),
]

# code, name, number of extensions, node of each extension ('' = split), share of the calls,
# provider channel prefix of the tenant's outside legs
TENANTS = [
    ("DEVEL", "Development lab", 10, "srv01", 0.06, "SIP/trunk-eutelia"),
    ("ACME", "Acme Forniture Industriali S.r.l.", 24, "", 0.46, "PJSIP/provider-messagenet"),
    ("ROSSI", "Studio Legale Rossi", 14, "srv02", 0.22, "PJSIP/provider-messagenet"),
    ("VERDI", "Verdi Logistica S.p.A.", 12, "srv02", 0.26, "SIP/trunk-eutelia"),
]
# The node the provider of each tenant is registered on (inbound calls arrive there).
TRUNK_NODE = {"DEVEL": "srv01", "ACME": "srv01", "ROSSI": "srv02", "VERDI": "srv02"}

_FIRST = [
    "Marco",
    "Giulia",
    "Luca",
    "Francesca",
    "Andrea",
    "Chiara",
    "Matteo",
    "Sara",
    "Paolo",
    "Elena",
    "Davide",
    "Laura",
    "Simone",
    "Anna",
    "Stefano",
    "Marta",
    "Giorgio",
    "Silvia",
    "Roberto",
    "Valentina",
    "Fabio",
    "Alessia",
    "Nicola",
    "Federica",
]
_LAST = [
    "Bianchi",
    "Romano",
    "Colombo",
    "Ricci",
    "Marino",
    "Greco",
    "Bruno",
    "Gallo",
    "Conti",
    "De Luca",
    "Mancini",
    "Costa",
    "Giordano",
    "Rizzo",
    "Lombardi",
    "Moretti",
    "Barbieri",
    "Fontana",
    "Santoro",
    "Mariani",
    "Rinaldi",
    "Caruso",
    "Ferrara",
    "Galli",
    "Martini",
]

# number -> (tech, name) overrides: the non-phone extensions of each tenant
_SPECIAL = {
    ("DEVEL", 105): ("CUSTOM", "Follow-me to mobile"),
    ("DEVEL", 106): ("VIRTUAL", "Voicemail box"),
    ("ACME", 120): ("CUSTOM", "Night service mobile"),
    ("ACME", 121): ("VIRTUAL", "Orders voicemail"),
    ("ACME", 122): ("VIRTUAL", "Fax to mail"),
    ("ROSSI", 112): ("CUSTOM", "Avv. Rossi mobile"),
    ("ROSSI", 113): ("SIP", "Branch office PBX"),  # a trunk extension (ex_trunk = 1)
    ("VERDI", 111): ("VIRTUAL", "Warehouse voicemail"),
}
_TRUNK_EXTENSIONS = {("ROSSI", 113)}
# fixed recording policy of the extensions the recording runbook's table talks about (A and B)
_FIXED_POLICY = {
    ("DEVEL", 100): RECORDING_YES_STOP_CALLER,
    ("DEVEL", 101): RECORDING_YES_STOP_CALLER,
}

# tenant, DID (E.164 without +), destination, recording, stereo, transcript
DIDS = [
    ("DEVEL", "390571000100", "100-DEVEL", RECORDING_YES_STOP_CALLED, 1, 1),
    ("DEVEL", "390571000101", "QUEUE/500-DEVEL", RECORDING_YES, 0, 0),
    ("ACME", "390287650000", "QUEUE/500-ACME", RECORDING_YES, 1, 1),
    ("ACME", "390287650001", "QUEUE/501-ACME", RECORDING_YES_STOP_CALLED, 1, 0),
    ("ACME", "390287650002", "RINGGROUP/600-ACME", RECORDING_NO, 0, 0),
    ("ACME", "390287650010", "100-ACME", RECORDING_NO, 0, 0),
    ("ROSSI", "390669990000", "RINGGROUP/600-ROSSI", RECORDING_YES, 0, 1),
    ("ROSSI", "390669990001", "101-ROSSI", RECORDING_YES_STOP_CALLER, 0, 0),
    ("ROSSI", "390669990002", "QUEUE/500-ROSSI", RECORDING_NO, 0, 0),
    ("VERDI", "390114440000", "QUEUE/500-VERDI", RECORDING_YES, 1, 1),
    ("VERDI", "390114440001", "104-VERDI", RECORDING_NO, 0, 0),
    ("VERDI", "390114440002", "111-VERDI", RECORDING_NO, 0, 0),
]
# tenant, number, name, strategy, member extension numbers
QUEUES = [
    ("DEVEL", "500", "Test queue", "ringall", [101, 102, 103]),
    ("ACME", "500", "Sales", "ringall", [101, 102, 103, 104, 105, 106]),
    ("ACME", "501", "Support", "rrmemory", [110, 111, 112, 116, 117, 118]),
    ("ROSSI", "500", "Segreteria", "rrmemory", [100, 102, 103]),
    ("VERDI", "500", "Customer care", "ringall", [101, 102, 105, 106]),
]
RING_GROUPS = [
    ("ACME", "600", "Reception", "ringall", [100, 107, 108]),
    ("ROSSI", "600", "Front desk", "ringall", [100, 104, 105, 106]),
]


@dataclass(frozen=True)
class DemoConfig:
    """The configuration tables of the demo PBX (columns as in :mod:`mirtalib.demo.model`)."""

    nodes: pd.DataFrame
    tenants: pd.DataFrame
    extensions: pd.DataFrame
    dids: pd.DataFrame
    queues: pd.DataFrame
    queue_members: pd.DataFrame
    ring_groups: pd.DataFrame
    parking_lots: pd.DataFrame


def _extensions(tenants: pd.DataFrame) -> pd.DataFrame:
    pol_rng = np.random.default_rng(4242)  # fixed: the configuration does not depend on the seed
    policies = [RECORDING_NO, RECORDING_YES, RECORDING_YES_STOP_CALLER, RECORDING_YES_STOP_CALLED]
    rows = []
    ex_id = 0
    for te_id, code, _name, count, node, _share, _trunk in tenants.itertuples(index=False):
        for i in range(count):
            ex_id += 1
            number = 100 + i
            tech, label = _SPECIAL.get((code, number), ("PJSIP" if i % 3 != 1 else "SIP", ""))
            if not label:
                label = f"{_FIRST[(ex_id * 7) % len(_FIRST)]} {_LAST[(ex_id * 11) % len(_LAST)]}"
            policy = _FIXED_POLICY.get(
                (code, number), policies[pol_rng.choice(4, p=[0.4, 0.25, 0.2, 0.15])]
            )
            if tech == "VIRTUAL":
                policy = RECORDING_NO
            recorded = policy != RECORDING_NO
            stereo = int(recorded and pol_rng.random() < 0.5)
            transcript = int(recorded and pol_rng.random() < 0.45)
            ex_node = node or ("srv01" if i < count * 2 // 3 else "srv02")
            rows.append(
                (
                    ex_id,
                    te_id,
                    str(number),
                    label,
                    tech,
                    int((code, number) in _TRUNK_EXTENSIONS),
                    policy,
                    stereo,
                    transcript,
                    code,
                    f"{number}-{code}",
                    ex_node,
                )
            )
    return pd.DataFrame(rows, columns=list(EXTENSION_COLUMNS))


def build_config() -> DemoConfig:
    """Return the fixed configuration of the demo PBX."""
    nodes = pd.DataFrame(NODES, columns=list(NODE_COLUMNS))
    tenants_full = pd.DataFrame(
        [(i + 1, *t[:4], t[5]) for i, t in enumerate(TENANTS)],
        columns=["te_id", "te_code", "te_name", "count", "node", "trunk"],
    )
    tenants_full.insert(5, "share", [t[4] for t in TENANTS])
    extensions = _extensions(tenants_full)
    te_id = dict(zip(tenants_full.te_code, tenants_full.te_id, strict=True))
    dids = pd.DataFrame(
        [
            (i + 1, te_id[t], num, dest, rec, st, tr, t)
            for i, (t, num, dest, rec, st, tr) in enumerate(DIDS)
        ],
        columns=list(DID_COLUMNS),
    )
    ex_id = dict(zip(extensions.name, extensions.ex_id, strict=True))
    queues = pd.DataFrame(
        [
            (i + 1, te_id[t], num, name, strat, t, f"{num}-{t}")
            for i, (t, num, name, strat, _m) in enumerate(QUEUES)
        ],
        columns=list(QUEUE_COLUMNS),
    )
    members = [
        (qu_id, ex_id[f"{m}-{t}"], f"{num}-{t}", f"{m}-{t}")
        for qu_id, (t, num, _n, _s, ms) in enumerate(QUEUES, start=1)
        for m in ms
    ]
    queue_members = pd.DataFrame(
        [(i + 1, *m) for i, m in enumerate(members)], columns=list(QUEUE_MEMBER_COLUMNS)
    )
    ring_groups = pd.DataFrame(
        [
            (i + 1, te_id[t], num, name, strat, t, f"{num}-{t}", ",".join(f"{m}-{t}" for m in ms))
            for i, (t, num, name, strat, ms) in enumerate(RING_GROUPS)
        ],
        columns=list(RING_GROUP_COLUMNS),
    )
    parking = pd.DataFrame(
        [
            (
                i + 1,
                te_id[t],
                "default",
                "800" if t == "DEVEL" else "700",
                "820" if t == "DEVEL" else "720",
                t,
            )
            for i, t in enumerate(te_id)
        ],
        columns=list(PARKING_LOT_COLUMNS),
    )
    return DemoConfig(
        nodes=nodes,
        tenants=tenants_full[list(TENANT_COLUMNS)].copy(),
        extensions=extensions,
        dids=dids,
        queues=queues,
        queue_members=queue_members,
        ring_groups=ring_groups,
        parking_lots=parking,
    )


def tenant_table(config: DemoConfig) -> pd.DataFrame:
    """Tenants with the generator's extras: share of the calls, provider channel, trunk node."""
    out = config.tenants.copy()
    out["share"] = [t[4] for t in TENANTS]
    out["provider"] = [t[5] for t in TENANTS]
    out["trunk_node"] = [TRUNK_NODE[t[0]] for t in TENANTS]
    return out
