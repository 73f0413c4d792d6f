"""Building file steps: a rendered jinja2 template, sections/keys of an Asterisk ``.conf`` edited in
place, or any text file edited by a pure function (``/etc/sysctl.conf`` with
:func:`mirtalib.asterisk.sysctl.set_sysctl_conf`).

Every builder returns a :class:`~mirtalib.runbook.model.FileChange` whose ``render`` turns the live
text into the wanted text; the engine diffs, backs up, validates and writes it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jinja2

from mirtalib.errors import ParameterError
from mirtalib.runbook.model import FileChange, Phase, Risk

_ENV = jinja2.Environment(
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    autoescape=False,  # noqa: S701
)

ConfEdit = Callable[[Any], None]


def template_file(
    id: str,
    title: str,
    path: str,
    template: str,
    context: Mapping[str, Any],
    *,
    mode: int = 0o644,
    validate: str | None = None,
    risk: Risk = Risk.CHANGING,
    summary: str = "",
    phase: Phase = Phase.IMPLEMENTATION,
) -> FileChange:
    """A file whose whole content is ``template`` (jinja2 source) rendered with ``context``.

    Undefined template variables are errors (StrictUndefined), raised when the step is built.
    """
    try:
        text = _ENV.from_string(template).render(**context)
    except jinja2.TemplateError as exc:
        raise ParameterError(f"template for {path} cannot be rendered: {exc}") from None
    return FileChange(
        id=id,
        title=title,
        path=path,
        render=lambda _current: text,
        mode=mode,
        validate=validate,
        risk=risk,
        summary=summary or f"write {path}",
        phase=phase,
    )


def conf_edit(
    id: str,
    title: str,
    path: str,
    edit: ConfEdit,
    *,
    mode: int = 0o640,
    validate: str | None = None,
    risk: Risk = Risk.CHANGING,
    summary: str = "",
    phase: Phase = Phase.IMPLEMENTATION,
) -> FileChange:
    """Edit an Asterisk-style ``.conf`` in place with :mod:`mirtalib.asterisk.conf`.

    ``edit`` receives the parsed :class:`~mirtalib.asterisk.conf.ConfDocument` (empty when the file
    is missing) and changes it (``doc.section("general").set("tlsenable", "yes")``); untouched
    lines, comments and order are kept byte for byte.
    """
    from mirtalib.asterisk.conf import parse_conf

    def render(current: str | None) -> str:
        doc = parse_conf(current or "")
        edit(doc)
        return doc.render()

    return FileChange(
        id=id,
        title=title,
        path=path,
        render=render,
        mode=mode,
        validate=validate,
        risk=risk,
        summary=summary or f"edit {path}",
        phase=phase,
    )


def text_edit(
    id: str,
    title: str,
    path: str,
    edit: Callable[[str], str],
    *,
    mode: int = 0o644,
    validate: str | None = None,
    risk: Risk = Risk.CHANGING,
    summary: str = "",
    phase: Phase = Phase.IMPLEMENTATION,
) -> FileChange:
    """Edit a text file with a pure function ``current text -> wanted text`` (a missing file is "").

    Use the editors of :mod:`mirtalib.asterisk` (``set_sysctl_conf`` ...), which keep every other
    byte of the file; the function must be idempotent (applying it twice changes nothing).
    """
    return FileChange(
        id=id,
        title=title,
        path=path,
        render=lambda current: edit(current or ""),
        mode=mode,
        validate=validate,
        risk=risk,
        phase=phase,
        summary=summary or f"edit {path}",
    )
