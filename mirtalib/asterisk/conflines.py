"""Line-level syntax of Asterisk ``.conf`` files: one :class:`Line` per physical line.

Used by :mod:`mirtalib.asterisk.conf`; see there for the document model and the edit API.
"""

from __future__ import annotations

import dataclasses
import re

from mirtalib.errors import ParameterError

_CHUNK = re.compile(r"[^\n]*\n|[^\n]+")
_HEADER = re.compile(r"^\[([^\]]*)\]\s*(?:\(([^)]*)\))?\s*$")
_DIRECTIVE = re.compile(r"^#\s*([A-Za-z]+)\s*(.*)$")
KNOWN_DIRECTIVES = frozenset({"include", "tryinclude", "exec", "tryexec"})


@dataclasses.dataclass(slots=True, eq=False)
class Line:
    """One physical line of a ``.conf`` file (compared by identity: two equal lines stay distinct).

    Attributes:
        raw: the text without its line ending.
        eol: the line ending (``"\\n"``, ``"\\r\\n"`` or ``""`` for a last line without one).
        kind: ``blank``, ``comment``, ``section``, ``option``, ``directive`` or ``invalid``.
        lineno: 1-based line number in the parsed text (0 for lines added by the edit API).
        key, op, value: for options (``op`` is ``=`` or ``=>``; ``value`` has ``\\;`` unescaped).
        comment: the comment text of the line (after ``;``), if any.
        name, options: for section headers, the name and the raw ``(...)`` options list.
        directive, argument: for directives (``include``, ``"file.conf"`` unquoted).
    """

    raw: str
    eol: str = "\n"
    kind: str = "blank"
    lineno: int = 0
    key: str = ""
    op: str = ""
    value: str = ""
    comment: str = ""
    name: str = ""
    options: tuple[str, ...] = ()
    directive: str = ""
    argument: str = ""
    value_span: tuple[int, int] | None = None
    block_open: bool = False

    @property
    def text(self) -> str:
        """The raw text with its line ending."""
        return self.raw + self.eol


@dataclasses.dataclass(frozen=True)
class ConfProblem:
    """A line Asterisk would refuse or warn about."""

    lineno: int
    message: str
    raw: str


def split_lines(text: str) -> list[tuple[str, str]]:
    out = []
    for m in _CHUNK.finditer(text):
        chunk = m.group(0)
        if chunk.endswith("\r\n"):
            out.append((chunk[:-2], "\r\n"))
        elif chunk.endswith("\n"):
            out.append((chunk[:-1], "\n"))
        else:
            out.append((chunk, ""))
    return out


def _scan(raw: str, level: int) -> tuple[list[tuple[int, int]], str, int]:
    """Split ``raw`` into content segments and comment text; return (segments, comment, level)."""
    if level == 0 and ";" not in raw:  # fast path: most lines have no comment at all
        return ([(0, len(raw))] if raw else []), "", 0
    segments: list[tuple[int, int]] = []
    comment: list[str] = []
    i, n, start = 0, len(raw), 0
    while i < n:
        if level > 0:
            if raw.startswith("--;", i):
                level -= 1
                i += 3
                start = i
                continue
            if raw.startswith(";--", i):
                level += 1
                i += 3
                continue
            comment.append(raw[i])
            i += 1
            continue
        c = raw[i]
        if c == "\\" and i + 1 < n and raw[i + 1] == ";":
            i += 2
            continue
        if c == ";":
            if i > start:
                segments.append((start, i))
            if raw.startswith(";--", i):
                level += 1
                i += 3
                continue
            comment.append(raw[i + 1 :])
            return segments, "".join(comment), level
        i += 1
    if level == 0 and n > start:
        segments.append((start, n))
    return segments, "".join(comment), level


def unescape(value: str) -> str:
    """Turn ``\\;`` into ``;`` as Asterisk does when it reads a value."""
    return value.replace("\\;", ";")


def escape(value: str) -> str:
    """Escape ``;`` so a value survives a round trip through Asterisk's reader."""
    return value.replace("\\;", ";").replace(";", "\\;")


def parse_line(raw: str, eol: str, lineno: int, level: int) -> tuple[Line, int, str | None]:
    """Parse one physical line; return it, the new block-comment level and a problem (or None)."""
    segments, comment, level = _scan(raw, level)
    content = "".join(raw[a:b] for a, b in segments)
    line = Line(raw=raw, eol=eol, lineno=lineno, comment=comment, block_open=level > 0)
    body = content.strip()
    if not body:
        line.kind = "comment" if (comment or raw.strip()) else "blank"
        return line, level, None
    if body.startswith("["):
        m = _HEADER.match(body)
        if not m:
            line.kind = "invalid"
            return line, level, f"bad section header {body!r}"
        line.kind, line.name = "section", m.group(1)
        opts = m.group(2)
        line.options = tuple(o.strip() for o in opts.split(",")) if opts is not None else ()
        return line, level, None
    if body.startswith("#"):
        m = _DIRECTIVE.match(body)
        line.kind = "directive"
        if not m:
            line.kind = "invalid"
            return line, level, f"bad directive {body!r}"
        line.directive, arg = m.group(1).lower(), m.group(2).strip()
        if len(arg) >= 2 and ((arg[0], arg[-1]) in {('"', '"'), ("<", ">")}):
            arg = arg[1:-1]
        line.argument = arg
        if line.directive not in KNOWN_DIRECTIVES:
            return line, level, f"unknown directive #{line.directive}"
        return line, level, None
    eq = content.find("=")
    if eq < 0:
        line.kind = "invalid"
        return line, level, f"no '=' in {body!r}"
    key = content[:eq].strip()
    after = eq + 1
    op = "="
    if content[after : after + 1] == ">":
        op, after = "=>", after + 1
    rest = content[after:]
    line.kind, line.key, line.op, line.value = "option", key, op, unescape(rest.strip())
    if len(segments) == 1 and rest.strip():
        a = segments[0][0] + after + (len(rest) - len(rest.lstrip()))
        line.value_span = (a, a + len(rest.strip()))
    elif len(segments) == 1:
        pos = segments[0][0] + after
        line.value_span = (pos, pos)
    if not key:
        line.kind = "invalid"
        return line, level, f"option without a name in {body!r}"
    return line, level, None


def check_option(key: str, value: str, op: str) -> None:
    """Refuse an option name/value/operator Asterisk could not read back."""
    if op not in {"=", "=>"}:
        raise ParameterError(f"option operator {op!r} must be '=' or '=>'")
    if not isinstance(key, str) or not key.strip() or key != key.strip():
        raise ParameterError(f"option name {key!r} must be non-empty without outer spaces")
    if any(c in key for c in "=;[]\n\r#") or key.startswith("#"):
        raise ParameterError(f"option name {key!r} contains a character Asterisk cannot read")
    if not isinstance(value, str) or "\n" in value or "\r" in value or value != value.strip():
        raise ParameterError(f"value {value!r} for {key!r} must be one line without outer spaces")
