"""Queues and ring groups of the demo PBX: one CDR leg per member rung.

A ringall queue or ring group rings every member at once: all legs start with the call, the member
who answers has the ANSWERED leg and the others' legs end at that moment (NO ANSWER). An rrmemory
queue rings one member at a time, 15 seconds each, starting after the last member who answered.
All the legs are the caller's view (party A = the caller's channel), so they share its uniqueid
and differ by ``sequence``; queue members are reached through
``Local/AG-000-NF-<ex_id>@fromotherpbx`` channels, ring-group members directly.
"""

from __future__ import annotations

import numpy as np

from mirtalib.demo.calls import (
    ANSWERED,
    EXT,
    LOCAL,
    NOANSWER,
    S_A,
    S_MEMBER0,
    TRUNK,
    Batch,
    CallGenerator,
    _ring,
    _talk,
)


def fanout(
    gen: CallGenerator,
    b: Batch,
    rng: np.random.Generator,
    call: np.ndarray,
    t0: np.ndarray,
    ringgroup: bool,
) -> np.ndarray:
    """An outside caller reaches a queue or ring group: one leg per member rung."""
    di, tenant, did, caller, clid = gen._inbound_common(
        rng, call, "ringgroup" if ringgroup else "queue"
    )
    grp = gen.w.dids.target.to_numpy()[di]
    b.party(call, S_A, TRUNK, tenant, tenant)
    members = gen.w.rg_members if ringgroup else gen.w.queue_members
    for g in np.unique(grp):
        sel = np.flatnonzero(grp == g)
        mem = members[g]
        strategy = "ringall" if ringgroup else gen.w.queue_strategy[g]
        number = gen.w.rg_number[g] if ringgroup else gen.w.queue_number[g]
        _fanout_group(
            gen,
            b,
            rng,
            call[sel],
            tenant[sel],
            t0[sel],
            mem,
            strategy,
            number,
            ringgroup,
            did[sel],
            caller[sel],
            clid[sel],
            g,
        )
    return tenant


def _fanout_group(
    gen: CallGenerator,
    b,
    rng: np.random.Generator,
    call: np.ndarray,
    tenant: np.ndarray,
    t0: np.ndarray,
    mem: np.ndarray,
    strategy,
    number,
    ringgroup,
    did: np.ndarray,
    caller: np.ndarray,
    clid: np.ndarray,
    g,
):
    n, m = len(call), len(mem)
    answered = rng.random(n) < (0.8 if ringgroup else 0.86)
    wait = np.where(
        answered,
        _ring(rng, n) + (0 if ringgroup else rng.integers(0, 40, n)),
        rng.integers(5, 90, n),
    )
    talk = _talk(rng, n, 90.0 if ringgroup else 210.0)
    if strategy == "ringall":
        k = np.full(n, m)
        first = np.zeros(n, dtype=np.int64)
        winner = rng.integers(0, m, n)
    else:  # rrmemory: 15 s per member, one after the other
        k = np.minimum(wait // 15 + 1, m)
        first = rng.integers(0, m, n)
        winner = (first + k - 1) % m
    rep = np.repeat(np.arange(n), k)
    j = np.arange(len(rep)) - np.repeat(np.cumsum(k) - k, k)  # attempt number in the call
    member_pos = (first[rep] + j) % m
    ext = mem[member_pos]
    ct, ten = call[rep], tenant[rep]
    if strategy == "ringall":
        start = t0[rep]
        win = answered[rep] & (member_pos == winner[rep])
        stop = t0[rep] + wait[rep]
    else:
        start = t0[rep] + 15 * j
        win = answered[rep] & (j == k[rep] - 1)
        stop = np.minimum(start + 15, t0[rep] + wait[rep])
    answer = np.where(win, t0[rep] + wait[rep], -1)
    end = np.where(win, answer + talk[rep], stop)
    slot = S_MEMBER0 + j
    for jj in np.unique(j):
        s = j == jj
        b.party(ct[s], int(S_MEMBER0 + jj), EXT if ringgroup else LOCAL, ext[s], ten[s])
    if ringgroup:
        lastapp, lastdata = "Dial", "&".join(gen.dial[mem]) + ",25,tT"
    else:
        lastapp, lastdata = "Queue", f"{gen.w.queue_name[g]},tT,,,300"
    b.leg(
        ct,
        a=S_A,
        b=slot,
        start=start,
        answer=answer,
        end=end,
        disp=np.where(win, ANSWERED, NOANSWER),
        src=caller[rep],
        dst=did[rep],
        clid=clid[rep],
        dcontext="fromoutside",
        lastapp=lastapp,
        lastdata=lastdata,
        userfield="IN",
        realsrc=caller[rep],
        firstdst=did[rep],
        lastdst=number,
        wherelanded=np.where(win, gen.name[ext], ""),
        prev=-1,
        pool=0,
        pidx=-1,
        call_kind="ringgroup" if ringgroup else "queue",
        from_ext="",
        to_ext=gen.name[ext],
        did=did[rep],
        transfer="",
        lno=j,
    )
