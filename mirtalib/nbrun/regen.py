"""Regenerating the committed notebooks: jupytext source -> executed ``.ipynb`` on the demo PBX.

The result is byte-stable between runs: cell ids are derived from the cell position, papermill's
timings and paths and the execution timestamps are stripped, and no parameters cell is injected
(the notebook runs with its own defaults, which point at the demo PBX).
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import nbformat

from mirtalib.errors import NotebookError
from mirtalib.nbrun.discover import NOTEBOOKS_DIR, display_path, find_sources, read_notebook
from mirtalib.nbrun.execute import (
    CellFailure,
    execute,
    register_secrets,
    stable_widget_ids,
    strip_volatile,
    write_notebook,
)
from mirtalib.nbrun.params import inspect_parameters

logger = logging.getLogger(__name__)

# golden outputs come from the demo PBX only (MIRTA_DB_URL=demo): ignore a production database
# and `.env`
DEMO_ENVIRON: dict[str, str | None] = {
    "MIRTA_DB_URL": "demo",
    "MIRTA_SCHEMA_MAP": None,
    "MIRTA_TIMEZONE": None,
    "MIRTA_DOTENV": os.devnull,
}


@dataclass(frozen=True)
class RegenResult:
    """Outcome of regenerating one notebook.

    Attributes:
        source: the jupytext source.
        notebook: the ``.ipynb`` written (on failure: the failed run, written aside).
        failure: the failing cell, None on success.
        changed: whether the committed ``.ipynb`` bytes changed.
    """

    source: Path
    notebook: Path
    failure: CellFailure | None
    changed: bool


def source_of(path: Path) -> Path:
    """The jupytext source for a path given as ``.py`` or ``.ipynb``.

    Raises:
        NotebookError: when there is no source next to the given notebook.
    """
    path = Path(path)
    source = path.with_suffix(".py")
    if not source.is_file():
        raise NotebookError(
            f"{display_path(path)}: no jupytext source {source.name} next to it "
            "(notebooks are authored as percent-format .py files; see docs/ARCHITECTURE.md)"
        )
    return source


def expand(paths: list[Path] | None, root: Path = NOTEBOOKS_DIR) -> list[Path]:
    """The sources to regenerate: the given files, every source under given folders, else all."""
    if not paths:
        return find_sources(root)
    out: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            out.extend(find_sources(path))
        elif path.exists():
            out.append(source_of(path))
        else:
            raise NotebookError(f"{path} does not exist")
    return sorted(dict.fromkeys(out))


def build_notebook(source: Path) -> nbformat.NotebookNode:
    """Turn a source into an unexecuted notebook with stable cell ids and clean metadata.

    Raises:
        NotebookError: when the source does not have exactly one parameters cell.
    """
    nb = read_notebook(source)
    inspect_parameters(nb, where=display_path(source))  # checks the parameters cell is there once
    nb.metadata = nbformat.NotebookNode(kernelspec=nb.metadata["kernelspec"])
    for index, cell in enumerate(nb.cells):
        digest = hashlib.sha256(f"{source.stem}:{index}".encode()).hexdigest()[:8]
        cell["id"] = f"{index:03d}-{digest}"
    nb.nbformat, nb.nbformat_minor = 4, 5
    return nb


def regen_one(
    source: Path, *, progress: bool = True, failed_dir: Path | None = None
) -> RegenResult:
    """Execute one source with its defaults and write ``<name>.ipynb`` next to it.

    On failure the committed notebook is left untouched and the failed run is written to
    ``failed_dir/<name>.ipynb`` (default: ``reports/regen-failed``) for inspection.
    """
    source = Path(source)
    label = display_path(source)
    nb = build_notebook(source)
    register_secrets({}, inspect_parameters(nb, where=label))
    executed, failure = execute(
        nb, None, source.parent.resolve(), label=label, progress=progress, environ=DEMO_ENVIRON
    )
    executed = stable_widget_ids(strip_volatile(executed))
    target = source.with_suffix(".ipynb")
    if failure is not None:
        from mirtalib.settings import default_reports_dir

        aside = (failed_dir or default_reports_dir() / "regen-failed") / target.name
        write_notebook(executed, aside)
        return RegenResult(source, aside, failure, changed=False)
    before = target.read_bytes() if target.is_file() else b""
    write_notebook(executed, target)
    return RegenResult(source, target, None, changed=target.read_bytes() != before)
