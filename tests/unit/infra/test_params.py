"""Parameters: inspection of the parameters cell, files, -p values, type checks, secret names."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from mirtalib.errors import NotebookError, ParameterError
from mirtalib.nbrun.discover import read_notebook
from mirtalib.nbrun.params import (
    inspect_parameters,
    is_secret_name,
    load_parameter_files,
    parse_cli_value,
    validate_parameters,
)

FIXTURE = Path(__file__).parents[2] / "notebooks" / "fixtures" / "greeting.py"


def _nb(params_source: str, extra_params_cell: bool = False) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell("# Title"))
    for _ in range(2 if extra_params_cell else 1):
        cell = nbformat.v4.new_code_cell(params_source)
        cell.metadata["tags"] = ["parameters"]
        nb.cells.append(cell)
    return nb


def test_fixture_parameters_are_read_with_types_defaults_and_help():
    params = {p.name: p for p in inspect_parameters(read_notebook(FIXTURE))}
    assert list(params) == ["who", "times", "ratio", "tags", "fail", "token_env", "leak"]
    assert params["who"].annotation == "str"
    assert params["who"].default == '"operator"'
    assert params["who"].default_value == "operator"
    assert params["who"].help == "whom to greet"
    assert params["tags"].annotation == "list[str]"
    assert params["tags"].default_value == ["a", "b"]
    assert all(p.visible_to_papermill for p in params.values())


def test_parameter_invisible_to_papermill_is_still_found():
    # papermill's regex cannot read "str | None": the parameter must not be lost
    params = inspect_parameters(_nb("host: str | None = None  # a host\nport = 22"))
    assert [(p.name, p.annotation, p.visible_to_papermill) for p in params] == [
        ("host", "str | None", False),
        ("port", "", True),
    ]


@pytest.mark.parametrize("extra", [True, False])
def test_parameters_cell_must_exist_exactly_once(extra):
    nb = _nb("x = 1", extra_params_cell=extra)
    if not extra:
        nb.cells[1].metadata["tags"] = []
    with pytest.raises(NotebookError, match="exactly one cell tagged 'parameters'"):
        inspect_parameters(nb)


def test_syntax_error_in_parameters_cell_names_the_line():
    with pytest.raises(NotebookError, match="line 2"):
        inspect_parameters(_nb("x = 1\ny = = 2"))


def test_unknown_parameter_lists_valid_names():
    declared = inspect_parameters(read_notebook(FIXTURE))
    with pytest.raises(ParameterError) as info:
        validate_parameters({"whoo": "x"}, declared, where="greeting")
    message = str(info.value)
    assert "unknown parameter(s) whoo" in message
    assert "fail, leak, ratio, tags, times, token_env, who" in message


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("times", "3"),
        ("times", True),
        ("times", 2.5),
        ("who", 3),
        ("fail", "yes"),
        ("tags", "a"),
        ("tags", [1, 2]),
        ("ratio", "x"),
    ],
)
def test_value_of_wrong_type_is_refused(name, value):
    declared = inspect_parameters(read_notebook(FIXTURE))
    with pytest.raises(ParameterError, match=f"parameter {name} must be"):
        validate_parameters({name: value}, declared)


@pytest.mark.parametrize(
    ("name", "value"),
    [("times", 3), ("ratio", 1), ("ratio", 0.1), ("tags", []), ("tags", ["x"]), ("fail", True)],
)
def test_value_of_right_type_is_accepted(name, value):
    declared = inspect_parameters(read_notebook(FIXTURE))
    validate_parameters({name: value}, declared)


@pytest.mark.parametrize(
    ("annotation", "good", "bad"),
    [
        ("str | None", None, 1),
        ("Optional[int]", None, "1"),
        ("Literal['plan', 'apply']", "plan", "destroy"),
        ("dict[str, int]", {"a": 1}, {"a": "1"}),
        ("tuple[int, int]", [1, 2], "12"),
    ],
)
def test_composite_annotations(annotation, good, bad):
    declared = inspect_parameters(_nb(f"x: {annotation} = None"))
    validate_parameters({"x": good}, declared)
    with pytest.raises(ParameterError):
        validate_parameters({"x": bad}, declared)


def test_unknown_annotation_is_not_guessed():
    declared = inspect_parameters(_nb("x: SomeClass = None"))
    validate_parameters({"x": "anything"}, declared)


@pytest.mark.parametrize(
    "name",
    [
        "db_password",
        "smtp_passwd",
        "api_key",
        "apikey",
        "github_token",
        "client_secret",
        "PRIVATE_KEY",
        "ldap_credentials",
    ],
)
def test_secret_parameter_names_are_refused(name):
    assert is_secret_name(name)
    with pytest.raises(ParameterError, match="look like secrets"):
        validate_parameters({name: "x"}, [])


@pytest.mark.parametrize("name", ["smtp_password_env", "API_KEY_ENV", "tenant", "recording_dir"])
def test_references_and_plain_names_are_not_secrets(name):
    assert not is_secret_name(name)
    validate_parameters({name: "x"}, inspect_parameters(_nb(f"{name} = 'y'")))


def test_parameter_files_merge_in_order_and_keep_dates_as_text(tmp_path):
    first = tmp_path / "a.yaml"
    first.write_text("who: alice\nstart: 2026-10-01\ntimes: 1\n")
    second = tmp_path / "b.yaml"
    second.write_text("times: 5\n")
    assert load_parameter_files([first, second]) == {
        "who": "alice",
        "start": "2026-10-01",
        "times": 5,
    }


@pytest.mark.parametrize(
    ("content", "match"),
    [("- a\n- b\n", "must map parameter names"), ("a: [1\n", "not valid YAML")],
)
def test_bad_parameter_files(tmp_path, content, match):
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    with pytest.raises(ParameterError, match=match):
        load_parameter_files([path])


def test_missing_parameter_file(tmp_path):
    with pytest.raises(ParameterError, match="does not exist"):
        load_parameter_files([tmp_path / "nope.yaml"])


@pytest.mark.parametrize(
    ("raw", "annotation", "expected"),
    [
        ("100", "str", "100"),
        ("100", "int", 100),
        ("true", "bool", True),
        ("[a, b]", "list[str]", ["a", "b"]),
        ("null", "str | None", None),
        ("007", "str | None", "007"),
        ("2026-10-01", "str", "2026-10-01"),
        ("2026-10-01", "", "2026-10-01"),
        ("3.5", "", 3.5),
    ],
)
def test_cli_values_follow_the_declared_type(raw, annotation, expected):
    assert parse_cli_value(raw, annotation) == expected
