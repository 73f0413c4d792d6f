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
from collections.abc import Iterable
from pathlib import Path

from dotenv import dotenv_values

from mirtalib.errors import SecretError

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MASK = "********"

#: names of environment variables whose value is a secret (``MIRTA_SMTP_PASSWORD``,
#: ``GITHUB_TOKEN``, ``MIRTA_FLOWROUTE_ACCESS_KEY``, ``DB_PASS``); ``*_ENV`` names are references.
SECRET_ENV_NAME = re.compile(
    r"passw(or)?d|passphrase|secret|token|api_?key|private_?key|credential"
    r"|(^|_)(pass|pwd|key|apikey)(_|$)",
    re.IGNORECASE,
)
#: shortest value taken for a secret (shorter ones are too ambiguous to mask or to refuse)
MIN_SECRET = 4
#: shortest secret refused when it is only *part* of a parameter value (equal values: MIN_SECRET)
MIN_CONTAINED_SECRET = 8
# scheme://user:password@ ; the password ends at the first '@' (raw passwords may hold '/')
_URL_PASSWORD = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s:/?#@]*:(?P<pw>[^\s@]+)@")
_PORT_AND_PATH = re.compile(r"\d{1,5}[/?#].*")


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


def url_passwords(text: str) -> list[str]:
    """The passwords of every ``scheme://user:password@host`` URL in ``text`` (any scheme).

    ``https://host:8443/a@b`` is a port and a path, not a password; an empty password is none.
    """
    found = []
    for match in _URL_PASSWORD.finditer(text or ""):
        password = match.group("pw")
        if not _PORT_AND_PATH.fullmatch(password):
            found.append(password)
    return found


#: names that match :data:`SECRET_ENV_NAME` but are not secrets: the shell's working folders
#: (masking them hid every path under the current folder, e.g. "Open the reports: ********/...")
NOT_SECRET_ENV_NAMES = frozenset({"PWD", "OLDPWD"})


def is_secret_env_name(name: str) -> bool:
    """True when an environment variable's name says its value is a secret."""
    if name.upper() in NOT_SECRET_ENV_NAMES:
        return False
    return bool(SECRET_ENV_NAME.search(name)) and not name.lower().endswith("_env")


def environment_secrets(references: Iterable[str] = ()) -> set[str]:
    """The secrets the environment (and the `.env` file) holds, as far as names tell.

    That is: the value of every variable whose name looks secret (:func:`is_secret_env_name`), the
    value of every variable named in ``references`` (the ``*_env`` parameters of a notebook), and
    the password of any URL a variable holds (``MIRTA_DB_URL``, ``https_proxy``). Values shorter
    than :data:`MIN_SECRET` characters are left out.
    """
    env: dict[str, str] = {}
    path = _dotenv_path()
    if path.is_file():
        env.update({k: v for k, v in dotenv_values(path).items() if v})
    env.update(os.environ)
    found: set[str] = set()
    wanted = {r for r in references if isinstance(r, str) and _ENV_NAME.match(r)}
    for name, value in env.items():
        if not value:
            continue
        if name in wanted or is_secret_env_name(name):
            found.add(value)
        found.update(url_passwords(value))
    return {v for v in found if len(v) >= MIN_SECRET}
