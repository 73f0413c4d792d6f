"""Report index, failure detection, volatile-metadata stripping, notebook discovery."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from mirtalib.errors import NotebookError
from mirtalib.nbrun.discover import find_notebooks, find_sources, resolve_notebook
from mirtalib.nbrun.execute import find_failure, scrub_notebook, stable_widget_ids, strip_volatile
from mirtalib.nbrun.index import collect_runs, write_index
from mirtalib.secrets import SCRUBBER


def _record(reports: Path, name: str, run: str, status: str = "ok", group: str = "analytics"):
    folder = reports / name
    folder.mkdir(parents=True, exist_ok=True)
    info = {
        "name": name,
        "group": group,
        "run": run,
        "status": status,
        "html": f"{run}.html",
        "notebook": f"notebooks/{group}/{name}.ipynb",
        "parameter_files": [f"parameters/demo/{name}.yaml"],
        "error": "cell 3 (In [2]: x) raised KeyError: 'a'" if status != "ok" else None,
    }
    (folder / f"{run}.run.json").write_text(json.dumps(info))
    (folder / f"{run}.html").write_text("<html></html>")


def test_index_lists_every_run_grouped_by_notebook_newest_first(tmp_path):
    _record(tmp_path, "vcpu", "20261101T000000Z")
    _record(tmp_path, "cdr-report", "20261101T000000Z", status="failed")
    _record(tmp_path, "cdr-report", "20261102T000000Z")
    _record(tmp_path, "p16", "demo", group="runbooks")
    (tmp_path / "journal").mkdir()  # other JSON in the reports folder (runbook journals)
    (tmp_path / "journal" / "20261102-p16-apply.json").write_text('{"step": 1}')
    runs = collect_runs(tmp_path)
    assert [(r["name"], r["run"]) for r in runs] == [
        ("cdr-report", "20261102T000000Z"),
        ("cdr-report", "20261101T000000Z"),
        ("vcpu", "20261101T000000Z"),
        ("p16", "demo"),
    ]
    html = write_index(tmp_path).read_text()
    assert html.index("cdr-report/20261102T000000Z.html") < html.index("vcpu/20261101T000000Z.html")
    assert "parameters/demo/cdr-report.yaml" in html
    assert "raised KeyError: &#39;a&#39;" in html  # escaped
    assert "1 failed" in html
    assert write_index(tmp_path).read_text() == html  # deterministic


def test_unreadable_record_is_listed_not_dropped(tmp_path):
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "r1.run.json").write_text("{not json")
    runs = collect_runs(tmp_path)
    assert [(r["name"], r["status"]) for r in runs] == [("broken", "unreadable")]
    assert "unreadable" in write_index(tmp_path).read_text()


def test_empty_index(tmp_path):
    assert "No runs yet" in write_index(tmp_path / "reports").read_text()


def _executed(*cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return nb


def test_failure_names_the_authored_cell_not_the_injected_one():
    injected = nbformat.v4.new_code_cell("x = 2", metadata={"tags": ["injected-parameters"]})
    bad = nbformat.v4.new_code_cell("\n  total = 1 / x\n", execution_count=3)
    bad.outputs = [
        nbformat.v4.new_output(
            "error", ename="ZeroDivisionError", evalue="division by zero", traceback=["\x1b[31mTB"]
        )
    ]
    nb = _executed(
        nbformat.v4.new_markdown_cell("# T"),
        nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
        injected,
        bad,
    )
    failure = find_failure(nb)
    assert failure is not None
    assert failure.describe() == (
        "cell 3 (In [3]: total = 1 / x) raised ZeroDivisionError: division by zero"
    )
    assert failure.traceback == "TB"


def test_sys_exit_zero_is_not_a_failure():
    cell = nbformat.v4.new_code_cell("raise SystemExit(0)")
    cell.outputs = [nbformat.v4.new_output("error", ename="SystemExit", evalue="0", traceback=[])]
    assert find_failure(_executed(cell)) is None


def test_dead_kernel_is_a_failure():
    cell = nbformat.v4.new_code_cell(
        "import os; os._exit(1)", metadata={"papermill": {"exception": True}}
    )
    failure = find_failure(_executed(cell))
    assert failure is not None and failure.ename == "CellExecutionError"


def test_strip_volatile_metadata():
    cell = nbformat.v4.new_code_cell(
        "1",
        metadata={
            "papermill": {"duration": 0.1},
            "execution": {"iopub.status.idle": "2026"},
            "tags": [],
        },
    )
    nb = _executed(cell)
    nb.metadata["papermill"] = {"start_time": "2026"}
    strip_volatile(nb)
    assert "papermill" not in nb.metadata
    assert cell.metadata == {}


def test_widget_ids_are_renumbered_consistently():
    ids = ["a" * 32, "b" * 32]
    out = nbformat.v4.new_output(
        "display_data",
        data={"application/vnd.jupyter.widget-view+json": {"model_id": ids[1], "version_major": 2}},
    )
    nb = _executed(nbformat.v4.new_code_cell("w", outputs=[out]))
    nb.metadata["widgets"] = {
        "application/vnd.jupyter.widget-state+json": {
            "state": {ids[1]: {"state": {"layout": f"IPY_MODEL_{ids[0]}"}}, ids[0]: {"state": {}}}
        }
    }
    text = nbformat.writes(stable_widget_ids(nb))
    assert ids[0] not in text and ids[1] not in text
    assert "IPY_MODEL_00000000-0000-4000-8000-" in text


def test_scrub_notebook_masks_registered_secret_everywhere():
    SCRUBBER.add("s3cr3t-canary-value")
    cell = nbformat.v4.new_code_cell("print(x)")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="pw=s3cr3t-canary-value\n")
    ]
    nb = _executed(cell)
    nb.metadata["papermill"] = {"parameters": {"note": "s3cr3t-canary-value"}}
    assert "s3cr3t-canary-value" not in nbformat.writes(scrub_notebook(nb))


def test_notebook_discovery_and_resolution(tmp_path):
    (tmp_path / "analytics").mkdir()
    (tmp_path / "analytics" / "cdr-report.py").write_text("# %% [markdown]\n# # T\n")
    (tmp_path / "analytics" / "cdr-report.ipynb").write_text("{}")
    (tmp_path / "analytics" / "helper.py").write_text("x = 1\n")  # not a notebook source
    (tmp_path / "runbooks").mkdir()
    (tmp_path / "runbooks" / "16-tcp.py").write_text("# %%\nx = 1\n")
    assert [p.name for p in find_sources(tmp_path)] == ["cdr-report.py", "16-tcp.py"]
    assert [p.name for p in find_notebooks(tmp_path)] == ["cdr-report.ipynb", "16-tcp.py"]
    assert resolve_notebook("cdr-report", tmp_path).name == "cdr-report.ipynb"
    assert resolve_notebook("runbooks/16-tcp", tmp_path).name == "16-tcp.py"
    with pytest.raises(NotebookError, match="known: analytics/cdr-report, runbooks/16-tcp"):
        resolve_notebook("queue-stats", tmp_path)
    with pytest.raises(NotebookError, match=r"did you mean cdr-report\?"):
        resolve_notebook("cdr-reprot", tmp_path)
    with pytest.raises(NotebookError, match="does not exist"):
        resolve_notebook(tmp_path / "missing.ipynb", tmp_path)


def test_cell_tagged_raises_exception_is_expected():
    shown = nbformat.v4.new_code_cell("apply()", metadata={"tags": ["raises-exception"]})
    shown.outputs = [
        nbformat.v4.new_output("error", ename="ConfirmationRequired", evalue="no", traceback=[])
    ]
    later = nbformat.v4.new_code_cell("1/0")
    later.outputs = [
        nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="x", traceback=[])
    ]
    assert find_failure(_executed(shown)) is None
    failure = find_failure(_executed(shown, later))
    assert failure is not None and failure.number == 2


def test_report_leaves_out_lab_only_cells_and_injected_parameters():
    from mirtalib.nbrun.execute import LAB_ONLY_TAG, report_notebook

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Title"),
        nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["injected-parameters"]}),
        nbformat.v4.new_markdown_cell("## Run again", metadata={"tags": [LAB_ONLY_TAG]}),
        nbformat.v4.new_code_cell("form()", metadata={"tags": [LAB_ONLY_TAG]}),
        nbformat.v4.new_markdown_cell("## Figures"),
    ]
    kept = report_notebook(nb)
    assert [c.source for c in kept.cells] == ["# Title", "## Figures"]
    assert len(nb.cells) == 5  # the notebook itself keeps them


def test_strip_volatile_joins_stream_chunks_however_the_kernel_split_them():
    def cell(*chunks):
        c = nbformat.v4.new_code_cell("print(...)")
        c.outputs = [nbformat.v4.new_output("stream", name=n, text=t) for n, t in chunks]
        return c

    one, two = nbformat.v4.new_notebook(), nbformat.v4.new_notebook()
    one.cells = [
        cell(("stdout", "a\nb"), ("stdout", "\nc\n"), ("stderr", "w\n"), ("stdout", "d\n"))
    ]
    two.cells = [
        cell(("stdout", "a\n"), ("stdout", "b\nc\n"), ("stderr", "w\n"), ("stdout", "d\n"))
    ]
    first, second = strip_volatile(one).cells[0], strip_volatile(two).cells[0]
    assert first.outputs == second.outputs
    assert [o["text"] for o in first.outputs] == ["a\nb\nc\n", "w\n", "d\n"]
