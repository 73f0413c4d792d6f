"""Postfix ``main.cf`` and ``postconf`` output: read settings, set them in place (seed page 15).

``main.cf`` lines are ``name = value``; a line starting with white space continues the previous
one; ``#`` starts a comment line. The last definition of a name wins, as in Postfix.
:func:`set_main_cf` sets values while keeping every other byte: the first active definition is
replaced, later duplicates are removed (they would override it), missing names are appended.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from mirtalib.errors import ParseError

_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
_DEF = re.compile(r"^([A-Za-z0-9_.-]+)\s*=\s?(.*)$")


def _entries(text: str) -> list[tuple[str | None, list[str]]]:
    """Logical entries: (name or None for comments/blank/unknown, physical lines)."""
    out: list[tuple[str | None, list[str]]] = []
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        if body[:1] in (" ", "\t") and body.strip() and not body.lstrip().startswith("#"):
            if out and out[-1][0] is not None:
                out[-1][1].append(line)
                continue
            out.append((None, [line]))
            continue
        m = _DEF.match(body)
        out.append((m.group(1) if m else None, [line]))
    return out


def parse_main_cf(text: str) -> dict[str, str]:
    """Effective ``name -> value`` of a main.cf (continuations joined with one space)."""
    values: dict[str, str] = {}
    for name, lines in _entries(str(text)):
        if name is None:
            continue
        first = _DEF.match(lines[0].rstrip("\r\n"))
        assert first is not None
        parts = [first.group(2).strip(), *(ln.strip() for ln in lines[1:])]
        values[name] = " ".join(p for p in parts if p)
    return values


def set_main_cf(text: str, wanted: Mapping[str, str]) -> str:
    """Set ``wanted`` names in main.cf text (idempotent; other lines byte for byte)."""
    for name, value in wanted.items():
        if not _NAME.match(name) or "\n" in str(value):
            raise ParseError(f"main.cf: cannot set {name!r} to {value!r}")
    entries = _entries(str(text))
    done: set[str] = set()
    out: list[str] = []
    for name, lines in entries:
        if name in wanted:
            if name in done:
                continue  # a later duplicate would override the value we set
            done.add(name)
            value = str(wanted[name])
            current = parse_main_cf("".join(lines)).get(name)
            out.append("".join(lines) if current == value else f"{name} = {value}\n")
            continue
        out.extend(lines)
    missing = [n for n in wanted if n not in done]
    body = "".join(out)
    if missing:
        if body and not body.endswith("\n"):
            body += "\n"
        body += "".join(f"{n} = {wanted[n]}\n" for n in missing)
    return body


def parse_postconf(text: str) -> dict[str, str]:
    """``postconf name ...`` / ``postconf -n`` output -> ``name -> value``; ParseError otherwise."""
    values: dict[str, str] = {}
    for lineno, line in enumerate(str(text).splitlines(), 1):
        if not line.strip():
            continue
        m = re.match(r"^([A-Za-z0-9_.-]+) = ?(.*)$", line.rstrip())
        if not m:
            raise ParseError(f"postconf line {lineno} is not 'name = value': {line[:60]!r}")
        values[m.group(1)] = m.group(2).strip()
    return values
