"""Names a person gets slightly wrong: did you mean, renamed parameters, dates before a run."""

from __future__ import annotations

import pytest

from mirtalib.errors import NotebookError, ParameterError
from mirtalib.nbrun.discover import NOTEBOOKS_DIR, read_notebook, resolve_notebook
from mirtalib.nbrun.params import inspect_parameters, validate_parameters
from mirtalib.nbrun.suggest import did_you_mean, suggest_parameter


def _declared(name: str):
    # the jupytext source: the committed .ipynb follows it when the notebooks are regenerated
    return inspect_parameters(read_notebook(NOTEBOOKS_DIR / "analytics" / f"{name}.py"))


def test_did_you_mean_finds_close_names():
    assert did_you_mean("cdr-reprot", ["cdr-report", "extension-events"]) == ["cdr-report"]
    assert did_you_mean("tenant", ["tenants", "timezone", "top_n"])[0] == "tenants"
    assert did_you_mean("report", ["cdr-report", "queue-report", "x"]) == [
        "cdr-report",
        "queue-report",
    ]
    assert did_you_mean("zzzz", ["cdr-report"]) == []
    assert did_you_mean("export_dir", ["report_at", "logs_dir"]) == []  # not close enough


def test_unknown_notebook_suggests_the_close_one():
    with pytest.raises(NotebookError) as err:
        resolve_notebook("cdr-reprot", NOTEBOOKS_DIR)
    assert "did you mean cdr-report?" in str(err.value)
    with pytest.raises(NotebookError, match="known: "):  # nothing close: the list
        resolve_notebook("qqqqqqqq", NOTEBOOKS_DIR)


@pytest.mark.parametrize("notebook", ["cdr-report", "extension-events", "recording-coverage"])
def test_analytics_notebooks_share_start_end_tenants(notebook):
    names = {p.name for p in _declared(notebook)}
    assert {"start", "end", "tenants"} <= names
    assert not names & {"period_start", "period_end", "tenant"}


@pytest.mark.parametrize(
    ("old", "new"), [("period_start", "start"), ("period_end", "end"), ("tenant", "tenants")]
)
def test_old_names_are_refused_with_the_new_name(old, new):
    declared = _declared("extension-events")
    with pytest.raises(ParameterError) as err:
        validate_parameters({old: "x"}, declared, where="extension-events")
    assert f"unknown parameter(s) {old} (renamed: use {new})" in str(err.value)


def test_misspelt_parameter_gets_did_you_mean():
    assert suggest_parameter("tenant_s", ["tenants", "start"]) == " (did you mean tenants?)"
    assert suggest_parameter("colour", ["who", "times"]) == ""
    declared = _declared("cdr-report")
    with pytest.raises(ParameterError, match=r"strat \(did you mean start\?\)"):
        validate_parameters({"strat": "2026-10-01"}, declared)


def test_non_iso_dates_are_refused_before_a_run():
    declared = _declared("extension-events")
    with pytest.raises(ParameterError, match=r"start='02/10/2026'.*2026-10-02 \(2 October"):
        validate_parameters({"start": "02/10/2026"}, declared, where="extension-events")
    with pytest.raises(ParameterError, match="report_at="):
        validate_parameters({"report_at": "14/10/2026 10:42"}, declared)
    validate_parameters({"start": "2026-10-02", "report_at": "2026-10-14 10:42"}, declared)
