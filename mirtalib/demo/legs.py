"""Turn the raw legs of a chunk into CDR rows: channel names, node-prefixed uniqueids, local times.

Each node keeps its own counters across chunks (:class:`NodeCounters`): the uniqueid sequence number
(``srv01-1790805600.1234``; it grows by 1-3 per channel since Asterisk also counts Local and helper
channels), the channel-name suffix (``SIP/100-DEVEL-0000001a``) and the CDR ``sequence``.
Times are real (epoch) seconds until the end, then rendered as naive Europe/Rome local times as
MiRTA writes them: on 2026-10-25 the hour 02:00-03:00 occurs twice, and a leg spanning the change
has ``end - start`` one hour off its ``duration`` (which Asterisk measures in real time).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mirtalib.demo.calls import DISPOSITION_NAMES, EXT, LOCAL, TRUNK, CallGenerator
from mirtalib.demo.model import LEG_ANNOTATIONS, LEG_COLUMNS, TIMEZONE

_SLOTS = 16  # slot numbers per call (key = call * 16 + slot)
AMAFLAGS_DOCUMENTATION = 3


@dataclass
class NodeCounters:
    """Per-node counters carried from one chunk to the next."""

    uid: dict[str, int] = field(default_factory=lambda: {"srv01": 1187, "srv02": 944})
    chan: dict[str, int] = field(default_factory=lambda: {"srv01": 0x1A2, "srv02": 0xF7})
    cdr: dict[str, int] = field(default_factory=lambda: {"srv01": 5310, "srv02": 4127})


def local_naive(epoch: np.ndarray) -> np.ndarray:
    """Epoch seconds -> naive Europe/Rome wall-clock times (datetime64[ns]); -1 -> NaT."""
    idx = pd.to_datetime(np.where(epoch >= 0, epoch, 0), unit="s", utc=True)
    out = idx.tz_convert(TIMEZONE).tz_localize(None).to_numpy(dtype="datetime64[ns]")
    out[epoch < 0] = np.datetime64("NaT")
    return out


def _hexname(prefix: np.ndarray, counter: np.ndarray, suffix: np.ndarray | str = "") -> list[str]:
    if isinstance(suffix, str):
        return [f"{p}-{c:08x}{suffix}" for p, c in zip(prefix, counter, strict=True)]
    return [f"{p}-{c:08x}{s}" for p, c, s in zip(prefix, counter, suffix, strict=True)]


def finalize(
    gen: CallGenerator,
    raw: dict[str, np.ndarray],
    parties: dict[str, np.ndarray],
    counters: NodeCounters,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Build the legs DataFrame (``LEG_COLUMNS`` + ``LEG_ANNOTATIONS``) of one chunk."""
    w = gen.w
    pkey = parties["call"] * _SLOTS + parties["slot"]
    order = np.argsort(pkey, kind="stable")
    pkey = pkey[order]
    if len(pkey) and (np.diff(pkey) == 0).any():
        raise AssertionError("demo generator bug: a channel slot was declared twice")
    ptype, ref, ptenant = (parties[k][order] for k in ("ptype", "ref", "tenant"))
    call, start = raw["call"], raw["start"]
    a_key = call * _SLOTS + raw["a"]
    b_key = np.where(raw["b"] >= 0, call * _SLOTS + raw["b"], -1)
    # creation time of each channel instance = first leg start that uses it
    used = pd.Series(
        np.concatenate([start, start[b_key >= 0]]), index=np.concatenate([a_key, b_key[b_key >= 0]])
    )
    created = used.groupby(level=0).min().reindex(pkey).to_numpy()
    if np.isnan(created.astype(float)).any():
        raise AssertionError("demo generator bug: a channel slot is used by no leg")
    ext_node = w.ext.node.to_numpy(dtype=object)
    trunk_node = w.tenants.trunk_node.to_numpy(dtype=object)
    pnode = np.where(ptype == EXT, ext_node[np.where(ptype == EXT, ref, 0)], trunk_node[ptenant])
    uid_seq = np.empty(len(pkey), dtype=np.int64)
    chan_no = np.empty(len(pkey), dtype=np.int64)
    for node in sorted(counters.uid):
        sel = np.flatnonzero(pnode == node)
        sel = sel[np.lexsort((pkey[sel], created[sel]))]
        steps = rng.integers(1, 4, len(sel))
        uid_seq[sel] = counters.uid[node] + np.cumsum(steps)
        chan_no[sel] = counters.chan[node] + np.arange(1, len(sel) + 1)
        if len(sel):
            counters.uid[node] = int(uid_seq[sel].max())
            counters.chan[node] = int(chan_no[sel].max())
    uid = np.array(
        [f"{n}-{c}.{s}" for n, c, s in zip(pnode, created, uid_seq, strict=True)], dtype=object
    )
    names = np.empty(len(pkey), dtype=object)
    is_ext, is_trunk, is_local = ptype == EXT, ptype == TRUNK, ptype == LOCAL
    names[is_ext] = _hexname(gen.dial[ref[is_ext]], chan_no[is_ext])
    names[is_trunk] = _hexname(gen.provider[ref[is_trunk]], chan_no[is_trunk])
    names[is_local] = _hexname(
        np.array([f"Local/AG-000-NF-{i}@fromotherpbx" for i in gen.ex_id[ref[is_local]]]),
        chan_no[is_local],
        ";1",
    )

    def lookup(keys: np.ndarray) -> np.ndarray:
        pos = np.searchsorted(pkey, np.maximum(keys, 0))
        return np.clip(pos, 0, max(len(pkey) - 1, 0))

    a_pos, b_pos = lookup(a_key), lookup(b_key)
    first_pos = lookup(call * _SLOTS)
    prev_pos = lookup(call * _SLOTS + raw["prev"])
    node = pnode[a_pos]
    # CDR sequence: per node of party A, in order of leg start
    seq = np.empty(len(call), dtype=np.int64)
    for n in sorted(counters.cdr):
        sel = np.flatnonzero(node == n)
        sel = sel[np.lexsort((raw["lno"][sel], call[sel], start[sel]))]
        seq[sel] = counters.cdr[n] + np.arange(1, len(sel) + 1)
        if len(sel):
            counters.cdr[n] = int(seq[sel].max())
    answer, end = raw["answer"], raw["end"]
    billsec = np.where(answer >= 0, end - answer, 0)
    tenant_code = gen.te_code[raw["tenant"]]
    cc_country = np.full(len(call), "", dtype=object)
    cc_network = np.full(len(call), "", dtype=object)
    rate = np.full(len(call), np.nan)
    buy = np.full(len(call), np.nan)
    for code, pool in ((1, w.pool), (2, w.fraud_pool)):
        sel = raw["pool"] == code
        pidx = raw["pidx"][sel]
        cc_country[sel] = pool.country.to_numpy(dtype=object)[pidx]
        cc_network[sel] = pool.network.to_numpy(dtype=object)[pidx]
        rate[sel] = pool.rate.to_numpy()[pidx]
        buy[sel] = pool.buy_rate.to_numpy()[pidx]
    b_is_trunk = (b_key >= 0) & (ptype[b_pos] == TRUNK)
    df = pd.DataFrame(
        {
            "start": local_naive(start),
            "answer": local_naive(answer),
            "end": local_naive(end),
            "duration": (end - start).astype(np.int64),
            "billsec": billsec.astype(np.int64),
            "disposition": DISPOSITION_NAMES[raw["disp"]],
            "accountcode": tenant_code,
            "src": raw["src"],
            "dst": raw["dst"],
            "dcontext": raw["dcontext"],
            "clid": raw["clid"],
            "channel": names[a_pos],
            "dstchannel": np.where(b_key >= 0, names[b_pos], ""),
            "lastapp": raw["lastapp"],
            "lastdata": raw["lastdata"],
            "uniqueid": uid[a_pos],
            "userfield": raw["userfield"],
            "peeraccount": np.where((b_key >= 0) & ~b_is_trunk, tenant_code, ""),
            "linkedid": uid[first_pos],
            "amaflags": pd.array(np.full(len(call), AMAFLAGS_DOCUMENTATION), dtype="Int64"),
            "sequence": pd.array(seq, dtype="Int64"),
            "realsrc": raw["realsrc"],
            "firstdst": raw["firstdst"],
            "lastdst": raw["lastdst"],
            "wherelanded": raw["wherelanded"],
            "prevuniqueid": np.where(raw["prev"] >= 0, uid[prev_pos], ""),
            "cc_country": cc_country,
            "cc_network": cc_network,
            "cc_cost": np.round(billsec * rate / 60.0, 5),
            "cc_buy": np.round(billsec * buy / 60.0, 5),
            "source_line": pd.array(np.full(len(call), None), dtype="Int64"),
            "tenant": tenant_code,
            "node": node,
            "call_kind": raw["call_kind"],
            "from_ext": raw["from_ext"],
            "to_ext": raw["to_ext"],
            "did": raw["did"],
            "transfer": raw["transfer"],
        }
    )
    df = df.iloc[np.lexsort((seq, node, start))].reset_index(drop=True)
    str_cols = [c for c in (*LEG_COLUMNS, *LEG_ANNOTATIONS) if df[c].dtype == object]
    df[str_cols] = df[str_cols].astype(str)
    return df[list(LEG_COLUMNS) + list(LEG_ANNOTATIONS)]
