"""The page-16 notebook run headless with papermill: exit codes and modes on the demo replays."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import papermill as pm
import pytest

NOTEBOOK = Path(__file__).parents[3] / "notebooks" / "runbooks" / "16-tcp-port-exhaustion.ipynb"
PAPERMILL = Path(sys.executable).parent / "papermill"


@pytest.fixture
def reports(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("MIRTA_REPORTS", str(tmp_path / "reports"))
    return tmp_path / "reports"


def _stdout(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    return "".join(
        o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
    )


def test_verify_failure_exits_non_zero(tmp_path, reports):
    out = tmp_path / "verify.ipynb"
    proc = subprocess.run(
        [
            str(PAPERMILL),
            str(NOTEBOOK),
            str(out),
            "-p",
            "mode",
            "verify",
            "--cwd",
            str(NOTEBOOK.parent),
            "-k",
            "python3",
        ],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=300,
        check=False,
    )
    assert proc.returncode != 0
    assert "VerificationFailed" in proc.stderr
    assert "Kernel runs the wanted values" in proc.stderr
    assert "Verdicts:" in _stdout(out)
    assert list((reports / "journal").glob("*-p16-verify.json"))


def test_apply_is_refused_without_confirmation(tmp_path, reports):
    with pytest.raises(pm.PapermillExecutionError, match="ConfirmationRequired"):
        pm.execute_notebook(
            str(NOTEBOOK),
            str(tmp_path / "refused.ipynb"),
            kernel_name="python3",
            parameters={"mode": "apply"},
            cwd=str(NOTEBOOK.parent),
            progress_bar=False,
        )
    assert not list((reports / "journal").glob("*-p16-apply*.json"))


def test_apply_with_confirmation_on_replay(tmp_path, reports):
    out = tmp_path / "apply.ipynb"
    pm.execute_notebook(
        str(NOTEBOOK),
        str(out),
        kernel_name="python3",
        parameters={"mode": "apply", "confirm": True, "fin_timeout": 25},
        cwd=str(NOTEBOOK.parent),
        progress_bar=False,
    )
    text = _stdout(out)
    assert "apply: no failure on srv01, srv02" in text
    assert "+net.ipv4.tcp_fin_timeout = 25" in text
    assert list((reports / "journal").glob("*-p16-apply*.json"))
