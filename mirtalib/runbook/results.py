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
            "title": self.title,
            "kind": self.kind,
            "phase": self.phase.value,
            "risk": self.risk,
            "status": self.status.value,
            "reason": self.reason,
            "commands": [c.to_dict() for c in self.commands],
            "file": self.file.to_dict() if self.file else None,
            "evidence": self.evidence,
        }


@dataclass
class NodeReport:
    """All step results on one target."""

    target: str
    node: str
    results: list[StepResult] = field(default_factory=list)
    error: str = ""

    @property
    def failed(self) -> bool:
        """True when a step failed, a check failed, or the target itself failed."""
        return bool(self.error) or any(
            r.status in (Status.FAILED, Status.FAIL) for r in self.results
        )

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
            "steps": [r.to_dict() for r in self.results],
        }


@dataclass
class RunReport:
    """One run of a runbook (plan, apply, verify or rollback) over one or more nodes."""

    mode: str
    page: int
    title: str
    nodes: list[NodeReport]
    checklist: list[str] = field(default_factory=list)
    journal_path: str | None = None

    @property
    def failed(self) -> bool:
        """True when any node failed."""
        return any(n.failed for n in self.nodes)

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
                if r.status in (Status.FAILED, Status.FAIL):
                    bad.append(f"{node.node}: {r.title}: {r.reason}")
        kind = {"verify": VerificationFailed, "plan": PlanFailed}.get(self.mode, ApplyFailed)
        raise kind(f"{self.mode} of page {self.page} failed: " + "; ".join(bad))

    def conclude(self) -> str:
        """The run's last word for a notebook: raises as :meth:`raise_for_failure` after apply,
        verify or rollback; a plan only reads and changes nothing, so its failures are named
        (the plan above says why) without raising."""
        names = ", ".join(n.node for n in self.nodes)
        if self.mode != "plan":
            self.raise_for_failure()
            return f"{self.mode}: no failure on {names}"
        failed = [n.node for n in self.nodes if n.failed]
        if not failed:
            return f"plan: no failure on {names}"
        why = "the plan above says why; nothing changed"
        return f"plan: checks fail on {', '.join(failed)} ({why})"
