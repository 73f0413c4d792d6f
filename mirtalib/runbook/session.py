"""A page's runbook definition, and a runbook opened on targets (plan / apply / verify / rollback).

Several targets: plan and verify run on all of them in parallel (one thread per node) and report
per node, in the order the targets were given. Apply is rolling, as Ansible's ``serial``: ``serial``
nodes at a time (``open(serial=)``, else the setting ``MIRTA_SERIAL``, default 1), each applied
then verified (the page's checks) before the next batch starts; the first node whose apply or
verify fails stops the run, and the nodes after it are reported ``not run`` (untouched). Rollback
covers exactly the nodes the apply changed, batch by batch too, and goes on past a failed node.

Every run has a run id (:func:`mirtalib.runbook.journal.new_run_id`) recorded in its journal
entry; apply's backups go to ``<backup dir>/<run id>/<absolute path>`` on each target
(``open(backup_dir=)``, else ``MIRTA_BACKUP_DIR``, default ``/var/backups/mirta-ops``).
``rollback(run_id=...)`` reads that entry, so a rollback works from another process
(``mode="rollback"`` with the ``run_id`` parameter every page has: :data:`ENGINE_PARAMS`).
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
from mirtalib.runbook.checks import database_finding
from mirtalib.runbook.engine import ProgressCallback, drifted, rollback_node, run_node
from mirtalib.runbook.frame import Verification, framed
from mirtalib.runbook.journal import (
    check_run_id,
    find_entry,
    journal_dir,
    journal_dirs,
    new_run_id,
    write_journal,
)
from mirtalib.runbook.model import Manual, Param, Phase, Step, validate_values
from mirtalib.runbook.replay import ReplayTarget
from mirtalib.runbook.results import NodeReport, RollbackRefused, RunReport
from mirtalib.runbook.targets import Target, open_target, parse_targets
from mirtalib.settings import Settings

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
StepBuilder = Callable[[dict[str, Any]], list[Step]]
#: node, its position (1-based), number of nodes, state: applying, verifying, rolling back,
#: then the node's outcome (changed, unchanged, failed, not run)
NodeCallback = Callable[[str, int, int, str], None]
MAX_SERIAL = 1000
#: The roles a node can have in a fleet inventory (``mirta fleet``), and so a page can apply to:
#: ``pbx`` an Asterisk/MiRTA node, ``db`` a MiRTA database server, ``opensips`` the OpenSIPS
#: front (Teams), ``ftp`` the FTPS store of recordings, ``dahdi`` a node with a DAHDI card.
ROLES = ("pbx", "db", "opensips", "ftp", "dahdi")


def _serial(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SERIAL:
        raise ParameterError(
            f"serial={value!r} is not a number of nodes from 1 to {MAX_SERIAL} "
            "(0: the setting MIRTA_SERIAL, default 1)"
        )
    return value


def check_backup_dir(value: Any, name: str = "backup_dir") -> str:
    """An absolute folder for apply's backups, outside ``/etc`` (read as configuration there)."""
    from mirtalib.validate import path

    text = path(value, name)
    if text == "/" or text == "/etc" or text.startswith("/etc/"):
        raise ParameterError(
            f"{name}={value!r}: backups there would be read as live configuration; use a folder "
            "such as /var/backups/mirta-ops"
        )
    return text


#: Parameters every page has besides its own (the notebook's parameters cell declares them too).
ENGINE_PARAMS: tuple[Param, ...] = (
    Param(
        "run_id",
        "",
        "mode rollback: the run id of the apply to undo (`mirta journal` lists them); "
        "empty: the apply of this session",
        check=check_run_id,
    ),
    Param(
        "serial",
        0,
        "apply: nodes changed at a time, each verified before the next (0: MIRTA_SERIAL, "
        "default 1)",
        check=_serial,
    ),
)


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
        roles: the node roles (:data:`ROLES`) the page applies to; ``mirta fleet`` runs its
            checks on a node having one of them and says "n/a" elsewhere.
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
    roles: tuple[str, ...] = ("pbx",)

    def __post_init__(self) -> None:
        bad = [r for r in self.roles if r not in ROLES]
        if not self.roles or bad or isinstance(self.roles, str):
            raise ParameterError(
                f"page {self.page}: roles {self.roles!r} must be a tuple of {', '.join(ROLES)}"
            )

    def validate(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Validate parameter values (defaults fill the gaps)."""
        return validate_values(self.params, values)

    def pick(self, namespace: Mapping[str, Any]) -> dict[str, Any]:
        """The runbook's parameters out of a namespace (a notebook's ``globals()``)."""
        return {p.name: namespace[p.name] for p in self.params if p.name in namespace}

    @property
    def all_params(self) -> tuple[Param, ...]:
        """The page's parameters, then the engine's (:data:`ENGINE_PARAMS`: ``run_id``,
        ``serial``), as the notebook's parameters cell declares them."""
        return self.params + ENGINE_PARAMS

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
        serial: int | None = None,
        backup_dir: str | None = None,
        **values: Any,
    ) -> Runbook:
        """Validate ``values`` and open the targets.

        Args:
            targets: ``replay:srv01,replay:srv02``, ``ssh://root@pbx1``, ``local`` or Targets.
            clock: time source for the journal and run ids (default: a replay's recorded
                time, else the current UTC time).
            journal: folder of the journal (default ``settings.reports_dir / 'journal'``).
            target_options: passed to :func:`open_target` (SSH key, known_hosts, ``become``,
                ``become_password_env`` ...).
            serial: nodes apply changes at a time (None or 0: ``MIRTA_SERIAL``, default 1).
            backup_dir: folder of the backups on the targets (None: ``MIRTA_BACKUP_DIR``,
                default ``/var/backups/mirta-ops``).
            **values: the runbook parameters.
        """
        settings = Settings.load()
        batch = _serial(0 if serial is None else serial) or settings.serial
        backups = check_backup_dir(backup_dir or settings.backup_dir)
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
        return Runbook(
            self,
            checked,
            opened,
            clock=clock,
            journal=journal,
            serial=batch,
            backup_dir=backups,
        )


@dataclass
class Runbook:
    """A runbook definition bound to parameter values and open targets.

    Attributes:
        serial: nodes a rolling apply changes at a time.
        backup_dir: folder on the targets holding ``<run id>/<absolute path>`` backups.
    """

    definition: RunbookDef
    values: dict[str, Any]
    targets: list[Target]
    clock: Clock | None = None
    journal: Path | None = None
    rehearsal: bool = False  # runs on throw-away replay copies: journaled as rehearsal-<mode>
    serial: int = 1
    backup_dir: str = "/var/backups/mirta-ops"
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

    def _fan_out(self, work: Callable[[Target], Any], targets: Sequence[Target] | None = None):
        chosen = list(self.targets if targets is None else targets)
        if len(chosen) == 1:
            return [work(chosen[0])]
        with ThreadPoolExecutor(max_workers=min(8, len(chosen))) as pool:
            return list(pool.map(work, chosen))

    def _batches(self, targets: Sequence[Target]) -> list[list[Target]]:
        size = max(1, self.serial)
        return [list(targets[i : i + size]) for i in range(0, len(targets), size)]

    def _new_run_id(self) -> tuple[str, datetime]:
        when = self.now()
        return new_run_id(when, replay=self.is_replay), when

    def _finish(
        self,
        mode: str,
        outcomes,
        *,
        run_id: str,
        when: datetime,
        raise_target_errors: bool,
        rolls_back: str = "",
    ) -> RunReport:
        report = RunReport(
            mode=mode,
            page=self.definition.page,
            title=self.definition.title,
            nodes=[o[0] for o in outcomes],
            checklist=[f"{s.title}: {s.detail}" for s in self.checklist(Phase.VERIFICATION)],
            run_id=run_id,
            serial=self.serial if mode in ("apply", "rollback") else None,
            rolls_back=rolls_back,
        )
        path = write_journal(
            report,
            when=when,
            slug=self.definition.slug,
            parameters=self._journal_params(),
            folder=Path(self.journal) if self.journal else journal_dir(),
            rehearsal=self.rehearsal,
            backup_dir=self.backup_dir if mode == "apply" else "",
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

    def _node(self, mode: str, steps: list[Step], t: Target, run_id: str, on_step):
        with demo_scope(self.is_replay):  # per worker thread: the database steps' source
            return run_node(
                mode, steps, t, run_id=run_id, backup_dir=self.backup_dir, on_step=on_step
            )

    def _run(self, mode: str, on_step: ProgressCallback | None, run_id: str) -> list:
        steps = self.steps
        return self._fan_out(lambda t: self._node(mode, steps, t, run_id, on_step))

    def plan(self, *, on_step: ProgressCallback | None = None) -> RunReport:
        """Render, diff and list; run only read-only commands. No side effect."""
        run_id, when = self._new_run_id()
        return self._finish(
            "plan",
            self._run("plan", on_step, run_id),
            run_id=run_id,
            when=when,
            raise_target_errors=True,
        )

    def apply(
        self,
        *,
        confirm: bool = False,
        on_step: ProgressCallback | None = None,
        on_node: NodeCallback | None = None,
    ) -> RunReport:
        """Make the change, ``serial`` nodes at a time, each verified before the next batch
        (refused without ``confirm=True``); the first failed node stops the run."""
        if confirm is not True:
            raise ConfirmationRequired(
                f"apply changes {', '.join(t.name for t in self.targets)}: run plan, read it, "
                "then call apply(confirm=True) (in JupyterLab: tick 'I reviewed the plan')"
            )
        run_id, when = self._new_run_id()
        steps = self.steps
        total = len(self.targets)
        position = {t.spec: i for i, t in enumerate(self.targets, 1)}

        def say(t: Target, state: str) -> None:
            if on_node is not None:
                on_node(t.name, position[t.spec], total, state)

        def one(t: Target):
            say(t, "applying")
            node, exc = self._node("apply", steps, t, run_id, on_step)
            if not node.failed:
                say(t, "verifying")
                checked, vexc = self._node("verify", steps, t, run_id, on_step)
                node.verify = [r for r in checked.results if r.kind == "check"]
                if vexc is not None:
                    node.error = node.error or checked.error
                    exc = exc or vexc
            say(t, node.state)
            return node, exc

        outcomes: list = []
        stopped: list[str] = []
        for batch in self._batches(self.targets):
            if stopped:
                for t in batch:
                    why = f"the rolling apply stopped after {', '.join(stopped)} failed"
                    outcomes.append((NodeReport(t.spec, t.name, skipped=why), None))
                    say(t, "not run")
                continue
            done = self._fan_out(one, batch)
            outcomes += done
            stopped = [n.node for n, _ in done if n.failed]
        report = self._finish(
            "apply", outcomes, run_id=run_id, when=when, raise_target_errors=False
        )
        self.last_apply = report
        return report

    def verify(self, *, on_step: ProgressCallback | None = None) -> RunReport:
        """Run only the checks; plus the manual verification list."""
        run_id, when = self._new_run_id()
        return self._finish(
            "verify",
            self._run("verify", on_step, run_id),
            run_id=run_id,
            when=when,
            raise_target_errors=True,
        )

    def run(self, mode: str, *, confirm: bool = False, run_id: str = "") -> RunReport:
        """Dispatch on ``mode`` (``plan``, ``apply``, ``verify``, ``rollback``), as a notebook
        parameter; ``run_id`` names the apply a rollback undoes (else this session's)."""
        if mode == "plan":
            return self.plan()
        if mode == "apply":
            return self.apply(confirm=confirm)
        if mode == "verify":
            return self.verify()
        if mode == "rollback":
            return self.rollback(run_id=run_id or None, confirm=confirm)
        raise ParameterError(f"mode={mode!r} is not one of 'plan', 'apply', 'verify', 'rollback'")

    def _applied(self, run_id: str | None) -> RunReport:
        """The apply to undo: this session's last, or the journal entry of ``run_id``."""
        if not run_id:
            if self.last_apply is None:
                raise ConfirmationRequired(
                    "nothing to roll back: no apply ran in this session; give the run id of "
                    "the apply (run_id=..., `mirta journal` lists them)"
                )
            return self.last_apply
        where = [Path(self.journal), *journal_dirs()] if self.journal else journal_dirs()
        entry = find_entry(check_run_id(run_id), where)
        if entry.get("mode") != "apply":
            raise ParameterError(f"run {run_id} was a {entry.get('mode')}, not an apply")
        if entry.get("rehearsal"):
            raise ParameterError(
                f"run {run_id} was a rehearsal on in-memory replays: nothing real to roll back"
            )
        if entry.get("page") != self.definition.page:
            raise ParameterError(
                f"run {run_id} applied page {entry.get('page')}, not page {self.definition.page}"
            )
        nodes = [NodeReport.from_dict(n) for n in entry.get("nodes", [])]
        specs = {t.spec for t in self.targets}
        missing = [n.target for n in nodes if n.changed and n.target not in specs]
        if missing:
            raise ParameterError(
                f"run {run_id} changed {', '.join(missing)}, not among the targets "
                f"{', '.join(sorted(specs))}: open the runbook on them"
            )
        return RunReport(
            mode="apply",
            page=entry["page"],
            title=entry.get("title", ""),
            nodes=nodes,
            run_id=run_id,
        )

    def rollback(
        self,
        *,
        run_id: str | None = None,
        confirm: bool = False,
        on_step: ProgressCallback | None = None,
        on_node: NodeCallback | None = None,
    ) -> RunReport:
        """Undo an apply: this session's last one, or the journal entry of ``run_id`` (from
        another process too). Refused without ``confirm=True``, and (RollbackRefused, naming
        the files, nothing restored) when a changed file was changed again since the apply."""
        applied = self._applied(run_id)
        by_spec = {n.target: n for n in applied.nodes if n.changed}
        label = f"run {applied.run_id}" if applied.run_id else "the last apply"
        if confirm is not True:
            changed = sum(len(n.changed) for n in by_spec.values())
            where = ", ".join(n.node for n in by_spec.values()) or "no node"
            raise ConfirmationRequired(
                f"rollback of {label} would undo {changed} change(s) on {where}; "
                "call rollback(confirm=True)"
            )
        chosen = [t for t in self.targets if t.spec in by_spec]
        found = self._fan_out(lambda t: drifted(by_spec[t.spec], t, applied.run_id), chosen)
        bad = [line for lines in found for line in lines] if chosen else []
        if bad:
            raise RollbackRefused(
                f"rollback of {label} refused, nothing was restored: " + "; ".join(bad)
            )
        new_id, when = self._new_run_id()
        total = len(self.targets)

        def one(t: Target):
            pos = self.targets.index(t) + 1
            if on_node is not None:
                on_node(t.name, pos, total, "rolling back")
            try:
                node, exc = rollback_node(by_spec[t.spec], t, run_id=applied.run_id), None
            except MirtaError as exc_:
                node, exc = NodeReport(t.spec, t.name, error=str(exc_)), exc_
            if on_step is not None:
                for n, res in enumerate(node.results, 1):
                    on_step(t.name, n, len(node.results), res)
            if on_node is not None:
                on_node(t.name, pos, total, "failed" if node.failed else "restored")
            return node, exc

        done: dict[str, tuple] = {}
        for batch in self._batches(chosen):
            for t, outcome in zip(batch, self._fan_out(one, batch), strict=True):
                done[t.spec] = outcome
        outcomes = [
            done.get(t.spec)
            or (NodeReport(t.spec, t.name, skipped=f"not changed by {label}"), None)
            for t in self.targets
        ]
        report = self._finish(
            "rollback",
            outcomes,
            run_id=new_id,
            when=when,
            raise_target_errors=False,
            rolls_back=applied.run_id,
        )
        if run_id is None or applied is self.last_apply:
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
