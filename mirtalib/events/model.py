"""The tidy extension-events frame shared by every event source, and its rejects.

Whatever the source (MiRTA's "Log Extension Events" table, an AMI event capture, Asterisk's ``full``
log), events become one frame with :data:`EVENT_COLUMNS`:

``time``        naive PBX-local ``datetime64[ns]``
``extension``   MiRTA extension name (``100-DEVEL``)
``tenant``      tenant code (the suffix of the extension name)
``state``       normalized device state (:data:`mirtalib.asterisk.states.DEVICE_STATES`)
``event``       what the source called it (``DeviceStateChange``, ``Newstate``, the log's event)
``uniqueid``    call uniqueid when the source gives one, else ""
``node``        node that emitted the event (``srv01``), "" when unknown
``source``      ``eventlog``, ``ami:<file>``, ``full:<file>``
``kind``        ``custom`` (MiRTA's custom device state), ``device`` (Asterisk's own device state
                of the phone) or ``channel`` (derived from channel events)
``ref``         where the row came from (table id or file line), for evidence
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

EVENT_COLUMNS = (
    "time",
    "extension",
    "tenant",
    "state",
    "event",
    "uniqueid",
    "node",
    "source",
    "kind",
    "ref",
)
REJECT_COLUMNS = ("source", "ref", "reason", "raw")
RAW_LIMIT = 300

#: States in which an extension cannot take another call (MiRTA's "INUSE" side).
BUSY_STATES = frozenset({"INUSE", "BUSY", "RINGINUSE", "ONHOLD"})
#: States shown as "ringing".
RINGING_STATES = frozenset({"RINGING"})
#: States meaning free ("NOT INUSE").
IDLE_STATES = frozenset({"NOT_INUSE"})


def empty_events() -> pd.DataFrame:
    """An empty events frame with the right dtypes."""
    frame = pd.DataFrame({c: pd.Series(dtype="str") for c in EVENT_COLUMNS})
    frame["time"] = pd.Series(dtype="datetime64[ns]")
    return frame


def empty_rejects() -> pd.DataFrame:
    """An empty rejects frame."""
    return pd.DataFrame({c: pd.Series(dtype="str") for c in REJECT_COLUMNS})


def make_events(rows: list[dict] | pd.DataFrame) -> pd.DataFrame:
    """Build an events frame from row dicts or a frame (missing columns: ""), sorted by time."""
    if len(rows) == 0:
        return empty_events()
    frame = rows.copy() if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
    for col in EVENT_COLUMNS:
        if col not in frame:
            frame[col] = ""
    frame = frame[list(EVENT_COLUMNS)]
    frame["time"] = pd.to_datetime(frame["time"]).astype("datetime64[ns]")
    for col in EVENT_COLUMNS[1:]:
        frame[col] = frame[col].fillna("").astype("str")
    return frame.sort_values(["time", "extension"], kind="stable", ignore_index=True)


def make_rejects(rows: list[dict]) -> pd.DataFrame:
    """Build a rejects frame (raw trimmed to :data:`RAW_LIMIT` characters)."""
    if not rows:
        return empty_rejects()
    frame = pd.DataFrame(rows, columns=list(REJECT_COLUMNS)).fillna("").astype("str")
    frame["raw"] = frame["raw"].str.slice(0, RAW_LIMIT)
    return frame


@dataclass
class EventLoad:
    """Events read from one or more sources.

    Attributes:
        events: the tidy events frame (:data:`EVENT_COLUMNS`), sorted by time.
        rejects: rows or lines that could not be used: ``source, ref, reason, raw``.
        sources: a short description of each source read (never a password).
        skipped: lines read but not about extension state (e.g. other ``full`` log lines).
    """

    events: pd.DataFrame = field(default_factory=empty_events)
    rejects: pd.DataFrame = field(default_factory=empty_rejects)
    sources: list[str] = field(default_factory=list)
    skipped: int = 0

    def reject_counts(self) -> pd.DataFrame:
        """Rejects per source and reason (columns ``source, reason, rows``)."""
        if self.rejects.empty:
            return pd.DataFrame(
                {
                    "source": pd.Series(dtype="str"),
                    "reason": pd.Series(dtype="str"),
                    "rows": pd.Series(dtype="int64"),
                }
            )
        out = self.rejects.groupby(["source", "reason"]).size().rename("rows").reset_index()
        return out.sort_values(
            ["rows", "source", "reason"], ascending=[False, True, True], ignore_index=True
        )

    def __add__(self, other: EventLoad) -> EventLoad:
        events = pd.concat([self.events, other.events], ignore_index=True)
        events = events.sort_values(
            ["time", "extension", "source"], kind="stable", ignore_index=True
        )
        rejects = pd.concat([self.rejects, other.rejects], ignore_index=True)
        return EventLoad(
            events, rejects, self.sources + other.sources, self.skipped + other.skipped
        )
