"""The vocabulary of a runbook: risks, phases, verdicts, the four kinds of step, parameters.

A page module builds a list of steps from validated parameter values; the engine
(:mod:`mirtalib.runbook.engine`) decides what each step does in plan, apply and verify mode.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from mirtalib import validate
from mirtalib.errors import ParameterError

if TYPE_CHECKING:  # pragma: no cover
    from mirtalib.runbook.targets import Target

_STEP_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class Risk(StrEnum):
    """What a command or file change does to the target, as declared by the page author."""

    READ_ONLY = "read-only"
    CHANGING = "changing"
    SERVICE_AFFECTING = "service-affecting"


class Phase(StrEnum):
    """The three parts of the frame every page shares (DESIGN.md)."""

    BEFORE = "before starting"
    IMPLEMENTATION = "implementation"
    VERIFICATION = "current verification"


class Verdict(StrEnum):
    """Outcome of a check."""

    PASS = "pass"  # noqa: S105 - a verdict, not a password
    WARN = "warn"
    FAIL = "fail"


Expectation = Callable[[Any], "Verdict | tuple[Verdict, str]"]


@dataclass(frozen=True, kw_only=True)
class Step:
    """Common part of every step.

    Attributes:
        id: short unique slug (``sysctl-conf``), used by ``when_changed`` and in the journal.
        title: one line saying what the step is for, in the operator's words.
        phase: the part of the shared frame the step belongs to.
    """

    id: str
    title: str
    phase: Phase = Phase.IMPLEMENTATION

    def __post_init__(self) -> None:
        if not _STEP_ID.match(self.id):
            raise ParameterError(
                f"step id {self.id!r} is not a slug (lower-case letters, digits and dashes)"
            )

    @property
    def kind(self) -> str:
        """Short name of the step kind, for tables."""
        return type(self).__name__.lower()


@dataclass(frozen=True, kw_only=True)
class Manual(Step):
    """Something the engineer does or looks at elsewhere; shown as a checklist item.

    Attributes:
        where: the place (``MiRTA web page Admin/Settings``, ``Teams admin center``).
        detail: what exactly to do or look for.
    """

    where: str = ""
    detail: str = ""


@dataclass(frozen=True, kw_only=True)
class Command(Step):
    """A shell command run on the target.

    Attributes:
        command: the command line; build it with quoted values (``shlex.quote``).
        risk: declared effect. Read-only commands also run in plan mode (to show current state).
        ok_codes: exit codes that count as success.
        when_changed: ids of file steps; when given, the command runs only if one of them changed
            (like an Ansible handler), or if ``unless`` fails.
        unless: a read-only guard: a shell command (exit 0 means "already in effect") or a
            :class:`Check` (pass means "already in effect"); the step is then ``ok``.
        undo: command run by rollback after the files are restored (e.g. reload again).
        timeout: seconds before the command is abandoned (a failure).
        failure: output -> reason when the output shows a failure although the exit code is 0
            (``asterisk -rx 'module reload'`` exits 0 and prints the errors); see
            :func:`mirtalib.runbook.checks.failure_lines`.
    """

    command: str
    risk: Risk = Risk.READ_ONLY
    ok_codes: tuple[int, ...] = (0,)
    when_changed: tuple[str, ...] = ()
    unless: str | Check | None = None
    undo: str | None = None
    timeout: float = 120.0
    failure: Callable[[str], str | None] | None = None

    @property
    def conditional(self) -> bool:
        """True when the command only runs if something needs it."""
        return bool(self.when_changed or self.unless)


@dataclass(frozen=True, kw_only=True)
class FileChange(Step):
    """A file whose wanted content is computed from its current content.

    Build one with :func:`mirtalib.runbook.files.template_file` or
    :func:`mirtalib.runbook.files.conf_edit` rather than by hand.

    Attributes:
        path: absolute path on the target.
        render: current text (None when the file is missing) -> wanted text.
        mode: permission bits for a file that does not exist yet (existing files keep theirs).
        validate: checker run on the staged new file before it replaces the live one; ``{path}``
            stands for the staged file (``haproxy -c -f {path}``). Exit != 0 stops the run.
        risk: declared effect of writing the file.
        summary: what the change does, one line (shown in plan).
        plan_render: used instead of ``render`` in plan mode (a secret shown as a placeholder,
            resolved only by apply).
    """

    path: str
    render: Callable[[str | None], str]
    mode: int = 0o644
    validate: str | None = None
    risk: Risk = Risk.CHANGING
    summary: str = ""
    plan_render: Callable[[str | None], str] | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.path.startswith("/"):
            raise ParameterError(f"file step {self.id!r}: path {self.path!r} is not absolute")


@dataclass(frozen=True, kw_only=True)
class Check(Step):
    """Command (or probe) + parser + expectation -> pass / warn / fail with reason and evidence.

    Attributes:
        command: read-only command whose stdout is parsed (or ``probe``).
        probe: callable given the target, returning the text to parse (e.g. read a file).
        parse: text -> value (a parser from :mod:`mirtalib.asterisk`); its ParseError is a fail.
        expect: value -> Verdict or (Verdict, reason).
        ok_codes: exit codes that are not an error (``grep -c`` exits 1 when it counts 0).
    """

    command: str | None = None
    probe: Callable[[Target], str] | None = None
    parse: Callable[[str], Any] = str
    expect: Expectation = field(default=lambda _value: Verdict.PASS)
    ok_codes: tuple[int, ...] = (0,)
    phase: Phase = Phase.VERIFICATION

    def __post_init__(self) -> None:
        super().__post_init__()
        if (self.command is None) == (self.probe is None):
            raise ParameterError(f"check {self.id!r}: give exactly one of command= or probe=")

    @property
    def risk(self) -> Risk:
        """Checks are read-only by construction."""
        return Risk.READ_ONLY


Validator = Callable[[Any, str], Any]


def _kinds() -> dict[str, Validator]:
    v = validate
    return {
        "port": v.port,
        "path": v.path,
        "hostname": v.hostname,
        "host": v.host,
        "ip": v.ip_address,
        "ipv4": lambda value, name: v.ip_address(value, name, version=4),
        "network": v.ip_network,
        "tenant": v.tenant,
        "extension": v.extension,
        "asterisk_name": v.asterisk_name,
        "env_var": v.env_var,
        "url": v.url,
        "https_url": lambda value, name: v.url(value, name, schemes=("https",)),
        "email": v.email,
    }


_KIND_TEXT = {  # kind -> (one value, a list of them)
    "port": ("a port 1-65535", "ports"),
    "path": ("an absolute path", "absolute paths"),
    "hostname": ("a host name", "host names"),
    "host": ("a host name or IP address", "host names or IP addresses"),
    "ip": ("an IP address", "IP addresses"),
    "ipv4": ("an IPv4 address", "IPv4 addresses"),
    "network": ("a network like 10.0.0.0/24", "networks"),
    "tenant": ("a tenant code like DEVEL", "tenant codes"),
    "extension": ("an extension like 100-DEVEL", "extensions like 100-DEVEL"),
    "asterisk_name": ("an Asterisk name", "Asterisk names"),
    "env_var": ("the name of an environment variable", "environment variable names"),
    "url": ("an http(s) URL", "URLs"),
    "https_url": ("an https URL", "https URLs"),
    "email": ("an e-mail address", "e-mail addresses"),
}


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class Param:
    """One parameter of a runbook: the single source of the notebook's parameters cell.

    The declared constraints are checked in this order by :meth:`coerce`: the default's type,
    ``optional`` (an empty string passes as is), ``choices``, ``between``, ``items`` or ``kind``,
    then ``check``. Every refusal is a ParameterError naming the parameter, the value and what
    is allowed.

    Attributes:
        name: the notebook variable name.
        default: demo default; its type is the parameter's type.
        help: one line for the notebook's parameters cell, the form and the docs (no ``=``:
            papermill skips such lines).
        check: a page's own validator run last: value -> normalized value or ParameterError.
        choices: fixed choices, or ``"tenants"`` / ``"nodes"`` to read them from the database
            (the form's list; not enforced).
        secret_ref: the value is the NAME of an env var holding a secret (shown, never resolved
            into the journal).
        kind: what the value is: a name of :data:`KINDS` (``"port"``, ``"path"``, ``"hostname"``,
            ``"tenant"`` ... from :mod:`mirtalib.validate`) or a validator ``(value, name)``.
        between: inclusive ``(low, high)`` bounds of a number.
        optional: an empty string is allowed (and skips the other checks).
        items: the value is a comma-separated list; each item is checked by this kind (name or
            validator ``(item, name)``); the result is the items joined by ``,``.
    """

    name: str
    default: Any
    help: str = ""
    check: Callable[[Any], Any] | None = None
    choices: Sequence[Any] | str | None = None
    secret_ref: bool = False
    kind: str | Validator | None = None
    between: tuple[Any, Any] | None = None
    optional: bool = False
    items: str | Validator | None = None

    def __post_init__(self) -> None:
        for spec in (self.kind, self.items):
            if isinstance(spec, str) and spec not in KINDS:
                raise ParameterError(
                    f"Param {self.name}: unknown kind {spec!r} (known: {sorted(KINDS)})"
                )
        if self.between is not None:
            low, high = self.between
            if not low <= high:
                raise ParameterError(f"Param {self.name}: between={self.between} is empty")

    def _fail(self, value: Any, why: str) -> ParameterError:
        shown = repr(value)
        if len(shown) > 120:
            shown = shown[:117] + "..."
        return ParameterError(f"parameter {self.name}={shown} {why}")

    def constraint(self) -> str:
        """What the declared constraints allow, in words (empty when nothing is declared)."""
        parts = []
        if isinstance(self.choices, Sequence) and not isinstance(self.choices, str):
            parts.append("one of " + ", ".join(_number(c) for c in self.choices))
        if self.between is not None:
            parts.append(f"{_number(self.between[0])}-{_number(self.between[1])}")
        if isinstance(self.items, str):
            parts.append(f"comma list of {_KIND_TEXT[self.items][1]}")
        elif isinstance(self.kind, str):
            parts.append(_KIND_TEXT[self.kind][0])
        text = "; ".join(parts)
        if text and self.optional:
            text = f"empty or {text}"
        return text

    def _to_type(self, value: Any) -> Any:
        kind = type(self.default)
        try:
            if kind is bool and isinstance(value, str):
                low = value.strip().lower()
                if low not in {"true", "false", "yes", "no", "1", "0"}:
                    raise ValueError(value)
                return low in {"true", "yes", "1"}
            if kind is bool and not isinstance(value, bool):
                if value not in (0, 1):
                    raise ValueError(value)
                return bool(value)
            if kind in (int, float) and isinstance(value, bool):
                raise ValueError(value)  # True is not a port number
            if kind is int and isinstance(value, float) and not value.is_integer():
                raise ValueError(value)  # never truncate 2.5 to 2
            if kind in (int, float):
                return kind(value)
            if kind is str and not isinstance(value, str):
                raise ValueError(value)  # a list or a number where text is expected
        except (TypeError, ValueError):
            raise self._fail(value, f"is not a {kind.__name__}") from None
        return value

    def _validator(self, spec: str | Validator) -> Validator:
        return KINDS[spec] if isinstance(spec, str) else spec

    def coerce(self, value: Any) -> Any:
        """Convert to the default's type and check the declared constraints, then ``check``."""
        value = self._to_type(value)
        if self.optional and value == "":
            return value
        if isinstance(self.choices, Sequence) and not isinstance(self.choices, str):
            if self.choices and value not in self.choices:
                raise self._fail(value, f"is not one of {list(self.choices)}")
        if self.between is not None:
            low, high = self.between
            if not low <= value <= high:
                raise self._fail(value, f"is outside {_number(low)}-{_number(high)}")
        if self.items is not None:
            validator = self._validator(self.items)
            parts = [part.strip() for part in value.split(",") if part.strip()]
            if not parts:
                raise self._fail(value, f"lists nothing: give a {self.constraint()}")
            value = ",".join(str(validator(part, self.name)) for part in parts)
        elif self.kind is not None:
            value = self._validator(self.kind)(value, self.name)
        if self.check is not None:
            value = self.check(value)
        return value


KINDS: Mapping[str, Validator] = _kinds()


def validate_values(params: Sequence[Param], values: Mapping[str, Any]) -> dict[str, Any]:
    """Validate ``values`` against ``params`` (defaults fill the gaps; unknown names are errors)."""
    known = {p.name: p for p in params}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ParameterError(f"unknown parameter(s) {unknown}; this runbook takes {list(known)}")
    return {name: p.coerce(values.get(name, p.default)) for name, p in known.items()}
