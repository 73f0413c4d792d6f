"""Ready-made expectations for :class:`~mirtalib.runbook.model.Check` steps.

An expectation takes the parsed value and returns ``(Verdict, reason)``; the reason is written for
the operator (what was found, what was expected).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from mirtalib.errors import ParseError
from mirtalib.runbook.model import Check, Phase, Verdict

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


# -- steps that read the MiRTA database ---------------------------------------------------------


@dataclass(frozen=True)
class Unavailable:
    """What a check could not read (no database configured): shown instead of a value."""

    reason: str

    def __repr__(self) -> str:
        return self.reason


def needs_database(check: Check, verdict: Verdict = Verdict.WARN) -> Check:
    """``check`` (whose ``probe`` or ``parse`` reads the MiRTA database) with "no database
    configured (set MIRTA_DB_URL)" as its finding (``verdict``) instead of an error.

    The demo PBX is never read in its place (:func:`mirtalib.data.db.open_database`)."""
    from mirtalib.data.db import NO_DATABASE, NoDatabaseConfigured

    inner_probe, inner_parse, inner_expect = check.probe, check.parse, check.expect

    def probe(target: Any) -> str:
        try:
            return inner_probe(target)  # type: ignore[misc]
        except NoDatabaseConfigured as exc:
            return str(exc)  # starts with NO_DATABASE: the probe's output says it

    def parse(text: str) -> Any:
        if inner_probe is not None and str(text).startswith(NO_DATABASE):
            return Unavailable(str(text))
        try:
            return inner_parse(text)
        except NoDatabaseConfigured as exc:
            return Unavailable(str(exc))

    def expect(value: Any) -> Outcome | Verdict:
        if isinstance(value, Unavailable):
            return verdict, value.reason
        return inner_expect(value)

    return replace(
        check, probe=probe if inner_probe is not None else None, parse=parse, expect=expect
    )


def database_finding(
    id: str,
    title: str,
    reason: str,
    *,
    verdict: Verdict = Verdict.FAIL,
    phase: Phase = Phase.BEFORE,
) -> Check:
    """A check that only reports ``reason`` (e.g. what a page could not read from the database
    while building its steps), so plan ends with the finding instead of an error."""
    return Check(
        id=id,
        title=title,
        phase=phase,
        probe=lambda _target: "",
        parse=lambda _text: Unavailable(reason),
        expect=lambda value: (verdict, value.reason),
    )


# -- a program the step needs is not there ------------------------------------------------------

# dash: "/bin/sh: 1: asterisk: not found"; bash: "bash: line 1: asterisk: command not found"
_NOT_FOUND = re.compile(r"(?:^|: )([\w.+-]+): (?:command )?not found\s*$", re.MULTILINE)


def missing_program(out: Any, node: str) -> str | None:
    """The finding ``asterisk is not installed on srv01 (...)`` when a command's exit 127 says its
    program is missing (the shell's "not found"), else None; ``out``: a target's CommandResult."""
    if getattr(out, "exit_code", None) != 127:
        return None
    text = f"{out.stderr}\n{out.stdout}"
    found = _NOT_FOUND.search(text)
    if not found:
        return None
    line = text[text.rfind("\n", 0, found.start()) + 1 : found.end()].strip()
    return f"{found.group(1)} is not installed on {node} (the shell says: {line})"
