"""Secrets by reference.

A parameter never carries a secret value: it carries the *name* of an environment variable (or a
key of the project's `.env` file). :func:`resolve_secret` looks the value up at the last moment, and
registers it with the process-wide :class:`Scrubber` so that anything the library prints, logs or
journals can be cleaned of it with :func:`scrub`.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

from dotenv import dotenv_values

from mirtalib.errors import SecretError

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MASK = "********"


class Scrubber:
    """Remembers resolved secret values and replaces them in text."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()

    def add(self, value: str) -> None:
        """Register a secret value (values shorter than 4 characters are too ambiguous to mask)."""
        if value and len(value) >= 4:
            with self._lock:
                self._values.add(value)

    def discard(self, value: str) -> None:
        """Forget a value (for published defaults such as ``tomcat``, which are no secret)."""
        with self._lock:
            self._values.discard(value)

    def scrub(self, text: str) -> str:
        """Return ``text`` with every registered secret replaced by a mask."""
        if not text:
            return text
        with self._lock:
            values = sorted(self._values, key=len, reverse=True)
        for value in values:
            if value in text:
                text = text.replace(value, MASK)
        return text


SCRUBBER = Scrubber()


def scrub(text: str) -> str:
    """Replace every secret resolved so far in this process with a mask."""
    return SCRUBBER.scrub(text)


def _dotenv_path() -> Path:
    return Path(os.environ.get("MIRTA_DOTENV", ".env"))


def resolve_secret(name: str, *, required: bool = True) -> str | None:
    """Return the value of the secret called ``name`` from the environment, else from `.env`.

    Args:
        name: an environment variable name such as ``MIRTA_SMTP_PASSWORD`` (never the value).
        required: raise :class:`SecretError` when the secret is not set.

    Returns:
        The value, or None when not required and not set.
    """
    if not isinstance(name, str) or not _ENV_NAME.match(name):
        raise SecretError(
            f"secret reference {name!r} is not an environment variable name "
            "(pass the NAME of a variable that holds the secret, never the secret itself)"
        )
    value = os.environ.get(name)
    if value is None:
        path = _dotenv_path()
        if path.is_file():
            value = dotenv_values(path).get(name)
    if value is None or value == "":
        if required:
            where = _dotenv_path()
            hint = f" or add it to {where.name}" if where.name not in ("", "null") else ""
            raise SecretError(f"secret {name} is not set: export it{hint}")
        return None
    SCRUBBER.add(value)
    return value
