"""`mirta --help` and each command's help: plain text, no type labels, an example each."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from mirtalib.cli import app

COMMANDS = ["demo", "list", "run", "report", "regen", "lab"]
NOISE = re.compile(r"<(str|int|bool|path|float)>|list\[|\{[A-Z]+\}|[╭│╰]|TEXT|INTEGER|PATH\b")


def _help(*args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--help"], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    return result.output


def test_main_help_lists_every_command_without_type_noise():
    text = _help()
    assert not NOISE.search(text), NOISE.search(text)
    for command in COMMANDS:
        assert re.search(rf"^  {command} ", text, re.M)


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_has_an_example_and_no_type_noise(command):
    text = _help(command)
    found = NOISE.search(text)
    assert not found, f"{found.group(0)!r} in:\n{text}"
    example = re.search(r"^  Examples?:\n((?:    mirta .+\n)+)", text, re.M)
    assert example, text
    assert all(
        line.strip().startswith(f"mirta {command}") for line in example.group(1).splitlines()
    )


def test_run_help_names_its_argument_plainly():
    text = _help("run")
    assert "run [OPTIONS] NOTEBOOK\n" in text
    assert "-f, --parameters-file FILE.yaml" in text
    assert "-p NAME VALUE" in text
