"""Helpers shared by the command-output parsers of :mod:`mirtalib.asterisk`.

* :func:`parser` makes the "a parser raises nothing but ParseError" promise hold: an unexpected
  exception inside a parser becomes :class:`UnforeseenInput` (a ParseError) chained to it, so the
  hypothesis tests can tell a deliberate refusal from a bug.
* :func:`as_text` accepts ``str`` or ``bytes``, plain CLI text or an AMI capture; for Asterisk
  commands it also drops colour codes and raises on an unknown or refused command
  (:func:`mirtalib.asterisk.ami.read_command_output`).
* :class:`Reject` is how a parser reports a line it could not use (never silently dropped).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Callable, Sequence
from typing import Any, ParamSpec, TypeVar

import pandas as pd

from mirtalib.errors import ParseError

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

MAX_INPUT = 64 * 1024 * 1024  # characters; command outputs beyond this are not plausible


@dataclasses.dataclass(frozen=True)
class Reject:
    """A line a parser could not use.

    Attributes:
        line: 1-based line number in the (unwrapped) text.
        reason: why the line was not used.
        raw: the line, trimmed to 500 characters.
    """

    line: int
    reason: str
    raw: str


def reject(lineno: int, reason: str, raw: str) -> Reject:
    """Build a :class:`Reject` with the raw text trimmed to 500 characters."""
    return Reject(lineno, reason, raw[:500])


class UnforeseenInput(ParseError):
    """Raised when a parser met input its rules did not foresee (the cause is chained).

    It is a :class:`ParseError` for callers; tests treat it as a parser bug to fix.
    """


def parser(func: Callable[P, R]) -> Callable[P, R]:
    """Decorate a parser so that any unexpected exception surfaces as a chained ParseError."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except ParseError:
            raise
        except Exception as exc:
            log.debug("parser %s failed unexpectedly", func.__name__, exc_info=True)
            raise UnforeseenInput(
                f"{func.__name__}: cannot parse this input ({type(exc).__name__}: {exc})"
            ) from exc

    return wrapper


def as_text(text: str | bytes, *, what: str, ami: bool = True) -> str:
    """Return ``text`` as a str with ``\\n`` line endings, unwrapping AMI captures.

    Args:
        text: the command output (str, or bytes decoded as UTF-8 with replacement).
        what: the command, for error messages.
        ami: an Asterisk command: unwrap AMI ``Action: Command`` captures, drop colour codes and
            refuse Asterisk's refusals; False for host commands.

    Raises:
        ParseError: when ``text`` is not text, is too large, or is an AMI error response;
            :class:`~mirtalib.asterisk.ami.CommandNotFound` when the command does not exist on
            that Asterisk (``No such command ...``).
    """
    if isinstance(text, bytes | bytearray):
        text = bytes(text).decode("utf-8", errors="replace")
    if not isinstance(text, str):
        raise ParseError(f"{what}: expected command output as text, got {type(text).__name__}")
    if len(text) > MAX_INPUT:
        raise ParseError(f"{what}: output of {len(text)} characters is too large to be plausible")
    if ami:
        from mirtalib.asterisk.ami import read_command_output

        return read_command_output(text, what=what)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def to_int(value: str, *, what: str, lineno: int | None = None) -> int:
    """Parse a decimal integer or raise ParseError naming the field."""
    v = value.strip()
    if not v or not v.lstrip("+-").isdigit() or not v.lstrip("+-").isascii():
        where = f" (line {lineno})" if lineno is not None else ""
        raise ParseError(f"{what}: {value!r} is not an integer{where}")
    return int(v)


def to_frame(items: Sequence[Any]) -> pd.DataFrame:
    """Turn a list of parser dataclasses into a DataFrame (one column per field, nested as-is)."""
    if not items:
        return pd.DataFrame()
    first = items[0]
    if not dataclasses.is_dataclass(first):
        raise ParseError(f"to_frame expects parser dataclasses, got {type(first).__name__}")
    columns = [f.name for f in dataclasses.fields(first)]
    return pd.DataFrame([[getattr(it, c) for c in columns] for it in items], columns=columns)
