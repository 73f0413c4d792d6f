"""``mirta lab``: JupyterLab on the notebooks folder, opening on a start page.

The start page ``notebooks/START.ipynb`` is written at every launch from the notebooks
themselves (one line each: a link and the first line of its title cell), so it never goes out
of date; it is not committed (``.gitignore``) and is not a notebook ``mirta list`` shows.
JupyterLab opens it first (``LabApp.default_url``), and the jupytext ``.py`` sources are hidden
from its file browser (``ContentsManager.hide_globs``) so that each notebook appears once: the
``.ipynb``, which carries the outputs of the demo run.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

from mirtalib.nbrun.discover import (
    KERNELSPEC,
    NOTEBOOKS_DIR,
    START_PAGE,
    find_notebooks,
    read_notebook,
)

HIDE_GLOBS = ["__pycache__", "*.pyc", "*.pyo", ".DS_Store", "*~", ".ipynb_checkpoints", "*.py"]
"""JupyterLab's own hidden names, plus the jupytext sources (``*.py``)."""

GROUPS = {
    "analytics": "Analytics: what happened on the PBX (read-only)",
    "runbooks": "Runbooks: pages of the operator documentation (plan first, apply on confirm)",
}


def notebook_title(path: Path) -> str:
    """The first line of a notebook's title cell without the ``#`` (``CDR report: calls ...``)."""
    nb = read_notebook(path)
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.strip():
            return cell.source.strip().splitlines()[0].lstrip("#").strip()
    return path.stem


def start_page(root: Path = NOTEBOOKS_DIR) -> nbformat.NotebookNode:
    """The start page: how to use the notebooks, then one line per notebook, by group."""
    lines = [
        "# MiRTA PBX operations notebooks",
        "",
        "Open a notebook below. Each one starts with its parameters (the demo PBX by default: "
        "`MIRTA_DB_URL=demo`); the analytics notebooks have a form to change the period, the "
        "tenants and the source and run again, the runbooks a Plan / Apply / Verify form. "
        "Headless runs and scheduled HTML reports: `mirta run`, `mirta report` (see README).",
    ]
    groups: dict[str, list[Path]] = {}
    for path in find_notebooks(root):
        rel = path.relative_to(root)
        groups.setdefault(rel.parts[0] if len(rel.parts) > 1 else "", []).append(path)
    for group in sorted(
        groups, key=lambda g: (g not in GROUPS, list(GROUPS).index(g) if g in GROUPS else 0, g)
    ):
        lines += ["", f"## {GROUPS.get(group, group or 'Other')}", ""]
        for path in groups[group]:
            link = path.relative_to(root).with_suffix(".ipynb").as_posix()
            lines.append(f"- [{path.stem}]({link}): {notebook_title(path)}")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.cells.append(nbformat.v4.new_markdown_cell("\n".join(lines)))
    nb.cells[0]["id"] = "start-page"  # fixed: the file changes only when the notebooks do
    return nb


def write_start_page(root: Path = NOTEBOOKS_DIR) -> Path:
    """Write ``<root>/START.ipynb`` (only when its text changes) and return its path."""
    target = root / START_PAGE
    text = nbformat.writes(start_page(root)) + "\n"
    if not target.is_file() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")
    return target


def lab_argv(
    root: Path = NOTEBOOKS_DIR,
    port: int = 8888,
    ip: str = "127.0.0.1",
    browser: bool = True,
    extra: list[str] | None = None,
) -> list[str]:
    """The JupyterLab command line of ``mirta lab`` (extra options last, so they win)."""
    globs = "[" + ", ".join(repr(g) for g in HIDE_GLOBS) + "]"
    return [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.root_dir={root}",
        f"--ServerApp.port={port}",
        f"--ServerApp.ip={ip}",
        f"--LabApp.default_url=/lab/tree/{START_PAGE}",
        f"--ContentsManager.hide_globs={globs}",
        *([] if browser else ["--no-browser"]),
        *(extra or []),
    ]
