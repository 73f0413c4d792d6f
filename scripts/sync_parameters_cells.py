#!/usr/bin/env python3
"""Rewrite the parameters cell of runbook notebook sources from their pages' definitions.

    python scripts/sync_parameters_cells.py [--check] [notebooks/runbooks/NN-slug.py ...]

Without paths: every ``notebooks/runbooks/NN-*.py``. ``--check`` changes nothing and exits 1
when a cell differs. Then ``mirta regen`` the changed notebooks (their outputs).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mirtalib.nbrun.discover import NOTEBOOKS_DIR
from mirtalib.runbook.cell import sync_source


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="*", type=Path)
    parser.add_argument("--check", action="store_true", help="report stale cells, change nothing")
    args = parser.parse_args(argv)
    sources = args.sources or sorted((NOTEBOOKS_DIR / "runbooks").glob("[0-9][0-9]-*.py"))
    stale = [s for s in sources if sync_source(s, write=not args.check)]
    for s in stale:
        print(f"{'stale' if args.check else 'rewrote'}: {s}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
