"""Hand-made CDR legs shaped like Asterisk writes them, and the settings of the page-14 example."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

LEG_DEFAULTS = {
    "duration": 0,
    "billsec": 0,
    "disposition": "ANSWERED",
    "accountcode": "DEVEL",
    "src": "",
    "dst": "",
    "dcontext": "",
    "clid": "",
    "channel": "",
    "dstchannel": "",
    "lastapp": "Dial",
    "lastdata": "",
    "uniqueid": "",
    "userfield": "",
    "peeraccount": "",
    "linkedid": "",
    "realsrc": "",
    "firstdst": "",
    "lastdst": "",
    "wherelanded": "",
    "prevuniqueid": "",
    "cc_country": "",
    "cc_network": "",
}
T0 = datetime(2026, 10, 5, 9, 0, 0)


def leg(
    start_s: int,
    billsec: int,
    channel: str,
    dstchannel: str,
    uniqueid: str,
    linkedid: str,
    src: str = "",
    dst: str = "",
    seq: int = 1,
    **kw,
) -> dict:
    """One CDR leg starting ``start_s`` seconds after T0, answered after 5 s ring."""
    row = dict(LEG_DEFAULTS)
    start = T0 + timedelta(seconds=start_s)
    answer = start + timedelta(seconds=5) if billsec else pd.NaT
    end = (answer + timedelta(seconds=billsec)) if billsec else start + timedelta(seconds=20)
    row.update(
        start=start,
        answer=answer,
        end=end,
        billsec=billsec,
        duration=int((end - start).total_seconds()),
        channel=channel,
        dstchannel=dstchannel,
        uniqueid=uniqueid,
        linkedid=linkedid,
        src=src,
        dst=dst,
        sequence=seq,
        disposition="ANSWERED" if billsec else "NO ANSWER",
    )
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


def extensions(
    policy: str = "YES_STOP_CALLER", stereo: int = 0, transcript: int = 0, **overrides: str
) -> pd.DataFrame:
    """A=100, B=101, C=102 of tenant DEVEL with ``policy``, and the trunk provider1."""
    rows = []
    for ex_id, number in ((1, "100"), (2, "101"), (3, "102")):
        name = f"{number}-DEVEL"
        rows.append(
            {
                "ex_id": ex_id,
                "ex_te_id": 1,
                "ex_number": number,
                "ex_name": name,
                "ex_trunk": 0,
                "ex_recording": overrides.get(name, policy),
                "ex_recording_stereo": stereo,
                "ex_transcript": transcript,
                "te_code": "DEVEL",
                "name": name,
            }
        )
    rows.append(
        {
            "ex_id": 9,
            "ex_te_id": 1,
            "ex_number": "provider1",
            "ex_name": "trunk",
            "ex_trunk": 1,
            "ex_recording": "NO",
            "ex_recording_stereo": 0,
            "ex_transcript": 0,
            "te_code": "DEVEL",
            "name": "provider1",
        }
    )
    return pd.DataFrame(rows)


def dids(policy: str = "YES_STOP_CALLED", stereo: int = 0, transcript: int = 0) -> pd.DataFrame:
    """The DID 0612345678 of DEVEL, landing on A."""
    return pd.DataFrame(
        [
            {
                "di_id": 1,
                "di_te_id": 1,
                "di_number": "+39" + DID,
                "di_destination": "100-DEVEL",
                "di_recording": policy,
                "di_recording_stereo": stereo,
                "di_transcript": transcript,
                "te_code": "DEVEL",
            }
        ]
    )


# -- a small synthetic PBX for the demo plug-in and the end-to-end audit ---------------------------
SYN_EXT = {  # name: (ex_id, policy, stereo, transcript)
    "100-DEVEL": (1, "YES_STOP_CALLER", 1, 1),
    "101-DEVEL": (2, "YES_STOP_CALLER", 0, 0),
    "102-DEVEL": (3, "NO", 0, 0),
    "103-DEVEL": (4, "YES", 1, 0),
    "104-DEVEL": (5, "NO", 0, 0),
    "100-ACME": (6, "YES", 0, 1),
    "101-ACME": (7, "NO", 0, 0),
    "102-ACME": (8, "YES_STOP_CALLED", 1, 1),
}
SYN_DIDS = {
    "DEVEL": ("390571000100", "100-DEVEL", "YES_STOP_CALLED", 1, 1),
    "ACME": ("390287650010", "100-ACME", "NO", 0, 0),
}
SCENARIOS = (
    "internal",
    "transfer_by_caller",
    "transfer_by_called",
    "inbound",
    "inbound_transfer",
    "outbound",
)


def synthetic_model(n_calls: int = 240, seed: int = 7):
    """A DemoModel with ``n_calls`` calls of the six scenarios over ten days, two tenants."""
    import numpy as np

    from mirtalib.cdr.legs import normalize
    from mirtalib.demo.model import DemoModel

    rng = np.random.default_rng(seed)
    tenants = pd.DataFrame(
        [(1, "DEVEL", "Devel"), (2, "ACME", "Acme")], columns=["te_id", "te_code", "te_name"]
    )
    ext_rows = [
        {
            "ex_id": i,
            "ex_te_id": 1 if n.endswith("DEVEL") else 2,
            "ex_number": n.split("-")[0],
            "ex_name": n,
            "ex_tech": "PJSIP",
            "ex_trunk": 0,
            "ex_recording": p,
            "ex_recording_stereo": s,
            "ex_transcript": t,
            "te_code": n.split("-")[1],
            "name": n,
            "node": "srv01",
        }
        for n, (i, p, s, t) in SYN_EXT.items()
    ]
    exts = pd.DataFrame(ext_rows)
    dids_df = pd.DataFrame(
        [
            {
                "di_id": k + 1,
                "di_te_id": k + 1,
                "di_number": num,
                "di_destination": dest,
                "di_recording": p,
                "di_recording_stereo": s,
                "di_transcript": t,
                "te_code": te,
            }
            for k, (te, (num, dest, p, s, t)) in enumerate(SYN_DIDS.items())
        ]
    )
    rows, counter = [], [0]

    def chan(name):
        counter[0] += 1
        return f"PJSIP/{name}-{counter[0]:08x}"

    for k in range(n_calls):
        tenant = "DEVEL" if k % 3 else "ACME"
        names = [n for n in SYN_EXT if n.endswith(tenant)]
        a, b, c = rng.choice(names, 3, replace=False)
        t0 = (k * 7919) % (10 * 86400)
        kind = SCENARIOS[k % len(SCENARIOS)]
        ring = k % 7 == 0
        uid = [f"srv01-{1790000000 + k}.{j}" for j in range(4)]
        did, trunk = SYN_DIDS[tenant][0], f"PJSIP/provider-{counter[0] + 1:08x}"
        base = {
            "accountcode": tenant,
            "tenant": tenant,
            "node": "srv01",
            "call_kind": kind,
            "did": "",
        }
        A, B, C = chan(a), chan(b), chan(c)
        num = {x: x.split("-")[0] for x in (a, b, c)}
        if kind in ("inbound", "inbound_transfer"):
            a_ext = SYN_DIDS[tenant][1]
            b = c if a_ext == b else b
            A_in = chan(a_ext)
            base["did"] = did
            first = leg(
                t0,
                0 if ring else 60,
                trunk,
                A_in,
                uid[0],
                uid[0],
                "3331234",
                did,
                **base,
                from_ext="",
                to_ext=a_ext,
                firstdst=did,
            )
            rows.append(first)
            if kind == "inbound_transfer" and not ring:
                rows.append(
                    leg(
                        t0 + 66,
                        45,
                        trunk,
                        B,
                        uid[0],
                        uid[0],
                        "3331234",
                        num[b],
                        seq=2,
                        **base,
                        from_ext="",
                        to_ext=b,
                    )
                )
            continue
        if kind == "outbound":
            rows.append(
                leg(
                    t0,
                    0 if ring else 80,
                    A,
                    trunk,
                    uid[0],
                    uid[0],
                    num[a],
                    "0612345",
                    **base,
                    from_ext=a,
                    to_ext="",
                )
            )
            continue
        rows.append(
            leg(
                t0,
                0 if ring else 60,
                A,
                B,
                uid[0],
                uid[0],
                num[a],
                num[b],
                **base,
                from_ext=a,
                to_ext=b,
            )
        )
        if ring:
            continue
        if kind == "transfer_by_caller":
            rows.append(
                leg(
                    t0 + 66,
                    90,
                    B,
                    C,
                    uid[1],
                    uid[0],
                    num[b],
                    num[c],
                    seq=2,
                    **base,
                    from_ext=b,
                    to_ext=c,
                )
            )
        elif kind == "transfer_by_called":
            rows.append(
                leg(
                    t0 + 66,
                    90,
                    A,
                    C,
                    uid[0],
                    uid[0],
                    num[a],
                    num[c],
                    seq=2,
                    **base,
                    from_ext=a,
                    to_ext=c,
                )
            )
    legs = frame(*rows)
    annotations = legs[["tenant", "node", "call_kind", "from_ext", "to_ext", "did"]]
    legs = pd.concat([normalize(legs), annotations], axis=1)
    legs["start"] = legs["start"] + pd.Timedelta(days=0)
    legs = legs.sort_values(["start", "uniqueid"], kind="stable").reset_index(drop=True)
    empty = pd.DataFrame()
    return DemoModel(
        seed=seed,
        nodes=empty,
        tenants=tenants,
        extensions=exts,
        dids=dids_df,
        queues=empty,
        queue_members=empty,
        parking_lots=empty,
        legs=legs,
        n_calls=n_calls,
        n_legs=len(legs),
    )


def build_synthetic(root, n_calls: int = 240):
    """Write the synthetic PBX (SQLite + recordings tree via the demo plug-in) under ``root``."""
    import numpy as np
    from sqlalchemy import create_engine, insert

    from mirtalib.cdr.dbwrite import write_legs
    from mirtalib.data.schema import Schema
    from mirtalib.demo import recordings
    from mirtalib.demo.paths import DemoPaths

    paths = DemoPaths(root)
    root.mkdir(parents=True, exist_ok=True)
    model = synthetic_model(n_calls)
    schema = Schema()
    engine = create_engine(paths.db_url)
    schema.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(schema.table("te_tenants")), model.tenants.to_dict("records"))
        cols = [c for c in model.extensions if c in schema.table("ex_extensions").c]
        conn.execute(
            insert(schema.table("ex_extensions")), model.extensions[cols].to_dict("records")
        )
        cols = [c for c in model.dids if c in schema.table("di_dids").c]
        conn.execute(insert(schema.table("di_dids")), model.dids[cols].to_dict("records"))
        write_legs(conn, schema, model.legs)
        recordings.generate(model, np.random.default_rng([1, 1]), paths, conn, schema)
    engine.dispose()
    return paths, model
