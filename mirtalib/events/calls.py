"""What the CDRs say each extension was doing: the activity frame used to judge states.

From the normalized CDR legs (docs/ARCHITECTURE.md), every leg whose ``channel`` is an extension's
channel (``SIP/100-DEVEL-0000001a``) makes that extension busy from ``start`` to ``end`` (dialling,
then talking); every leg whose ``dstchannel`` is an extension's channel makes that extension ring
from ``start`` to ``answer`` and talk from ``answer`` to ``end``. Local channels and trunks are not
extensions.
"""

from __future__ import annotations

import logging
from datetime import datetime

import numpy as np
import pandas as pd

from mirtalib.asterisk.states import EXTENSION_RE

log = logging.getLogger(__name__)

ACTIVITY_COLUMNS = (
    "extension",
    "tenant",
    "role",
    "start",
    "answer",
    "end",
    "disposition",
    "uniqueid",
    "linkedid",
    "node",
)
_CHANNEL = r"^(?:PJSIP|SIP|IAX2)/" + EXTENSION_RE.pattern


def _ext(channel: pd.Series) -> pd.Series:
    return channel.fillna("").astype(str).str.extract(_CHANNEL)[0].fillna("").astype("str")


def _node(uniqueid: pd.Series) -> pd.Series:
    node = uniqueid.fillna("").astype(str).str.extract(r"^([A-Za-z][\w.]*?)-\d+\.\d+$")[0]
    return node.fillna("").astype("str")


def extension_activity(legs: pd.DataFrame) -> pd.DataFrame:
    """One row per (leg, extension involved): who was on which call, when.

    Args:
        legs: normalized CDR legs (a ``node`` annotation column is used when present, else the
            node prefix of ``uniqueid``).

    Returns:
        Frame of :data:`ACTIVITY_COLUMNS`; ``role`` is ``caller`` or ``callee``; ``answer`` is NaT
        for unanswered legs. Sorted by extension then start.
    """
    if legs.empty:
        return pd.DataFrame({c: pd.Series(dtype="str") for c in ACTIVITY_COLUMNS}).assign(
            start=pd.Series(dtype="datetime64[ns]"),
            answer=pd.Series(dtype="datetime64[ns]"),
            end=pd.Series(dtype="datetime64[ns]"),
        )
    node = legs["node"].astype(str) if "node" in legs else _node(legs["uniqueid"])
    parts = []
    for role, col in (("caller", "channel"), ("callee", "dstchannel")):
        ext = _ext(legs[col])
        hit = ext.ne("")
        parts.append(
            pd.DataFrame(
                {
                    "extension": ext[hit],
                    "role": role,
                    "start": legs.loc[hit, "start"],
                    "answer": legs.loc[hit, "answer"],
                    "end": legs.loc[hit, "end"],
                    "disposition": legs.loc[hit, "disposition"],
                    "uniqueid": legs.loc[hit, "uniqueid"],
                    "linkedid": legs.loc[hit, "linkedid"],
                    "node": node[hit],
                }
            )
        )
    act = pd.concat(parts, ignore_index=True)
    act = act.astype(
        {"start": "datetime64[ns]", "answer": "datetime64[ns]", "end": "datetime64[ns]"}
    )
    act["tenant"] = act["extension"].str.rsplit("-", n=1).str[-1]
    act = act[list(ACTIVITY_COLUMNS)]
    return act.sort_values(["extension", "start", "role"], kind="stable", ignore_index=True)


def covered_seconds(
    activity: pd.DataFrame, extension: str, start: datetime, end: datetime
) -> float:
    """Seconds of ``[start, end)`` during which the CDRs show ``extension`` on some call."""
    rows = activity[
        (activity["extension"] == extension) & (activity["end"] > start) & (activity["start"] < end)
    ]
    if rows.empty:
        return 0.0
    s = rows["start"].clip(lower=start).to_numpy()
    e = rows["end"].clip(upper=end).to_numpy()
    order = np.argsort(s)
    total, cur_s, cur_e = 0.0, s[order[0]], e[order[0]]
    for i in order[1:]:
        if s[i] <= cur_e:
            cur_e = max(cur_e, e[i])
        else:
            total += (cur_e - cur_s) / np.timedelta64(1, "s")
            cur_s, cur_e = s[i], e[i]
    total += (cur_e - cur_s) / np.timedelta64(1, "s")
    return float(total)


def calls_between(
    activity: pd.DataFrame, extension: str, start: datetime, end: datetime
) -> pd.DataFrame:
    """Activity rows of ``extension`` overlapping ``[start, end)``."""
    return activity[
        (activity["extension"] == extension) & (activity["end"] > start) & (activity["start"] < end)
    ].reset_index(drop=True)


def implied_events(activity: pd.DataFrame) -> pd.DataFrame:
    """The state changes the CDRs imply for each extension (what a perfect daemon would log).

    A caller leg is INUSE from start to end; a callee leg RINGING from start to answer (or end),
    then INUSE to end; overlapping legs combine (INUSE + RINGING = RINGINUSE). One row per
    (extension, instant) where something happened, with the state after it.

    Returns:
        Frame ``time, extension, state, event, uniqueid, node`` sorted by extension then time;
        ``event`` is ``Newchannel`` (a leg starts), ``Newstate`` (answer) or ``Hangup``.
    """
    a = activity
    caller = a["role"] == "caller"
    answered = a["answer"].notna()
    parts = [
        # (time, d_busy, d_ring, event, order within an instant)
        (a.loc[caller, "start"], 1, 0, "Newchannel", a[caller]),
        (a.loc[caller, "end"], -1, 0, "Hangup", a[caller]),
        (a.loc[~caller, "start"], 0, 1, "Newchannel", a[~caller]),
        (a.loc[~caller & answered, "answer"], 1, -1, "Newstate", a[~caller & answered]),
        (a.loc[~caller & answered, "end"], -1, 0, "Hangup", a[~caller & answered]),
        (a.loc[~caller & ~answered, "end"], 0, -1, "Hangup", a[~caller & ~answered]),
    ]
    frames = [
        pd.DataFrame(
            {
                "time": t.to_numpy(),
                "extension": rows["extension"].to_numpy(),
                "d_busy": db,
                "d_ring": dr,
                "event": ev,
                "uniqueid": rows["uniqueid"].to_numpy(),
                "node": rows["node"].to_numpy(),
            }
        )
        for t, db, dr, ev, rows in parts
    ]
    ch = pd.concat(frames, ignore_index=True).sort_values(["extension", "time"], kind="stable")
    busy = ch.groupby("extension")["d_busy"].cumsum()
    ring = ch.groupby("extension")["d_ring"].cumsum()
    state = np.select(
        [(busy > 0) & (ring > 0), busy > 0, ring > 0],
        ["RINGINUSE", "INUSE", "RINGING"],
        "NOT_INUSE",
    )
    ch = ch.assign(state=state)
    ch = ch[~ch.duplicated(["extension", "time"], keep="last")]
    return ch[["time", "extension", "state", "event", "uniqueid", "node"]].reset_index(drop=True)
