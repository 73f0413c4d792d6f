"""Lossless reader/writer for Asterisk ``.conf`` files (pjsip.conf, sip.conf, sorcery.conf ...).

The text is parsed into a :class:`ConfDocument`: a preamble (lines before the first section) and
:class:`Section` objects, each a header line plus its body lines. Every :class:`Line` keeps its raw
text and line ending, so ``ConfDocument.parse(text).render() == text`` for *any* text; only lines
the edit API touches are re-rendered. What the parser understands:

* ``[name]``, ``[name](!)`` (template), ``[name](tpl1,tpl2)`` (inherit), ``[name](!,tpl)``,
  ``[name](+)`` (add to the earlier section of that name);
* ``key=value`` and ``key => value`` (object definition), duplicate keys (``allow=``) in order;
* ``;`` comments (``\\;`` is a literal semicolon), ``;-- block comments --;`` (nested);
* ``#include``, ``#tryinclude``, ``#exec`` directives (kept in place, listed by
  :meth:`ConfDocument.directives`).

Lines Asterisk would refuse (an option before any section, a line without ``=``, a broken header)
are kept verbatim and listed in :attr:`ConfDocument.problems`; ``strict=True`` raises instead.
Template inheritance and ``(+)`` merging for *reading effective values* live in
:mod:`mirtalib.asterisk.conftree`.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

from mirtalib.asterisk._common import parser
from mirtalib.asterisk.conflines import (
    ConfProblem,
    Line,
    check_option,
    escape,
    parse_line,
    split_lines,
    unescape,
)
from mirtalib.errors import ParameterError, ParseError

__all__ = [
    "ConfDocument",
    "ConfProblem",
    "Line",
    "Section",
    "escape",
    "parse_conf",
    "read_conf",
    "unescape",
]

log = logging.getLogger(__name__)

DUPLICATE_MODES = ("error", "first", "last", "all")


class Section:
    """A ``[section]``: its header line and body lines, with an edit API over its options."""

    def __init__(self, header: Line, body: list[Line] | None = None) -> None:
        self.header = header
        self.body: list[Line] = body if body is not None else []

    def __repr__(self) -> str:
        return f"Section({self.header.raw.strip()!r}, {len(self.body)} lines)"

    @property
    def name(self) -> str:
        """The section name, between the brackets."""
        return self.header.name

    @property
    def is_template(self) -> bool:
        """True for ``[name](!)``: a template Asterisk does not load as an object."""
        return "!" in self.header.options

    @property
    def is_addition(self) -> bool:
        """True for ``[name](+)``: options added to the earlier section of the same name."""
        return "+" in self.header.options

    @property
    def templates(self) -> list[str]:
        """Names of the templates this section inherits from, in order."""
        return [o for o in self.header.options if o and o not in {"!", "+"}]

    @property
    def lines(self) -> list[Line]:
        """Header and body lines."""
        return [self.header, *self.body]

    def options(self) -> list[tuple[str, str]]:
        """This section's own ``(key, value)`` pairs in file order (no inheritance)."""
        return [(ln.key, ln.value) for ln in self.body if ln.kind == "option"]

    def _option_lines(self, key: str) -> list[Line]:
        return [ln for ln in self.body if ln.kind == "option" and ln.key == key]

    def get_all(self, key: str) -> list[str]:
        """Every value of ``key`` in this section, in order (``allow=`` lines ...)."""
        return [ln.value for ln in self._option_lines(key)]

    def get(self, key: str, default: str | None = None) -> str | None:
        """The last value of ``key`` (the one Asterisk keeps for single-valued options)."""
        values = self.get_all(key)
        return values[-1] if values else default

    def __contains__(self, key: object) -> bool:
        return any(ln.kind == "option" and ln.key == key for ln in self.body)

    def _style(self) -> tuple[str, str]:
        for ln in self.body:
            if ln.kind == "option" and ln.value_span:
                before = ln.raw[: ln.value_span[0]]
                spaced = " =" in before
                return (" = " if spaced else "="), (" => " if spaced else "=>")
        return "=", " => "

    def _new_line(self, key: str, value: str, op: str) -> Line:
        check_option(key, value, op)
        eq, arrow = self._style()
        sep = eq if op == "=" else arrow
        raw = _join(f"{key}{sep}", escape(value))
        line, _, _ = parse_line(raw, "\n", 0, 0)
        return line

    def _insert_at(self) -> int:
        idx = 0
        for i, ln in enumerate(self.body):
            if ln.kind in {"option", "directive", "invalid"}:
                idx = i + 1
        return idx

    def add(self, key: str, value: str, *, op: str = "=", after: Line | None = None) -> Line:
        """Add ``key=value`` after the last option, or right after line ``after`` of this section.

        Duplicates are kept (``allow=``); use :meth:`set` for single-valued options.
        """
        line = self._new_line(key, value, op)
        if after is None:
            idx = self._insert_at()
        elif after is self.header:
            idx = 0
        else:
            idx = next((i + 1 for i, ln in enumerate(self.body) if ln is after), None)
            if idx is None:
                raise ParameterError(f"line {after.raw!r} is not in section [{self.name}]")
        self._insert(idx, line)
        return line

    def _insert(self, idx: int, line: Line) -> None:
        while 0 < idx < len(self.body) and self.body[idx - 1].block_open:
            idx += 1  # never inside a ;-- block comment --;
        prev = self.body[idx - 1] if idx > 0 else self.header
        if prev.eol == "":
            prev.eol, line.eol = "\n", ""
        self.body.insert(idx, line)

    def set(
        self, key: str, value: str, *, duplicates: str = "error", op: str | None = None
    ) -> None:
        """Set the single value of ``key``, editing the existing line in place (comment kept).

        Args:
            key: option name.
            value: new value (``;`` is escaped for you; newlines are refused).
            duplicates: what to do when ``key`` occurs more than once: ``error`` (raise),
                ``first``/``last`` (edit only that occurrence), ``all`` (keep the first occurrence
                with the new value and remove the others).
            op: ``=`` or ``=>`` for a new line (default: the existing line's, else ``=``).

        Raises:
            ParameterError: for a bad key/value/op/duplicates mode, or duplicates with ``error``.
        """
        if duplicates not in DUPLICATE_MODES:
            raise ParameterError(f"duplicates={duplicates!r} is not one of {DUPLICATE_MODES}")
        found = self._option_lines(key)
        if not found:
            self.add(key, value, op=op or "=")
            return
        if len(found) > 1 and duplicates == "error":
            raise ParameterError(
                f"[{self.name}] has {len(found)} '{key}' lines: pass duplicates='first', 'last' "
                "or 'all', or use set_all() for a multi-valued option"
            )
        target = found[-1] if duplicates == "last" else found[0]
        _edit_value(target, value, op or target.op)
        if duplicates == "all":
            for ln in found[1:]:
                self._drop(ln)

    def set_all(self, key: str, values: list[str], *, op: str = "=") -> None:
        """Make ``key`` have exactly ``values`` in order, where its first line was (else at end)."""
        found = self._option_lines(key)
        if not found:
            for v in values:
                self.add(key, v, op=op)
            return
        idx = self.body.index(found[0])
        for ln in found[len(values) :]:
            self._drop(ln)
        for ln, v in zip(found, values, strict=False):
            _edit_value(ln, v, ln.op)
        last = found[min(len(found), len(values)) - 1] if values else None
        pos = self.body.index(last) + 1 if last is not None else idx
        for v in values[len(found) :]:
            self._insert(pos, self._new_line(key, v, op))
            pos += 1

    def ensure(self, key: str, value: str, *, op: str = "=") -> bool:
        """Add ``key=value`` unless that exact pair is already there; True when added.

        The idempotent way to add one value of a multi-valued option (``allow=``, ``match=``).
        """
        if value in self.get_all(key):
            return False
        self.add(key, value, op=op)
        return True

    def remove(self, key: str, value: str | None = None) -> int:
        """Remove every ``key`` line (or only those with ``value``); return how many went."""
        gone = [ln for ln in self._option_lines(key) if value is None or ln.value == value]
        for ln in gone:
            self._drop(ln)
        return len(gone)

    def _drop(self, line: Line) -> None:
        """Remove an option line; one that opens a ``;--`` block comment keeps that opening."""
        if line.block_open and ";--" in line.raw:
            line.raw = line.raw[line.raw.rfind(";--") :]
            line.kind, line.key, line.value, line.op, line.value_span = "comment", "", "", "", None
            return
        self.body.remove(line)


def _join(prefix: str, value: str) -> str:
    """``key=`` + value, with a space when the value starts with ``>`` (else it reads as ``=>``)."""
    if value.startswith(">") and prefix.endswith("="):
        return f"{prefix} {value}"
    return prefix + value


def _edit_value(line: Line, value: str, op: str) -> None:
    check_option(line.key, value, op)
    if line.value_span is not None and op == line.op:
        a, b = line.value_span
        raw = _join(line.raw[:a], escape(value)) + line.raw[b:]
    else:
        raw = _join(f"{line.key}{op}", escape(value))
        raw += f" ;{line.comment}" if line.comment else ""
    new, _, _ = parse_line(raw, line.eol, line.lineno, 0)
    for f in dataclasses.fields(new):
        if f.name not in {"eol", "lineno"}:
            setattr(line, f.name, getattr(new, f.name))


class ConfDocument:
    """A parsed ``.conf`` file that renders back byte-identically until edited."""

    def __init__(self, preamble: list[Line], sections: list[Section], problems: list[ConfProblem]):
        self.preamble = preamble
        self.sections = sections
        self.problems = problems

    @classmethod
    def parse(cls, text: str, *, strict: bool = False) -> ConfDocument:
        """Parse ``text`` (any text); with ``strict`` raise ParseError on the first problem."""
        if not isinstance(text, str):
            raise ParseError(f"a .conf document must be text, got {type(text).__name__}")
        preamble: list[Line] = []
        sections: list[Section] = []
        problems: list[ConfProblem] = []
        level = 0
        for lineno, (raw, eol) in enumerate(split_lines(text), start=1):
            line, level, problem = parse_line(raw, eol, lineno, level)
            if line.kind == "section":
                sections.append(Section(line))
                continue
            if line.kind == "option" and not sections:
                problem = f"option {line.key!r} before any [section]"
            (sections[-1].body if sections else preamble).append(line)
            if problem:
                problems.append(ConfProblem(lineno, problem, raw[:500]))
        if level > 0:
            problems.append(ConfProblem(0, "block comment ';--' is never closed with '--;'", ""))
        if strict and problems:
            p = problems[0]
            raise ParseError(f"line {p.lineno}: {p.message}")
        for p in problems:
            log.debug("conf line %d: %s", p.lineno, p.message)
        return cls(preamble, sections, problems)

    def render(self) -> str:
        """The document as text (identical to the parsed text where nothing was edited)."""
        parts = [ln.text for ln in self.preamble]
        for s in self.sections:
            parts.extend(ln.text for ln in s.lines)
        return "".join(parts)

    def encode(self) -> bytes:
        """The rendered text as bytes (undecodable bytes read by :func:`read_conf` come back)."""
        return self.render().encode("utf-8", errors="surrogateescape")

    def __iter__(self):
        return iter(self.sections)

    def find(self, name: str | None = None, **criteria: str) -> list[Section]:
        """Sections named ``name`` (any name if None) whose own last values match ``criteria``.

        ``doc.find("msteams_trunk_from_teams", type="identify")``; for inherited values use
        :func:`mirtalib.asterisk.conftree.find_effective`.
        """
        return [
            s
            for s in self.sections
            if (name is None or s.name == name) and all(s.get(k) == v for k, v in criteria.items())
        ]

    def section(self, name: str, **criteria: str) -> Section:
        """The one section matching ``name`` and ``criteria``; ParameterError if none or several."""
        found = self.find(name, **criteria)
        if len(found) != 1:
            what = f"[{name}]" + "".join(f" {k}={v}" for k, v in criteria.items())
            raise ParameterError(f"expected exactly one section {what}, found {len(found)}")
        return found[0]

    def add_section(
        self,
        name: str,
        *,
        templates: tuple[str, ...] | list[str] = (),
        template: bool = False,
        options: list[tuple[str, str]] | tuple[tuple[str, str], ...] = (),
        before: Section | None = None,
        blank_line: bool = True,
    ) -> Section:
        """Add ``[name](...)`` with ``options`` at the end (or before ``before``); return it."""
        if not name or any(c in name for c in "[]\n\r;") or name != name.strip():
            raise ParameterError(f"section name {name!r} is not valid in a .conf file")
        for t in templates:
            if not t or any(c in t for c in "()[],!+\n\r;") or t != t.strip():
                raise ParameterError(f"template name {t!r} is not valid in a .conf file")
        opts = (["!"] if template else []) + list(templates)
        raw = f"[{name}]" + (f"({','.join(opts)})" if opts else "")
        header, _, _ = parse_line(raw, "\n", 0, 0)
        section = Section(header)
        for k, v in options:
            section.add(k, v)
        if before is not None:
            if blank_line:
                section.body.append(Line("", "\n"))
            self.sections.insert(self.sections.index(before), section)
            return section
        prev = self._last_line()
        if prev is not None:
            if prev.eol == "":
                prev.eol = "\n"
            if blank_line and prev.kind != "blank":
                self._tail().append(Line("", "\n"))
        self.sections.append(section)
        return section

    def ensure_section(self, name: str, **criteria: str) -> Section:
        """The one section ``name`` matching ``criteria``, added (with ``criteria`` as its first
        options) when there is none; ParameterError when several match.

        ``doc.ensure_section("msteams_trunk_from_teams", type="identify")`` is idempotent.
        """
        found = self.find(name, **criteria)
        if len(found) > 1:
            raise ParameterError(f"{len(found)} sections [{name}] match {criteria}: ambiguous")
        if found:
            return found[0]
        return self.add_section(name, options=list(criteria.items()))

    def remove_section(self, section: Section) -> None:
        """Remove ``section`` (header and body) from the document."""
        self.sections.remove(section)

    def directives(self, kind: str | None = None) -> list[Line]:
        """``#include``/``#tryinclude``/``#exec`` lines in order (optionally of one kind)."""
        lines = list(self.preamble)
        for s in self.sections:
            lines.extend(s.body)
        return [ln for ln in lines if ln.kind == "directive" and kind in (None, ln.directive)]

    def _tail(self) -> list[Line]:
        return self.sections[-1].body if self.sections else self.preamble

    def _last_line(self) -> Line | None:
        if self.sections:
            return self.sections[-1].lines[-1]
        return self.preamble[-1] if self.preamble else None


@parser
def parse_conf(text: str | bytes, *, strict: bool = False) -> ConfDocument:
    """Parse ``.conf`` text (bytes decode as UTF-8 with surrogateescape, so they round-trip)."""
    if isinstance(text, bytes | bytearray):
        text = bytes(text).decode("utf-8", errors="surrogateescape")
    return ConfDocument.parse(text, strict=strict)


def read_conf(path: str | Path, *, strict: bool = False) -> ConfDocument:
    """Read and parse a ``.conf`` file; ParseError naming the path when it cannot be read."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ParseError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return parse_conf(data, strict=strict)
