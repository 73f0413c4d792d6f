"""The notebook convention (docs/ARCHITECTURE.md), checked for every notebook and parameter file.

Structure checks are fast. The last test runs every notebook with plain papermill and its demo
parameters (no mirta involved), with canary values in every secret the notebook references: no
canary may appear in the output, even unscrubbed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

from mirtalib.nbrun.discover import NOTEBOOKS_DIR, PARAMETERS_DIR, find_sources, read_notebook
from mirtalib.nbrun.params import (
    inspect_parameters,
    is_secret_name,
    load_parameter_files,
    validate_parameters,
)

SOURCES = find_sources(NOTEBOOKS_DIR)
PARAMETER_FILES = [
    p
    for p in sorted(PARAMETERS_DIR.rglob("*.yaml")) + sorted(PARAMETERS_DIR.rglob("*.yml"))
    if p.name != "fleet-inventory.yaml"  # an inventory of mirta fleet, not notebook parameters
]


def _id(path: Path) -> str:
    return path.relative_to(path.parents[1]).as_posix()


def _declared(source: Path):
    return inspect_parameters(read_notebook(source), where=_id(source))


@pytest.mark.parametrize("source", SOURCES, ids=_id)
def test_title_first_then_one_typed_parameters_cell(source):
    nb = read_notebook(source)
    first = nb.cells[0] if nb.cells else None
    assert first is not None and first.cell_type == "markdown", "first cell must be markdown"
    assert first.source.lstrip().startswith("# "), "first cell must start with a '# Title'"
    params = _declared(source)  # raises unless exactly one parameters cell
    assert params, "the parameters cell declares no parameters"
    hidden = [p.name for p in params if not p.visible_to_papermill]
    assert not hidden, (
        f"papermill --help-notebook cannot see {hidden}: write `name: type = value  # help` on "
        "one line, a simple annotation (Optional[str] rather than str | None) and no '=' in "
        "the value or the comment (papermill skips lines with two '=')"
    )
    untyped = [p.name for p in params if not p.annotation]
    assert not untyped, f"parameters without a type annotation: {untyped}"
    secrets = [p.name for p in params if is_secret_name(p.name)]
    assert not secrets, f"secret-valued parameters {secrets}: use '<name>_env' references"


@pytest.mark.parametrize("source", SOURCES, ids=_id)
def test_committed_notebook_matches_its_source(source):
    target = source.with_suffix(".ipynb")
    assert target.is_file(), f"{target.name} missing: run `mirta regen {_id(source)}`"
    committed = nbformat.read(target, as_version=4)
    authored = jupytext.read(source, fmt="py:percent")
    stale = [c.source for c in authored.cells] != [c.source for c in committed.cells]
    assert not stale, f"{target.name} is stale: run `mirta regen notebooks/{_id(source)}`"
    assert "papermill" not in committed.metadata, "volatile metadata left: regenerate"
    code = [c for c in committed.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code), "not executed: regenerate"
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors, "the committed notebook has error outputs"


@pytest.mark.parametrize("source", SOURCES, ids=_id)
def test_committed_outputs_hold_nothing_of_this_machine_or_a_bare_repr(source):
    target = source.with_suffix(".ipynb")
    if not target.is_file():
        pytest.skip(f"{target.name} missing (the test above fails for it)")
    text = target.read_text(encoding="utf-8")
    root = str(Path(__file__).resolve().parents[2])
    for needle, why in (
        (root, "an absolute path of this checkout"),
        ("file:///", "a file: URL"),
        (" object at 0x", "a memory address"),
    ):
        assert needle not in text, f"{target.name} output holds {why} ({needle!r})"
    nb = nbformat.reads(text, as_version=4)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            shown = "image/png" in data or "image/svg+xml" in data
            plain = data.get("text/plain", "") + out.get("text", "")
            assert shown or "<Figure size" not in plain, (
                f"{target.name}: a chart printed as text instead of shown: {plain[:80]!r}"
            )


@pytest.mark.parametrize("source", SOURCES, ids=_id)
def test_every_notebook_has_demo_and_example_parameters(source):
    for kind in ("demo", "examples"):
        path = PARAMETERS_DIR / kind / f"{source.stem}.yaml"
        assert path.is_file(), f"missing {path.relative_to(PARAMETERS_DIR.parent)}"


@pytest.mark.parametrize(
    "path", PARAMETER_FILES, ids=lambda p: p.relative_to(PARAMETERS_DIR).as_posix()
)
def test_parameter_file_keys_are_parameters_of_its_notebook(path):
    matches = [s for s in SOURCES if s.stem == path.stem]
    assert len(matches) == 1, f"no single notebook called {path.stem} under notebooks/"
    values = load_parameter_files([path])
    validate_parameters(values, _declared(matches[0]), where=str(path.name))


def _canaries(source: Path) -> dict[str, str]:
    refs = {
        p.default_value
        for p in _declared(source)
        if p.name.endswith("_env") and isinstance(p.default_value, str)
    }
    demo = PARAMETERS_DIR / "demo" / f"{source.stem}.yaml"
    if demo.is_file():
        refs |= {v for k, v in load_parameter_files([demo]).items() if k.endswith("_env")}
    return {name: f"canary-{name.lower()}-{i:04d}" for i, name in enumerate(sorted(refs))}


@pytest.mark.slow
@pytest.mark.parametrize("source", SOURCES, ids=_id)
def test_runs_with_plain_papermill_and_demo_parameters_without_showing_secrets(source, tmp_path):
    canaries = _canaries(source)
    env = {k: v for k, v in os.environ.items() if k != "MIRTA_SCHEMA_MAP"}
    env.update(canaries, MIRTA_DB_URL="demo", MIRTA_DOTENV=str(tmp_path / ".env"))
    (tmp_path / ".env").write_text("".join(f"{k}={v}\n" for k, v in canaries.items()))
    output = tmp_path / "out.ipynb"
    demo = PARAMETERS_DIR / "demo" / f"{source.stem}.yaml"
    command = [
        sys.executable,
        "-m",
        "papermill",
        str(source.with_suffix(".ipynb")),
        str(output),
        "--cwd",
        str(source.parent),
        "-k",
        "python3",
        "--no-progress-bar",
    ]
    if demo.is_file():
        command += ["-f", str(demo)]
    proc = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=900, stdin=subprocess.DEVNULL
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = output.read_text() + proc.stdout + proc.stderr
    leaked = [name for name, value in canaries.items() if value in text]
    assert not leaked, f"the notebook shows the value of {leaked}"
