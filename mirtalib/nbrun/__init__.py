"""Running notebooks: parameters, papermill execution, reports and regeneration of golden outputs.

Split by concern: :mod:`~mirtalib.nbrun.discover` (where notebooks are), :mod:`~.params`
(inspection, files, validation), :mod:`~.execute` (papermill, scrubbing, HTML), :mod:`~.runner`
(headless runs and report sets), :mod:`~.index` (``reports/index.html``), :mod:`~.regen` (committed
notebooks).
"""

from mirtalib.nbrun.discover import (
    NOTEBOOKS_DIR,
    PARAMETERS_DIR,
    find_notebooks,
    find_sources,
    read_notebook,
    resolve_notebook,
)
from mirtalib.nbrun.execute import CellFailure, find_failure, scrub_notebook
from mirtalib.nbrun.index import collect_runs, write_index
from mirtalib.nbrun.params import (
    NotebookParameter,
    inspect_parameters,
    is_secret_name,
    load_parameter_files,
    parse_cli_value,
    validate_parameters,
)
from mirtalib.nbrun.regen import RegenResult, build_notebook, regen_one
from mirtalib.nbrun.runner import (
    RunResult,
    collect_parameters,
    report_plan,
    run_notebook,
    run_report,
)

__all__ = [
    "NOTEBOOKS_DIR",
    "PARAMETERS_DIR",
    "CellFailure",
    "NotebookParameter",
    "RegenResult",
    "RunResult",
    "build_notebook",
    "collect_parameters",
    "collect_runs",
    "find_failure",
    "find_notebooks",
    "find_sources",
    "inspect_parameters",
    "is_secret_name",
    "load_parameter_files",
    "parse_cli_value",
    "read_notebook",
    "regen_one",
    "report_plan",
    "resolve_notebook",
    "run_notebook",
    "run_report",
    "scrub_notebook",
    "validate_parameters",
    "write_index",
]
