"""Build the demo PBX: configuration, CDR, Master.csv, then the plug-ins."""

from __future__ import annotations

import importlib
import logging

import numpy as np
from sqlalchemy import Connection
from sqlalchemy.engine import URL

from mirtalib.data.schema import CdrLayout, Schema
from mirtalib.demo.model import DemoModel
from mirtalib.demo.paths import DEMO_SEED, DemoPaths

log = logging.getLogger(__name__)

# Plug-in modules called after the core, in this order; k = index in the rng seed [seed, k].
PLUGINS = ("mirtalib.demo.recordings", "mirtalib.demo.events", "mirtalib.demo.vmware")


def run_plugins(
    model: DemoModel, paths: DemoPaths, conn: Connection, schema: Schema, seed: int
) -> list[str]:
    """Call ``generate`` of every plug-in module that exists; return the names of those called."""
    called = []
    for k, name in enumerate(PLUGINS, start=1):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            log.info("demo plug-in %s not present: skipped", name)
            continue
        rng = np.random.default_rng([seed, k])
        module.generate(model, rng, paths, conn, schema)
        called.append(name)
    return called


def build_demo(
    paths: DemoPaths,
    seed: int = DEMO_SEED,
    scale: float = 1.0,
    db_url: str | URL | None = None,
    *,
    cdr_layout: CdrLayout = "current",
    master_csv: bool = True,
    plugins: bool | None = None,
) -> DemoModel:
    """Generate the demo PBX into ``paths`` (and the database at ``db_url``, SQLite by default).

    Args:
        paths: where the files go (``paths.db_path`` is the SQLite database unless ``db_url``).
        seed: the seed; the same seed gives byte-identical data.
        scale: multiplier of the number of calls (1.0 = about 20,000 calls in October 2026).
        db_url: SQLAlchemy URL of the database to write (tables created if missing).
        cdr_layout: "current" (start/answer/end) or "legacy" (calldate) ``cdr`` table.
        master_csv: also write the 21-column ``Master.csv`` at ``paths.master_csv``.
        plugins: run the recordings/events/vmware plug-ins (default: only when scale <= 5).

    Returns:
        The model of what was written.
    """
    raise NotImplementedError("build_demo is being written")  # replaced in the next commit
