"""Three-way reconciliation of an extension's state: database, custom device state, queue member.

MiRTA's chain (seed page 11): the *event reader* daemon receives Asterisk events and passes them to
the *state daemon* (port 19771), which writes table ``st_states`` **and** sets the custom device
state ``Custom:<ext>``; Asterisk's queues follow the custom device state for member status, and BLF
hints watch it too. When copies disagree, where they disagree tells which link broke:

==========================================  ===================================================
what is seen                                stage the disagreement points at
==========================================  ===================================================
no DB row and no custom device state        event reader -> state daemon (nothing arrived)
DB row missing / custom state missing       state daemon -> DB / state daemon -> custom state
DB and custom device state differ           state daemon (it updated one copy, not the other)
queue member differs from the custom state  custom device state -> queue
hint differs from the custom state          custom device state -> hint (BLF)
all agree but Asterisk's live channels say  event reader (a call setup or hangup event was lost)
otherwise
==========================================  ===================================================
"""

from __future__ import annotations

import logging

import pandas as pd

from mirtalib.asterisk.states import normalize_state
from mirtalib.events.model import BUSY_STATES

log = logging.getLogger(__name__)

RESTART = (
    "enable Admin/Settings 'Log Extension Events' and 'Device state logging', then kill the "
    "event-reader and state daemons (they restart by themselves); note the server time to the "
    "second and the calls made just before, and recheck"
)
NEXT_STEPS = {
    "ok": "nothing to do",
    "event reader -> state daemon": RESTART,
    "state daemon -> DB": "the state daemon is not writing st_states: " + RESTART,
    "state daemon -> custom device state": (
        "the state daemon is not setting Custom device states in Asterisk: " + RESTART
    ),
    "state daemon": "the state daemon updated one copy and not the other: " + RESTART,
    "custom device state -> queue": (
        "Asterisk's queue does not follow the custom device state: check the member's state "
        "interface in 'queue show' (it must read 'from Custom:<ext>'); if it does, restart the two "
        "daemons as for the other stages"
    ),
    "custom device state -> hint": (
        "the hint watches another device: check 'core show hints' for the extension's "
        "Custom:<ext> device"
    ),
    "event reader": "a call event was lost before the state daemon: " + RESTART,
}
COLUMNS = (
    "extension",
    "node",
    "db_state",
    "db_updated",
    "custom_state",
    "queue_state",
    "queues",
    "queue_watches",
    "hint_state",
    "live_channels",
    "agree",
    "stage",
    "next_step",
)


def state_class(state: str) -> str:
    """Coarse class of a normalized state: idle, busy, ringing, unavailable, unknown, missing."""
    if not state:
        return "missing"
    if state == "NOT_INUSE":
        return "idle"
    if state in BUSY_STATES:
        return "busy"
    if state == "RINGING":
        return "ringing"
    if state in {"UNAVAILABLE", "INVALID"}:
        return "unavailable"
    return "unknown"


def _first(frame: pd.DataFrame, key: str, ext: str, col: str) -> str:
    if frame is None or frame.empty:
        return ""
    rows = frame[frame[key] == ext]
    return "" if rows.empty else str(rows[col].iloc[-1])


def _stage(db: str, custom: str, queue: list[tuple[str, str]], hint: str, live: int | None):
    cdb, ccu = state_class(db), state_class(custom)
    if cdb == "missing" and ccu == "missing":
        return "event reader -> state daemon"
    if cdb == "missing":
        return "state daemon -> DB"
    if ccu == "missing":
        return "state daemon -> custom device state"
    if cdb != ccu:
        return "state daemon"
    if any(state_class(s) != ccu for _, s in queue):
        return "custom device state -> queue"
    if hint and state_class(hint) != ccu:
        return "custom device state -> hint"
    if live is not None and (live > 0) != (ccu in {"busy", "ringing"}):
        return "event reader"
    return "ok"


def reconcile(
    extensions: list[str],
    db_states: pd.DataFrame,
    devstates: pd.DataFrame | None,
    queues: pd.DataFrame | None = None,
    hints: pd.DataFrame | None = None,
    channels: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per extension: the copies of its state, whether they agree, and what to do.

    Args:
        extensions: extension names to report (``100-DEVEL``).
        db_states: ``st_states`` rows with logical columns ``st_extension, st_state``
            (``st_lastupdate``, ``st_node`` used when present).
        devstates: :func:`mirtalib.asterisk.states.parse_devstate_list` output (None: not
            collected, every custom state counts as missing).
        queues: :func:`~mirtalib.asterisk.states.parse_queue_show` output (None: not collected).
        hints: :func:`~mirtalib.asterisk.states.parse_core_show_hints` output (None: skipped).
        channels: :func:`~mirtalib.asterisk.states.parse_channels_concise` output (None: skipped);
            it lets the table tell a lost hangup/setup event from a consistent state.

    Returns:
        Frame of :data:`COLUMNS`; states are normalized device-state names, '' when absent.
    """
    rows = []
    if devstates is None or devstates.empty:
        custom = pd.DataFrame(columns=["device", "extension", "devstate"])
    else:
        custom = devstates[devstates["device"].str.lower().str.startswith("custom:")]
    for ext in extensions:
        db_raw = _first(db_states, "st_extension", ext, "st_state")
        db = normalize_state(db_raw) if db_raw else ""
        cu = _first(custom, "extension", ext, "devstate")
        if queues is None or queues.empty:
            mine = pd.DataFrame(columns=["queue", "member_state", "state_interface"])
        else:
            mine = queues[queues["extension"] == ext]
        members = list(mine[["queue", "member_state"]].itertuples(index=False, name=None))
        watches = sorted(set(mine["state_interface"])) if len(mine) else []
        hint = _first(hints, "extension", ext, "hint_state") if hints is not None else ""
        live = None
        if channels is not None:
            live = int((channels["extension"] == ext).sum())
        stage = _stage(db, cu, members, hint, live)
        qstates = sorted({s for _, s in members})
        rows.append(
            {
                "extension": ext,
                "node": _first(db_states, "st_extension", ext, "st_node")
                if "st_node" in db_states
                else "",
                "db_state": db,
                "db_updated": _first(db_states, "st_extension", ext, "st_lastupdate")
                if "st_lastupdate" in db_states
                else "",
                "custom_state": cu,
                "queue_state": ", ".join(qstates),
                "queues": ", ".join(sorted({q for q, _ in members})),
                "queue_watches": ", ".join(watches),
                "hint_state": hint,
                "live_channels": "" if live is None else str(live),
                "agree": stage == "ok",
                "stage": stage,
                "next_step": NEXT_STEPS[stage],
            }
        )
    out = pd.DataFrame(rows, columns=list(COLUMNS))
    log.info("reconciled %d extensions, %d disagree", len(out), int((~out["agree"]).sum()))
    return out
