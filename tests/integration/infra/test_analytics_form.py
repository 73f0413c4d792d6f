"""The analytics notebooks' form: Run checks the values like `mirta run` and runs the notebook
headless with them (here without a browser: the button's handler is what a click runs)."""

from __future__ import annotations

import json

import nbformat

from mirtalib.reporting.widgets import AnalyticsForm, notebook_source


def _text(path) -> str:
    nb = nbformat.read(path, as_version=4)
    return json.dumps([out for cell in nb.cells for out in cell.get("outputs", [])])


def test_form_fields_follow_the_notebook(tmp_path):
    form = AnalyticsForm(
        "extension-events", {"start": "2026-10-01", "end": "2026-11-01", "tenants": "all"}
    )
    assert list(form.fields) == ["start", "end", "tenants"]
    assert notebook_source("extension-events").suffix == ".py"


def test_bad_values_are_shown_and_nothing_runs(tmp_path):
    form = AnalyticsForm(
        "recording-coverage",
        {"start": "2026-10-01", "end": "2026-11-01", "tenants": "all"},
        reports_dir=tmp_path,
    )
    form.fields["start"].value = "05/10/2026"
    form.run_button.click()
    assert "2026-10-05 (5 October 2026)" in form.status.value
    assert form.result is None and not list(tmp_path.iterdir())


def test_run_uses_the_form_values(tmp_path, monkeypatch):
    monkeypatch.setenv("MIRTA_DB_URL", "demo")
    form = AnalyticsForm(
        "recording-coverage",
        {"start": "2026-10-01", "end": "2026-11-01", "tenants": "all"},
        reports_dir=tmp_path,
        fixed={"export_dir": ""},
    )
    form.fields["start"].value = "2026-10-05"
    form.fields["end"].value = "2026-10-06"
    form.fields["tenants"].value = "ACME"
    form.run_button.click()
    result = form.result
    assert result is not None and result.ok, form.status.value
    assert "ran with start=2026-10-05, end=2026-10-06, tenants=ACME" in form.status.value
    record = json.loads(result.record.read_text())
    assert record["parameters"] == {
        "export_dir": "",
        "start": "2026-10-05",
        "end": "2026-10-06",
        "tenants": "ACME",
    }
    assert result.ipynb.is_relative_to(tmp_path)
    text = _text(result.ipynb)
    assert "ACME" in text and "VERDI" not in text
