"""The interactive layer of the analytics notebooks (JupyterLab): a form to run the report again
for another period, tenants or source, and the CDR call search.

- :class:`AnalyticsForm`: start, end, tenants (and source where the notebook has one) and a
  **Run** button. Run checks the values as ``mirta run`` does (ISO dates, known names), runs the
  notebook headless with them (:func:`mirtalib.nbrun.run_notebook`, into the reports folder like
  any run) and shows its outputs below the form; the notebook's own cells keep their values.
- :class:`CallSearchUI`: the filters of :func:`mirtalib.cdr.search.search_calls`, pages, and a
  call chooser that opens the call's legs and recordings (:class:`~mirtalib.cdr.search.CallSearch`).

In the notebooks their cells are tagged ``NBVAL_IGNORE_OUTPUT``: headless runs show the widgets'
text form only.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ipywidgets as w

from mirtalib.cdr.search import DISPOSITIONS, CallSearch
from mirtalib.errors import MirtaError, ParameterError
from mirtalib.reporting.fmt import html_table

log = logging.getLogger(__name__)

FORM_FIELDS = ("start", "end", "tenants", "source")
_STYLE = {"description_width": "initial"}


def _error(exc: Exception) -> str:
    return f'<b style="color:#b00">{html.escape(str(exc))}</b>'


def notebook_source(name: str) -> Path:
    """The jupytext source of an analytics notebook (its parameters are the current ones)."""
    from mirtalib.nbrun.discover import resolve_notebook

    path = resolve_notebook(name)
    source = path.with_suffix(".py")
    return source if source.is_file() else path


class AnalyticsForm:
    """Period, tenants and source of an analytics notebook, and Run; ``.widget`` is displayed.

    Args:
        notebook: the notebook's name (``cdr-report``) or path.
        values: the current values of the fields to show (only those the notebook has, among
            start, end, tenants, source).
        reports_dir: where runs go (default: MIRTA_REPORTS or ./reports).
        fixed: other parameters every run of the form gets (``{"export_dir": ""}``), as text.
    """

    def __init__(
        self,
        notebook: str,
        values: Mapping[str, Any],
        reports_dir: Path | None = None,
        fixed: Mapping[str, str] | None = None,
    ) -> None:
        self.notebook = notebook
        self.reports_dir = reports_dir
        self.fixed = dict(fixed or {})
        self.fields = {
            name: w.Text(value=str(values[name]), description=name, style=_STYLE)
            for name in FORM_FIELDS
            if name in values
        }
        if "tenants" in self.fields:
            self.fields["tenants"].placeholder = "all, or codes separated by commas"
        self.run_button = w.Button(description="Run", button_style="primary", icon="play")
        self.status = w.HTML()
        self.output = w.Output()
        self.result = None
        self.run_button.on_click(lambda _b: self.run())
        self.widget = w.VBox(
            [
                w.HTML(
                    "<b>Run this report again</b> for another period, tenants or source "
                    "(dates YYYY-MM-DD; the cells above keep their values)"
                ),
                w.HBox(list(self.fields.values())),
                w.HBox([self.run_button, self.status]),
                self.output,
            ]
        )

    def values(self) -> dict[str, str]:
        """The form's values, as ``-p NAME VALUE`` pairs would give them."""
        return {name: field.value.strip() for name, field in self.fields.items()}

    def check(self) -> dict[str, str]:
        """The values, checked as a headless run checks them (names, types, ISO dates)."""
        from mirtalib.nbrun.runner import collect_parameters

        pairs = list({**self.fixed, **self.values()}.items())
        collect_parameters(notebook_source(self.notebook), [], pairs)
        return dict(pairs)

    def run(self):
        """Run the notebook headless with the form's values and show its outputs (a
        :class:`~mirtalib.nbrun.runner.RunResult`, also kept in ``.result``); a bad value is
        shown in the form, nothing runs."""
        from mirtalib.nbrun import run_notebook
        from mirtalib.settings import default_reports_dir

        self.output.clear_output()
        try:
            values = self.check()
        except MirtaError as exc:
            self.status.value = _error(exc)
            return None
        self.status.value = "running ..."
        self.run_button.disabled = True
        try:
            result = run_notebook(
                notebook_source(self.notebook),
                cli=list(values.items()),
                reports_dir=self.reports_dir or default_reports_dir(),
                progress=False,
            )
        except MirtaError as exc:
            self.status.value = _error(exc)
            return None
        finally:
            self.run_button.disabled = False
        self.result = result
        shown = ", ".join(f"{k}={v}" for k, v in values.items() if k in self.fields)
        if result.ok:
            self.status.value = html.escape(f"ran with {shown}; report: {result.html.name}")
        else:
            self.status.value = _error(RuntimeError(result.describe_problem()))
        with self.output:
            show_outputs(result.ipynb)
        return result


def show_outputs(ipynb: Path) -> None:
    """Display the outputs of an executed notebook here (text, HTML tables, images)."""
    import nbformat
    from IPython.display import display

    nb = nbformat.read(ipynb, as_version=4)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") in ("display_data", "execute_result"):
                display(dict(out.get("data", {})), raw=True)
            elif out.get("output_type") == "stream":
                print(out.get("text", ""), end="")
            elif out.get("output_type") == "error":
                print(f"{out.get('ename')}: {out.get('evalue')}")


def analytics_form(notebook: str, **values: Any) -> w.Widget:
    """The form of an analytics notebook with its current values (``start=start, ...``)."""
    return AnalyticsForm(notebook, values).widget


class CallSearchUI:
    """Filters, pages and the legs and recordings of a chosen call; ``.widget`` is displayed."""

    def __init__(self, search: CallSearch, page_size: int = 25) -> None:
        self.search = search
        self.page_size = page_size
        self.page = 1
        text = {"style": _STYLE, "layout": w.Layout(width="220px")}
        self.number = w.Text(description="number", placeholder="digits", **text)
        self.extension = w.Text(description="extension", placeholder="100-ACME or 100", **text)
        self.disposition = w.Dropdown(
            options=["", *DISPOSITIONS], value="", description="outcome", **text
        )
        self.min_s = w.IntText(value=0, description="min s", **text)
        self.max_s = w.IntText(value=0, description="max s (0: any)", **text)
        self.start = w.Text(description="from", placeholder="2026-10-14 08:00", **text)
        self.end = w.Text(description="to", placeholder="2026-10-15", **text)
        self.search_button = w.Button(description="Search", button_style="primary", icon="search")
        self.prev_button = w.Button(description="Previous", icon="arrow-left", disabled=True)
        self.next_button = w.Button(description="Next", icon="arrow-right", disabled=True)
        self.status = w.HTML()
        self.results = w.HTML()
        self.call = w.Dropdown(options=[], description="open call", style=_STYLE)
        self.detail = w.HTML()
        self.search_button.on_click(lambda _b: self.show(1))
        self.prev_button.on_click(lambda _b: self.show(self.page - 1))
        self.next_button.on_click(lambda _b: self.show(self.page + 1))
        self.call.observe(lambda change: self.open(change["new"]), names="value")
        self.widget = w.VBox(
            [
                w.HBox([self.number, self.extension, self.disposition]),
                w.HBox([self.min_s, self.max_s, self.start, self.end]),
                w.HBox([self.search_button, self.prev_button, self.next_button, self.status]),
                self.results,
                self.call,
                self.detail,
            ]
        )

    def filters(self) -> dict[str, Any]:
        """The search's filters from the fields (0 durations and empty texts: no filter)."""
        return {
            "number": self.number.value,
            "extension": self.extension.value,
            "disposition": self.disposition.value,
            "min_duration_s": self.min_s.value or None,
            "max_duration_s": self.max_s.value or None,
            "start": self.start.value.strip() or None,
            "end": self.end.value.strip() or None,
        }

    def show(self, page: int) -> None:
        """Search and show ``page`` of the results (a bad filter is shown, not raised)."""
        try:
            found = self.search.find(**self.filters(), page=page, page_size=self.page_size)
        except ParameterError as exc:
            self.status.value = _error(exc)
            return
        self.page = found.page
        self.status.value = html.escape(found.describe())
        self.results.value = html_table(found.rows, max_rows=None, empty="no call").html
        self.prev_button.disabled = found.page <= 1
        self.next_button.disabled = found.page >= found.pages
        self.call.options = ["", *found.rows["call_id"].tolist()]
        self.call.value = ""
        self.detail.value = ""

    def open(self, call_id: str) -> None:
        """Show the legs of ``call_id`` and, where the coverage audit knows them, its
        recordings."""
        if not call_id:
            self.detail.value = ""
            return
        try:
            legs = self.search.legs(call_id)
            parts = [f"<h4>Call {html.escape(call_id)}: {len(legs)} leg(s)</h4>"]
            parts.append(html_table(legs, max_rows=None).html)
            try:
                recs = self.search.recordings(call_id)
            except MirtaError as exc:
                parts.append(f"<p>recordings: not known ({html.escape(str(exc))})</p>")
            else:
                if recs.empty:
                    parts.append("<p>recordings: none known for this call</p>")
                else:
                    parts.append("<h4>Recordings (coverage audit)</h4>")
                    parts.append(html_table(recs, max_rows=None).html)
        except MirtaError as exc:
            parts = [_error(exc)]
        self.detail.value = "".join(parts)
