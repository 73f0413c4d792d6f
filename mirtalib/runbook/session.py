"""A page's runbook definition, and a runbook opened on targets (plan / apply / verify / rollback).

Fan-out: with several targets, every mode runs on all of them in parallel (one thread per node)
and reports per node, in the order the targets were given.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mirtalib.data.db import NoDatabaseConfigured, demo_scope
from mirtalib.errors import ConfirmationRequired, MirtaError, ParameterError, TargetError
from mirtalib.runbook.engine import ProgressCallback, rollback_node, run_node
from mirtalib.runbook.checks import database_finding
from mirtalib.runbook.frame import Verification, framed
from mirtalib.runbook.journal import journal_dir, write_journal
from mirtalib.runbook.model import Manual, Param, Phase, Step, validate_values
from mirtalib.runbook.replay import ReplayTarget
from mirtalib.runbook.results import NodeReport, RunReport
from mirtalib.runbook.targets import Target, open_target, parse_targets

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
StepBuilder = Callable[[dict[str, Any]], list[Step]]


@dataclass(frozen=True)
class RunbookDef:
    """Everything a page module declares.

    Attributes:
        page: seed page number (16).
        slug: seed page slug (``tcp-port-exhaustion``).
        title: page title.
        scope: ``node`` (runs per node) or ``tenant`` (a tenant's settings, on its node(s)).
        params: the runbook parameters (same names as the notebook's parameters cell).
        build: validated values -> the page's own steps (the frame is added by the engine).
        verification: the page's manual verification items.
        tenant_param: name of the parameter holding the tenant code (tenant scope).
        demo_targets: the notebook's default ``targets``: the demo nodes the page runs on.
    """

    page: int
    slug: str
    title: str
    scope: str
    params: tuple[Param, ...]
    build: StepBuilder
    verification: Verification
    tenant_param: str | None = None
    summary: str = ""
    demo_targets: str = "replay:srv01"

    def validate(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Validate parameter values (defaults fill the gaps)."""
        return validate_values(self.params, values)

    def pick(self, namespace: Mapping[str, Any]) -> dict[str, Any]:
        """The runbook's parameters out of a namespace (a notebook's ``globals()``)."""
        return {p.name: namespace[p.name] for p in self.params if p.name in namespace}

    def steps(self, values: Mapping[str, Any], nodes: Sequence[str] = ("<node>",)) -> list[Step]:
        """The full list of steps (frame + page) for validated values."""
        tenant = values.get(self.tenant_param) if self.tenant_param else None
        try:
            own = self.build(dict(values))
        except NoDatabaseConfigured as exc:  # the page's steps come from the MiRTA database
            own = [
                database_finding("mirta-database", "The MiRTA database this page reads", str(exc))
            ]
        return framed(
            own,
            self.verification,
            scope=self.scope,
            nodes=nodes,
            tenant=tenant,
        )

    def open(
        self,
        targets: str | Target | Sequence[str | Target],
        *,
        clock: Clock | None = None,
        journal: Path | None = None,
        target_options: Mapping[str, Any] | None = None,
        **values: Any,
    ) -> Runbook:
        """Validate ``values`` and open the targets.

        Args:
            targets: ``replay:srv01,replay:srv02``, ``ssh://root@pbx1``, ``local`` or Targets.
            clock: time source for the journal and backup names (default: a replay's recorded
                time, else the current UTC time).
            journal: folder of the journal (default ``settings.reports_dir / 'journal'``).
            target_options: passed to :func:`open_target` (SSH key, known_hosts ...).
            **values: the runbook parameters.
        """
        checked = self.validate(values)
        opened: list[Target] = []
        try:
            for spec in parse_targets(targets):  # type: ignore[arg-type]
                opened.append(open_target(spec, **dict(target_options or {})))
        except MirtaError:
            for t in opened:
                t.close()
            raise
        names = [t.name for t in opened]
        if len(set(names)) != len(names):
            raise ParameterError(f"a target is listed twice: {names}")
        return Runbook(self, checked, opened, clock=clock, journal=journal)


@dataclass
class Runbook:
    """A runbook definition bound to parameter values and open targets."""

    definition: RunbookDef
    values: dict[str, Any]
    targets: list[Target]
    clock: Clock | None = None
    journal: Path | None = None
    rehearsal: bool = False  # runs on throw-away replay copies: journaled as rehearsal-<mode>
    last_apply: RunReport | None = field(default=None, init=False)

    @property
    def steps(self) -> list[Step]:
        """Frame + page steps (on replay targets only, an unconfigured database is the demo's)."""
        with demo_scope(self.is_replay):
            return self.definition.steps(self.values, [t.name for t in self.targets])

    @property
    def is_replay(self) -> bool:
        """True when every target is a recorded replay (nothing real is touched)."""
        return all(isinstance(t, ReplayTarget) for t in self.targets)

    def checklist(self, phase: Phase | None = None) -> list[Manual]:
        """The manual steps (optionally of one phase)."""
        return [
            s for s in self.steps if isinstance(s, Manual) and (phase is None or s.phase is phase)
        ]

    def now(self) -> datetime:
        """The injected clock, else a replay's recorded time, else now (UTC)."""
        if self.clock is not None:
            return self.clock()
        recorded = [t.clock for t in self.targets if t.clock is not None]
        return recorded[0] if recorded and self.is_replay else datetime.now(UTC)

    def _fan_out(self, work: Callable[[Target], tuple[NodeReport, MirtaError | None]]):
        if len(self.targets) == 1:
            return [work(self.targets[0])]
        with ThreadPoolExecutor(max_workers=min(8, len(self.targets))) as pool:
            return list(pool.map(work, self.targets))

    def _finish(self, mode: str, outcomes, *, raise_target_errors: bool) -> RunReport:
        report = RunReport(
            mode=mode,
            page=self.definition.page,
            title=self.definition.title,
            nodes=[o[0] for o in outcomes],
            checklist=[f"{s.title}: {s.detail}" for s in self.checklist(Phase.VERIFICATION)],
        )
        path = write_journal(
            report,
            when=self.now(),
            slug=self.definition.slug,
            parameters=self._journal_params(),
            folder=self.journal or journal_dir(),
            rehearsal=self.rehearsal,
        )
        report.journal_path = str(path)
        errors = [o[1] for o in outcomes if isinstance(o[1], TargetError)]
        if raise_target_errors and errors:
            raise errors[0]
        return report

    def _journal_params(self) -> dict[str, Any]:
        out = {}
        for p in self.definition.params:
            value = self.values[p.name]
            out[p.name] = f"<secret from ${value}>" if p.secret_ref else value
        return out

    def _stamp(self, target: Target) -> str:
        when = self.clock() if self.clock is not None else target.now()
        return f"{when:%Y%m%d-%H%M%S}"

    def _run(self, mode: str, on_step: ProgressCallback | None) -> list:
        steps = self.steps

        def work(t: Target):
            with demo_scope(self.is_replay):  # per worker thread: the database steps' source
                return run_node(mode, steps, t, stamp=self._stamp(t), on_step=on_step)

        return self._fan_out(work)

    def plan(self, *, on_step: ProgressCallback | None = None) -> RunReport:
        """Render, diff and list; run only read-only commands. No side effect."""
        return self._finish("plan", self._run("plan", on_step), raise_target_errors=True)

    def apply(self, *, confirm: bool = False, on_step: ProgressCallback | None = None) -> RunReport:
        """Make the change on every target (refused without ``confirm=True``)."""
        if confirm is not True:
            raise ConfirmationRequired(
                f"apply changes {', '.join(t.name for t in self.targets)}: run plan, read it, "
                "then call apply(confirm=True) (in JupyterLab: tick 'I reviewed the plan')"
            )
        report = self._finish("apply", self._run("apply", on_step), raise_target_errors=False)
        self.last_apply = report
        return report

    def verify(self, *, on_step: ProgressCallback | None = None) -> RunReport:
        """Run only the checks; plus the manual verification list."""
        return self._finish("verify", self._run("verify", on_step), raise_target_errors=True)

    def run(self, mode: str, *, confirm: bool = False) -> RunReport:
        """Dispatch on ``mode`` (``plan``, ``apply``, ``verify``), as a notebook parameter."""
        if mode == "plan":
            return self.plan()
        if mode == "apply":
            return self.apply(confirm=confirm)
        if mode == "verify":
            return self.verify()
        raise ParameterError(f"mode={mode!r} is not one of 'plan', 'apply', 'verify'")

    def rollback(self, *, confirm: bool = False) -> RunReport:
        """Restore what the last apply of this session changed (refused without confirm)."""
        if self.last_apply is None:
            raise ConfirmationRequired("nothing to roll back: no apply ran in this session")
        if confirm is not True:
            changed = sum(len(n.changed) for n in self.last_apply.nodes)
            raise ConfirmationRequired(
                f"rollback would undo {changed} change(s); call rollback(confirm=True)"
            )
        steps = self.steps
        by_spec = {n.target: n for n in self.last_apply.nodes}
        outcomes = self._fan_out(lambda t: (rollback_node(by_spec[t.spec], steps, t), None))
        report = self._finish("rollback", outcomes, raise_target_errors=False)
        self.last_apply = None
        return report

    def close(self) -> None:
        """Close every target's connection."""
        for t in self.targets:
            t.close()

    def __enter__(self) -> Runbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def ui(self):
        """Interactive form (ipywidgets): parameters, Plan / Apply / Verify, diffs, checklist."""
        from mirtalib.runbook.widgets import RunbookUI

        return RunbookUI(self).widget
