"""Help for names a person gets slightly wrong: "did you mean ...", renamed parameters, dates.

- :func:`did_you_mean`: the closest known names (``cdr-reprot`` -> ``cdr-report``,
  ``tenant`` -> ``tenants``), with :func:`difflib.get_close_matches`.
- :data:`RENAMED`: parameter names the analytics notebooks used before they shared ``start``,
  ``end`` and ``tenants``; giving an old name is refused with the new one.
- :func:`check_dates`: parameters named like dates (``start``, ``end``, ``*_start``, ``*_end``,
  ``*_at``, ``*_day``) must hold ISO dates (:func:`mirtalib.validate.iso_date`), checked before
  a notebook runs, so ``02/10/2026`` is never read as 10 February.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from typing import Any

from mirtalib.errors import ParameterError
from mirtalib.validate import iso_date

RENAMED = {"period_start": "start", "period_end": "end", "tenant": "tenants"}
"""Old parameter name -> the name the analytics notebooks share now."""

DATE_NAME = re.compile(r"^(start|end)$|_(start|end|at|day)$")


def did_you_mean(word: str, known: Iterable[str], n: int = 3) -> list[str]:
    """The known names closest to ``word`` (best first; none when nothing is close)."""
    known = list(dict.fromkeys(known))
    close = difflib.get_close_matches(word, known, n=n, cutoff=0.75)
    # a part typed alone: "report" -> "cdr-report", "queue-report"
    close += [k for k in known if word and k not in close and (word in k.split("-"))]
    return close[:n]


def suggest_parameter(name: str, declared: Iterable[str]) -> str:
    """The hint for an unknown parameter name: ``(did you mean X?)``, ``(renamed: use X)``, or
    "" when no declared name is close."""
    declared = list(declared)
    new = RENAMED.get(name)
    if new and new in declared:
        return f" (renamed: use {new})"
    close = did_you_mean(name, declared)
    return f" (did you mean {' or '.join(close)}?)" if close else ""


def unknown_parameters_error(
    unknown: Iterable[str], declared: Iterable[str], where: str = "notebook"
) -> ParameterError:
    """The error for parameter names a notebook does not have, each with its suggestion."""
    declared = sorted(declared)
    named = ", ".join(f"{name}{suggest_parameter(name, declared)}" for name in sorted(unknown))
    valid = ", ".join(declared) or "(none)"
    return ParameterError(f"{where}: unknown parameter(s) {named}; valid parameters are: {valid}")


def check_dates(values: Mapping[str, Any], where: str = "notebook") -> None:
    """Refuse a date-named parameter whose text is not an ISO date (empty text is left alone).

    Raises:
        ParameterError: naming the parameter, the value and the ISO form to write.
    """
    for name, value in values.items():
        if DATE_NAME.search(name) and isinstance(value, str) and value.strip():
            try:
                iso_date(value, name)
            except ParameterError as exc:
                raise ParameterError(f"{where}: {exc}") from exc
