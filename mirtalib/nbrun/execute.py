"""Executing a notebook with papermill, finding the failing cell, scrubbing, exporting HTML."""

from __future__ import annotations

import copy
import logging
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from papermill import __version__ as papermill_version
from papermill.engines import papermill_engines
from papermill.exceptions import PapermillException
from papermill.execute import prepare_notebook_metadata, remove_error_markers
from papermill.parameterize import parameterize_notebook
from papermill.utils import chdir
from traitlets.config import Config

from mirtalib.errors import ConfigurationError, NotebookError, SecretError
from mirtalib.nbrun.outputs import atomic_write_text
from mirtalib.nbrun.params import NotebookParameter, is_reference_name, refuse_secret_values
from mirtalib.secrets import SCRUBBER, _dotenv_path, environment_secrets, resolve_secret, scrub
from mirtalib.settings import Settings

logger = logging.getLogger(__name__)

ERROR_TAG = "papermill-error-cell-tag"  # papermill's own marker: removed again on the next run
INJECTED_TAG = "injected-parameters"
#: cells only meaningful in JupyterLab (a form, its heading): left out of the HTML report
LAB_ONLY_TAG = "lab-only"
RAISES_TAG = "raises-exception"  # nbclient goes on after such a cell and nbval expects its error
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class CellFailure:
    """The cell that stopped a run.

    Attributes:
        number: position of the cell in the notebook as authored (1-based, all cells counted,
            papermill's injected cells not counted).
        exec_count: the ``In [n]`` execution count, None when the cell never started.
        first_line: the first non-empty line of the cell's source.
        ename: exception class name.
        evalue: exception message (scrubbed).
        traceback: plain-text traceback (scrubbed, colours removed).
    """

    number: int
    exec_count: int | None
    first_line: str
    ename: str
    evalue: str
    traceback: str

    def describe(self) -> str:
        """One line naming the cell and the error: ``cell 5 (In [3]: x = 1/0) raised ...``."""
        count = self.exec_count if self.exec_count is not None else " "
        where = f"cell {self.number} (In [{count}]: {self.first_line})"
        return f"{where} raised {self.ename}: {self.evalue}"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "cell": self.number,
            "exec_count": self.exec_count,
            "first_line": self.first_line,
            "ename": self.ename,
            "evalue": self.evalue,
        }


def find_failure(nb: nbformat.NotebookNode) -> CellFailure | None:
    """The first cell of an executed notebook that raised.

    ``SystemExit(0)`` does not count, nor does a cell tagged ``raises-exception`` (a cell that shows
    an expected error, e.g. a refused apply; nbclient goes on after it and nbval checks the error).
    """
    number = 0
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if INJECTED_TAG in tags or ERROR_TAG in tags:
            continue
        number += 1
        if cell.cell_type != "code" or RAISES_TAG in tags:
            continue
        error = next(
            (
                out
                for out in cell.get("outputs", [])
                if out.output_type == "error"
                and not (out.ename == "SystemExit" and out.evalue in {"", "0"})
            ),
            None,
        )
        crashed = cell.get("metadata", {}).get("papermill", {}).get("exception") is True
        if error is None and not crashed:
            continue
        first = next((ln.strip() for ln in cell.source.splitlines() if ln.strip()), "")
        if len(first) > 60:
            first = first[:57] + "..."
        return CellFailure(
            number=number,
            exec_count=cell.get("execution_count"),
            first_line=scrub(first),
            ename=error.ename if error is not None else "CellExecutionError",
            evalue=scrub(_ANSI.sub("", error.evalue)) if error is not None else "the kernel died",
            traceback=scrub(_ANSI.sub("", "\n".join(error.traceback))) if error is not None else "",
        )
    return None


def execute(
    nb: nbformat.NotebookNode,
    parameters: Mapping[str, Any] | None,
    cwd: Path,
    *,
    label: str,
    kernel_name: str = "python3",
    progress: bool = True,
    log_output: bool = False,
    start_timeout: int = 120,
    environ: Mapping[str, str | None] | None = None,
) -> tuple[nbformat.NotebookNode, CellFailure | None]:
    """Run ``nb`` with papermill in the folder ``cwd``; nothing is written to disk.

    Args:
        nb: the notebook (not modified).
        parameters: values to inject after the ``parameters`` cell; None or empty injects nothing.
        cwd: working directory of the kernel (the notebook's folder).
        label: how the notebook is named in metadata and messages (a project-relative path).
        kernel_name: Jupyter kernel.
        progress: show a tqdm progress bar on stderr.
        log_output: stream cell outputs to the log (scrubbed by the CLI's log filter).
        start_timeout: seconds to wait for the kernel to start.
        environ: environment variables to set (None: unset) for the kernel only.

    Returns:
        The executed notebook (with a failure banner cell first when a cell raised) and the failure.

    Raises:
        ParameterError: when a value carries a secret (checked before papermill injects anything).
        NotebookError: when the kernel cannot be started or papermill fails outside a cell.
    """
    if parameters:
        refuse_secret_values(parameters, where=label)
    nb = copy.deepcopy(nb)
    # the metadata papermill's own loader would add (its engine relies on it)
    nb.metadata["papermill"] = {
        "default_parameters": {},
        "parameters": {},
        "environment_variables": {},
        "version": papermill_version,
    }
    for cell in nb.cells:
        cell.metadata.setdefault("tags", [])
        cell.metadata.setdefault("papermill", {})
    if parameters:
        nb = parameterize_notebook(nb, dict(parameters), kernel_name=kernel_name, language="python")
    nb = prepare_notebook_metadata(nb, label, "", report_mode=False)
    nb = remove_error_markers(nb)
    try:
        with (
            _environ({**QUIET_KERNEL, **(environ or {})}),
            chdir(str(cwd)),
            tempfile.TemporaryDirectory(prefix="mirta-kernel-") as sockets,
        ):
            nb = papermill_engines.execute_notebook_with_engine(
                None,
                nb,
                kernel_name=kernel_name,
                input_path=label,
                output_path=None,
                progress_bar=progress,
                log_output=log_output,
                start_timeout=start_timeout,
                config=_ipc_config(Path(sockets)),
                # jupyter_client interrupts the kernel on every shutdown, and a kernel busy with a
                # message then logs 'KeyboardInterrupt caught in kernel' to our terminal; cell
                # errors are in the notebook and a dead kernel is a failure, so only those count
                extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
            )
    except (PapermillException, RuntimeError, OSError) as exc:
        raise NotebookError(f"{label}: cannot execute: {scrub(str(exc))}") from exc
    failure = find_failure(nb)
    if failure is not None:
        banner = nbformat.v4.new_markdown_cell(
            f'<span style="color:red; font-size:2em">Run failed in cell {failure.number}</span>\n\n'
            f"`{failure.ename}: {failure.evalue}` (see In [{failure.exec_count}] below)"
        )
        banner.metadata["tags"] = [ERROR_TAG]
        nb.cells.insert(0, banner)
    return nb, failure


# The kernel talks to us over Unix sockets in a private folder, not over loopback TCP (ipykernel
# warns that TCP is unencrypted, and other local users could connect); the debugger's frozen
# modules check is off (headless runs do not debug, and it prints a warning on Python 3.11+).
QUIET_KERNEL = {"PYDEVD_DISABLE_FILE_VALIDATION": "1"}


def _ipc_config(folder: Path) -> Config:
    folder.chmod(0o700)
    return Config({"KernelManager": {"transport": "ipc", "ip": str(folder / "kernel")}})


@contextmanager
def _environ(overrides: Mapping[str, str | None]) -> Iterator[None]:
    """Set (or unset, for None) environment variables while the kernel is started."""
    saved = {name: os.environ.get(name) for name in overrides}
    try:
        for name, value in overrides.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def kernel_environ() -> dict[str, str | None]:
    """Environment for headless runs: the `.env` of the invoking folder stays the one read.

    The kernel runs in the notebook's folder, so a relative ``MIRTA_DOTENV`` (default ``.env``) is
    made absolute against the folder ``mirta`` was started in. ``JPY_SESSION_NAME`` (set by
    JupyterLab in its kernels, inherited by a ``mirta run`` started from one) is removed: the
    runbook notebooks show their form and word their hints for JupyterLab only when it is set.
    """
    return {"MIRTA_DOTENV": str(_dotenv_path().resolve()), "JPY_SESSION_NAME": None}


def register_secrets(values: Mapping[str, Any], declared: list[NotebookParameter]) -> None:
    """Make the scrubber of this process know every secret the kernel may have resolved.

    The kernel runs in another process, so the secrets it resolves are registered here too: the
    variables named by ``*_env`` parameters (given or default), the password of MIRTA_DB_URL, and
    every environment / `.env` variable whose name says it is a secret
    (:func:`mirtalib.secrets.environment_secrets`).
    """
    refs = {p.name: p.default_value for p in declared if is_reference_name(p.name)}
    refs.update({k: v for k, v in values.items() if is_reference_name(k)})
    for ref in refs.values():
        if isinstance(ref, str) and _ENV_NAME.match(ref):
            try:
                resolve_secret(ref, required=False)
            except SecretError:
                logger.debug("secret reference %s not resolvable", ref)
    try:
        Settings.load()  # registers the database password, if any
    except ConfigurationError as exc:
        logger.debug("settings not loadable: %s", exc)
    for value in environment_secrets(r for r in refs.values() if isinstance(r, str)):
        SCRUBBER.add(value)


def scrub_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Return a copy of ``nb`` with every registered secret masked in every string it holds."""

    def walk(node: Any) -> Any:
        if isinstance(node, str):
            return scrub(node)
        if isinstance(node, dict):
            return type(node)({k: walk(v) for k, v in node.items()})
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return nbformat.from_dict(walk(nb))


def write_notebook(nb: nbformat.NotebookNode, path: Path) -> None:
    """Scrub and write a notebook atomically (stable JSON: sorted keys, one-space indent)."""
    text = scrub(nbformat.writes(scrub_notebook(nb)))
    if not text.endswith("\n"):
        text += "\n"
    atomic_write_text(path, text)


_TEMPLATES = Path(__file__).parent / "templates" / "nbconvert"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def report_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook as a reader gets it: outputs and text only.

    A copy without widget views (an HTML page has no kernel, and their manager would come from
    a CDN) nor the widget state, the injected parameters cell left out, and every chart given
    the heading of its section as alternative text. Code inputs and prompts are left out by
    :func:`export_html`'s exporter.
    """
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    heading = nb.metadata.get("title", "")
    cells = []
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if INJECTED_TAG in tags or LAB_ONLY_TAG in tags:
            continue
        if cell.cell_type == "markdown":
            lines = cell.source.splitlines()
            titles = [ln.lstrip("#").strip() for ln in lines if ln.startswith("#")]
            heading = titles[-1] if titles else heading
        if cell.cell_type == "code":
            outputs = []
            for out in cell.get("outputs", []):
                if WIDGET_VIEW in out.get("data", {}):
                    continue
                if "image/png" in out.get("data", {}):
                    meta = out.setdefault("metadata", {}).setdefault("image/png", {})
                    meta.setdefault("alt", f"chart: {heading}" if heading else "chart")
                outputs.append(out)
            cell.outputs = outputs
        cells.append(cell)
    nb.cells = cells
    return nb


def export_html(nb: nbformat.NotebookNode, path: Path) -> None:
    """Write the scrubbed notebook as a standalone HTML report page.

    nbconvert's lab look with the ``mirta_report`` template (``templates/nbconvert``): no code
    input, no prompts, no script or style from another host (require.js, MathJax, Mermaid and the
    widget manager are not loaded), tables and images kept within the page width.
    """
    from nbconvert import HTMLExporter  # heavy: import on use

    exporter = HTMLExporter(
        template_name="mirta_report",
        extra_template_basedirs=[str(_TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_anchor_links=True,
    )
    body, _ = exporter.from_notebook_node(report_notebook(scrub_notebook(nb)))
    atomic_write_text(path, scrub(body))


def _coalesce_streams(outputs: list) -> list:
    """Join consecutive stream outputs of the same stream: how the kernel splits what a cell
    prints into messages depends on timing, so the same run could be written differently."""
    merged: list = []
    for out in outputs:
        prev = merged[-1] if merged else None
        if (
            out.get("output_type") == "stream"
            and prev is not None
            and prev.get("output_type") == "stream"
            and prev.get("name") == out.get("name")
        ):
            prev["text"] = "".join(prev.get("text", "")) + "".join(out.get("text", ""))
            continue
        merged.append(out)
    return merged


def strip_volatile(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Remove run-dependent metadata (papermill timings and paths, execution timestamps) and
    join consecutive stream outputs (their split into messages varies from run to run)."""
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = _coalesce_streams(cell.get("outputs", []))
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        cell.metadata.pop("ExecuteTime", None)
        if not cell.metadata.get("tags", True):
            del cell.metadata["tags"]
    return nb


_UUID = re.compile(r"[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def stable_widget_ids(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Replace the random ipywidgets model ids by ids numbered in order of first appearance."""
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    ids = set(state.get("state", {}))
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            view = out.get("data", {}).get("application/vnd.jupyter.widget-view+json")
            if view and "model_id" in view:
                ids.add(view["model_id"])
    if not ids:
        return nb
    text = nbformat.writes(nb)
    mapping: dict[str, str] = {}

    def visit(node: object) -> None:  # number models by reference from the outputs, not by uuid
        if isinstance(node, str):
            for match in _UUID.finditer(node):
                if match.group() in ids and match.group() not in mapping:
                    mapping[match.group()] = f"00000000-0000-4000-8000-{len(mapping) + 1:012d}"
                    visit(state.get("state", {}).get(match.group(), {}))
        elif isinstance(node, dict):
            for key in sorted(node):
                visit(node[key])
        elif isinstance(node, list):
            for item in node:
                visit(item)

    visit([c.get("outputs", []) for c in nb.cells])
    visit(text)  # models no output refers to, in order of appearance
    text = _UUID.sub(lambda m: mapping.get(m.group(), m.group()), text)
    return nbformat.reads(text, as_version=4)
