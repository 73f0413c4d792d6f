"""The parameters cell of a page notebook, generated from the page's definition.

One source for each parameter: the page's ``PARAMS`` (name, demo default, help, constraints),
the engine's parameters and the common ones (:func:`mirtalib.runbook.page.notebook_params`). The
cell is rendered as papermill reads it, one ``name: type = default  # help`` line each, the
constraints declared on the Param (``between=``, ``choices=``) added to the help.
:func:`sync_source` rewrites the cell of a notebook source (``scripts/sync_parameters.py`` and
``mirta regen --params-only``), and a test checks that every committed source holds its page's
cell.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mirtalib.errors import NotebookError, ParameterError
from mirtalib.runbook.model import Param, _number
from mirtalib.runbook.session import RunbookDef

PARAMETERS_MARKER = '# %% tags=["parameters"]'
_SOURCE_NAME = re.compile(r"^(\d{2})-[a-z0-9-]+\.py$")


def _literal(value: Any) -> str:
    if isinstance(value, bool | int):
        return repr(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    raise ParameterError(f"a notebook parameter cannot default to a {type(value).__name__}")


def help_text(param: Param) -> str:
    """The comment of a parameter's line: its help, then its declared range or choices."""
    extra = []
    said = set(re.findall(r"[\w.-]+", param.help))
    if isinstance(param.choices, Sequence) and not isinstance(param.choices, str):
        names = [_number(c) for c in param.choices]
        if names and not said.issuperset(names):  # the help does not name them all
            extra.append("one of " + ", ".join(names))
    if param.between is not None:
        span = f"{_number(param.between[0])}-{_number(param.between[1])}"
        if span not in param.help:
            extra.append(span)
    return "; ".join([param.help, *extra]) if param.help else "; ".join(extra)


def parameter_line(param: Param) -> str:
    """``name: type = default  # help`` (papermill skips a line with two ``=``: refused)."""
    line = f"{param.name}: {type(param.default).__name__} = {_literal(param.default)}"
    comment = help_text(param)
    if comment:
        line += f"  # {comment}"
    if line.count("=") != 1 or "\n" in line:
        raise ParameterError(
            f"parameter {param.name}: its line would hide it from papermill (an '=' or a line "
            f"break in the default or help): {line!r}"
        )
    return line


def parameters_cell(definition: RunbookDef) -> str:
    """The parameters cell's source for a page (no trailing newline)."""
    from mirtalib.runbook.page import notebook_params

    return "\n".join(parameter_line(p) for p in notebook_params(definition))


def page_of(source: Path) -> RunbookDef:
    """The page definition of a runbook notebook source ``NN-slug.py``."""
    from mirtalib.runbooks import get

    m = _SOURCE_NAME.match(Path(source).name)
    if not m:
        raise NotebookError(f"{source}: not a runbook notebook source (NN-slug.py)")
    return get(int(m.group(1)))


def _cell_span(lines: list[str], where: str) -> tuple[int, int]:
    starts = [i for i, line in enumerate(lines) if line.strip() == PARAMETERS_MARKER]
    if len(starts) != 1:
        raise NotebookError(f"{where}: needs exactly one '{PARAMETERS_MARKER}' line")
    start = starts[0] + 1
    end = next(
        (i for i in range(start, len(lines)) if lines[i].startswith("# %%")),
        len(lines),
    )
    return start, end


def source_cell(text: str, where: str = "notebook source") -> str:
    """The parameters cell of a jupytext percent source, as written (blank lines trimmed)."""
    lines = text.splitlines()
    start, end = _cell_span(lines, where)
    return "\n".join(lines[start:end]).strip("\n")


def sync_source(source: Path, *, write: bool = True) -> bool:
    """Make ``source``'s parameters cell the one generated from its page; True when it changed."""
    path = Path(source)
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    start, end = _cell_span(lines, str(path))
    wanted = parameters_cell(page_of(path)).splitlines()
    new = (
        [*lines[:start], *wanted, "", *lines[end:]]
        if end < len(lines)
        else [
            *lines[:start],
            *wanted,
        ]
    )
    result = "\n".join(new) + "\n"
    if result == text:
        return False
    if write:
        path.write_text(result, encoding="utf-8")
    return True
