"""Generate the CDR legs of one chunk of calls, vectorized per kind of call.

Each kind of call writes its legs the way Asterisk 12+ does (a CDR is party A's view of one path):

* internal / outbound / inbound: one leg (A -> B); CUSTOM extensions forward out on the trunk,
  VIRTUAL extensions answer with VoiceMail.
* queue and ringgroup: one leg per member rung (see :mod:`mirtalib.demo.fanout`).
* transfers (blind and attended), by the caller, by the called party, of an inbound call; parked
  calls retrieved by a colleague. Party A of the new bridge is the older channel, so e.g. after B
  transfers A to C the A-C leg has A's uniqueid again (with a new ``sequence``). The consultation
  leg of an attended transfer is given the call's linkedid as well, so that one linkedid = one call.

The raw legs carry *slots* (channel instances of the call) instead of channel names; see
:mod:`mirtalib.demo.legs` for turning them into the final rows.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from mirtalib.demo.world import World

ANSWERED, NOANSWER, BUSY, FAILED, CONGESTION = range(5)
DISPOSITION_NAMES = np.array(
    ["ANSWERED", "NO ANSWER", "BUSY", "FAILED", "CONGESTION"], dtype=object
)
# party types
EXT, TRUNK, LOCAL = 0, 1, 2
# slots (channel instances of a call)
S_A, S_B, S_C, S_CONSULT, S_MEMBER0 = 0, 1, 2, 3, 4
# call kinds (generation codes) and their share of the ordinary calls
KINDS = (
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
KIND_SHARE = np.array([0.20, 0.33, 0.215, 0.12, 0.05, 0.02, 0.025, 0.03, 0.01])
FRAUD = len(KINDS)  # code of the night-time toll-fraud calls (call_kind 'outbound')
FRAUD_LONG = FRAUD + 1  # a fraud call that lasts 100-140 minutes

_P_INTERNAL = [0.72, 0.17, 0.08, 0.03, 0.0]
_P_OUTBOUND = [0.62, 0.20, 0.09, 0.04, 0.05]
_P_INBOUND = [0.74, 0.20, 0.05, 0.01, 0.0]
_P_FRAUD = [0.45, 0.25, 0.0, 0.15, 0.15]


class Batch:
    """Column-wise accumulator of raw legs and parties (channel instances) of a chunk."""

    def __init__(self) -> None:
        self.legs: dict[str, list[np.ndarray]] = defaultdict(list)
        self.parties: dict[str, list[np.ndarray]] = defaultdict(list)

    @staticmethod
    def _arr(value, n: int) -> np.ndarray:
        if isinstance(value, np.ndarray):
            return value
        return np.full(n, value, dtype=object if isinstance(value, str) else np.int64)

    def party(self, call: np.ndarray, slot: int, ptype: int, ref, tenant: np.ndarray) -> None:
        """Declare channel instance ``slot`` of each call (ext index / tenant for trunks)."""
        n = len(call)
        for key, val in (
            ("call", call),
            ("slot", slot),
            ("ptype", ptype),
            ("ref", ref),
            ("tenant", tenant),
        ):
            self.parties[key].append(self._arr(val, n))

    def leg(self, call: np.ndarray, **cols) -> None:
        """Add one leg per element of ``call``; scalars are broadcast."""
        n = len(call)
        self.legs["call"].append(call)
        for key, val in cols.items():
            self.legs[key].append(self._arr(val, n))

    def columns(self) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Concatenate everything added."""
        legs = {k: np.concatenate(v) for k, v in self.legs.items()}
        parties = {k: np.concatenate(v) for k, v in self.parties.items()}
        return legs, parties


def _ring(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.clip(np.rint(rng.lognormal(np.log(7.0), 0.5, n)), 2, 28).astype(np.int64)


def _talk(rng: np.random.Generator, n: int, median: float) -> np.ndarray:
    return np.clip(np.rint(rng.lognormal(np.log(median), 1.0, n)), 3, 7200).astype(np.int64)


def _disp(rng: np.random.Generator, n: int, p: list[float]) -> np.ndarray:
    return rng.choice(5, size=n, p=p).astype(np.int64)


def _timing(
    rng: np.random.Generator, disp: np.ndarray, median: float
) -> tuple[np.ndarray, np.ndarray]:
    """Answer offset (-1 if none) and end offset of a dial with these dispositions."""
    n = len(disp)
    ring = _ring(rng, n)
    talk = _talk(rng, n, median)
    noans = rng.integers(5, 31, n)
    fast = rng.integers(0, 3, n)
    ans = np.where(disp == ANSWERED, ring, -1)
    end = np.select([disp == ANSWERED, disp == NOANSWER], [ring + talk, noans], fast)
    return ans, end


class CallGenerator:
    """Writes the raw legs of calls into a :class:`Batch` (one method per kind of call)."""

    def __init__(self, world: World) -> None:
        self.w = world
        ext = world.ext
        self.number = ext.ex_number.to_numpy(dtype=object)
        self.name = ext.name.to_numpy(dtype=object)
        self.tech = ext.ex_tech.to_numpy(dtype=object)
        self.ex_id = ext.ex_id.to_numpy()
        self.clid = np.array(
            [f'"{lab}" <{num}>' for lab, num in zip(ext.ex_name, self.number, strict=True)],
            dtype=object,
        )
        self.dial = np.array(
            [f"{t}/{n}" for t, n in zip(self.tech, self.name, strict=True)], dtype=object
        )
        self.provider = world.tenants.provider.to_numpy(dtype=object)
        self.te_code = world.tenants.te_code.to_numpy(dtype=object)

    # -- helpers ---------------------------------------------------------------------------
    def _out_dial(self, tenant: np.ndarray, number: np.ndarray) -> np.ndarray:
        prov = self.provider[tenant]
        return np.array(
            [
                f"{p}/{d},120,T"
                if p.startswith("SIP/")
                else f"PJSIP/{d}@{p.split('/', 1)[1]},120,T"
                for p, d in zip(prov, number, strict=True)
            ],
            dtype=object,
        )

    def _pick_phone(self, rng: np.random.Generator, tenant: np.ndarray) -> np.ndarray:
        out = np.empty(len(tenant), dtype=np.int64)
        for t in np.unique(tenant):
            sel = tenant == t
            out[sel] = rng.choice(
                self.w.phones_by_tenant[t], size=sel.sum(), p=self.w.phone_weights[t]
            )
        return out

    def _pick_other(
        self, rng: np.random.Generator, tenant: np.ndarray, avoid: np.ndarray, pool: str
    ) -> np.ndarray:
        """A random extension of the same tenant different from ``avoid``."""
        lists = self.w.targets_by_tenant if pool == "targets" else self.w.phones_by_tenant
        out = np.empty(len(tenant), dtype=np.int64)
        for t in np.unique(tenant):
            sel = np.flatnonzero(tenant == t)
            cand = lists[t]
            pick = cand[rng.integers(0, len(cand), len(sel))]
            clash = pick == avoid[sel]
            pick[clash] = cand[(np.searchsorted(cand, pick[clash]) + 1) % len(cand)]
            out[sel] = pick
        return out

    def _dial_ext(
        self,
        b: Batch,
        rng: np.random.Generator,
        call: np.ndarray,
        tenant: np.ndarray,
        t0: np.ndarray,
        target: np.ndarray,
        a_slot,
        src: np.ndarray,
        dst: np.ndarray,
        clid: np.ndarray,
        dcontext,
        userfield,
        p: list[float],
        median: float,
        kind,
        from_ext: np.ndarray,
        did: np.ndarray,
        realsrc: np.ndarray,
        firstdst: np.ndarray,
    ):
        """One Dial leg to extension ``target`` (phone, CUSTOM forward or VIRTUAL voicemail)."""
        n = len(call)
        tech = self.tech[target]
        disp = _disp(rng, n, p)
        is_vm = tech == "VIRTUAL"
        disp[is_vm] = ANSWERED
        ans, end = _timing(rng, disp, median)
        ans[is_vm] = np.minimum(ans[is_vm], 1)
        is_custom = tech == "CUSTOM"
        mobile = self.w.pool.dialed.to_numpy(dtype=object)[
            rng.choice(len(self.w.pool), n, p=self.w.pool_p)
        ]
        lastdata = np.where(
            is_vm,
            self.number[target] + "@" + self.te_code[tenant] + ",u",
            np.where(is_custom, self._out_dial(tenant, mobile), self.dial[target] + ",30,tT"),
        )
        b.party(
            call[~is_vm & ~is_custom],
            S_B,
            EXT,
            target[~is_vm & ~is_custom],
            tenant[~is_vm & ~is_custom],
        )
        b.party(call[is_custom], S_B, TRUNK, tenant[is_custom], tenant[is_custom])
        landed = np.where(disp == ANSWERED, self.name[target], "")
        b.leg(
            call,
            a=a_slot,
            b=np.where(is_vm, -1, S_B),
            start=t0,
            answer=np.where(ans >= 0, t0 + ans, -1),
            end=t0 + end,
            disp=disp,
            src=src,
            dst=dst,
            clid=clid,
            dcontext=dcontext,
            lastapp=np.where(is_vm, "VoiceMail", "Dial"),
            lastdata=lastdata,
            userfield=userfield,
            realsrc=realsrc,
            firstdst=firstdst,
            lastdst=self.number[target],
            wherelanded=landed,
            prev=-1,
            pool=0,
            pidx=-1,
            call_kind=kind,
            from_ext=from_ext,
            to_ext=self.name[target],
            did=did,
            transfer="",
            lno=0,
        )
        return disp, t0 + end

    # -- kinds -----------------------------------------------------------------------------
    def internal(
        self,
        b: Batch,
        rng: np.random.Generator,
        call: np.ndarray,
        tenant: np.ndarray,
        t0: np.ndarray,
    ) -> None:
        """A phone calls another extension of its tenant."""
        a = self._pick_phone(rng, tenant)
        target = self._pick_other(rng, tenant, a, "targets")
        b.party(call, S_A, EXT, a, tenant)
        self._dial_ext(
            b,
            rng,
            call,
            tenant,
            t0,
            target,
            S_A,
            self.number[a],
            self.number[target],
            self.clid[a],
            "authentica",
            "LOCAL",
            _P_INTERNAL,
            55.0,
            "internal",
            self.name[a],
            "",
            self.number[a],
            self.number[target],
        )

    def outbound(
        self,
        b: Batch,
        rng: np.random.Generator,
        call: np.ndarray,
        tenant: np.ndarray,
        t0: np.ndarray,
        fraud: np.ndarray | None = None,
    ) -> None:
        """A phone dials an outside number through its provider (toll fraud: ``fraud`` codes)."""
        n = len(call)
        pool = self.w.pool if fraud is None else self.w.fraud_pool
        if fraud is not None:
            a = np.full(n, self.w.fraud_ext, dtype=np.int64)
            pidx = rng.integers(0, len(pool), n)
            disp = _disp(rng, n, _P_FRAUD)
            long = fraud == FRAUD_LONG
            disp[long] = ANSWERED
            ans, end = _timing(rng, disp, 420.0)
            end[long] = ans[long] + rng.integers(6000, 8400, long.sum())
        else:
            a = self._pick_phone(rng, tenant)
            pidx = rng.choice(len(pool), n, p=self.w.pool_p)
            disp = _disp(rng, n, _P_OUTBOUND)
            ans, end = _timing(rng, disp, 110.0)
        dialed = pool.dialed.to_numpy(dtype=object)[pidx]
        b.party(call, S_A, EXT, a, tenant)
        b.party(call, S_B, TRUNK, tenant, tenant)
        b.leg(
            call,
            a=S_A,
            b=S_B,
            start=t0,
            answer=np.where(ans >= 0, t0 + ans, -1),
            end=t0 + end,
            disp=disp,
            src=self.number[a],
            dst=dialed,
            clid=self.clid[a],
            dcontext="authentica",
            lastapp="Dial",
            lastdata=self._out_dial(tenant, dialed),
            userfield="OUT",
            realsrc=self.number[a],
            firstdst=dialed,
            lastdst=dialed,
            wherelanded=np.where(disp == ANSWERED, dialed, ""),
            prev=-1,
            pool=1 if fraud is None else 2,
            pidx=pidx,
            call_kind="outbound",
            from_ext=self.name[a],
            to_ext="",
            did="",
            transfer="",
            lno=0,
        )

    def _inbound_common(self, rng: np.random.Generator, call: np.ndarray, dtype: str) -> tuple:
        """Pick a DID of the wanted destination type (by tenant) and an outside caller."""
        d = self.w.dids
        cand = np.flatnonzero((d.dtype == dtype).to_numpy())
        di = cand[rng.integers(0, len(cand), len(call))]
        caller = self.w.callers.dialed.to_numpy(dtype=object)[
            rng.choice(len(self.w.callers), len(call), p=self.w.callers_p)
        ]
        clid = np.array([f'"{c}" <{c}>' for c in caller], dtype=object)
        return di, d.tidx.to_numpy()[di], d.di_number.to_numpy(dtype=object)[di], caller, clid

    def inbound(
        self, b: Batch, rng: np.random.Generator, call: np.ndarray, t0: np.ndarray
    ) -> np.ndarray:
        """An outside caller dials a DID routed to an extension; returns the tenants."""
        di, tenant, did, caller, clid = self._inbound_common(rng, call, "ext")
        target = self.w.dids.target.to_numpy()[di]
        b.party(call, S_A, TRUNK, tenant, tenant)
        self._dial_ext(
            b,
            rng,
            call,
            tenant,
            t0,
            target,
            S_A,
            caller,
            did,
            clid,
            "fromoutside",
            "IN",
            _P_INBOUND,
            140.0,
            "inbound",
            "",
            did,
            caller,
            did,
        )
        return tenant
