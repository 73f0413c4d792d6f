"""The ``mirta`` command: demo PBX, notebook listing, headless runs, reports, JupyterLab, regen,
the runbook journal, fleet health.

Exit status: 0 success, 1 a notebook cell failed (the message names the cell), 2 bad input
(unknown or badly typed parameter, missing notebook, bad settings).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperArgument, TyperCommand

from mirtalib.errors import MirtaError, ParameterError
from mirtalib.secrets import scrub

app = typer.Typer(
    name="mirta",
    help="Operations notebooks for MiRTA PBX: analytics and runbooks, headless or in JupyterLab.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: no boxes, no type names
)
logger = logging.getLogger("mirtalib.cli")


class _PlainCommand(TyperCommand):
    """A command whose help names its arguments plainly (``NOTEBOOK``), without Typer's type
    labels (``<str>``, ``<list[Path]>``) or braces (``{NOTEBOOK}``)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if isinstance(param, TyperArgument):
                name = param.metavar or (param.name or "").upper()
                usage = (name if param.required else f"[{name}]") + (
                    "..." if param.nargs != 1 else ""
                )
                param.display_type_rich = lambda ctx: None  # type: ignore[method-assign]
                param._usage_display_name = lambda usage=usage: usage  # type: ignore[method-assign]


class _ScrubbingStderrHandler(logging.StreamHandler):
    """Writes log records to the current ``sys.stderr`` with every known secret masked."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    @property
    def stream(self):  # type: ignore[override]  # follow sys.stderr when it is swapped
        return sys.stderr

    @stream.setter
    def stream(self, value: object) -> None:
        pass

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


def _setup_logging(verbose: int) -> None:
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _ScrubbingStderrHandler)]:
        root.removeHandler(handler)
    root.addHandler(_ScrubbingStderrHandler())
    root.setLevel(logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING)
    logging.getLogger("mirtalib").setLevel(logging.DEBUG if verbose else logging.INFO)
    logging.getLogger("papermill").setLevel(logging.INFO if verbose else logging.WARNING)
    # papermill's own parameter-cell parser warns on typed lines it cannot read; mirtalib reads
    # the cell itself and says what papermill cannot see (mirtalib.nbrun.params)
    logging.getLogger("papermill.translators").setLevel(logging.DEBUG if verbose else logging.ERROR)


def _say(text: str, err: bool = False) -> None:
    typer.echo(scrub(text), err=err)


def _fail(exc: MirtaError) -> typer.Exit:
    _say(f"error: {exc}", err=True)
    return typer.Exit(2)


@app.callback()
def main(
    verbose: Annotated[
        int,
        typer.Option(
            "-v", "--verbose", count=True, show_default=False, help="More log output (-vv: more)."
        ),
    ] = 0,
) -> None:
    """Operations notebooks for MiRTA PBX."""
    _setup_logging(verbose)


def _reports_dir(reports: Path | None) -> Path:
    from mirtalib.settings import default_reports_dir

    return (reports or default_reports_dir()).resolve()


ReportsOpt = Annotated[
    Path | None,
    typer.Option(
        "--reports",
        metavar="DIR",
        help="Reports folder (default: MIRTA_REPORTS or ./reports).",
    ),
]
NameOpt = Annotated[
    str | None,
    typer.Option(
        "--name",
        metavar="NAME",
        help="Run name; refused when already in use (default: UTC time to the millisecond, "
        "e.g. 20261126T135000.123Z, with -2 ... added when taken).",
    ),
]
ProgressOpt = Annotated[
    bool | None,
    typer.Option("--progress/--no-progress", help="Progress bar (default: when on a terminal)."),
]


def _progress(flag: bool | None) -> bool:
    return sys.stderr.isatty() if flag is None else flag


@app.command(cls=_PlainCommand)
def demo() -> None:
    """Build the demo PBX (SQLite + files) if it is not built yet, and show where it is.

    \b
    Example:
      mirta demo
    """
    from mirtalib.demo import ensure_demo

    try:
        paths = ensure_demo()
    except MirtaError as exc:
        raise _fail(exc) from None
    except ImportError as exc:
        _say(f"error: the demo generator is not available: {exc}", err=True)
        raise typer.Exit(1) from None
    _say(f"demo PBX ready in {paths.root}")
    _say(f"  database: {paths.db_path}")
    _say("  select it with MIRTA_DB_URL=demo (unset, no database is configured)")


@app.command("list", cls=_PlainCommand)
def list_notebooks(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(metavar="NOTEBOOK|FOLDER", help="Notebooks (paths or names) or folders."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List every notebook with its parameters (type, default, help) and demo parameter file.

    \b
    Examples:
      mirta list
      mirta list cdr-report
      mirta list notebooks/analytics --json
    """
    from mirtalib.nbrun import find_notebooks, inspect_parameters, read_notebook, resolve_notebook
    from mirtalib.nbrun.discover import NOTEBOOKS_DIR, demo_parameters_file, display_path

    notebooks: list[Path] = []
    try:
        for path in paths or [NOTEBOOKS_DIR]:
            notebooks += find_notebooks(path) if path.is_dir() else [resolve_notebook(path)]
    except MirtaError as exc:
        raise _fail(exc) from None
    listing = []
    for nb_path in notebooks:
        try:
            nb = read_notebook(nb_path)
            params = inspect_parameters(nb, where=display_path(nb_path))
        except MirtaError as exc:
            raise _fail(exc) from None
        title = next((c.source.splitlines()[0].lstrip("# ") for c in nb.cells if c.source), "")
        demo_file = demo_parameters_file(nb_path)
        listing.append(
            {
                "notebook": display_path(nb_path),
                "title": title if nb.cells and nb.cells[0].cell_type == "markdown" else "",
                "demo_parameters": display_path(demo_file) if demo_file.is_file() else None,
                "parameters": [
                    {"name": p.name, "type": p.annotation, "default": p.default, "help": p.help}
                    for p in params
                ],
            }
        )
    if as_json:
        _say(json.dumps(listing, indent=1))
        return
    for item in listing:
        _say(f"{item['notebook']}  {item['title']}")
        if item["demo_parameters"]:
            _say(f"  demo parameters: {item['demo_parameters']}")
        for p in item["parameters"]:
            typed = f"{p['name']}: {p['type']}" if p["type"] else p["name"]
            _say(f"    {typed} = {p['default']}" + (f"  # {p['help']}" if p["help"] else ""))
        _say("")


def _pairs(args: list[str]) -> list[tuple[str, str]]:
    """``-p NAME VALUE`` pairs from the extra arguments (typer cannot declare repeated pairs)."""
    pairs, rest = [], list(args)
    while rest:
        flag = rest.pop(0)
        if flag not in {"-p", "--parameter"} or len(rest) < 2:
            raise ParameterError(
                f"unexpected argument {flag!r}: parameters are given as -p NAME VALUE"
            )
        pairs.append((rest.pop(0), rest.pop(0)))
    return pairs


@app.command(
    cls=_PlainCommand, context_settings={"allow_extra_args": True, "ignore_unknown_options": True}
)
def run(
    ctx: typer.Context,
    notebook: Annotated[
        str, typer.Argument(metavar="NOTEBOOK", help="Notebook path or name (e.g. cdr-report).")
    ],
    parameter_files: Annotated[
        list[Path] | None,
        typer.Option(
            "-f",
            "--parameters-file",
            metavar="FILE.yaml",
            help="YAML parameter file (repeatable, merged in order).",
        ),
    ] = None,
    name: NameOpt = None,
    reports: ReportsOpt = None,
    progress: ProgressOpt = None,
    log_output: Annotated[bool, typer.Option(help="Stream cell output to the log.")] = False,
) -> None:
    """Run one notebook headless into reports/<notebook>/<run>.ipynb + .html; refresh the index.

    Parameters: -f FILE.yaml (repeatable, merged in order) and -p NAME VALUE (repeatable, wins over
    the files). Unknown names and values of the wrong type are refused before anything runs;
    dates are ISO (2026-10-02).

    \b
    Examples:
      mirta run cdr-report -p start 2026-10-01 -p end 2026-11-01 -p tenants ACME
      mirta run cdr-report -f ~/mirta-parameters/cdr-report.yaml --name october
      mirta run 16-tcp-port-exhaustion -p mode apply -p confirm true
    """
    from mirtalib.nbrun import run_notebook, write_index

    reports_dir = _reports_dir(reports)
    if log_output:
        logging.getLogger("papermill").setLevel(logging.INFO)  # papermill logs cell output at INFO
    try:
        result = run_notebook(
            notebook,
            parameter_files or [],
            _pairs(ctx.args),
            reports_dir=reports_dir,
            run=name,
            progress=_progress(progress),
            log_output=log_output,
        )
    except MirtaError as exc:
        raise _fail(exc) from None
    write_index(reports_dir)
    if not result.ok:
        _say(f"FAILED {result.info['notebook']}: {result.describe_problem()}", err=True)
        if result.html.is_file():
            _say(f"  see {result.html}", err=True)
        raise typer.Exit(1)
    _say(f"ok {result.info['notebook']} -> {result.html}")


@app.command(cls=_PlainCommand)
def report(
    notebooks: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="NOTEBOOK|FOLDER",
            help="Notebooks (paths or names) or folders (default: notebooks/analytics).",
        ),
    ] = None,
    params_dir: Annotated[
        Path | None,
        typer.Option(
            "--params-dir",
            metavar="DIR",
            help="Folder of <notebook>.yaml parameter files (e.g. parameters/demo); a notebook "
            "without a file there runs with its defaults.",
        ),
    ] = None,
    name: NameOpt = None,
    reports: ReportsOpt = None,
    progress: ProgressOpt = None,
) -> None:
    """Run a set of notebooks (all of them, even after a failure) and write reports/index.html.

    \b
    Examples:
      mirta report --params-dir parameters/demo
      mirta report cdr-report recording-coverage --params-dir ~/mirta-parameters
    """
    from mirtalib.nbrun import (
        find_notebooks,
        report_plan,
        resolve_notebook,
        run_report,
        write_index,
    )
    from mirtalib.nbrun.discover import NOTEBOOKS_DIR, PARAMETERS_DIR
    from mirtalib.settings import DEMO

    selected: list[Path] = []
    try:
        for path in notebooks or [NOTEBOOKS_DIR / "analytics"]:
            selected += find_notebooks(path) if path.is_dir() else [resolve_notebook(path)]
    except MirtaError as exc:
        raise _fail(exc) from None
    if not selected:
        where = ", ".join(map(str, notebooks or ["notebooks/analytics"]))
        _say(f"error: no notebooks found in {where}", err=True)
        raise typer.Exit(2)
    if params_dir is not None and not params_dir.is_dir():
        raise _fail(ParameterError(f"--params-dir {params_dir} is not a folder"))
    if params_dir is not None and params_dir.resolve() == (PARAMETERS_DIR / "demo").resolve():
        os.environ["MIRTA_DB_URL"] = DEMO  # the demo parameters read the demo PBX, nothing else
    reports_dir = _reports_dir(reports)
    try:
        results = run_report(
            report_plan(selected, params_dir),
            reports_dir=reports_dir,
            run=name,
            progress=_progress(progress),
            on_result=_report_line,
        )
    except MirtaError as exc:
        raise _fail(exc) from None
    index = write_index(reports_dir)
    failed = [r for r in results if not r.ok]
    _say(f"{len(results) - len(failed)}/{len(results)} notebooks ran.")
    _say(f"Open the reports: {index}")
    _say(f"Explore the notebooks in JupyterLab: {_self_command()} lab")
    if failed:
        raise typer.Exit(1)


def _self_command() -> str:
    """How to call this command again: ``mirta`` when it is on PATH, else the path used."""
    import shutil

    invoked = Path(sys.argv[0]) if sys.argv and sys.argv[0] else Path("mirta")
    found = shutil.which("mirta")
    if found and invoked.name == "mirta" and Path(found).resolve() == invoked.resolve():
        return "mirta"
    return str(invoked) if invoked.name == "mirta" else "mirta"


def _report_line(r) -> None:
    """One line per notebook as soon as it has run: name, status, seconds, where the report is."""
    status = "ok" if r.ok else "FAILED"
    line = f"{r.notebook.stem:<28} {status:<6} {r.info.get('seconds', 0):>6.1f} s  {r.html}"
    _say(line, err=not r.ok)
    if not r.ok:
        _say(f"  {r.describe_problem()}", err=True)


@app.command(cls=_PlainCommand)
def regen(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="SOURCE|FOLDER",
            help="Notebook sources (.py/.ipynb) or folders (default: notebooks/).",
        ),
    ] = None,
    progress: ProgressOpt = None,
) -> None:
    """Rebuild committed notebooks from their jupytext sources, executed on the demo PBX.

    \b
    Example:
      mirta regen notebooks/analytics/cdr-report.py
    """
    from mirtalib.nbrun.discover import display_path
    from mirtalib.nbrun.regen import expand, regen_one

    try:
        sources = expand(paths)
    except MirtaError as exc:
        raise _fail(exc) from None
    if not sources:
        _say("error: no notebook sources found", err=True)
        raise typer.Exit(2)
    failed = 0
    for source in sources:
        try:
            result = regen_one(source, progress=_progress(progress))
        except MirtaError as exc:
            failed += 1
            _say(f"FAILED {display_path(source)}: {exc}", err=True)
            continue
        if result.failure is not None:
            failed += 1
            _say(f"FAILED {display_path(source)}: {result.failure.describe()}", err=True)
            _say(result.failure.traceback, err=True)
            _say(f"  failed run written to {result.notebook}", err=True)
        else:
            state = "updated" if result.changed else "unchanged"
            _say(f"ok {display_path(result.notebook)} ({state})")
    if failed:
        raise typer.Exit(1)


@app.command(cls=_PlainCommand)
def journal(
    run_id: Annotated[
        str | None,
        typer.Argument(metavar="RUN_ID", help="Show this run (default: list the runs)."),
    ] = None,
    page: Annotated[
        int | None, typer.Option("--page", metavar="N", help="Only runs of page N.")
    ] = None,
    last: Annotated[
        int | None, typer.Option("--last", metavar="N", help="Only the last N.")
    ] = None,
    reports: ReportsOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List the runbook journal (run id, when, page, mode, targets, changed files, failed), or
    show one run. A run id is what mode="rollback" takes as run_id.

    \b
    Examples:
      mirta journal --last 10
      mirta journal --page 16
      mirta journal 20261102-083000.123456-9f3a1c
    """
    from mirtalib.runbook.journal import entries, entry_line, entry_text, find_entry, journal_dirs

    root = _reports_dir(reports)
    folders = journal_dirs(root)
    try:
        if run_id:
            entry = find_entry(run_id, folders)
            _say(json.dumps(entry, indent=1) if as_json else entry_text(entry))
            return
        if last is not None and last < 1:
            raise ParameterError(f"--last {last}: give a number of runs from 1")
        found = entries(folders, page=page, last=last)
    except MirtaError as exc:
        raise _fail(exc) from None
    if as_json:
        _say(json.dumps(found, indent=1))
    elif not found:
        _say(f"no journal entries under {root}")
    for entry in [] if as_json else found:
        _say(entry_line(entry))


@app.command(cls=_PlainCommand)
def fleet(
    inventory: Annotated[
        str | None,
        typer.Option(
            "--inventory",
            metavar="FILE",
            help="Inventory YAML (default: MIRTA_INVENTORY; 'demo': the recorded demo nodes).",
        ),
    ] = None,
    pages: Annotated[
        str | None,
        typer.Option("--pages", metavar="N,N", help="Only these pages (default: every page)."),
    ] = None,
    forks: Annotated[
        int, typer.Option("--forks", metavar="N", help="Nodes checked at the same time.")
    ] = 5,
    textfile: Annotated[
        Path | None,
        typer.Option(
            "--textfile",
            metavar="FILE",
            help="Also write the Prometheus text here (node_exporter's textfile folder, *.prom).",
        ),
    ] = None,
    reports: ReportsOpt = None,
) -> None:
    """Fleet health: every applicable page's read-only checks on every node of an inventory;
    writes reports/fleet/<run>.html, .json and .prom and the report index.

    Exit status: 0 nothing failed, 1 a check failed or a node was unreachable, 2 a bad
    inventory or option.

    \b
    Examples:
      mirta fleet --inventory /etc/mirta-ops/fleet.yaml
      mirta fleet --inventory demo --pages 16,29 --forks 10
    """
    import time

    from mirtalib.fleet.inventory import load_inventory, page_selection
    from mirtalib.fleet.report import FOLDER, write_reports
    from mirtalib.fleet.run import MAX_FORKS, run_fleet
    from mirtalib.nbrun import write_index
    from mirtalib.nbrun.outputs import claim_run
    from mirtalib.nbrun.runner import default_run_name

    source = inventory or os.environ.get("MIRTA_INVENTORY", "").strip()
    try:
        if not source:
            raise ParameterError(
                "no inventory: give --inventory FILE or set MIRTA_INVENTORY "
                "(parameters/examples/fleet-inventory.yaml is a commented example; "
                "--inventory demo checks the recorded demo nodes)"
            )
        if not 1 <= forks <= MAX_FORKS:
            raise ParameterError(f"--forks {forks}: give a number of nodes from 1 to {MAX_FORKS}")
        chosen = page_selection(pages)
        nodes = load_inventory(source)
    except MirtaError as exc:
        raise _fail(exc) from None
    reports_dir = _reports_dir(reports)
    clock = time.monotonic()
    try:
        with claim_run([reports_dir / FOLDER], default_run_name(), explicit=False) as run:
            result = run_fleet(nodes, chosen, forks=forks, run=run)
            written = write_reports(
                result, reports_dir, textfile=textfile, seconds=time.monotonic() - clock
            )
    except MirtaError as exc:
        raise _fail(exc) from None
    index = write_index(reports_dir)
    counts = result.counts()
    for node in result.nodes:
        bad = [c.page for c in node.cells if c.state in ("fail", "unreachable")]
        what = node.state + (f" (pages {', '.join(map(str, bad))})" if bad else "")
        _say(f"{node.node}: {what}" + (f": {node.error}" if node.error else ""))
    _say(", ".join(f"{n} {state}" for state, n in counts.items()) + " (node x page cells)")
    _say(f"Report: {written.html}")
    _say(f"Open the reports: {index}")
    if result.failed:
        raise typer.Exit(1)


@app.command(
    cls=_PlainCommand, context_settings={"allow_extra_args": True, "ignore_unknown_options": True}
)
def lab(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(metavar="PORT", help="Port to listen on.")] = 8888,
    ip: Annotated[str, typer.Option(metavar="ADDRESS", help="Address to listen on.")] = "127.0.0.1",
    browser: Annotated[bool, typer.Option("--browser/--no-browser", help="Open a browser.")] = True,
) -> None:
    """Open JupyterLab on the notebooks folder, on its start page (extra arguments are passed
    to JupyterLab). The start page START.ipynb lists every notebook with one line; the jupytext
    .py sources are hidden, so each notebook appears once.

    \b
    Examples:
      mirta lab
      mirta lab --no-browser --port 8890 --allow-root
    """
    from mirtalib.nbrun.lab import lab_argv, write_start_page

    start = write_start_page()
    _say(f"start page: {start.name} (one line per notebook); .py sources hidden")
    argv = lab_argv(port=port, ip=ip, browser=browser, extra=list(ctx.args))
    os.execv(sys.executable, argv)  # noqa: S606 - replaces this process with JupyterLab


if __name__ == "__main__":  # pragma: no cover
    app()
