"""Ready-made expectations for :class:`~mirtalib.runbook.model.Check` steps.

An expectation takes the parsed value and returns ``(Verdict, reason)``; the reason is written for
the operator (what was found, what was expected).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from mirtalib.errors import ParseError
from mirtalib.runbook.model import Verdict

Outcome = tuple[Verdict, str]


def equals(expected: Any, what: str = "value") -> Callable[[Any], Outcome]:
    """Pass when the value equals ``expected``."""

    def expect(value: Any) -> Outcome:
        if value == expected:
            return Verdict.PASS, f"{what} is {value!r} as wanted"
        return Verdict.FAIL, f"{what} is {value!r}, expected {expected!r}"

    return expect


def mapping_equals(expected: Mapping[str, Any], what: str = "setting") -> Callable[[Any], Outcome]:
    """Pass when every key of ``expected`` has that value in the parsed mapping."""

    def expect(value: Mapping[str, Any]) -> Outcome:
        wrong = [
            f"{k}={value.get(k, '<missing>')!r} (want {v!r})"
            for k, v in expected.items()
            if value.get(k) != v
        ]
        if wrong:
            return Verdict.FAIL, f"{what}: " + "; ".join(wrong)
        return Verdict.PASS, f"{what}: " + ", ".join(f"{k}={v}" for k, v in expected.items())

    return expect


def at_most(
    warn: float, fail: float | None = None, what: str = "count"
) -> Callable[[Any], Outcome]:
    """Pass up to ``warn``; warn above it; fail above ``fail`` (when given)."""

    def expect(value: float) -> Outcome:
        if fail is not None and value > fail:
            return Verdict.FAIL, f"{what} is {value}, above the failure threshold {fail}"
        if value > warn:
            return Verdict.WARN, f"{what} is {value}, above the warning threshold {warn}"
        return Verdict.PASS, f"{what} is {value} (warning above {warn})"

    return expect


def info(what: str = "value") -> Callable[[Any], Outcome]:
    """Always pass; shows the value (for 'review the current settings' observations)."""

    def expect(value: Any) -> Outcome:
        return Verdict.PASS, f"{what}: {value}"

    return expect


def failure_lines(*patterns: str) -> Callable[[str], str | None]:
    r"""For ``Command(failure=...)``: the first output line matching one of the regexes, else None.

    >>> failure_lines(r"unable to load", r"\bERROR\b")("Module reloaded. Unable to load x")
    'Module reloaded. Unable to load x'
    """
    compiled = [re.compile(p, re.IGNORECASE) for p in patterns]

    def find(output: str) -> str | None:
        for line in output.splitlines():
            if any(c.search(line) for c in compiled):
                return line.strip()[:300]
        return None

    return find


def parse_int(text: str) -> int:
    """Parse a single integer (e.g. ``grep -c`` output); ParseError otherwise."""
    stripped = str(text).strip()
    try:
        return int(stripped)
    except ValueError:
        raise ParseError(f"expected one integer, got {stripped[:80]!r}") from None
