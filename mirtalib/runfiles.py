"""Where a run's own files go: exports, tenant pages, runbook journals.

A headless run (``mirta run`` / ``mirta report``) writes ``<reports>/<notebook>/<run>.html``
and gives the kernel ``MIRTA_REPORTS=<reports>`` and ``MIRTA_RUN_DIR=<reports>/<notebook>/<run>``:
everything else the run writes goes into that folder, so a run never overwrites another's files
and ``--reports`` / ``MIRTA_REPORTS`` are followed. In JupyterLab (no ``MIRTA_RUN_DIR``) the files
go to ``<reports>/<notebook>/lab/``.
"""

from __future__ import annotations

import os
from pathlib import Path

from mirtalib.settings import default_reports_dir

RUN_DIR_ENV = "MIRTA_RUN_DIR"
AUTO = "auto"
#: the sub-folders of a run's folder, by kind of file
EXPORTS, TENANTS, JOURNAL = "exports", "tenants", "journal"


def run_dir() -> Path | None:
    """The folder of the headless run in progress (``MIRTA_RUN_DIR``), None in JupyterLab."""
    value = os.environ.get(RUN_DIR_ENV, "").strip()
    return Path(value) if value else None


def output_dir(value: str, notebook: str, kind: str) -> Path | None:
    """The folder a notebook parameter such as ``export_dir`` names.

    Args:
        value: ``"auto"`` (the run's folder, see the module), ``""`` (nothing is written) or a
            path (relative to the notebook's folder, where the kernel runs).
        notebook: the notebook's name (``cdr-report``), for runs outside ``mirta run``.
        kind: the sub-folder (:data:`EXPORTS`, :data:`TENANTS`).
    """
    text = (value or "").strip()
    if not text:
        return None
    if text.lower() != AUTO:
        return Path(text)
    here = run_dir()
    if here is not None:
        return here / kind
    return default_reports_dir() / notebook / "lab" / kind
