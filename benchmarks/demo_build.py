"""Benchmark of the demo PBX generator: wall time, CDR rows per second and peak memory.

Usage::

    .venv/bin/python benchmarks/demo_build.py                 # default demo (scale 1, plug-ins)
    .venv/bin/python benchmarks/demo_build.py --scale 10      # scale 10 (core only)
    .venv/bin/python benchmarks/demo_build.py --scale 10 --db-url mysql+pymysql://root@127.0.0.1/x

Each run builds into a temporary folder (removed afterwards) and prints one line of figures.
Peak memory is the process's maximum resident set size (ru_maxrss), so run one scale per process
when comparing memory.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from mirtalib.demo.build import build_demo
from mirtalib.demo.paths import DEMO_SEED, DemoPaths


def main(argv: list[str] | None = None) -> int:
    """Build the demo at the given scale and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=DEMO_SEED)
    parser.add_argument("--db-url", default=None, help="database to load (default: SQLite)")
    parser.add_argument("--no-csv", action="store_true", help="do not write Master.csv")
    parser.add_argument("--plugins", choices=["auto", "on", "off"], default="auto")
    args = parser.parse_args(argv)
    plugins = {"auto": None, "on": True, "off": False}[args.plugins]
    root = Path(tempfile.mkdtemp(prefix="demo-bench-"))
    try:
        began = time.perf_counter()
        model = build_demo(
            DemoPaths(root),
            seed=args.seed,
            scale=args.scale,
            db_url=args.db_url,
            master_csv=not args.no_csv,
            plugins=plugins,
        )
        seconds = time.perf_counter() - began
    finally:
        shutil.rmtree(root, ignore_errors=True)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    target = "sqlite" if args.db_url is None else args.db_url.split(":", 1)[0]
    sys.stdout.write(
        f"scale={args.scale:g} target={target} csv={not args.no_csv} "
        f"plugins={model.extras.get('plugins', [])}: {model.n_calls} calls, {model.n_legs} CDR "
        f"rows in {seconds:.1f} s ({model.n_legs / seconds:,.0f} rows/s), "
        f"peak RSS {peak_mb:.0f} MB\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
