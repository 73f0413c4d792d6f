"""`mirta regen`: byte-stable golden notebooks nbval accepts; failures that touch nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat

SANITIZE = Path(__file__).parents[2] / "notebooks" / "sanitize.cfg"


def _nbval(notebook: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbval",
            str(notebook),
            "--nbval-current-env",
            "--nbval-sanitize-with",
            str(SANITIZE),
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(notebook.parent),
            "-c",
            "/dev/null",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=notebook.parent,
    )


def test_regen_is_byte_stable_and_nbval_checks_it(scratch, mirta):
    target = scratch / "nbs" / "demo" / "greeting.ipynb"
    # golden outputs come from the demo PBX, whatever the environment or .env configure
    (scratch / ".env").write_text("MIRTA_DB_URL=sqlite:////nonexistent/prod.sqlite\n")
    env = {"MIRTA_DB_URL": "mysql+pymysql://ro@127.0.0.1:1/asterisk"}
    proc = mirta("regen", "nbs/demo/greeting.py", "--no-progress", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "greeting.ipynb (updated)" in proc.stdout
    first = target.read_bytes()
    proc = mirta("regen", "nbs", "--no-progress")  # a folder: every source in it
    assert proc.returncode == 0, proc.stderr
    assert "greeting.ipynb (unchanged)" in proc.stdout
    assert target.read_bytes() == first

    nb = nbformat.read(target, as_version=4)
    assert "papermill" not in nb.metadata
    assert nb.metadata.kernelspec.name == "python3"
    assert nb.cells[0].cell_type == "markdown"
    assert not any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)
    assert all("execution" not in c.metadata and "papermill" not in c.metadata for c in nb.cells)
    assert [c.execution_count for c in nb.cells if c.cell_type == "code"] == [1, 2, 3, 4, 5, 6]
    assert "working folder: demo" in nb.cells[2].outputs[0].text  # cwd = notebook folder
    assert nb.cells[6].outputs[0].text == "database: demo PBX\n"

    assert _nbval(target).returncode == 0
    # the golden output is really compared: change it and nbval must fail
    nb.cells[2].outputs[0].text = nb.cells[2].outputs[0].text.replace("#2", "#9")
    nbformat.write(nb, target)
    failed = _nbval(target)
    assert failed.returncode == 1, failed.stdout


def test_regen_failure_names_the_cell_and_keeps_the_committed_notebook(scratch, mirta):
    source = scratch / "nbs" / "demo" / "greeting.py"
    assert mirta("regen", str(source), "--no-progress").returncode == 0
    golden = source.with_suffix(".ipynb").read_bytes()
    source.write_text(source.read_text().replace("fail: bool = False", "fail: bool = True"))
    proc = mirta("regen", str(source), "--no-progress")
    assert proc.returncode == 1
    assert "FAILED nbs/demo/greeting.py: cell 5 (In [4]: result = 1 / (0 if fail else 4))" in (
        proc.stderr
    )
    assert "ZeroDivisionError" in proc.stderr
    assert source.with_suffix(".ipynb").read_bytes() == golden


def test_regen_refuses_a_source_without_parameters_cell(scratch, mirta):
    bad = scratch / "nbs" / "demo" / "plain.py"
    bad.write_text("# %% [markdown]\n# # Plain\n\n# %%\nprint(1)\n")
    proc = mirta("regen", str(bad), "--no-progress")
    assert proc.returncode == 1
    assert "exactly one cell tagged 'parameters' (found 0)" in proc.stderr
    assert not bad.with_suffix(".ipynb").exists()


def test_regen_of_a_notebook_without_source(scratch, mirta):
    lone = scratch / "nbs" / "demo" / "lone.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), lone)
    proc = mirta("regen", str(lone))
    assert proc.returncode == 2 and "no jupytext source lone.py" in proc.stderr
