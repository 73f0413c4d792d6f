"""Where notebooks and their parameter files are, and reading a notebook from either form.

A notebook exists as a jupytext *percent* source ``notebooks/<group>/<name>.py`` and the executed
``notebooks/<group>/<name>.ipynb`` built from it by ``mirta regen``.
"""

from __future__ import annotations

import logging
from pathlib import Path

import jupytext
import nbformat

from mirtalib.errors import NotebookError
from mirtalib.nbrun.suggest import did_you_mean
from mirtalib.settings import PROJECT_ROOT

logger = logging.getLogger(__name__)

NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
PARAMETERS_DIR = PROJECT_ROOT / "parameters"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
START_PAGE = "START.ipynb"
"""The start page ``mirta lab`` writes at the notebooks root (:mod:`mirtalib.nbrun.lab`)."""


def _skip(path: Path) -> bool:
    return any(part.startswith(".") or part == "__pycache__" for part in path.parts)


def is_source(path: Path) -> bool:
    """True when ``path`` is a jupytext percent notebook source (a ``.py`` with ``# %%`` cells)."""
    if path.suffix != ".py" or not path.is_file():
        return False
    with path.open(encoding="utf-8") as handle:
        return any(line.startswith("# %%") for line in handle)


def find_sources(root: Path = NOTEBOOKS_DIR) -> list[Path]:
    """Every notebook source under ``root`` (sorted)."""
    return sorted(p for p in root.rglob("*.py") if not _skip(p.relative_to(root)) and is_source(p))


def find_notebooks(root: Path = NOTEBOOKS_DIR) -> list[Path]:
    """Every notebook under ``root``: the ``.ipynb`` when built, else its ``.py`` source."""
    found = {p.with_suffix(""): p for p in find_sources(root)}
    for path in root.rglob("*.ipynb"):
        rel = path.relative_to(root)
        if not _skip(rel) and rel.as_posix() != START_PAGE:
            found[path.with_suffix("")] = path
    return [found[key] for key in sorted(found)]


def resolve_notebook(spec: str | Path, root: Path = NOTEBOOKS_DIR) -> Path:
    """Find a notebook from a path or a name (``cdr-report``, ``analytics/cdr-report``).

    Raises:
        NotebookError: when nothing or more than one notebook matches.
    """
    path = Path(spec)
    if path.suffix in {".ipynb", ".py"} and path.is_file():
        return path
    if path.suffix in {".ipynb", ".py"}:
        raise NotebookError(f"notebook {spec} does not exist")
    key = str(path).strip("/")
    matches = [
        nb
        for nb in find_notebooks(root)
        if nb.with_suffix("").relative_to(root).as_posix().endswith(key) and (nb.stem == path.name)
    ]
    if not matches:
        known = [nb.with_suffix("").relative_to(root).as_posix() for nb in find_notebooks(root)]
        close = did_you_mean(path.name, [Path(k).name for k in known])
        where = f"no notebook called {spec!s} under {display_path(root)}"
        if close:
            raise NotebookError(f"{where}; did you mean {' or '.join(close)}? (mirta list: all)")
        raise NotebookError(f"{where}; known: {', '.join(known) or '(none)'}")
    if len(matches) > 1:
        raise NotebookError(
            f"{spec} is ambiguous: " + ", ".join(str(m.relative_to(root)) for m in matches)
        )
    return matches[0]


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """Read a notebook from its ``.ipynb`` or its jupytext ``.py`` source (kernel set to python3).

    Raises:
        NotebookError: when the file is missing or cannot be read as a notebook.
    """
    path = Path(path)
    try:
        if path.suffix == ".py":
            nb = jupytext.read(path, fmt="py:percent")
        else:
            nb = nbformat.read(path, as_version=4)
    except FileNotFoundError:
        raise NotebookError(f"notebook {path} does not exist") from None
    except Exception as exc:  # jupytext/nbformat raise many types for bad files
        raise NotebookError(f"cannot read notebook {path}: {exc}") from exc
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    return nb


def display_path(path: Path) -> str:
    """``path`` relative to the project (else to the working directory) when inside it."""
    path = Path(path).resolve()
    try:
        return path.relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        try:
            return path.relative_to(Path.cwd()).as_posix()
        except ValueError:
            return str(path)


def demo_parameters_file(notebook: Path, parameters_dir: Path = PARAMETERS_DIR / "demo") -> Path:
    """The parameter file ``<parameters_dir>/<notebook-stem>.yaml`` (may not exist)."""
    return parameters_dir / f"{Path(notebook).stem}.yaml"
