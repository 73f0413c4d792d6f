"""What a run produced: one StepResult per step and node, gathered in a RunReport."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from mirtalib.errors import MirtaError
from mirtalib.runbook.model import Phase, Verdict


class VerificationFailed(MirtaError):
    """Raised when verify mode found at least one failing check (papermill exits non-zero)."""


class ApplyFailed(MirtaError):
    """Raised by :meth:`RunReport.raise_for_failure` when apply stopped on a failing step."""


class PlanFailed(MirtaError):
    """Raised by :meth:`RunReport.raise_for_failure` after a plan with failing findings (a
    missing program or file, a failed check): nothing was changed, the plan says why."""


class RollbackRefused(MirtaError):
    """Raised when a rollback would overwrite a file changed since the apply (nothing restored)."""


class Status(StrEnum):
    """Result of one step on one node."""

    OK = "ok"  # nothing to do, or a read-only command that succeeded
    CHANGED = "changed"  # apply changed something
    WOULD_CHANGE = "would change"  # plan: the file differs
    WOULD_RUN = "would run"  # plan: the command would run in apply
    TODO = "to do"  # manual step for the engineer
    PASS = "pass"  # noqa: S105 - a verdict, not a password
    WARN = "warn"
    FAIL = "fail"
    FAILED = "failed"  # a command or file write failed: the run stopped here
    NOT_RUN = "not run"  # after a failure, or a check that belongs to another mode
    RESTORED = "restored"  # rollback put the file back


@dataclass
class CommandRecord:
    """One command as it ran (output trimmed and scrubbed of secrets)."""

    command: str
    exit_code: int
    output: str

    def to_dict(self) -> dict[str, Any]:
        """Journal form."""
        return {"command": self.command, "exit": self.exit_code, "output": self.output}


@dataclass
class FileRecord:
    """A file a step looked at or changed."""

    path: str
    before_sha256: str | None
    after_sha256: str | None
    backup: str | None = None
    mode: int | None = None
    uid: int | None = None
    gid: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Journal form."""
        return {
            "path": self.path,
            "before_sha256": self.before_sha256,
            "after_sha256": self.after_sha256,
            "backup": self.backup,
            "mode": None if self.mode is None else f"{self.mode:04o}",
            "uid": self.uid,
            "gid": self.gid,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FileRecord:
        """Back from the journal form."""
        mode = data.get("mode")
        return cls(
            path=data["path"],
            before_sha256=data.get("before_sha256"),
            after_sha256=data.get("after_sha256"),
            backup=data.get("backup"),
            mode=None if mode is None else int(str(mode), 8),
            uid=data.get("uid"),
            gid=data.get("gid"),
        )


@dataclass
class StepResult:
    """What happened to one step on one node."""

    index: int
    step_id: str
    title: str
    kind: str
    phase: Phase
    risk: str
    status: Status
    reason: str = ""
    commands: list[CommandRecord] = field(default_factory=list)
    file: FileRecord | None = None
    diff: str = ""
    before_text: str | None = None
    after_text: str | None = None
    evidence: str = ""
    where: str = ""
    undo: str | None = None  # a changed command's declared undo (rollback runs it)
    undo_ok: tuple[int, ...] = (0,)

    @property
    def verdict(self) -> Verdict | None:
        """The check verdict, for check steps that ran."""
        try:
            return Verdict(self.status.value)
        except ValueError:
            return None

    def to_dict(self) -> dict[str, Any]:
        """Journal form (no file contents, only hashes)."""
        return {
            "step": self.step_id,
            "index": self.index,
            "title": self.title,
            "kind": self.kind,
            "phase": self.phase.value,
            "risk": self.risk,
            "status": self.status.value,
            "reason": self.reason,
            "commands": [c.to_dict() for c in self.commands],
            "file": self.file.to_dict() if self.file else None,
            "evidence": self.evidence,
            **({"undo": self.undo, "undo_ok": list(self.undo_ok)} if self.undo else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], index: int = 0) -> StepResult:
        """Back from the journal form (commands' outputs, diffs and texts are not kept)."""
        return cls(
            index=int(data.get("index", index)),
            step_id=data["step"],
            title=data.get("title", ""),
            kind=data.get("kind", ""),
            phase=Phase(data.get("phase", Phase.IMPLEMENTATION.value)),
            risk=data.get("risk", ""),
            status=Status(data["status"]),
            reason=data.get("reason", ""),
            file=FileRecord.from_dict(data["file"]) if data.get("file") else None,
            evidence=data.get("evidence", ""),
            undo=data.get("undo"),
            undo_ok=tuple(data.get("undo_ok", (0,))),
        )


_BAD = (Status.FAILED, Status.FAIL)


@dataclass
class NodeReport:
    """All step results on one target.

    Attributes:
        verify: in a rolling apply, the checks run on this node right after its apply (a fail
            stops the run before the next node).
        skipped: why the node was not run at all (a rolling apply stopped before it); empty
            when it ran.
    """

    target: str
    node: str
    results: list[StepResult] = field(default_factory=list)
    error: str = ""
    verify: list[StepResult] = field(default_factory=list)
    skipped: str = ""

    @property
    def failed(self) -> bool:
        """True when a step failed, a check failed, or the target itself failed."""
        return bool(self.error) or any(r.status in _BAD for r in self.results + self.verify)

    @property
    def warned(self) -> list[StepResult]:
        """Checks that warn (in the run or in the verify after a rolling apply)."""
        return [r for r in self.results + self.verify if r.status is Status.WARN]

    @property
    def state(self) -> str:
        """One word for progress tables: not run, failed, changed or unchanged."""
        if self.skipped:
            return "not run"
        if self.failed:
            return "failed"
        return "changed" if self.changed else "unchanged"

    @property
    def changed(self) -> list[StepResult]:
        """Steps that changed something."""
        return [r for r in self.results if r.status is Status.CHANGED]

    def counts(self) -> dict[str, int]:
        """Number of steps per status."""
        out: dict[str, int] = {}
        for r in self.results:
            out[r.status.value] = out.get(r.status.value, 0) + 1
        return out

    def to_dict(self) -> dict[str, Any]:
        """Journal form."""
        return {
            "target": self.target,
            "node": self.node,
            "error": self.error,
            "skipped": self.skipped,
            "steps": [r.to_dict() for r in self.results],
            "verify": [r.to_dict() for r in self.verify],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NodeReport:
        """Back from the journal form."""
        return cls(
            target=data["target"],
            node=data.get("node", data["target"]),
            results=[StepResult.from_dict(r, i) for i, r in enumerate(data.get("steps", []), 1)],
            error=data.get("error", ""),
            verify=[StepResult.from_dict(r, i) for i, r in enumerate(data.get("verify", []), 1)],
            skipped=data.get("skipped", ""),
        )


@dataclass
class RunReport:
    """One run of a runbook (plan, apply, verify or rollback) over one or more nodes."""

    mode: str
    page: int
    title: str
    nodes: list[NodeReport]
    checklist: list[str] = field(default_factory=list)
    journal_path: str | None = None
    run_id: str = ""
    serial: int | None = None  # apply/rollback: nodes at a time
    rolls_back: str = ""  # rollback: the run id it undid

    @property
    def failed(self) -> bool:
        """True when any node failed."""
        return any(n.failed for n in self.nodes)

    @property
    def changed_nodes(self) -> list[str]:
        """Nodes where something changed."""
        return [n.node for n in self.nodes if n.changed]

    @property
    def not_run_nodes(self) -> list[str]:
        """Nodes a rolling apply never touched (it stopped before them)."""
        return [n.node for n in self.nodes if n.skipped]

    def progress_lines(self) -> list[str]:
        """Per node, in order: what the run did there (rolling apply and rollback)."""
        total = len(self.nodes)
        out = []
        for i, n in enumerate(self.nodes, 1):
            if n.skipped:
                what = f"not run ({n.skipped})"
            else:
                what = f"{n.state}, {len(n.changed)} change(s)"
                if n.verify:
                    bad = [r.title for r in n.verify if r.status in _BAD]
                    warn = [r.title for r in n.verify if r.status is Status.WARN]
                    what += "; verified: " + (
                        f"FAIL ({'; '.join(bad)})"
                        if bad
                        else ("pass" if not warn else f"pass with warnings ({'; '.join(warn)})")
                    )
            out.append(f"  {i}/{total} {n.node}: {what}")
        return out

    def summary(self) -> str:
        """One line: the mode, its outcome per node, failures first, then warnings."""
        names = ", ".join(n.node for n in self.nodes)
        failed = [n.node for n in self.nodes if n.failed]
        warned = {n.node: [r.title for r in n.warned] for n in self.nodes if n.warned}
        parts = []
        if failed:
            parts.append(f"failures on {', '.join(failed)}")
        if warned:
            parts.append(
                "warnings on "
                + "; ".join(f"{node} ({', '.join(titles)})" for node, titles in warned.items())
            )
        if self.not_run_nodes:
            parts.append(f"not run on {', '.join(self.not_run_nodes)}")
        if not parts:
            return f"{self.mode}: no failure on {names}"
        return f"{self.mode}: " + "; ".join(parts)

    def text(self) -> str:
        """Plain-text report (what headless runs print)."""
        from mirtalib.runbook.render import report_text

        return report_text(self)

    def __str__(self) -> str:
        return self.text()

    def _repr_pretty_(self, printer, cycle) -> None:  # IPython display as text
        printer.text(self.text())

    def raise_for_failure(self) -> None:
        """Raise a clear error when the run failed (plan: PlanFailed, verify: VerificationFailed,
        apply and rollback: ApplyFailed)."""
        if not self.failed:
            return
        bad = []
        for node in self.nodes:
            if node.error:
                bad.append(f"{node.node}: {node.error}")
            for r in node.results:
                if r.status in _BAD:
                    bad.append(f"{node.node}: {r.title}: {r.reason}")
            for r in node.verify:
                if r.status in _BAD:
                    bad.append(f"{node.node}: verify after apply: {r.title}: {r.reason}")
        if self.not_run_nodes:
            bad.append(f"not run: {', '.join(self.not_run_nodes)}")
        kind = {"verify": VerificationFailed, "plan": PlanFailed}.get(self.mode, ApplyFailed)
        raise kind(f"{self.mode} of page {self.page} failed: " + "; ".join(bad))

    def conclude(self) -> str:
        """The run's last word for a notebook: raises as :meth:`raise_for_failure` after apply,
        verify or rollback; a plan only reads and changes nothing, so its failures are named
        (the plan above says why) without raising."""
        if self.mode != "plan":
            self.raise_for_failure()
            return self.summary()
        failed = [n.node for n in self.nodes if n.failed]
        if not failed:
            return self.summary()
        why = "the plan above says why; nothing changed"
        return f"plan: checks fail on {', '.join(failed)} ({why})"
