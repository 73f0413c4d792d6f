"""Fixtures of the demo generator tests: one default-scale core demo per session."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from mirtalib.demo.build import build_demo
from mirtalib.demo.paths import DEMO_SEED, DemoPaths


def sqlite_dump(path: Path) -> str:
    """The SQL text dump of a SQLite database (schema and rows, in a stable order)."""
    con = sqlite3.connect(path)
    try:
        return "\n".join(con.iterdump())
    finally:
        con.close()


@pytest.fixture(scope="session")
def core_demo(tmp_path_factory):
    """The default demo (seed DEMO_SEED, scale 1) without the plug-ins: (paths, model)."""
    paths = DemoPaths(tmp_path_factory.mktemp("demo-core"))
    model = build_demo(paths, seed=DEMO_SEED, plugins=False)
    return paths, model


@pytest.fixture(scope="session")
def legs(core_demo):
    """The legs of the default demo."""
    return core_demo[1].legs
