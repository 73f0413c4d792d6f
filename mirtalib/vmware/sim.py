"""A small Monte Carlo of one host's CPU scheduler, to size the claim of seed page 40.

The page says a VM "has to wait for a number of physical CPUs equal to the number of assigned
vCPUs". That is *strict* co-scheduling (ESX 2). ESXi has used *relaxed* co-scheduling since ESX 3.
This module simulates the same host under three models and reports ready % per VM:

``independent``
    every runnable vCPU competes alone for a pCPU (no co-scheduling at all: a lower bound).
``relaxed``
    vCPUs are scheduled alone, but a vCPU that runs ahead of its slowest *runnable* sibling by more
    than ``skew_limit`` ticks is co-stopped until the sibling catches up; an idle vCPU is never
    behind (idling counts as progress), as in ESXi's relaxed co-scheduler.
``strict``
    a VM with work runs only when as many pCPUs as it has vCPUs are free at once (gang scheduling;
    its idle vCPUs hold their pCPUs too). VMs are tried in random order each tick and smaller VMs
    may fill the pCPUs a wide VM could not use: exactly the page's description.

The workload: time advances in ticks (read 1 tick = 1 ms). Each vCPU receives bursts of work of
``burst`` ticks at random (Bernoulli arrivals with rate demand / burst), so its *offered* load is
``demand`` (fraction of one pCPU). Work waits in a backlog until the vCPU runs; a vCPU is runnable
while it has backlog. Ready % per vCPU = ticks runnable-but-not-running / (ticks x vCPUs) x 100,
co-stop % the same with co-stopped ticks: the definitions vCenter uses for cpu.ready / cpu.costop.

Everything is vectorized with numpy over (scenario x replica) rows and vCPU slots; only the time
loop is Python. A run is deterministic for a seed; the three models see the same arrivals.
Limits (assumed, documented): pCPUs are physical cores (no hyper-threading, no hypervisor
threads), fair random priority (no shares, reservations or NUMA), fixed burst length.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mirtalib.errors import ParameterError
from mirtalib.vmware.inventory import Inventory

log = logging.getLogger(__name__)

MODELS = ("independent", "relaxed", "strict")


@dataclass(frozen=True)
class VMSpec:
    """One VM: name, vCPUs and offered load per vCPU (0..1 of a pCPU)."""

    name: str
    vcpus: int
    demand: float


@dataclass(frozen=True)
class Scenario:
    """A host: its pCPUs and the VMs on it."""

    name: str
    pcpus: int
    vms: tuple[VMSpec, ...]

    def validate(self) -> None:
        """Raise :class:`ParameterError` on impossible values."""
        if self.pcpus < 1:
            raise ParameterError(f"scenario {self.name!r}: pcpus must be >= 1, got {self.pcpus}")
        if not self.vms:
            raise ParameterError(f"scenario {self.name!r}: no VMs")
        for vm in self.vms:
            if vm.vcpus < 1:
                raise ParameterError(f"scenario {self.name!r}: VM {vm.name!r} vcpus must be >= 1")
            if not 0.0 <= vm.demand <= 1.0:
                raise ParameterError(
                    f"scenario {self.name!r}: VM {vm.name!r} demand must be in "
                    f"0..1, got {vm.demand}"
                )


def doc_example(pbx_vcpus: int, demand: float, pbx_work_cores: float | None = None) -> Scenario:
    """The page's host: 8 pCPUs, four 1-vCPU VMs at ``demand`` and a PBX of ``pbx_vcpus`` vCPUs.

    The PBX's total work is ``pbx_work_cores`` (default ``4 * demand``: what the 4-vCPU PBX did at
    that level), spread over its vCPUs: raising vCPUs adds width, not work.
    """
    work = 4 * demand if pbx_work_cores is None else pbx_work_cores
    vms = tuple(VMSpec(f"vm{i}", 1, demand) for i in range(1, 5))
    pbx = VMSpec("pbx", pbx_vcpus, min(1.0, work / pbx_vcpus))
    return Scenario(f"PBX {pbx_vcpus} vCPU, demand {demand:.0%}", 8, (*vms, pbx))


def scenario_from_inventory(
    inv: Inventory,
    host: str,
    demand: float | Mapping[str, float] = 0.3,
    pbx_vcpus: int | None = None,
    name: str | None = None,
) -> Scenario:
    """A scenario for one host of the inventory (powered-on VMs, pCPUs = physical cores).

    Args:
        inv: the inventory.
        host: host name.
        demand: offered load per vCPU, one value or a mapping VM name (or role ``pbx``/``other``)
            -> value; VMs not in the mapping get 0.3.
        pbx_vcpus: optionally resize the PBX VM(s) to this many vCPUs ("what if"); their work
            stays the same, so the demand per vCPU scales by old / new vCPUs.
        name: scenario name (default: the host name).
    """
    hosts = inv.hosts.set_index("host")
    if host not in hosts.index:
        raise ParameterError(
            f"host {host!r} is not in the inventory (hosts: {', '.join(hosts.index)})"
        )
    vms = []
    for _, r in inv.vms_on(host).sort_values("vm").iterrows():
        if isinstance(demand, Mapping):
            d = float(demand.get(r["vm"], demand.get(r["role"], 0.3)))
        else:
            d = float(demand)
        n = int(r["vcpus"])
        if pbx_vcpus and r["role"] == "pbx":
            d, n = min(1.0, d * n / pbx_vcpus), int(pbx_vcpus)
        vms.append(VMSpec(str(r["vm"]), n, d))
    if not vms:
        raise ParameterError(f"host {host!r} has no powered-on VMs to simulate")
    return Scenario(name or host, int(hosts.loc[host, "cores"]), tuple(vms))


def _layout(scenarios: Sequence[Scenario], replicas: int) -> dict[str, np.ndarray]:
    nv = max(len(s.vms) for s in scenarios)
    nc = max(v.vcpus for s in scenarios for v in s.vms)
    rows = len(scenarios) * replicas
    mask = np.zeros((rows, nv, nc), bool)
    demand = np.zeros((rows, nv, nc))
    size = np.zeros((rows, nv), np.int64)
    pcpus = np.zeros(rows, np.int64)
    for i, s in enumerate(scenarios):
        sl = slice(i * replicas, (i + 1) * replicas)
        pcpus[sl] = s.pcpus
        for j, v in enumerate(s.vms):
            mask[sl, j, : v.vcpus] = True
            demand[sl, j, : v.vcpus] = v.demand
            size[sl, j] = v.vcpus
    return {"mask": mask, "demand": demand, "size": size, "pcpus": pcpus}


def _pick(eligible: np.ndarray, pcpus: np.ndarray, rnd: np.ndarray) -> np.ndarray:
    """Choose at most pcpus eligible slots per row, uniformly at random."""
    flat = eligible.reshape(len(eligible), -1)
    over = flat.sum(axis=1) > pcpus
    run = flat.copy()
    if over.any():
        key = np.where(flat[over], rnd[over], -1.0)
        order = np.argsort(-key, axis=1, kind="stable")
        ranks = np.empty_like(order)
        np.put_along_axis(
            ranks, order, np.arange(flat.shape[1])[None, :].repeat(len(order), 0), axis=1
        )
        run[over] = flat[over] & (ranks < pcpus[over, None])
    return run.reshape(eligible.shape)


def _run_model(
    model: str, lay: dict[str, np.ndarray], ticks: int, burst: int, skew_limit: int, seed: int
) -> dict[str, np.ndarray]:
    mask, demand, size, pcpus = lay["mask"], lay["demand"], lay["size"], lay["pcpus"]
    rows, nv, nc = mask.shape
    arrivals = np.random.default_rng([seed, 0])
    prio = np.random.default_rng([seed, 1, MODELS.index(model)])
    p = np.clip(demand / burst, 0.0, 1.0)
    backlog = np.zeros(mask.shape, np.int64)
    prog = np.zeros(mask.shape, np.int64)
    ready = np.zeros(mask.shape, np.int64)
    costop = np.zeros(mask.shape, np.int64)
    ran = np.zeros(mask.shape, np.int64)
    warm = ticks // 10
    big = np.iinfo(np.int64).max // 4
    rows_idx = np.arange(rows)
    for t in range(ticks):
        backlog += (arrivals.random(mask.shape) < p) * burst
        runnable = (backlog > 0) & mask
        stopped = np.zeros_like(runnable)
        if model == "strict":
            want = runnable.any(axis=2)
            order = np.argsort(prio.random((rows, nv)), axis=1)
            free = pcpus.copy()
            gang = np.zeros((rows, nv), bool)
            for j in range(nv):
                idx = order[:, j]
                s = size[rows_idx, idx]
                fit = want[rows_idx, idx] & (s <= free)
                gang[rows_idx, idx] = fit
                free -= s * fit
            run = runnable & gang[:, :, None]
        else:
            if model == "relaxed":
                slowest = np.where(runnable, prog, big).min(axis=2, keepdims=True)
                stopped = runnable & (prog - slowest > skew_limit)
            eligible = runnable & ~stopped
            run = _pick(eligible, pcpus, prio.random((rows, nv * nc)))
        waiting = runnable & ~run & ~stopped
        if t >= warm:
            ready += waiting
            costop += stopped
            ran += run
        backlog -= run
        if model == "relaxed":
            prog += run
            idle = mask & ~runnable
            top = np.where(mask, prog, -1).max(axis=2, keepdims=True)
            prog = np.where(idle, top, prog)
            prog -= np.where(mask, prog, big).min(axis=2, keepdims=True)
    return {"ready": ready, "costop": costop, "run": ran, "ticks": np.int64(ticks - warm)}


def simulate(
    scenarios: Sequence[Scenario],
    models: Sequence[str] = MODELS,
    *,
    ticks: int = 4000,
    replicas: int = 4,
    burst: int = 5,
    skew_limit: int = 3,
    seed: int = 0,
) -> pd.DataFrame:
    """Simulate every scenario under every model.

    Args:
        scenarios: hosts to simulate (batched together).
        models: any of ``independent``, ``relaxed``, ``strict``.
        ticks: simulated ticks per replica (the first 10 % are warm-up, not counted).
        replicas: independent replicas per scenario (pooled).
        burst: length of a work burst in ticks.
        skew_limit: relaxed model: ticks a vCPU may run ahead of its slowest runnable sibling.
        seed: random seed (same seed, same result).

    Returns:
        One row per scenario, model and VM: ``scenario, model, vm, vcpus, demand_pct`` (offered load
        per vCPU), ``ready_pct``, ``costop_pct``, ``run_pct`` (all per vCPU).

    Raises:
        ParameterError: unknown model or impossible scenario values.
    """
    bad = [m for m in models if m not in MODELS]
    if bad:
        raise ParameterError(f"unknown scheduling model(s) {bad}; choose from {list(MODELS)}")
    if ticks < 10 or replicas < 1 or burst < 1 or skew_limit < 0:
        raise ParameterError(
            "ticks >= 10, replicas >= 1, burst >= 1 and skew_limit >= 0 are required"
        )
    for s in scenarios:
        s.validate()
    lay = _layout(scenarios, replicas)
    out = []
    for model in models:
        res = _run_model(model, lay, ticks, burst, skew_limit, seed)
        denom = res["ticks"] * replicas
        for i, s in enumerate(scenarios):
            sl = slice(i * replicas, (i + 1) * replicas)
            for j, v in enumerate(s.vms):
                cells = denom * v.vcpus
                out.append(
                    {
                        "scenario": s.name,
                        "model": model,
                        "vm": v.name,
                        "vcpus": v.vcpus,
                        "demand_pct": 100.0 * v.demand,
                        "ready_pct": 100.0 * res["ready"][sl, j].sum() / cells,
                        "costop_pct": 100.0 * res["costop"][sl, j].sum() / cells,
                        "run_pct": 100.0 * res["run"][sl, j].sum() / cells,
                    }
                )
    return pd.DataFrame(out)


def doc_sweep(
    demands: Sequence[float] = (0.1, 0.3, 0.5, 0.7, 0.9),
    widths: Sequence[int] = (4, 8),
    **kwargs: object,
) -> pd.DataFrame:
    """The page's example at several demand levels: PBX ready % per model, side by side.

    Returns:
        One row per demand level and PBX width, columns ``demand_pct, pbx_vcpus`` and the PBX's
        ready % under each model, ``relaxed_costop`` and ``strict_vs_relaxed``: how many times
        the strict model's wait (ready) exceeds the relaxed model's wait (ready + co-stop); NaN
        when neither waits, inf when only the strict model does.
    """
    scen = [doc_example(w, d) for d in demands for w in widths]
    res = simulate(scen, **kwargs)  # type: ignore[arg-type]
    pbx = res[res["vm"] == "pbx"]
    table = pbx.pivot_table(index="scenario", columns="model", values="ready_pct", sort=False)
    costop = pbx[pbx["model"] == "relaxed"].set_index("scenario")["costop_pct"]
    rows = []
    for d in demands:
        for w in widths:
            name = doc_example(w, d).name
            rows.append(
                {
                    "demand_pct": round(100 * d),
                    "pbx_vcpus": w,
                    **{m: table.loc[name, m] for m in table.columns},
                    "relaxed_costop": costop.get(name, np.nan),
                }
            )
    out = pd.DataFrame(rows)
    if {"strict", "relaxed"} <= set(out.columns):
        relaxed = out["relaxed"] + out["relaxed_costop"]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(relaxed > 0, out["strict"] / relaxed, np.inf)
        out["strict_vs_relaxed"] = np.where(out["strict"] > 0, ratio, np.nan)
    return out
