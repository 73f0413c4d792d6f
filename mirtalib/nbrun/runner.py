"""Headless runs (``reports/<notebook>/<run>.ipynb``, ``.html``, ``.run.json``) and report sets."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mirtalib.errors import NotebookError, ParameterError
from mirtalib.nbrun.discover import display_path, read_notebook, resolve_notebook
from mirtalib.nbrun.execute import (
    CellFailure,
    execute,
    export_html,
    kernel_environ,
    register_secrets,
    write_notebook,
)
from mirtalib.nbrun.params import (
    inspect_parameters,
    load_parameter_files,
    parse_cli_value,
    validate_parameters,
)
from mirtalib.secrets import scrub

logger = logging.getLogger(__name__)

_RUN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def default_run_name() -> str:
    """A run name from the current UTC time, e.g. ``20261126T135000Z`` (sorts chronologically)."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


@dataclass
class RunResult:
    """Outcome of one headless run.

    Attributes:
        notebook: the notebook that ran.
        run: the run name.
        ipynb: the executed notebook written.
        html: its HTML rendering.
        record: the JSON sidecar describing the run (read by the report index).
        failure: the failing cell, None when every cell ran.
        error: why the notebook could not run at all (kernel did not start ...), else None.
        info: the run record.
    """

    notebook: Path
    run: str
    ipynb: Path
    html: Path
    record: Path
    failure: CellFailure | None = None
    error: str | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the notebook ran to the end."""
        return self.failure is None and self.error is None

    def describe_problem(self) -> str:
        """What went wrong, naming the cell when a cell failed ("" when ok)."""
        if self.failure is not None:
            return self.failure.describe()
        return self.error or ""


def collect_parameters(
    nb_path: Path, parameter_files: Sequence[Path] = (), cli: Sequence[tuple[str, str]] = ()
) -> tuple[dict[str, Any], list]:
    """Merge parameter files and ``-p`` pairs for a notebook and validate them.

    Returns:
        The parameter values and the declared parameters of the notebook.

    Raises:
        ParameterError: unknown names (listing the valid ones), secrets, badly typed values.
        NotebookError: when the notebook has no single parameters cell.
    """
    label = display_path(nb_path)
    declared = inspect_parameters(read_notebook(nb_path), where=label)
    by_name = {p.name: p for p in declared}
    values = load_parameter_files(list(parameter_files))
    for name, raw in cli:
        values[name] = parse_cli_value(raw, by_name[name].annotation if name in by_name else "")
    validate_parameters(values, declared, where=label)
    return values, declared


def run_notebook(
    notebook: str | Path,
    parameter_files: Sequence[Path] = (),
    cli: Sequence[tuple[str, str]] = (),
    *,
    reports_dir: Path,
    run: str | None = None,
    progress: bool = True,
    log_output: bool = False,
) -> RunResult:
    """Run a notebook headless with papermill and write its scrubbed ``.ipynb``, HTML and record.

    Args:
        notebook: a path or a name (``cdr-report``).
        parameter_files: YAML files merged in order.
        cli: ``(name, value)`` pairs from ``-p``; they win over the files.
        reports_dir: the reports folder; output goes to ``<reports_dir>/<notebook-stem>/``.
        run: run name (default: UTC timestamp).
        progress: show a progress bar.
        log_output: stream cell output to the log.

    Raises:
        ParameterError: bad parameters (nothing is executed).
        NotebookError: missing notebook or bad run name (a kernel that cannot start is reported
            in the result, so that a report set goes on with the next notebook).
    """
    nb_path = resolve_notebook(notebook)
    run = run or default_run_name()
    if not _RUN_NAME.match(run):
        raise NotebookError(f"run name {run!r} may only contain letters, digits, '.', '_' and '-'")
    values, declared = collect_parameters(nb_path, parameter_files, cli)
    register_secrets(values, declared)
    label = display_path(nb_path)
    out_dir = reports_dir / nb_path.stem
    result = RunResult(
        notebook=nb_path,
        run=run,
        ipynb=out_dir / f"{run}.ipynb",
        html=out_dir / f"{run}.html",
        record=out_dir / f"{run}.run.json",
    )
    started = datetime.now(UTC)
    clock = time.monotonic()
    logger.info("running %s as %s/%s", label, nb_path.stem, run)
    failure = None
    try:
        executed, failure = execute(
            read_notebook(nb_path),
            values,
            nb_path.parent.resolve(),
            label=label,
            progress=progress,
            log_output=log_output,
            environ=kernel_environ(),
        )
    except NotebookError as exc:  # the kernel did not start or papermill broke outside a cell
        result.error = str(exc)
    else:
        result.failure = failure
        write_notebook(executed, result.ipynb)
        export_html(executed, result.html)
    ok = failure is None and result.error is None
    result.info = {
        "notebook": label,
        "name": nb_path.stem,
        "group": nb_path.parent.name,
        "run": run,
        "parameter_files": [display_path(Path(p)) for p in parameter_files],
        "parameters": values,
        "status": "ok" if ok else "failed",
        "failure": failure.as_dict() if failure else None,
        "error": failure.describe() if failure else result.error,
        "started": started.isoformat(timespec="seconds"),
        "seconds": round(time.monotonic() - clock, 1),
        "ipynb": result.ipynb.name,
        "html": result.html.name,
    }
    record = json.dumps(result.info, indent=1, sort_keys=True, default=str)
    result.record.parent.mkdir(parents=True, exist_ok=True)
    result.record.write_text(scrub(record) + "\n", encoding="utf-8")
    if not ok:
        logger.error("%s failed: %s", label, result.info["error"])
    return result


def report_plan(
    notebooks: Sequence[Path], parameters_dir: Path | None
) -> list[tuple[Path, list[Path]]]:
    """Pair each notebook with ``<parameters_dir>/<stem>.yaml`` when that file exists."""
    plan = []
    for nb in notebooks:
        files = []
        if parameters_dir is not None:
            candidate = parameters_dir / f"{nb.stem}.yaml"
            if candidate.is_file():
                files.append(candidate)
        plan.append((nb, files))
    return plan


def run_report(
    plan: Sequence[tuple[Path, list[Path]]],
    *,
    reports_dir: Path,
    run: str | None = None,
    progress: bool = True,
) -> list[RunResult]:
    """Run every notebook of ``plan`` (all of them, even after a failure) under one run name.

    Parameter errors are checked for all notebooks before anything runs.

    Raises:
        ParameterError: when a notebook's parameter file is invalid (names every bad file).
    """
    run = run or default_run_name()
    problems = []
    for nb, files in plan:
        try:
            collect_parameters(nb, files)
        except (ParameterError, NotebookError) as exc:
            problems.append(str(exc))
    if problems:
        raise ParameterError("; ".join(problems))
    return [
        run_notebook(nb, files, reports_dir=reports_dir, run=run, progress=progress)
        for nb, files in plan
    ]
