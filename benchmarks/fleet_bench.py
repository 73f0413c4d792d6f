"""Benchmark of ``mirta fleet`` at scale: 50 nodes x every page, with forks 1, 5 and 20.

Usage::

    .venv/bin/python benchmarks/fleet_bench.py                       # 50 nodes (6 sshd), all pages
    .venv/bin/python benchmarks/fleet_bench.py --nodes 4 --ssh 1 --forks 1,4   # smoke run
    .venv/bin/python benchmarks/fleet_bench.py --json out.json

Nodes: ``--ssh`` real OpenSSH servers on loopback (each in its own mount namespace, as the
integration tests start them: ``tests/integration/runbook/sshd_nodes.py``; a plain Debian host,
so most pages end in findings such as "asterisk is not installed") and the rest recorded demo
nodes (``replay:srv01`` / ``replay:srv02`` in turn, under their own names). Every page applies to
every node (roles pbx, opensips, ftp, dahdi); a replay node says n/a for a page it has no
recording of.

Measured, each run a fresh ``mirta fleet`` process (the command as an operator runs it, reports
written): wall time, and peak RSS of that process sampled every 50 ms. ``forks=1`` (one node
after the other) is the anchor; the other runs are given as ratios against it, measured in the
same invocation. The load samplers of pages 17 and 40 (60 s each per node with the pages'
defaults) are set to 2 samples 1 s apart, as the example inventory suggests for a nightly run.
The runs must agree on every cell of the replay nodes (recorded answers), or the benchmark
fails; the sshd nodes' cells are live measurements of this host (load, steal) and may differ.
Needs root (sshd as root) and psutil.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration" / "runbook"))

from sshd_nodes import start_sshd  # noqa: E402

MIRTA = Path(sys.executable).with_name("mirta")


def inventory(servers, replays: int) -> str:
    """Inventory text: ``replays`` replay nodes, then the sshd nodes."""
    lines = [
        "all:",
        "  vars: {timeout: 10, samples: 2, interval: 1, interval_s: 1}",
        "  children:",
        "    bench:",
        "      roles: [pbx, opensips, ftp, dahdi]",
        "      hosts:",
    ]
    for i in range(replays):
        lines.append(f"        replay{i + 1:02d}: {{address: 'replay:srv0{1 + i % 2}'}}")
    for i, s in enumerate(servers):
        lines += [
            f"        ssh{i + 1:02d}:",
            f"          address: {s.url}",
            f"          vars: {{ssh_key_path: {s.client_key}, known_hosts: {s.known_hosts}}}",
        ]
    return "\n".join(lines) + "\n"


def measure(inv: Path, reports: Path, forks: int, pages: str) -> dict:
    """One ``mirta fleet`` run: wall seconds, peak RSS (MB), exit status, matrix."""
    args = [str(MIRTA), "fleet", "--inventory", str(inv), "--reports", str(reports)]
    args += ["--forks", str(forks)] + (["--pages", pages] if pages else [])
    env = {k: v for k, v in os.environ.items() if k != "MIRTA_DB_URL"}
    start = time.monotonic()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    peak, done = [0], threading.Event()

    def sample() -> None:
        me = psutil.Process(proc.pid)
        while not done.is_set():
            try:
                peak[0] = max(peak[0], me.memory_info().rss)
            except psutil.Error:
                return
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = proc.communicate()
    wall = time.monotonic() - start
    done.set()
    sampler.join()
    newest = sorted((reports / "fleet").glob("*.run.json"))[-1].name.removesuffix(".run.json")
    data = json.loads((reports / "fleet" / f"{newest}.json").read_text())
    cells = {f"{n['node']}/{c['page']}": c["state"] for n in data["nodes"] for c in n["cells"]}
    return {
        "forks": forks,
        "seconds": round(wall, 2),
        "peak_rss_mb": round(peak[0] / 2**20, 1),
        "exit": proc.returncode,
        "counts": data["counts"],
        "cells": cells,
        "summary": out.decode().strip().splitlines()[-3],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=50)
    parser.add_argument("--ssh", type=int, default=6, help="loopback sshd nodes among them")
    parser.add_argument("--forks", default="1,5,20")
    parser.add_argument("--pages", default="", help="page numbers (default: all)")
    parser.add_argument("--json", type=Path)
    opts = parser.parse_args()
    forks = [int(f) for f in opts.forks.split(",")]
    with tempfile.TemporaryDirectory(prefix="fleet-bench-") as tmp, ExitStack() as stack:
        work = Path(tmp)
        servers = []
        for i in range(opts.ssh):
            node = work / f"node{i}"
            node.mkdir()
            servers.append(stack.enter_context(start_sshd(work / f"sshd{i}", node=node)))
        inv = work / "fleet.yaml"
        inv.write_text(inventory(servers, opts.nodes - opts.ssh))
        runs = [measure(inv, work / f"reports-{f}", f, opts.pages) for f in forks]
    anchor = runs[0]
    for r in runs:
        r["time_ratio"] = round(r["seconds"] / anchor["seconds"], 3)
        r["memory_ratio"] = round(r["peak_rss_mb"] / anchor["peak_rss_mb"], 3)

    def replayed(cells: dict) -> dict:
        return {k: v for k, v in cells.items() if k.startswith("replay")}

    differ = [r["forks"] for r in runs if replayed(r["cells"]) != replayed(anchor["cells"])]
    print(f"mirta fleet: {opts.nodes} nodes ({opts.ssh} sshd), pages {opts.pages or 'all'}")
    print(f"{'forks':>5} {'wall s':>8} {'x anchor':>9} {'peak MB':>8} {'x anchor':>9}  exit  cells")
    for r in runs:
        print(
            f"{r['forks']:>5} {r['seconds']:>8.1f} {r['time_ratio']:>9.2f} "
            f"{r['peak_rss_mb']:>8.0f} {r['memory_ratio']:>9.2f}  {r['exit']:>4}  {r['summary']}"
        )
    if opts.json:
        slim = [{k: v for k, v in r.items() if k != "cells"} for r in runs]
        opts.json.write_text(
            json.dumps({"nodes": opts.nodes, "ssh": opts.ssh, "runs": slim}, indent=1)
        )
    if differ:
        raise SystemExit(f"replay cells differ from forks={anchor['forks']} with forks={differ}")


if __name__ == "__main__":
    main()
