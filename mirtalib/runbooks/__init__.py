"""One small module per seed page: its parameters, steps, templates and checks.

Each module ``pNN_slug.py`` defines ``RUNBOOK`` (a :class:`mirtalib.runbook.RunbookDef`);
``p16_tcp_port_exhaustion`` is the model to copy. Modules are found by name, so adding a page
never edits this file.
"""

from __future__ import annotations

import importlib
import pkgutil
import re

from mirtalib.errors import ParameterError
from mirtalib.runbook.session import RunbookDef

_MODULE = re.compile(r"^p(\d{2})_[a-z0-9_]+$")


def available() -> dict[int, str]:
    """Page number -> module name of every runbook module in this package."""
    found: dict[int, str] = {}
    for info in pkgutil.iter_modules(__path__):
        m = _MODULE.match(info.name)
        if m:
            found[int(m.group(1))] = info.name
    return dict(sorted(found.items()))


def get(page: int) -> RunbookDef:
    """The ``RUNBOOK`` of seed page ``page`` (ParameterError when there is none)."""
    modules = available()
    if page not in modules:
        raise ParameterError(f"no runbook module for page {page} (have: {sorted(modules)})")
    return importlib.import_module(f"{__name__}.{modules[page]}").RUNBOOK
