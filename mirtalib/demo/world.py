"""Numpy views of the demo configuration the call generator draws from (built once per demo)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mirtalib.demo.config import DemoConfig, tenant_table
from mirtalib.demo.numbers import FRAUD_DESTINATIONS, build_pool, popularity

# The phone whose SIP credentials leak: it places the night-time international calls.
FRAUD_EXTENSION = "115-ACME"


@dataclass
class World:
    """Arrays indexed by extension / tenant / DID / queue number, plus the outside numbers."""

    ext: pd.DataFrame  # config extensions + 'tidx' (tenant index), 'phone' (can place calls)
    tenants: pd.DataFrame  # te_code, share, provider, trunk_node
    phones_by_tenant: list[np.ndarray]  # extension indices of the phones of each tenant
    phone_weights: list[np.ndarray]  # probability of each phone to place a call
    targets_by_tenant: list[np.ndarray]  # extensions that can be called (all but trunks)
    dids: pd.DataFrame  # config dids + 'tidx', 'dtype' (ext/queue/ringgroup), 'target'
    queue_members: list[np.ndarray]  # extension indices of each queue's members
    queue_strategy: list[str]
    queue_number: list[str]
    queue_name: list[str]
    rg_members: list[np.ndarray]
    rg_number: list[str]
    pool: pd.DataFrame  # outbound destinations (numbers.POOL_COLUMNS)
    pool_p: np.ndarray
    callers: pd.DataFrame  # outside numbers calling in
    callers_p: np.ndarray
    fraud_pool: pd.DataFrame
    fraud_ext: int
    parking_first: dict[int, int]  # tenant index -> first parking lot number


def build_world(config: DemoConfig, rng: np.random.Generator) -> World:
    """Index the configuration and draw the pools of outside numbers with ``rng``."""
    tenants = tenant_table(config)
    tidx = {code: i for i, code in enumerate(tenants.te_code)}
    ext = config.extensions.reset_index(drop=True).copy()
    ext["tidx"] = ext.te_code.map(tidx)
    ext["phone"] = ext.ex_tech.isin(["SIP", "PJSIP"])
    phones, weights, targets = [], [], []
    for t in range(len(tenants)):
        idx = np.flatnonzero((ext.tidx == t).to_numpy() & ext.phone.to_numpy())
        phones.append(idx)
        w = rng.gamma(1.5, 1.0, len(idx)) + 0.2  # a few heavy users per tenant
        weights.append(w / w.sum())
        targets.append(np.flatnonzero((ext.tidx == t).to_numpy() & (ext.ex_trunk == 0).to_numpy()))
    name_to_idx = {n: i for i, n in enumerate(ext.name)}
    queue_names = list(config.queues.name)
    rg_names = list(config.ring_groups.name)
    dids = config.dids.reset_index(drop=True).copy()
    dids["tidx"] = dids.te_code.map(tidx)
    dtype, target = [], []
    for dest in dids.di_destination:
        if dest.startswith("QUEUE/"):
            dtype.append("queue")
            target.append(queue_names.index(dest.split("/", 1)[1]))
        elif dest.startswith("RINGGROUP/"):
            dtype.append("ringgroup")
            target.append(rg_names.index(dest.split("/", 1)[1]))
        else:
            dtype.append("ext")
            target.append(name_to_idx[dest])
    dids["dtype"] = dtype
    dids["target"] = target
    qm = config.queue_members
    queue_members = [
        np.array([name_to_idx[e] for e in qm.extension[qm.queue == q]], dtype=np.int64)
        for q in queue_names
    ]
    rg_members = [
        np.array([name_to_idx[e] for e in members.split(",")], dtype=np.int64)
        for members in config.ring_groups.members
    ]
    pool = build_pool(rng, 1500)
    callers = build_pool(rng, 2500)
    fraud_pool = build_pool(rng, 60, FRAUD_DESTINATIONS)
    return World(
        ext=ext,
        tenants=tenants,
        phones_by_tenant=phones,
        phone_weights=weights,
        targets_by_tenant=targets,
        dids=dids,
        queue_members=queue_members,
        queue_strategy=list(config.queues.qu_strategy),
        queue_number=list(config.queues.qu_number),
        queue_name=queue_names,
        rg_members=rg_members,
        rg_number=list(config.ring_groups.rg_number),
        pool=pool,
        pool_p=popularity(rng, len(pool)),
        callers=callers,
        callers_p=popularity(rng, len(callers)),
        fraud_pool=fraud_pool,
        fraud_ext=name_to_idx[FRAUD_EXTENSION],
        parking_first={
            tidx[t]: int(s)
            for t, s in zip(config.parking_lots.te_code, config.parking_lots.pk_start, strict=True)
        },
    )
