"""Parameter validators and safe shell command building.

Every validator takes the value and the parameter ``name`` (for the message), returns the
normalized value, and raises :class:`mirtalib.errors.ParameterError` naming both the parameter and
the bad value. :func:`checker` binds a name so a validator fits ``Param(check=...)`` of the runbook
engine::

    Param("sbc_host", "sbc.example.com", check=checker(hostname, "sbc_host"))

Shell commands are built only from validated parts with :func:`cmd` / :func:`shell_join` (every
argument passes through :func:`shlex.quote`); the result is a :class:`Command`, and :func:`pipe`
joins only :class:`Command` objects, so raw text never reaches a shell by accident.
"""

from __future__ import annotations

import ipaddress
import os
import posixpath
import re
import shlex
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

from mirtalib.errors import ParameterError

T = TypeVar("T")

EXTENSION_RE = re.compile(r"^[0-9*#]+-[A-Z0-9_]+$")
TENANT_RE = re.compile(r"^[A-Z0-9_]{1,32}$")
ENV_VAR_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
ASTERISK_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@+-]{0,79}$")
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_EMAIL_LOCAL = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$"
)


def _fail(name: str, value: object, why: str) -> ParameterError:
    shown = repr(value)
    if len(shown) > 120:
        shown = shown[:117] + "..."
    return ParameterError(f"parameter {name}={shown}: {why}")


def _text(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise _fail(name, value, f"expected text, got {type(value).__name__}")
    if not value or value != value.strip():
        raise _fail(name, value, "must be non-empty without leading/trailing spaces")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise _fail(name, value, "contains control characters")
    return value


def checker(validator: Callable[..., T], name: str, **options: Any) -> Callable[[Any], T]:
    """Bind ``validator`` to parameter ``name`` (and options) as a one-argument check."""

    def check(value: Any) -> T:
        return validator(value, name, **options)

    check.__name__ = f"check_{name}"
    return check


def hostname(value: object, name: str = "hostname") -> str:
    """A DNS host name (RFC 1123 labels, up to 253 characters); returned lower-case, no final dot.

    Strings that are IP addresses are refused here: use :func:`host` to accept both.
    """
    text = _text(value, name).lower().removesuffix(".")
    if len(text) > 253:
        raise _fail(name, value, "is longer than 253 characters")
    labels = text.split(".")
    if not all(_LABEL.match(label) for label in labels):
        raise _fail(
            name, value, "is not a host name (letters, digits, '-' in dot-separated labels)"
        )
    if labels[-1].isdigit():
        raise _fail(name, value, "looks like an IP address, not a host name")
    return text


def ip_address(value: object, name: str = "ip", *, version: int | None = None) -> str:
    """An IPv4 or IPv6 address (``version`` 4 or 6 to restrict); returned in canonical form."""
    text = _text(value, name)
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        raise _fail(name, value, "is not an IP address") from None
    if version is not None and addr.version != version:
        raise _fail(name, value, f"is not an IPv{version} address")
    return str(addr)


def ip_network(value: object, name: str = "network") -> str:
    """A network such as ``52.114.148.0/32`` (host bits allowed are refused); canonical form."""
    text = _text(value, name)
    try:
        return str(ipaddress.ip_network(text, strict=True))
    except ValueError as exc:
        raise _fail(name, value, f"is not a network ({exc})") from None


def host(value: object, name: str = "host") -> str:
    """A host name or an IP address."""
    text = _text(value, name)
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return hostname(text, name)


def port(value: object, name: str = "port") -> int:
    """A TCP/UDP port 1-65535 (int, or a string of digits)."""
    if isinstance(value, bool):
        raise _fail(name, value, "is a boolean, not a port")
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value_int = int(value)
    elif isinstance(value, int):
        value_int = value
    else:
        raise _fail(name, value, "is not a port number")
    if not 1 <= value_int <= 65535:
        raise _fail(name, value, "is outside 1-65535")
    return value_int


def host_port(value: object, name: str = "address") -> tuple[str, int]:
    """``host:port`` or ``[ipv6]:port`` (``bind=0.0.0.0:5091``) -> (host, port)."""
    text = _text(value, name)
    m = re.fullmatch(r"\[([^\]]+)\]:(\d+)|([^:\[\]]+):(\d+)", text)
    if not m:
        raise _fail(name, value, "is not host:port (IPv6 in brackets)")
    h = m.group(1) or m.group(3)
    p = m.group(2) or m.group(4)
    if m.group(1):
        return ip_address(h, name, version=6), port(p, name)
    return host(h, name), port(p, name)


def extension(value: object, name: str = "extension") -> str:
    """A MiRTA extension user name ``<number>-<TENANT>`` such as ``100-DEVEL``."""
    text = _text(value, name)
    if not EXTENSION_RE.match(text):
        raise _fail(name, value, "is not an extension like 100-DEVEL (digits * #, '-', TENANT)")
    return text


def tenant(value: object, name: str = "tenant") -> str:
    """A tenant code (upper-case letters, digits, ``_``; up to 32), the suffix of extensions."""
    text = _text(value, name)
    if not TENANT_RE.match(text):
        raise _fail(name, value, "is not a tenant code (A-Z, 0-9, _; e.g. DEVEL)")
    return text


def asterisk_name(value: object, name: str = "name") -> str:
    """An Asterisk object / section name (``msteams_trunk_from_teams``, ``transport-tls``)."""
    text = _text(value, name)
    if not ASTERISK_NAME_RE.match(text):
        raise _fail(name, value, "is not a safe Asterisk object name (A-Z a-z 0-9 _ . @ + -)")
    return text


def path(value: object, name: str = "path", *, base: str | None = None) -> str:
    """A POSIX path on the target, normalized.

    Without ``base`` the path must be absolute. With ``base`` (absolute), a relative path is taken
    under it, and the normalized result must stay inside ``base`` (``..`` cannot escape).
    """
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if isinstance(value, str) and "\x00" in value:
        raise _fail(name, value, "contains a NUL byte")
    text = _text(value, name)
    if base is not None:
        root = posixpath.normpath(path(base, f"{name} base"))
        full = posixpath.normpath(posixpath.join(root, text))
        if full != root and not full.startswith(root.rstrip("/") + "/"):
            raise _fail(name, value, f"escapes its base directory {root}")
        return full
    if not text.startswith("/"):
        raise _fail(name, value, "must be an absolute path")
    full = posixpath.normpath(text)
    return "/" + full.lstrip("/")


def url(value: object, name: str = "url", *, schemes: Iterable[str] = ("https", "http")) -> str:
    """An absolute URL with an allowed scheme and a valid host; credentials in it are refused."""
    text = _text(value, name)
    allowed = tuple(schemes)
    if any(c.isspace() for c in text):
        raise _fail(name, value, "contains spaces")
    try:
        parts = urlsplit(text)
        port_value = parts.port
    except ValueError as exc:
        raise _fail(name, value, f"is not a URL ({exc})") from None
    if parts.scheme.lower() not in allowed:
        raise _fail(name, value, f"scheme must be one of {list(allowed)}")
    if parts.username is not None or parts.password is not None:
        raise ParameterError(
            f"parameter {name}: the URL must not carry credentials (value not shown); "
            "pass the password as the name of an environment variable"
        )
    if not parts.hostname:
        raise _fail(name, value, "has no host")
    host(parts.hostname, name)
    if port_value is not None:
        port(port_value, name)
    return text


def email(value: object, name: str = "email") -> str:
    """A plain address ``local@domain`` (no display name); the domain must be a host name."""
    text = _text(value, name)
    local, sep, domain = text.rpartition("@")
    if not sep or not local or len(local) > 64 or not _EMAIL_LOCAL.match(local):
        raise _fail(name, value, "is not an e-mail address like ops@example.com")
    try:
        hostname(domain, name)
    except ParameterError:
        raise _fail(name, value, "has a bad domain part") from None
    if "." not in domain:
        raise _fail(name, value, "domain part needs a dot")
    return f"{local}@{domain.lower()}"


ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?$")
_NUMERIC_DATE = re.compile(r"^(\d{1,4})[/.-](\d{1,2})[/.-](\d{1,4})(.*)$")


def _iso_hint(text: str) -> str:
    """What to write instead of a date that is not ISO 8601 (``02/10/2026``)."""
    found = _NUMERIC_DATE.match(text)
    if found:
        a, b, c, rest = found.groups()
        rest = rest.strip()
        tail = f" {rest}" if re.fullmatch(r"\d{1,2}:\d{2}(:\d{2})?", rest) else ""
        if len(a) == 4:  # 2026/10/02: year first, ISO order with other separators
            return f"write it as {int(a):04d}-{int(b):02d}-{int(c):02d}{tail} (YYYY-MM-DD)"
        if len(c) == 4:
            day_first = (int(a), int(b))
            month_first = (int(b), int(a))
            readings = [
                (d, m)
                for d, m in dict.fromkeys([day_first, month_first])
                if 1 <= d <= 31 and 1 <= m <= 12
            ]
            forms = [
                f"{int(c):04d}-{m:02d}-{d:02d}{tail} ({d} {_MONTHS[m - 1]} {c})"
                for d, m in readings
            ]
            if forms:
                return "write the ISO form YYYY-MM-DD: " + " or ".join(forms)
    if re.fullmatch(r"\d{8}", text):
        return f"write it as {text[:4]}-{text[4:6]}-{text[6:]} (YYYY-MM-DD)"
    return "write the ISO form YYYY-MM-DD (e.g. 2026-10-02, or 2026-10-02 14:30 with a time)"


_MONTHS = (
    "January February March April May June July August September October November December"
).split()


def iso_date(value: object, name: str = "date") -> datetime:
    """A date or date-time in ISO 8601 order, PBX-local: ``2026-10-02``, ``2026-10-02 14:30``,
    ``2026-10-02T14:30:05``; returned as a naive :class:`~datetime.datetime`.

    Anything else is refused, with the ISO form to write instead: ``02/10/2026`` is 2 October in
    Italy and 10 February in the US, so it is never guessed. ``date``/``datetime`` objects are
    accepted (a time zone is dropped, keeping the wall-clock time).
    """
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if not isinstance(value, str):
        raise _fail(name, value, f"expected a date like 2026-10-02, got {type(value).__name__}")
    text = value.strip()
    if not ISO_DATE_RE.match(text):
        raise _fail(name, value, f"is not an ISO date; {_iso_hint(text)}")
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise _fail(name, value, f"is not a real date or time ({exc})") from None


def env_var(value: object, name: str = "secret_env") -> str:
    """The NAME of an environment variable that holds a secret (never the secret itself)."""
    text = _text(value, name)
    if not ENV_VAR_RE.match(text):
        raise ParameterError(
            f"parameter {name} must name an environment variable (letters, digits, _), "
            "not hold a secret; the value given is not shown"
        )
    return text


class Command(str):
    """A shell command line built by :func:`cmd`/:func:`shell_join`/:func:`pipe` (quoted)."""

    __slots__ = ()


def _arg(part: object, i: int) -> str:
    if isinstance(part, bool) or not isinstance(part, str | int | os.PathLike):
        raise _fail(f"argv[{i}]", part, "must be text, an int or a path")
    text = os.fspath(part) if isinstance(part, os.PathLike) else str(part)
    if isinstance(text, bytes) or "\x00" in text:
        raise _fail(f"argv[{i}]", part, "cannot be passed to a program (NUL or bytes)")
    return text


def shell_join(argv: Iterable[object]) -> Command:
    """Quote each element with :func:`shlex.quote` and join: ``["ss", "-lntp"]`` -> ``ss -lntp``."""
    parts = [_arg(p, i) for i, p in enumerate(argv)]
    if not parts or not parts[0]:
        raise _fail("argv", parts, "needs a program name")
    return Command(" ".join(shlex.quote(p) for p in parts))


def cmd(program: str, *args: object) -> Command:
    """``cmd("asterisk", "-rx", "pjsip show endpoint " + name)`` -> quoted command line."""
    return shell_join([program, *args])


def pipe(*commands: Command) -> Command:
    """Join commands built by :func:`cmd` with ``|`` (``netstat -an | grep -c TIME_WAIT``)."""
    if not commands:
        raise ParameterError("pipe() needs at least one command")
    for i, c in enumerate(commands):
        if not isinstance(c, Command):
            raise _fail(f"commands[{i}]", c, "must be built with cmd()/shell_join(), not raw text")
    return Command(" | ".join(commands))
