"""Notebook parameters: inspection, parameter files, type checks and the no-secrets rule.

papermill only warns about unknown parameter names and never checks types; here an unknown name is a
:class:`~mirtalib.errors.ParameterError` listing the valid names, and a value that does not fit the
declared annotation (``tenant: str = "DEVEL"``) is one too. A parameter whose *name* says it holds a
secret (``smtp_password``) is refused unless it is a reference to an environment variable
(``smtp_password_env: str = "MIRTA_SMTP_PASSWORD"``).
"""

from __future__ import annotations

import ast
import logging
import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import yaml
from papermill.iorw import NoDatesSafeLoader
from papermill.translators import PythonTranslator

from mirtalib.errors import NotebookError, ParameterError
from mirtalib.nbrun.suggest import check_dates, unknown_parameters_error
from mirtalib.secrets import MIN_CONTAINED_SECRET, environment_secrets, url_passwords
from mirtalib.validate import ENV_VAR_RE, TENANT_RE

logger = logging.getLogger(__name__)

PARAMETERS_TAG = "parameters"
SECRET_NAME = re.compile(
    r"(passw(or)?d|passphrase|secret|token|api_?key|private_?key|credential)",
    re.IGNORECASE,
)
_MISSING = object()


@dataclass(frozen=True)
class NotebookParameter:
    """One parameter of a notebook, as declared in its ``parameters`` cell.

    Attributes:
        name: the variable name.
        annotation: the declared type as written (``"str"``, ``"list[int]"``), "" when none.
        default: the default expression as written in the cell.
        help: the trailing comment.
        visible_to_papermill: whether ``papermill --help-notebook`` can see it.
    """

    name: str
    annotation: str
    default: str
    help: str
    visible_to_papermill: bool = True

    @property
    def default_value(self) -> Any:
        """The default as a Python value when it is a literal, else the expression text."""
        try:
            return ast.literal_eval(self.default)
        except (ValueError, SyntaxError):
            return self.default


def is_secret_name(name: str) -> bool:
    """True when a name says it holds a secret value (and is not an ``_env`` reference)."""
    return bool(SECRET_NAME.search(name)) and not name.lower().endswith("_env")


def parameters_cells(nb: nbformat.NotebookNode) -> list[int]:
    """Indexes of the cells tagged ``parameters``."""
    return [
        i
        for i, cell in enumerate(nb.cells)
        if PARAMETERS_TAG in cell.get("metadata", {}).get("tags", [])
    ]


def inspect_parameters(
    nb: nbformat.NotebookNode, where: str = "notebook"
) -> list[NotebookParameter]:
    """Read the parameters of a notebook from its ``parameters`` cell.

    Names, annotations and defaults come from parsing the cell as Python; the help texts from
    papermill's inspection (which is what ``papermill --help-notebook`` shows).

    Raises:
        NotebookError: when the parameters cell is missing, repeated or not valid Python.
    """
    cells = parameters_cells(nb)
    if len(cells) != 1:
        raise NotebookError(
            f"{where} must have exactly one cell tagged 'parameters' (found {len(cells)})"
        )
    source = nb.cells[cells[0]].source
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise NotebookError(f"{where}: parameters cell line {exc.lineno}: {exc.msg}") from None
    seen = {p.name: p for p in PythonTranslator.inspect(nb.cells[cells[0]])}
    params: dict[str, NotebookParameter] = {}
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            targets, annotation = [node.target.id], ast.unparse(node.annotation)
            default = _segment(source, node.value)
        elif isinstance(node, ast.Assign):
            targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
            annotation, default = "", _segment(source, node.value)
        else:
            continue
        for name in targets:
            helptext = seen[name].help if name in seen else ""
            params[name] = NotebookParameter(
                name, annotation, default, helptext or "", visible_to_papermill=name in seen
            )
    return list(params.values())


def _segment(source: str, node: ast.expr | None) -> str:
    if node is None:
        return "None"
    return ast.get_source_segment(source, node) or ast.unparse(node)


def load_parameter_files(paths: Sequence[Path]) -> dict[str, Any]:
    """Merge YAML parameter files in order (later files win), reading dates as plain strings.

    Raises:
        ParameterError: when a file is missing, is not YAML, or is not a mapping of names to values.
    """
    merged: dict[str, Any] = {}
    for path in paths:
        try:
            data = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=NoDatesSafeLoader)  # noqa: S506
        except FileNotFoundError:
            raise ParameterError(f"parameter file {path} does not exist") from None
        except yaml.YAMLError as exc:
            raise ParameterError(f"parameter file {path} is not valid YAML: {exc}") from None
        if data is None:
            continue
        if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
            raise ParameterError(f"parameter file {path} must map parameter names to values")
        merged.update(data)
    return merged


def _annotation_accepts_str(annotation: str) -> bool:
    return _check(annotation, "") is not False


def parse_cli_value(raw: str, annotation: str = "") -> Any:
    """Turn a ``-p name value`` string into a value, guided by the declared annotation.

    A ``str`` parameter keeps the text as given; other types are read as YAML (``3``, ``true``,
    ``[a, b]``, ``null``).
    """
    if annotation.strip() == "str":
        return raw
    try:
        value = yaml.load(raw, Loader=NoDatesSafeLoader)  # noqa: S506
    except yaml.YAMLError:
        return raw
    if annotation and _check(annotation, value) is False and _annotation_accepts_str(annotation):
        return raw
    return value


_SIMPLE = {
    "str": str,
    "int": int,
    "float": (int, float),
    "bool": bool,
    "list": list,
    "dict": dict,
    "tuple": (list, tuple),
    "set": (list, set),
    "None": type(None),
    "NoneType": type(None),
    "Any": object,
    "object": object,
}


def _check_node(node: ast.expr, value: Any) -> bool | None:
    """True/False when ``value`` fits the annotation node, None when the annotation is unknown."""
    if isinstance(node, ast.Constant) and node.value is None:
        return value is None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return _check(node.value, value)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        results = [_check_node(node.left, value), _check_node(node.right, value)]
        return True if True in results else (None if None in results else False)
    if isinstance(node, ast.Name | ast.Attribute):
        name = node.id if isinstance(node, ast.Name) else node.attr
        if name not in _SIMPLE:
            return None
        if name in {"int", "float"} and isinstance(value, bool):
            return False
        return isinstance(value, _SIMPLE[name])
    if isinstance(node, ast.Subscript):
        base = getattr(node.value, "id", "") or getattr(node.value, "attr", "")
        args = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if base == "Optional":
            return True if value is None else _check_node(args[0], value)
        if base == "Union":
            results = [_check_node(a, value) for a in args]
            return True if True in results else (None if None in results else False)
        if base == "Literal":
            return value in [ast.literal_eval(a) for a in args]
        if base in {"list", "List", "set", "Set", "Sequence"}:
            if not isinstance(value, list | tuple | set):
                return False
            results = [_check_node(args[0], v) for v in value]
            return False if False in results else (None if None in results else True)
        if base in {"dict", "Dict", "Mapping"}:
            if not isinstance(value, dict):
                return False
            if len(args) != 2:
                return True
            results = [_check_node(args[0], k) for k in value] + [
                _check_node(args[1], v) for v in value.values()
            ]
            return False if False in results else (None if None in results else True)
        if base in {"tuple", "Tuple"}:
            return isinstance(value, list | tuple)
    return None


def _check(annotation: str, value: Any) -> bool | None:
    try:
        node = ast.parse(annotation, mode="eval").body
    except SyntaxError:
        return None
    return _check_node(node, value)


def is_reference_name(name: str) -> bool:
    """True when a parameter's value must be the NAME of an environment variable (``*_env``)."""
    return name.lower().endswith("_env")


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple | set):
        for item in value:
            yield from _strings(item)


def secret_value_problems(
    values: Mapping[str, Any], declared: Iterable[NotebookParameter] = ()
) -> dict[str, str]:
    """Parameters whose *value* carries a secret, each with why (the value is never in the text).

    A value carries a secret when:

    - it holds a URL with a password (``mysql+pymysql://u:PW@h/db``, ``smtp://``, ``https://u:p@``,
      any scheme), anywhere in the text, in a list or a mapping;
    - the parameter must name an environment variable (``*_env``; ``env:NAME`` values) and the
      value is not a variable name (letters, digits, ``_``): a typed-in password;
    - it equals a secret the environment holds (:func:`mirtalib.secrets.environment_secrets`:
      variables with secret-looking names, the variables named by the notebook's ``*_env``
      parameters, URL passwords; at least 4 characters), or contains one of at least 8 characters.
    """
    refs = [p.default_value for p in declared if is_reference_name(p.name)]
    refs += [v for k, v in values.items() if is_reference_name(k)]
    held = environment_secrets(r for r in refs if isinstance(r, str))
    problems: dict[str, str] = {}
    for name, value in values.items():
        texts = list(_strings(value))
        if is_reference_name(name) and value != "":
            if not isinstance(value, str) or not ENV_VAR_RE.match(value):
                problems[name] = (
                    "must be the NAME of an environment variable (letters, digits, _), "
                    "never the secret itself"
                )
                continue
        if any(t.startswith("env:") and not ENV_VAR_RE.match(t[4:]) for t in texts):
            problems[name] = "env:NAME must name an environment variable (letters, digits, _)"
        elif any(url_passwords(t) for t in texts):
            problems[name] = (
                "holds a URL with a password; put the URL (or the password) in an environment "
                "variable and pass its NAME"
            )
        elif any(
            t == s or (len(s) >= MIN_CONTAINED_SECRET and s in t) for t in texts for s in held
        ):
            problems[name] = (
                "holds the value of a secret of the environment; pass the NAME of the variable"
            )
    return problems


def refuse_secret_values(
    values: Mapping[str, Any], declared: Iterable[NotebookParameter] = (), where: str = "notebook"
) -> None:
    """Refuse parameter values that carry a secret (see :func:`secret_value_problems`).

    Raises:
        ParameterError: naming each such parameter and why, never its value.
    """
    problems = secret_value_problems(values, declared)
    if problems:
        why = "; ".join(f"{name} {reason}" for name, reason in sorted(problems.items()))
        raise ParameterError(
            f"{where}: refused before running, nothing written (the value is not shown): {why}"
        )


#: longest text one parameter value may hold (a path, a tenant list, an address list ...)
MAX_VALUE_CHARS = 10_000
#: parameters naming tenants: one code (``tenant``) or ``all`` / codes separated by commas
TENANT_PARAMS = ("tenant", "tenants")
#: parameters naming a local folder the notebook writes into (relative: to the notebook's folder;
#: ``auto`` and "" are the notebook's own choices)
OUTPUT_FOLDER_PARAMS = ("export_dir", "html_dir")


def check_limits(values: Mapping[str, Any], where: str = "notebook") -> None:
    """Refuse values no notebook can use, before anything runs: texts over
    :data:`MAX_VALUE_CHARS` (the value is not shown) and tenant codes that are not codes.

    Raises:
        ParameterError: naming the parameter.
    """
    for name, value in values.items():
        longest = max((len(t) for t in _strings(value)), default=0)
        if longest > MAX_VALUE_CHARS:
            raise ParameterError(
                f"{where}: parameter {name} holds a text of {longest} characters "
                f"(at most {MAX_VALUE_CHARS}; the value is not shown)"
            )
        if name in TENANT_PARAMS and isinstance(value, str):
            codes = [c.strip().upper() for c in value.split(",") if c.strip()]
            if name == "tenants" and codes in ([], ["ALL"], ["*"]):
                continue
            bad = [c for c in codes if not TENANT_RE.match(c)]
            if bad or (name == "tenant" and len(codes) != 1):
                shown = ", ".join(repr(c[:40]) for c in bad[:5]) or repr(value[:40])
                raise ParameterError(
                    f"{where}: parameter {name}: {shown} is not a tenant code (A-Z, 0-9, _; "
                    "up to 32, e.g. DEVEL)" + ("; or 'all'" if name == "tenants" else "")
                )


def check_output_folders(values: Mapping[str, Any], cwd: Path, where: str = "notebook") -> None:
    """Refuse an output folder (:data:`OUTPUT_FOLDER_PARAMS`) that cannot be written.

    The folder may not exist yet: then its nearest existing parent must be a writable folder.

    Raises:
        ParameterError: naming the parameter and the folder.
    """
    for name in OUTPUT_FOLDER_PARAMS:
        value = values.get(name)
        if not isinstance(value, str) or value in ("", "auto"):
            continue
        folder = Path(cwd, value)
        probe = folder
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        if probe.exists() and not probe.is_dir():
            raise ParameterError(f"{where}: parameter {name}={value!r}: {probe} is not a folder")
        try:  # a real file, not os.access: root passes access() where the kernel refuses
            fd, tmp = tempfile.mkstemp(prefix=".mirta-write-check.", dir=probe)
        except OSError as exc:
            raise ParameterError(
                f"{where}: parameter {name}={value!r}: folder {probe} cannot be written "
                f"({exc.strerror})"
            ) from exc
        os.close(fd)
        os.unlink(tmp)


def validate_parameters(
    values: Mapping[str, Any], declared: Iterable[NotebookParameter], where: str = "notebook"
) -> None:
    """Check names and values given for a notebook.

    Raises:
        ParameterError: for a secret-looking name that is not an ``_env`` reference, a value that
            carries a secret (:func:`refuse_secret_values`), an unknown name (the message lists the
            valid names), or a value that does not fit the declared type.
    """
    declared = {p.name: p for p in declared}
    refuse_secret_values(values, declared.values(), where)
    check_limits(values, where)
    secret = sorted(name for name in values if is_secret_name(name))
    if secret:
        raise ParameterError(
            f"{where}: parameter(s) {', '.join(secret)} look like secrets; secrets never go into "
            "parameters (papermill copies them into the output). Declare a '<name>_env' parameter "
            "holding the NAME of an environment variable and resolve it with "
            "mirtalib.secrets.resolve_secret"
        )
    unknown = sorted(set(values) - set(declared))
    if unknown:
        raise unknown_parameters_error(unknown, declared, where)
    for name, value in values.items():
        annotation = declared[name].annotation
        if annotation and _check(annotation, value) is False:
            raise ParameterError(
                f"{where}: parameter {name} must be {annotation}, got {type(value).__name__} "
                f"{value!r}"
            )
    check_dates(values, where)
