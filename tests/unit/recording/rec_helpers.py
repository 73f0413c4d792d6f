"""Hand-made CDR legs shaped like Asterisk writes them, and the settings of the page-14 example."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from mirtalib.recording.policy import PolicyBook

LEG_DEFAULTS = {
    "duration": 0, "billsec": 0, "disposition": "ANSWERED", "accountcode": "DEVEL", "src": "",
    "dst": "", "dcontext": "", "clid": "", "channel": "", "dstchannel": "", "lastapp": "Dial",
    "lastdata": "", "uniqueid": "", "userfield": "", "peeraccount": "", "linkedid": "",
    "realsrc": "", "firstdst": "", "lastdst": "", "wherelanded": "", "prevuniqueid": "",
    "cc_country": "", "cc_network": "",
}
T0 = datetime(2026, 10, 5, 9, 0, 0)


def leg(start_s: int, billsec: int, channel: str, dstchannel: str, uniqueid: str, linkedid: str,
        src: str = "", dst: str = "", seq: int = 1, **kw) -> dict:
    """One CDR leg starting ``start_s`` seconds after T0, answered after 5 s ring."""
    row = dict(LEG_DEFAULTS)
    start = T0 + timedelta(seconds=start_s)
    answer = start + timedelta(seconds=5) if billsec else pd.NaT
    end = (answer + timedelta(seconds=billsec)) if billsec else start + timedelta(seconds=20)
    row.update(start=start, answer=answer, end=end, billsec=billsec,
               duration=int((end - start).total_seconds()), channel=channel,
               dstchannel=dstchannel, uniqueid=uniqueid, linkedid=linkedid, src=src, dst=dst,
               sequence=seq, disposition="ANSWERED" if billsec else "NO ANSWER")
    row.update(kw)
    return row


def frame(*rows: dict) -> pd.DataFrame:
    """Legs DataFrame with the normalized column types."""
    df = pd.DataFrame(list(rows))
    for col in ("start", "answer", "end"):
        df[col] = pd.to_datetime(df[col])
    df["billsec"] = df["billsec"].astype("int64")
    df["sequence"] = df["sequence"].astype("Int64")
    return df


A = "PJSIP/100-DEVEL-00000001"
B = "PJSIP/101-DEVEL-00000002"
C = "PJSIP/102-DEVEL-00000003"
A2 = "PJSIP/100-DEVEL-00000004"
B2 = "PJSIP/101-DEVEL-00000005"
TRUNK = "PJSIP/provider1-00000010"
DID = "0612345678"


def extensions(policy: str = "YES_STOP_CALLER", stereo: int = 0, transcript: int = 0,
               **overrides: str) -> pd.DataFrame:
    """A=100, B=101, C=102 of tenant DEVEL with ``policy``, and the trunk provider1."""
    rows = []
    for ex_id, number in ((1, "100"), (2, "101"), (3, "102")):
        name = f"{number}-DEVEL"
        rows.append({"ex_id": ex_id, "ex_te_id": 1, "ex_number": number, "ex_name": name,
                     "ex_trunk": 0, "ex_recording": overrides.get(name, policy),
                     "ex_recording_stereo": stereo, "ex_transcript": transcript,
                     "te_code": "DEVEL", "name": name})
    rows.append({"ex_id": 9, "ex_te_id": 1, "ex_number": "provider1", "ex_name": "trunk",
                 "ex_trunk": 1, "ex_recording": "NO", "ex_recording_stereo": 0,
                 "ex_transcript": 0, "te_code": "DEVEL", "name": "provider1"})
    return pd.DataFrame(rows)


def dids(policy: str = "YES_STOP_CALLED", stereo: int = 0, transcript: int = 0) -> pd.DataFrame:
    """The DID 0612345678 of DEVEL, landing on A."""
    return pd.DataFrame([{"di_id": 1, "di_te_id": 1, "di_number": "+39" + DID,
                          "di_destination": "100-DEVEL", "di_recording": policy,
                          "di_recording_stereo": stereo, "di_transcript": transcript,
                          "te_code": "DEVEL"}])

