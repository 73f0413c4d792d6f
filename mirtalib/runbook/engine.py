"""Running steps on one target in plan, apply, verify or rollback mode.

Rules the engine enforces (the page module only declares):

* plan: renders every file and diffs it against the live one, lists every command with its risk,
  runs only read-only commands and the checks of the *before starting* phase. No write at all.
* apply: a file that already has the wanted content is ``ok``; otherwise the live file is copied
  to ``PATH.<stamp>.mirta-bak`` (same mode and owner), the new content is staged next to it with
  the live file's mode and owner, validated by the program's checker when the step names one, and
  renamed into place (atomic). A command with ``when_changed`` / ``unless`` runs only when needed,
  so a second apply reports everything ``ok``. The first failure stops the node; later steps are
  ``not run`` and :func:`rollback_node` can put the changed files back.
* verify: only the checks (pass / warn / fail with reason and evidence) and the manual
  verification items.
"""

from __future__ import annotations

import difflib
import logging
import shlex
from collections.abc import Callable, Sequence

from mirtalib.errors import MirtaError, ParseError, TargetError
from mirtalib.runbook.checks import missing_program
from mirtalib.runbook.model import Check, Command, FileChange, Manual, Phase, Risk, Step, Verdict
from mirtalib.runbook.results import (
    CommandRecord,
    FileRecord,
    NodeReport,
    Status,
    StepResult,
)
from mirtalib.runbook.targets import Target, sha256, trim
from mirtalib.secrets import scrub

log = logging.getLogger(__name__)

ProgressCallback = Callable[[str, int, int, StepResult], None]
MODES = ("plan", "apply", "verify")


def unified_diff(before: str | None, after: str, path: str, node: str) -> str:
    """Unified diff of a file, live vs planned (empty when equal)."""
    lines = difflib.unified_diff(
        (before or "").splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"{path} (live on {node})" if before is not None else f"{path} (missing)",
        tofile=f"{path} (planned)",
    )
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )


def backup_path(path: str, stamp: str) -> str:
    """Name of the backup of ``path`` taken at ``stamp``."""
    return f"{path}.{stamp}.mirta-bak"


class _NodeRun:
    def __init__(self, mode: str, target: Target, stamp: str, on_step: ProgressCallback | None):
        self.mode, self.target, self.stamp, self.on_step = mode, target, stamp, on_step
        self.report = NodeReport(target=target.spec, node=target.name)
        self.changed: set[str] = set()  # ids of file steps that changed (or would change)
        self.stopped: StepResult | None = None
        self.exception: MirtaError | None = None

    # -- helpers -----------------------------------------------------------------------------
    def _result(self, index: int, step: Step, status: Status, reason: str = "") -> StepResult:
        return StepResult(
            index=index,
            step_id=step.id,
            title=step.title,
            kind=step.kind,
            phase=step.phase,
            risk=str(getattr(step, "risk", "")),
            status=status,
            reason=reason,
            where=getattr(step, "where", ""),
        )

    def _run(self, res: StepResult, command: str, timeout: float = 120.0):
        out = self.target.run(command, timeout=timeout)
        res.commands.append(
            CommandRecord(scrub(command), out.exit_code, scrub(trim(out.output.rstrip("\n"))))
        )
        return out

    # -- step kinds --------------------------------------------------------------------------
    def manual(self, res: StepResult, step: Manual) -> None:
        res.status = Status.TODO
        res.reason = step.detail

    def command(self, res: StepResult, step: Command) -> None:
        if step.risk is Risk.READ_ONLY:
            out = self._run(res, step.command, step.timeout)
            self._command_status(res, step, out, Status.OK)
            return
        needed, why = self._needed(res, step)
        if not needed:
            res.status, res.reason = Status.OK, why
            return
        if self.mode == "plan":
            res.status, res.reason = Status.WOULD_RUN, why
            return
        out = self._run(res, step.command, step.timeout)
        self._command_status(res, step, out, Status.CHANGED)

    def _command_status(self, res: StepResult, step: Command, out, good: Status) -> None:
        code = out.exit_code
        if code not in step.ok_codes:
            res.status = Status.FAILED
            res.reason = missing_program(out, self.target.name) or (
                f"exit code {code} (expected {', '.join(map(str, step.ok_codes))})"
            )
            return
        why = step.failure(out.output) if step.failure else None
        if why:
            res.status, res.reason = Status.FAILED, scrub(f"output shows a failure: {why}")
        else:
            res.status = good

    def _needed(self, res: StepResult, step: Command) -> tuple[bool, str]:
        if not step.conditional:
            return True, ""
        hit = [i for i in step.when_changed if i in self.changed]
        if hit:
            verb = "changes" if self.mode == "plan" else "changed"
            return True, f"because {', '.join(hit)} {verb}"
        if isinstance(step.unless, Check):
            probe = self._result(res.index, step.unless, Status.NOT_RUN)
            self.check(probe, step.unless)
            res.commands += probe.commands
            if probe.status is Status.PASS:
                return False, f"already in effect ({probe.reason})"
            return True, f"not in effect yet ({probe.reason})"
        if step.unless:
            guard = self._run(res, step.unless)
            if guard.exit_code == 0:
                return False, "already in effect (guard passed)"
            return True, "guard says it is not in effect yet"
        return False, f"{', '.join(step.when_changed)} unchanged: nothing to do"

    def file(self, res: StepResult, step: FileChange) -> None:
        path = self.target.resolve(step.path)  # write through a symlink, never over it
        info = self.target.stat(path)
        raw = self.target.read_bytes(path)
        try:
            before = None if raw is None else raw.decode("utf-8")
        except UnicodeDecodeError:
            raise TargetError(f"{self.target.name}: {path} is not UTF-8 text") from None
        render = step.plan_render if self.mode == "plan" and step.plan_render else step.render
        wanted = render(before)
        res.before_text, res.after_text = scrub(before), scrub(wanted)
        data = wanted.encode("utf-8")
        res.file = FileRecord(
            path,
            sha256(raw),
            sha256(data),
            mode=info.mode if info else step.mode,
            uid=info.uid if info else None,
            gid=info.gid if info else None,
        )
        if before == wanted:
            res.status, res.reason = Status.OK, "already as wanted"
            res.file.after_sha256 = res.file.before_sha256
            return
        res.diff = scrub(unified_diff(before, wanted, step.path, self.target.name))
        self.changed.add(step.id)
        if self.mode == "plan":
            res.status, res.reason = Status.WOULD_CHANGE, step.summary
            res.file.after_sha256 = res.file.before_sha256
            return
        if raw is not None and info is not None:
            res.file.backup = backup_path(path, self.stamp)
            self.target.write_atomic(
                res.file.backup, raw, mode=info.mode, uid=info.uid, gid=info.gid
            )
        mode = info.mode if info else step.mode
        tmp = self.target.stage(
            path,
            data,
            mode=mode,
            uid=info.uid if info else None,
            gid=info.gid if info else None,
        )
        if step.validate:
            check = self._run(res, step.validate.replace("{path}", shlex.quote(tmp)))
            if check.exit_code != 0:
                self.target.remove(tmp)
                res.status = Status.FAILED
                res.reason = f"validation failed (exit {check.exit_code}); live file untouched"
                res.file.after_sha256 = res.file.before_sha256
                self.changed.discard(step.id)
                return
        self.target.rename(tmp, path)
        res.status, res.reason = Status.CHANGED, step.summary
        if path != step.path:
            res.reason += f" (in {path}, the target of the symlink {step.path})"

    def check(self, res: StepResult, step: Check) -> None:
        if step.command is not None:
            out = self._run(res, step.command)
            if out.exit_code not in step.ok_codes:
                res.status = Status.FAIL
                res.reason = missing_program(out, self.target.name) or (
                    f"command exited {out.exit_code}: {trim(out.stderr.strip(), 300)}"
                )
                return
            text = out.stdout
        else:
            text = step.probe(self.target)  # type: ignore[misc]
            res.commands.append(CommandRecord(f"(probe) {step.title}", 0, scrub(trim(text))))
        try:
            value = step.parse(text)
        except ParseError as exc:
            res.status, res.reason = Status.FAIL, f"output not understood: {exc}"
            return
        outcome = step.expect(value)
        verdict, reason = outcome if isinstance(outcome, tuple) else (outcome, "")
        res.status = Status(Verdict(verdict).value)
        res.reason = reason
        res.evidence = scrub(trim(value if isinstance(value, str) else repr(value), 300))

    # -- driver ------------------------------------------------------------------------------
    def wanted(self, step: Step) -> bool:
        if self.mode != "verify":
            return True
        return isinstance(step, Check) or (
            isinstance(step, Manual) and step.phase is Phase.VERIFICATION
        )

    def step(self, index: int, step: Step) -> StepResult:
        res = self._result(index, step, Status.NOT_RUN)
        if self.stopped is not None:
            res.reason = f"stopped after step {self.stopped.index} failed"
            return res
        if isinstance(step, Check) and self.mode != "verify" and step.phase is not Phase.BEFORE:
            res.reason = "checked in verify mode"  # render.LATER
            return res
        handler = {
            Manual: self.manual,
            Command: self.command,
            FileChange: self.file,
            Check: self.check,
        }[type(step)]
        try:
            handler(res, step)
        except MirtaError as exc:
            res.status, res.reason = Status.FAILED, scrub(str(exc))
            self.exception = self.exception or exc
        if self.mode == "apply" and res.status in (Status.FAILED, Status.FAIL):
            self.stopped = res  # plan and verify go on, to show everything
        return res

    def execute(self, steps: Sequence[Step]) -> NodeReport:
        chosen = [(i, s) for i, s in enumerate(steps, 1) if self.wanted(s)]
        for n, (index, step) in enumerate(chosen, 1):
            res = self.step(index, step)
            self.report.results.append(res)
            if self.on_step:
                self.on_step(self.target.name, n, len(chosen), res)
        if self.exception is not None:
            self.report.error = scrub(str(self.exception))
        return self.report


def run_node(
    mode: str,
    steps: Sequence[Step],
    target: Target,
    *,
    stamp: str,
    on_step: ProgressCallback | None = None,
) -> tuple[NodeReport, MirtaError | None]:
    """Run ``steps`` on one target; returns the report and the first library error, if any."""
    if mode not in MODES:
        raise MirtaError(f"mode {mode!r} is not one of {MODES}")
    run = _NodeRun(mode, target, stamp, on_step)
    return run.execute(steps), run.exception


def rollback_node(applied: NodeReport, steps: Sequence[Step], target: Target) -> NodeReport:
    """Put back every file ``applied`` changed (newest first), then run the declared undo commands.

    Restored files are byte-identical to the backup and get the original mode and owner back; a
    file that did not exist before apply is removed.
    """
    by_id = {s.id: s for s in steps}
    report = NodeReport(target=target.spec, node=target.name)
    changed = list(reversed(applied.changed))
    # every file first (newest first), then the undo commands: an undo sees the restored files
    # (page 15's postmap undo removes the table of a sasl_passwd apply created)
    for done in [d for d in changed if d.file is not None] + [d for d in changed if d.file is None]:
        step = by_id.get(done.step_id)
        res = StepResult(
            done.index, done.step_id, done.title, done.kind, done.phase, done.risk, Status.RESTORED
        )
        try:
            if done.file is not None:
                rec = done.file
                if rec.backup is None:
                    target.remove(rec.path)
                    res.reason = "created by apply: removed"
                else:
                    data = target.read_bytes(rec.backup)
                    if data is None or sha256(data) != rec.before_sha256:
                        raise MirtaError(f"backup {rec.backup} is missing or altered")
                    target.write_atomic(
                        rec.path, data, mode=rec.mode or 0o644, uid=rec.uid, gid=rec.gid
                    )
                    res.reason = f"restored from {rec.backup}"
                res.file = FileRecord(
                    rec.path,
                    rec.after_sha256,
                    rec.before_sha256,
                    rec.backup,
                    rec.mode,
                    rec.uid,
                    rec.gid,
                )
            elif isinstance(step, Command) and step.undo:
                out = target.run(step.undo, timeout=step.timeout)
                res.commands.append(
                    CommandRecord(
                        scrub(step.undo), out.exit_code, scrub(trim(out.output.rstrip("\n")))
                    )
                )
                if out.exit_code not in step.ok_codes:
                    res.status, res.reason = Status.FAILED, f"undo exited {out.exit_code}"
                else:
                    res.status, res.reason = Status.CHANGED, "undo command ran"
            else:
                res.status, res.reason = Status.NOT_RUN, "no undo declared: review by hand"
        except MirtaError as exc:
            res.status, res.reason = Status.FAILED, scrub(str(exc))
        report.results.append(res)
    return report
