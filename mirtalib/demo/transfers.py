"""Transferred and parked calls of the demo PBX (the legs Asterisk writes for them).

Blind transfer: the bridge A-B ends when the transfer is made; the transferee then dials C in a new
leg (party A = the transferee's channel). Attended transfer: the transferer puts the call on hold,
calls C on a second channel (the consultation leg), then completes: the bridge with the transferee
ends and a new leg transferee-C starts, answered at once. ``prevuniqueid`` of the legs after the
first names the uniqueid of the first leg.
"""

from __future__ import annotations

import numpy as np

from mirtalib.demo.calls import (
    ANSWERED,
    EXT,
    NOANSWER,
    S_A,
    S_B,
    S_C,
    S_CONSULT,
    TRUNK,
    Batch,
    CallGenerator,
    _ring,
    _talk,
)


def _phones_did(gen: CallGenerator) -> np.ndarray:
    d = gen.w.dids
    target = d.target.to_numpy()
    ok = (d.dtype == "ext").to_numpy() & np.isin(target, np.flatnonzero(gen.w.ext.phone))
    return np.flatnonzero(ok)


def transfer(
    gen: CallGenerator,
    b: Batch,
    rng: np.random.Generator,
    call: np.ndarray,
    t0: np.ndarray,
    tenant: np.ndarray,
    mode: str,
) -> np.ndarray:
    """Transferred calls; ``mode`` is transfer_by_caller, transfer_by_called or inbound_transfer.

    Returns the tenant of each call (inbound calls take the tenant of their DID).
    """
    n = len(call)
    attended = rng.random(n) < 0.4
    if mode == "inbound_transfer":
        cand = _phones_did(gen)
        di = cand[rng.integers(0, len(cand), n)]
        d = gen.w.dids
        tenant = d.tidx.to_numpy()[di]
        did = d.di_number.to_numpy(dtype=object)[di]
        b_ext = d.target.to_numpy()[di]
        caller = gen.w.callers.dialed.to_numpy(dtype=object)[
            rng.choice(len(gen.w.callers), n, p=gen.w.callers_p)
        ]
        a_src, a_clid = caller, np.array([f'"{c}" <{c}>' for c in caller], dtype=object)
        a_name = np.full(n, "", dtype=object)
        b.party(call, S_A, TRUNK, tenant, tenant)
        ctx, uf, first_dst = "fromoutside", "IN", did
    else:
        a_ext = gen._pick_phone(rng, tenant)
        b_ext = gen._pick_other(rng, tenant, a_ext, "phones")
        did = np.full(n, "", dtype=object)
        a_src, a_clid, a_name = gen.number[a_ext], gen.clid[a_ext], gen.name[a_ext]
        b.party(call, S_A, EXT, a_ext, tenant)
        ctx, uf, first_dst = "authentica", "LOCAL", gen.number[b_ext]
    c_ext = gen._pick_other(rng, tenant, b_ext, "phones")
    if mode != "inbound_transfer":  # C must differ from A as well
        clash = c_ext == a_ext
        c_ext[clash] = gen._pick_other(rng, tenant[clash], b_ext[clash], "phones")
        c_ext[c_ext == a_ext] = b_ext[c_ext == a_ext]  # tiny tenants: fall back to B (rare)
    b.party(call, S_B, EXT, b_ext, tenant)
    b.party(call, S_C, EXT, c_ext, tenant)
    # the transferer dials C on a second channel in attended transfers
    transferer = a_ext if mode == "transfer_by_caller" else b_ext
    b.party(call[attended], S_CONSULT, EXT, transferer[attended], tenant[attended])

    ans1 = t0 + _ring(rng, n)
    t2 = ans1 + _talk(rng, n, 70.0)  # transfer begins
    kind = mode
    common = dict(
        userfield=uf,
        realsrc=a_src,
        firstdst=first_dst,
        pool=0,
        pidx=-1,
        call_kind=kind,
        did=did,
        transfer=np.where(attended, "attended", "blind"),
    )
    # consultation (attended only): answered, 10-60 s, then the transfer completes
    cons_ans = t2 + _ring(rng, n)
    t3 = np.where(attended, cons_ans + rng.integers(10, 61, n), t2)
    b.leg(
        call,
        a=S_A,
        b=S_B,
        start=t0,
        answer=ans1,
        end=t3,
        disp=ANSWERED,
        src=a_src,
        dst=first_dst,
        clid=a_clid,
        dcontext=ctx,
        lastapp="Dial",
        lastdata=gen.dial[b_ext] + ",30,tT",
        lastdst=gen.number[b_ext],
        wherelanded=gen.name[b_ext],
        prev=-1,
        from_ext=a_name,
        to_ext=gen.name[b_ext],
        lno=0,
        **common,
    )
    att = np.flatnonzero(attended)
    sub = {k: (v[att] if isinstance(v, np.ndarray) else v) for k, v in common.items()}
    b.leg(
        call[att],
        a=S_CONSULT,
        b=S_C,
        start=t2[att],
        answer=cons_ans[att],
        end=t3[att],
        disp=ANSWERED,
        src=gen.number[transferer[att]],
        dst=gen.number[c_ext[att]],
        clid=gen.clid[transferer[att]],
        dcontext="authentica",
        lastapp="Dial",
        lastdata=gen.dial[c_ext[att]] + ",30,tT",
        lastdst=gen.number[c_ext[att]],
        wherelanded=gen.name[c_ext[att]],
        prev=S_A,
        from_ext=gen.name[transferer[att]],
        to_ext=gen.name[c_ext[att]],
        lno=1,
        **sub,
    )
    # the transferee's leg to C: party A is the transferee (the older channel)
    transferee_slot = S_B if mode == "transfer_by_caller" else S_A
    if mode == "transfer_by_caller":
        t_src, t_clid, t_name = gen.number[b_ext], gen.clid[b_ext], gen.name[b_ext]
    else:
        t_src, t_clid, t_name = a_src, a_clid, a_name
    c_answered = attended | (rng.random(n) < 0.85)
    c_ans = np.where(attended, t3, t3 + _ring(rng, n))
    end = np.where(c_answered, c_ans + _talk(rng, n, 120.0), t3 + rng.integers(5, 31, n))
    b.leg(
        call,
        a=transferee_slot,
        b=S_C,
        start=t3,
        answer=np.where(c_answered, c_ans, -1),
        end=end,
        disp=np.where(c_answered, ANSWERED, NOANSWER),
        src=t_src,
        dst=gen.number[c_ext],
        clid=t_clid,
        dcontext="authentica",
        lastapp="Dial",
        lastdata=gen.dial[c_ext] + ",30,tT",
        lastdst=gen.number[c_ext],
        wherelanded=np.where(c_answered, gen.name[c_ext], ""),
        prev=S_A,
        from_ext=t_name,
        to_ext=gen.name[c_ext],
        lno=2,
        **common,
    )
    return tenant


def parked(
    gen: CallGenerator,
    b: Batch,
    rng: np.random.Generator,
    call: np.ndarray,
    t0: np.ndarray,
    lots: dict[int, int],
) -> np.ndarray:
    """Inbound call answered by A, parked (blind transfer to a lot), retrieved by colleague C."""
    n = len(call)
    cand = _phones_did(gen)
    d = gen.w.dids
    di = cand[rng.integers(0, len(cand), n)]
    tenant = d.tidx.to_numpy()[di]
    did = d.di_number.to_numpy(dtype=object)[di]
    a_ext = d.target.to_numpy()[di]
    c_ext = gen._pick_other(rng, tenant, a_ext, "phones")
    caller = gen.w.callers.dialed.to_numpy(dtype=object)[
        rng.choice(len(gen.w.callers), n, p=gen.w.callers_p)
    ]
    clid = np.array([f'"{c}" <{c}>' for c in caller], dtype=object)
    lot = np.array(
        [str(lots[t] + 1 + k) for t, k in zip(tenant, rng.integers(0, 4, n), strict=True)],
        dtype=object,
    )
    b.party(call, S_A, TRUNK, tenant, tenant)
    b.party(call, S_B, EXT, a_ext, tenant)
    b.party(call, S_C, EXT, c_ext, tenant)
    ans1 = t0 + _ring(rng, n)
    t2 = ans1 + _talk(rng, n, 40.0)
    t5 = t2 + rng.integers(8, 120, n)  # retrieved
    common = dict(
        src=caller,
        clid=clid,
        userfield="IN",
        realsrc=caller,
        firstdst=did,
        pool=0,
        pidx=-1,
        call_kind="parked",
        did=did,
        transfer="blind",
    )
    b.leg(
        call,
        a=S_A,
        b=S_B,
        start=t0,
        answer=ans1,
        end=t2,
        disp=ANSWERED,
        dst=did,
        dcontext="fromoutside",
        lastapp="Dial",
        lastdata=gen.dial[a_ext] + ",30,tT",
        lastdst=gen.number[a_ext],
        wherelanded=gen.name[a_ext],
        prev=-1,
        from_ext="",
        to_ext=gen.name[a_ext],
        lno=0,
        **common,
    )
    b.leg(
        call,
        a=S_A,
        b=-1,
        start=t2,
        answer=t2,
        end=t5,
        disp=ANSWERED,
        dst=lot,
        dcontext="parkedcalls",
        lastapp="Park",
        lastdata=lot,
        lastdst=lot,
        wherelanded=lot,
        prev=S_A,
        from_ext="",
        to_ext="",
        lno=1,
        **common,
    )
    common.update(src=gen.number[c_ext], clid=gen.clid[c_ext])
    b.leg(
        call,
        a=S_C,
        b=S_A,
        start=t5 - 2,
        answer=t5,
        end=t5 + _talk(rng, n, 150.0),
        disp=ANSWERED,
        dst=lot,
        dcontext="authentica",
        lastapp="ParkedCall",
        lastdata=lot,
        lastdst=lot,
        wherelanded=gen.name[c_ext],
        prev=S_A,
        from_ext=gen.name[c_ext],
        to_ext="",
        lno=2,
        **common,
    )
    return tenant
