"""Benchmark of the co-scheduling simulator (mirtalib.vmware.sim): wall time of scenario sweeps.

Usage::

    .venv/bin/python benchmarks/vcpu_sim.py          # page 40, a 36-scenario sweep, a big host
    .venv/bin/python benchmarks/vcpu_sim.py --ticks 2000 --replicas 2

Prints one line per case: scenarios, models, ticks x replicas, wall time, and simulated vCPU-ticks
per second (scenario vCPUs x ticks x replicas x models / wall time). Single process, one core.
"""

from __future__ import annotations

import argparse
import sys
import time

from mirtalib.vmware.sim import MODELS, Scenario, VMSpec, doc_example, simulate


def _big_host() -> Scenario:
    """A 32-core host with 40 VMs of 1-8 vCPUs (1.6:1) and an 8-vCPU PBX."""
    sizes = [1, 2, 2, 4, 1, 2, 8, 1, 2, 4] * 4
    vms = tuple(VMSpec(f"vm{i:02d}", n, 0.2 + 0.05 * (i % 8)) for i, n in enumerate(sizes[:39]))
    return Scenario("big host", 32, (*vms, VMSpec("pbx", 8, 0.15)))


def _case(name: str, scenarios: list[Scenario], ticks: int, replicas: int) -> str:
    began = time.perf_counter()
    simulate(scenarios, ticks=ticks, replicas=replicas, seed=1)
    wall = time.perf_counter() - began
    vcpus = sum(v.vcpus for s in scenarios for v in s.vms)
    rate = vcpus * ticks * replicas * len(MODELS) / wall
    return (
        f"{name:<28} scenarios={len(scenarios):3d} models={len(MODELS)} ticks={ticks} "
        f"replicas={replicas} wall={wall:6.2f} s  vCPU-ticks/s={rate / 1e6:6.1f} M"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the three cases and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=4000)
    parser.add_argument("--replicas", type=int, default=4)
    args = parser.parse_args(argv)
    page = [doc_example(w, d) for d in (0.1, 0.3, 0.5, 0.7, 0.9) for w in (4, 8)]
    sweep = [doc_example(w, d / 10) for d in range(1, 10, 2) for w in (2, 3, 4, 5, 6, 7, 8)]
    sweep += [doc_example(8, 0.95)]
    print(_case("page 40 sweep (notebook)", page, args.ticks, args.replicas))
    print(_case("36-scenario sweep", sweep, args.ticks, args.replicas))
    print(_case("32-core host, 40 VMs", [_big_host()], args.ticks, args.replicas))
    return 0


if __name__ == "__main__":
    sys.exit(main())
