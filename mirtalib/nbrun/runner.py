"""Headless runs (``reports/<notebook>/<run>.ipynb``, ``.html``, ``.run.json``) and report sets."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Sequence
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
from mirtalib.nbrun.outputs import atomic_write_text, claim_run
from mirtalib.nbrun.params import (
    check_output_folders,
    inspect_parameters,
    load_parameter_files,
    parse_cli_value,
    validate_parameters,
)
from mirtalib.runfiles import RUN_DIR_ENV
from mirtalib.secrets import scrub

logger = logging.getLogger(__name__)

_RUN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def default_run_name() -> str:
    """A run name from the current UTC time to the millisecond, e.g. ``20261126T135000.123Z``.

    Names sort chronologically; two runs started in the same millisecond get ``-2`` ... (see
    :func:`mirtalib.nbrun.outputs.claim_run`).
    """
    now = datetime.now(UTC)
    return now.strftime("%Y%m%dT%H%M%S") + f".{now.microsecond // 1000:03d}Z"


def _check_run_name(run: str) -> None:
    if not _RUN_NAME.match(run):
        raise NotebookError(
            f"run name {run[:120]!r} may only contain letters, digits, '.', '_' and '-' "
            "(at most 100 characters)"
        )


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
    check_output_folders(values, nb_path.parent, where=label)
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
        run: run name (default: UTC timestamp to the millisecond, suffixed ``-2`` ... when taken);
            a name given here that is already in use is refused.
        progress: show a progress bar.
        log_output: stream cell output to the log.

    Raises:
        ParameterError: bad parameters or a run name in use (nothing is executed).
        NotebookError: missing notebook or bad run name (a kernel that cannot start is reported
            in the result, so that a report set goes on with the next notebook).
    """
    nb_path = resolve_notebook(notebook)
    if run is not None:
        _check_run_name(run)
    values, declared = collect_parameters(nb_path, parameter_files, cli)
    folder = reports_dir / nb_path.stem
    with claim_run([folder], run or default_run_name(), explicit=run is not None) as name:
        return _run_claimed(
            nb_path,
            values,
            declared,
            parameter_files,
            reports_dir=reports_dir,
            run=name,
            progress=progress,
            log_output=log_output,
        )


def _run_claimed(
    nb_path: Path,
    values: dict[str, Any],
    declared: list,
    parameter_files: Sequence[Path],
    *,
    reports_dir: Path,
    run: str,
    progress: bool,
    log_output: bool,
) -> RunResult:
    """Execute a notebook whose parameters are checked under a run name claimed for it."""
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
    logger.debug("running %s as %s/%s", label, nb_path.stem, run)
    failure = None
    files_dir = out_dir / run  # the run's own exports, tenant pages, journals (mirtalib.runfiles)
    try:
        executed, failure = execute(
            read_notebook(nb_path),
            values,
            nb_path.parent.resolve(),
            label=label,
            progress=progress,
            log_output=log_output,
            environ={
                **kernel_environ(),
                "MIRTA_REPORTS": str(reports_dir.resolve()),
                RUN_DIR_ENV: str(files_dir.resolve()),
            },
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
        "key_parameters": key_parameters(values, declared),
        "files": run_files(files_dir, out_dir),
        "status": "ok" if ok else "failed",
        "failure": failure.as_dict() if failure else None,
        "error": failure.describe() if failure else result.error,
        "started": started.isoformat(timespec="seconds"),
        "seconds": round(time.monotonic() - clock, 1),
        "ipynb": result.ipynb.name,
        "html": result.html.name,
    }
    record = json.dumps(result.info, indent=1, sort_keys=True, default=str)
    atomic_write_text(result.record, scrub(record) + "\n")
    if not ok:
        logger.error("%s failed: %s", label, result.info["error"])
    return result


#: the parameters the report index shows for a run (when the notebook has them)
KEY_PARAMETERS = (
    "start", "end", "period_start", "period_end", "tenants", "tenant", "source",
    "vmware_dir", "inventory_source", "targets", "mode",
)  # fmt: skip


def key_parameters(values: dict[str, Any], declared: list) -> dict[str, Any]:
    """The period, tenants and source a run used: given values, else the notebook's defaults."""
    defaults = {p.name: p.default_value for p in declared}
    return {
        name: values.get(name, defaults.get(name))
        for name in KEY_PARAMETERS
        if name in values or name in defaults
    }


def run_files(files_dir: Path, out_dir: Path, limit: int = 500) -> list[str]:
    """The files a run wrote into its own folder, relative to the notebook's reports folder."""
    if not files_dir.is_dir():
        return []
    found = sorted(p for p in files_dir.rglob("*") if p.is_file() and not p.name.startswith("."))
    return [p.relative_to(out_dir).as_posix() for p in found[:limit]]


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
    on_result: Callable[[RunResult], None] | None = None,
) -> list[RunResult]:
    """Run every notebook of ``plan`` (all of them, even after a failure) under one run name.

    ``on_result`` is called with each result as soon as its notebook has run.

    Parameter errors are checked for all notebooks before anything runs. The run name is claimed
    in every notebook's folder at once (a default name that is taken anywhere gets a suffix; a
    given name in use is refused).

    Raises:
        ParameterError: when a notebook's parameter file is invalid (names every bad file), or the
            run name given is in use.
    """
    if run is not None:
        _check_run_name(run)
    problems = []
    checked = []
    for nb, files in plan:
        try:
            checked.append((nb, files, *collect_parameters(nb, files)))
        except (ParameterError, NotebookError) as exc:
            problems.append(str(exc))
    if problems:
        raise ParameterError("; ".join(problems))
    folders = [reports_dir / nb.stem for nb, _files in plan]
    results = []
    with claim_run(folders, run or default_run_name(), explicit=run is not None) as name:
        for nb, files, values, declared in checked:
            result = _run_claimed(
                nb,
                values,
                declared,
                files,
                reports_dir=reports_dir,
                run=name,
                progress=progress,
                log_output=False,
            )
            results.append(result)
            if on_result is not None:
                on_result(result)
    return results
