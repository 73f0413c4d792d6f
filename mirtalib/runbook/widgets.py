"""The interactive layer (JupyterLab): a parameter form, Plan / Apply / Verify / Rollback buttons,
readable diffs, progress while commands run, and a checklist of the manual steps.

It drives the same :class:`~mirtalib.runbook.session.Runbook` calls as the headless notebook:
Apply stays disabled until a plan was shown for the current form values and the operator ticks
"I reviewed the plan" (the widget equivalent of ``confirm=True``).
"""

from __future__ import annotations

import html
import logging
from typing import Any

import ipywidgets as w

from mirtalib.errors import MirtaError
from mirtalib.runbook.model import Manual, Param
from mirtalib.runbook.render import report_html
from mirtalib.runbook.results import RunReport, StepResult
from mirtalib.runbook.session import Runbook

log = logging.getLogger(__name__)


def db_choices(kind: str, *, demo: bool = False) -> list[str]:
    """Tenant codes or node names from the MiRTA database (MIRTA_DB_URL; the demo PBX's only
    with ``MIRTA_DB_URL=demo`` or ``demo`` True: a form on ``replay:`` demo nodes).

    Raises:
        NoDatabaseConfigured: no database configured (the form then takes free text).
    """
    from sqlalchemy import select

    from mirtalib.data.db import demo_scope, open_database

    with demo_scope(demo):
        db = open_database()
    table, column = ("te_tenants", "te_code") if kind == "tenants" else ("no_nodes", "no_name")
    t = db.schema.table(table)
    frame = db.read_sql(select(t.c[column]).order_by(t.c[column]))
    return [str(v) for v in frame.iloc[:, 0]]


def _field(param: Param, value: Any, *, demo: bool = False) -> w.Widget:
    desc = {
        "description": param.name,
        "style": {"description_width": "initial"},
        "tooltip": param.help,
    }
    choices: Any = param.choices
    if isinstance(choices, str):
        try:
            choices = db_choices(choices, demo=demo)
        except MirtaError as exc:
            log.warning("no %s from the database (%s): free text instead", choices, exc)
            choices = None
    if choices:
        options = list(choices)
        if value not in options:
            options.insert(0, value)
        return w.Dropdown(options=options, value=value, **desc)
    if isinstance(param.default, bool):
        return w.Checkbox(value=bool(value), indent=False, **desc)
    if isinstance(param.default, int):
        return w.IntText(value=int(value), **desc)
    if isinstance(param.default, float):
        return w.FloatText(value=float(value), **desc)
    return w.Text(value=str(value), **desc)


class RunbookUI:
    """Widgets around a runbook; ``.widget`` is what the notebook displays."""

    def __init__(self, rb: Runbook) -> None:
        self.rb = rb
        self.fields = {
            p.name: _field(p, rb.values[p.name], demo=rb.is_replay) for p in rb.definition.params
        }
        self.targets = w.Text(
            value=",".join(t.spec for t in rb.targets),
            description="targets",
            style={"description_width": "initial"},
            layout=w.Layout(width="60%"),
        )
        self.plan_button = w.Button(description="Plan", button_style="info", icon="search")
        self.apply_button = w.Button(description="Apply", button_style="danger", disabled=True)
        self.verify_button = w.Button(description="Verify", button_style="success")
        self.rollback_button = w.Button(
            description="Rollback", button_style="warning", disabled=True
        )
        self.reviewed = w.Checkbox(value=False, description="I reviewed the plan", indent=False)
        self.side_by_side = w.ToggleButtons(
            options=["side-by-side", "unified"], value="side-by-side"
        )
        self.progress = w.IntProgress(value=0, min=0, max=1, description="progress")
        self.status = w.HTML()
        self.nodes = w.HTML()  # rolling apply / rollback: one line per node and its state
        self._node_states: dict[str, str] = {}
        self.output = w.HTML()
        self.checklist = w.VBox()
        self._planned_for: tuple | None = None
        self.plan_button.on_click(lambda _b: self._guard(self.do_plan))
        self.apply_button.on_click(lambda _b: self._guard(self.do_apply))
        self.verify_button.on_click(lambda _b: self._guard(self.do_verify))
        self.rollback_button.on_click(lambda _b: self._guard(self.do_rollback))
        self.reviewed.observe(lambda _c: self._refresh(), names="value")
        for f in self.fields.values():
            f.observe(lambda _c: self._refresh(), names="value")
        self.targets.observe(lambda _c: self._refresh(), names="value")
        self._fill_checklist()
        d = rb.definition
        self.widget = w.VBox(
            [
                w.HTML(f"<h3>Page {d.page}: {html.escape(d.title)}</h3>"),
                w.VBox([self.targets, *self.fields.values()]),
                w.HBox(
                    [
                        self.plan_button,
                        self.reviewed,
                        self.apply_button,
                        self.verify_button,
                        self.rollback_button,
                    ]
                ),
                w.HBox([self.side_by_side, self.progress]),
                self.status,
                self.nodes,
                self.output,
                w.HTML("<h4>Checklist (by hand)</h4>"),
                self.checklist,
            ]
        )

    # -- state ---------------------------------------------------------------------------------
    def _key(self) -> tuple:
        return (self.targets.value, tuple((k, f.value) for k, f in self.fields.items()))

    def _refresh(self) -> None:
        ready = self._planned_for == self._key() and self.reviewed.value
        self.apply_button.disabled = not ready

    def _fill_checklist(self) -> None:
        self.checklist.children = [
            w.Checkbox(
                value=False,
                indent=False,
                description=f"{s.phase.value}: {s.title}" + (f" ({s.detail})" if s.detail else ""),
                layout=w.Layout(width="100%"),
            )
            for s in self.rb.steps
            if isinstance(s, Manual)
        ]

    def _reopen(self) -> None:
        values = {k: f.value for k, f in self.fields.items()}
        if self.targets.value != ",".join(t.spec for t in self.rb.targets) or values != {
            k: self.rb.values[k] for k in values
        }:
            new = self.rb.definition.open(
                self.targets.value,
                clock=self.rb.clock,
                journal=self.rb.journal,
                serial=self.rb.serial,
                backup_dir=self.rb.backup_dir,
                **values,
            )
            self.rb.close()
            self.rb = new
            self._fill_checklist()

    def _guard(self, action) -> None:
        try:
            action()
        except MirtaError as exc:
            self.status.value = f'<b style="color:#b00">{html.escape(str(exc))}</b>'

    def _on_step(self, node: str, n: int, total: int, res: StepResult) -> None:
        self.progress.max = max(total, 1)
        self.progress.value = n
        self.status.value = html.escape(f"{node}: step {res.index} {res.title}: {res.status}")

    def _on_node(self, node: str, n: int, total: int, state: str) -> None:
        """Rolling progress: each node's state (waiting, applying, verifying, its outcome)."""
        if n == 1 and state in ("applying", "rolling back"):
            self._node_states = {}
        self._node_states[node] = state
        rows = "".join(
            f"<li>{i}/{total} {html.escape(name)}: <b>{html.escape(s)}</b></li>"
            for i, (name, s) in enumerate(self._node_states.items(), 1)
        )
        self.nodes.value = f"<ul>{rows}</ul>"

    def _show(self, report: RunReport) -> None:
        text = (
            report_html(report)
            if self.side_by_side.value == "side-by-side"
            else (f"<pre>{html.escape(report.text())}</pre>")
        )
        self.output.value = text
        verdict = "FAILED" if report.failed else "done"
        self.status.value = f"<b>{report.mode}: {verdict}</b>"

    # -- actions -------------------------------------------------------------------------------
    def do_plan(self) -> RunReport:
        """Plan with the form's values (reopens the targets when they changed)."""
        self._reopen()
        report = self.rb.plan(on_step=self._on_step)
        self._planned_for = self._key()
        self.reviewed.value = False
        self._show(report)
        self._refresh()
        return report

    def do_apply(self) -> RunReport:
        """Apply, only after a plan of the same values and the review tick."""
        if self._planned_for != self._key() or not self.reviewed.value:
            raise MirtaError("run Plan with these values and tick 'I reviewed the plan' first")
        report = self.rb.apply(confirm=True, on_step=self._on_step, on_node=self._on_node)
        self.reviewed.value = False
        self._planned_for = None
        self.rollback_button.disabled = not any(n.changed for n in report.nodes)
        self._show(report)
        self._refresh()
        return report

    def do_verify(self) -> RunReport:
        """Run the checks."""
        self._reopen()
        report = self.rb.verify(on_step=self._on_step)
        self._show(report)
        return report

    def do_rollback(self) -> RunReport:
        """Put back what the last apply changed."""
        report = self.rb.rollback(confirm=True, on_step=self._on_step, on_node=self._on_node)
        self.rollback_button.disabled = True
        self._show(report)
        return report
