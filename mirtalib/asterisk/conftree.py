"""Reading *effective* values out of ``.conf`` documents, following ``#include`` and diffing texts.

* :func:`effective_options` resolves what Asterisk loads for a section: the options of its templates
  (``[name](tpl1,tpl2)``, each template resolved the same way, only templates defined *before* the
  section count), then its own options, then those of later ``[name](+)`` additions.
* :func:`objects` / :func:`find_effective` list the loaded (non-template) sections, e.g. every
  section whose effective ``type`` is ``endpoint``.
* :func:`load_with_includes` reads a file and inlines its ``#include``/``#tryinclude`` files (glob
  patterns allowed, relative names resolved against the Asterisk config directory) for reading.
* :func:`unified_diff` renders the change between two texts for a plan.
"""

from __future__ import annotations

import dataclasses
import difflib
import glob
import logging
import re
from pathlib import Path

from mirtalib.asterisk.conf import ConfDocument, Section, parse_conf
from mirtalib.errors import ParseError

log = logging.getLogger(__name__)

MAX_TEMPLATE_DEPTH = 32
MAX_INCLUDE_DEPTH = 16
MAX_OPTIONS = 100_000  # a section inheriting the same templates many times over
_LINES = re.compile(r"[^\n]*\n|[^\n]+")


def _index(doc: ConfDocument, section: Section) -> int:
    for i, s in enumerate(doc.sections):
        if s is section:
            return i
    raise ParseError(f"section [{section.name}] is not part of this document")


def _template_index(doc: ConfDocument, name: str, before: int) -> int | None:
    for j in range(before):
        s = doc.sections[j]
        if s.name == name and not s.is_addition:
            return j
    return None


def _resolve(
    doc: ConfDocument, idx: int, upto: int, depth: int, memo: dict[tuple[int, int], list]
) -> list[tuple[str, str]]:
    if (idx, upto) in memo:
        return memo[idx, upto]
    section = doc.sections[idx]
    if depth > MAX_TEMPLATE_DEPTH:
        raise ParseError(f"[{section.name}]: template inheritance deeper than {MAX_TEMPLATE_DEPTH}")
    out: list[tuple[str, str]] = []
    for tpl in section.templates:
        j = _template_index(doc, tpl, idx)
        if j is None:
            raise ParseError(
                f"[{section.name}] (line {section.header.lineno}) inherits from [{tpl}], "
                "which is not defined before it"
            )
        out.extend(_resolve(doc, j, idx, depth + 1, memo))
    out.extend(section.options())
    for k in range(idx + 1, min(upto, len(doc.sections))):
        later = doc.sections[k]
        if later.name != section.name:
            continue
        if not later.is_addition:
            break
        for tpl in later.templates:
            j = _template_index(doc, tpl, k)
            if j is None:
                raise ParseError(f"[{later.name}](+) inherits from undefined [{tpl}]")
            out.extend(_resolve(doc, j, k, depth + 1, memo))
        out.extend(later.options())
    if len(out) > MAX_OPTIONS:
        raise ParseError(f"[{section.name}]: templates expand to more than {MAX_OPTIONS} options")
    memo[idx, upto] = out
    return out


def effective_options(doc: ConfDocument, section: Section) -> list[tuple[str, str]]:
    """The ``(key, value)`` pairs Asterisk loads for ``section``, in order, duplicates kept.

    Raises:
        ParseError: when a template is not defined before the section, or inheritance loops.
    """
    idx = _index(doc, section)
    return list(_resolve(doc, idx, len(doc.sections), 0, {}))


def effective_dict(doc: ConfDocument, section: Section) -> dict[str, list[str]]:
    """Effective options grouped by key (values in order; the last is the one that applies)."""
    out: dict[str, list[str]] = {}
    for k, v in effective_options(doc, section):
        out.setdefault(k, []).append(v)
    return out


def effective_value(
    doc: ConfDocument, section: Section, key: str, default: str | None = None
) -> str | None:
    """The value of a single-valued option after inheritance (the last occurrence wins)."""
    values = effective_dict(doc, section).get(key)
    return values[-1] if values else default


def objects(doc: ConfDocument) -> list[Section]:
    """Sections Asterisk loads as objects: not templates ``(!)`` and not ``(+)`` additions."""
    return [s for s in doc.sections if not s.is_template and not s.is_addition]


def find_effective(doc: ConfDocument, name: str | None = None, **criteria: str) -> list[Section]:
    """Loaded sections named ``name`` (any if None) whose effective values match ``criteria``.

    ``find_effective(pjsip, type="endpoint")`` lists endpoints even when ``type`` comes from a
    template.
    """
    found = []
    for s in objects(doc):
        if name is not None and s.name != name:
            continue
        if criteria:
            values = effective_dict(doc, s)
            if not all((values.get(k) or [None])[-1] == v for k, v in criteria.items()):
                continue
        found.append(s)
    return found


@dataclasses.dataclass
class IncludeResult:
    """A document with its includes inlined, for reading.

    Attributes:
        document: the merged document (not for writing back: it mixes several files).
        files: every file read, in order, the main file first.
        missing: ``#tryinclude`` targets that matched no file (a missing ``#include`` raises).
        not_followed: ``#exec``/``#tryexec`` lines (never run by this library).
    """

    document: ConfDocument
    files: list[Path]
    missing: list[str]
    not_followed: list[str]


def _expand(arg: str, including: Path, config_dir: Path | None) -> list[Path]:
    p = Path(arg)
    if not p.is_absolute():
        p = (config_dir or including.parent) / p
    matches = sorted(glob.glob(str(p)))
    return [Path(m) for m in matches]


def _inline(
    path: Path, config_dir: Path | None, depth: int, result: IncludeResult, chain: tuple[Path, ...]
) -> str:
    if depth > MAX_INCLUDE_DEPTH or path.resolve() in chain:
        raise ParseError(f"#include loop or nesting deeper than {MAX_INCLUDE_DEPTH} at {path}")
    try:
        text = path.read_bytes().decode("utf-8", errors="surrogateescape")
    except OSError as exc:
        raise ParseError(f"cannot read {path}: {exc.strerror or exc}") from exc
    result.files.append(path)
    doc = parse_conf(text)
    out: list[str] = []
    lines = list(doc.preamble)
    for s in doc.sections:
        lines.extend(s.lines)
    for ln in lines:
        if ln.kind != "directive" or ln.directive not in {"include", "tryinclude"}:
            if ln.kind == "directive":
                result.not_followed.append(f"{path}:{ln.lineno}: {ln.raw.strip()}")
            out.append(ln.raw + (ln.eol or "\n"))
            continue
        targets = _expand(ln.argument, path, config_dir)
        if not targets:
            if ln.directive == "include":
                raise ParseError(f"{path}:{ln.lineno}: #include {ln.argument} matches no file")
            result.missing.append(ln.argument)
            continue
        for t in targets:
            out.append(_inline(t, config_dir, depth + 1, result, (*chain, path.resolve())))
    return "".join(out)


def load_with_includes(path: str | Path, *, config_dir: str | Path | None = None) -> IncludeResult:
    """Read ``path`` with every ``#include``/``#tryinclude`` inlined where it appears.

    Args:
        path: the main file, e.g. ``/etc/asterisk/pjsip.conf``.
        config_dir: where relative include names live (Asterisk uses its config directory,
            ``/etc/asterisk``); default: the directory of the including file.

    Raises:
        ParseError: unreadable file, ``#include`` matching nothing, or an include loop.
    """
    main = Path(path)
    cdir = Path(config_dir) if config_dir is not None else None
    result = IncludeResult(ConfDocument([], [], []), [], [], [])
    text = _inline(main, cdir, 0, result, ())
    result.document = parse_conf(text)
    log.debug("read %d file(s) for %s", len(result.files), main)
    return result


def unified_diff(old: str, new: str, path: str = "file", *, context: int = 3) -> str:
    """A unified diff from ``old`` to ``new`` labelled ``a/path`` and ``b/path`` ("" if equal).

    A last line without a newline is marked like ``diff`` does (``\\ No newline at end of file``).
    """
    if not isinstance(old, str) or not isinstance(new, str):
        raise ParseError("unified_diff compares two texts")
    if old == new:
        return ""
    a, b = _LINES.findall(old), _LINES.findall(new)
    out = []
    for line in difflib.unified_diff(a, b, f"a/{path}", f"b/{path}", n=context):
        if line.endswith("\n"):
            out.append(line)
        else:
            out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)
