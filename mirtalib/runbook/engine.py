"""Running steps on one target in plan, apply, verify or rollback mode.

Rules the engine enforces (the page module only declares):

* plan: renders every file and diffs it against the live one, lists every command with its risk,
  runs only read-only commands and the checks of the *before starting* phase. No write at all.
* apply: a file that already has the wanted content is ``ok``; otherwise the live file is copied
  to the run's backup folder on the target, ``<backup dir>/<run id>/<absolute path>`` (default
  ``/var/backups/mirta-ops``: never next to the live file, where ``/etc/cron.d/``, ``*.d/``
  folders would read a backup as configuration), with the same mode and owner; the new content
  is staged under a random name in the live file's own folder (created exclusively, with the
  live file's mode and owner), validated by the program's checker when the step names one, and
  renamed into place (atomic). A command with ``when_changed`` / ``unless`` runs only when
  needed, so a second apply reports everything ``ok``. The first failure stops the node; later
  steps are ``not run``. Each changed file's before/after SHA-256 and backup, and each changed
  command's ``undo``, go into the journal.
* verify: only the checks (pass / warn / fail with reason and evidence) and the manual
  verification items.
* fleet (``mirta fleet``, :mod:`mirtalib.fleet`): the checks of every phase and the read-only
  commands, nothing else. Read-only by construction: a step list holding a changing step (a
  command whose risk is not read-only, a file change) is refused whole (:class:`FleetRefused`)
  before anything runs.
* rollback (:func:`rollback_node`, from the report of an apply or its journal entry): refused
  (:class:`~mirtalib.runbook.results.RollbackRefused`, nothing restored) when a changed file's
  current SHA-256 is neither what the apply wrote nor what it found (someone changed it since);
  otherwise every file is put back from its backup (whose hash is checked first) or removed
  when the apply created it, newest first, then the undo commands run. A file already as before
  the apply is left alone, so a second rollback changes nothing.

Rolling apply, several nodes and the journal are the session's part
(:mod:`mirtalib.runbook.session`).
"""

from __future__ import annotations

import difflib
import logging
import posixpath
import shlex
from collections.abc import Callable, Sequence

from mirtalib.errors import MirtaError, ParseError, TargetError
from mirtalib.runbook.checks import missing_program
from mirtalib.runbook.model import Check, Command, FileChange, Manual, Phase, Risk, Step, Verdict
from mirtalib.runbook.results import (
    CommandRecord,
    FileRecord,
    NodeReport,
    RollbackRefused,
    Status,
    StepResult,
)
from mirtalib.runbook.targets import Target, sha256, trim
from mirtalib.secrets import MASK, scrub

log = logging.getLogger(__name__)

ProgressCallback = Callable[[str, int, int, StepResult], None]
MODES = ("plan", "apply", "verify", "fleet")


class FleetRefused(MirtaError):
    """Fleet mode was given a step that can change something (nothing ran)."""


def refuse_changes(steps: Sequence[Step], where: str) -> None:
    """Raise :class:`FleetRefused` naming every step of ``steps`` that can change something: a
    :class:`Command` whose risk is not read-only, a :class:`FileChange`."""
    bad = [
        f"{s.id} ({'file change' if isinstance(s, FileChange) else f'command, risk {s.risk}'})"
        for s in steps
        if isinstance(s, FileChange) or (isinstance(s, Command) and s.risk is not Risk.READ_ONLY)
    ]
    if bad:
        raise FleetRefused(
            f"fleet mode on {where} only reads; refused (nothing ran): {', '.join(bad)}"
        )


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


def backup_path(path: str, run_id: str, backup_dir: str) -> str:
    """Where run ``run_id`` keeps the backup of ``path``: ``<backup_dir>/<run_id>/<path>``."""
    return posixpath.join(backup_dir, run_id, path.lstrip("/"))


class _NodeRun:
    def __init__(
        self,
        mode: str,
        target: Target,
        run_id: str,
        backup_dir: str,
        on_step: ProgressCallback | None,
    ):
        self.mode, self.target, self.on_step = mode, target, on_step
        self.run_id, self.backup_dir = run_id, backup_dir
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
        if res.status is Status.CHANGED and step.undo:
            res.undo, res.undo_ok = step.undo, step.ok_codes

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
            res.file.backup = backup_path(path, self.run_id, self.backup_dir)
            self.target.makedirs(posixpath.dirname(res.file.backup))
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
        if self.mode == "fleet":
            return isinstance(step, (Check, Command))  # read-only: run_node refused the rest
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
        later = self.mode not in ("verify", "fleet") and step.phase is not Phase.BEFORE
        if isinstance(step, Check) and later:
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
    run_id: str,
    backup_dir: str,
    on_step: ProgressCallback | None = None,
) -> tuple[NodeReport, MirtaError | None]:
    """Run ``steps`` on one target; returns the report and the first library error, if any."""
    if mode not in MODES:
        raise MirtaError(f"mode {mode!r} is not one of {MODES}")
    if mode == "fleet":
        refuse_changes(steps, target.name)
    run = _NodeRun(mode, target, run_id, backup_dir, on_step)
    return run.execute(steps), run.exception


def _file_changes(applied: NodeReport) -> dict[str, tuple[str | None, str | None]]:
    """Per path changed by ``applied``: (hash before the first change, hash after the last)."""
    out: dict[str, tuple[str | None, str | None]] = {}
    for res in applied.changed:
        if res.file is not None:
            rec = res.file
            first = out.get(rec.path, (rec.before_sha256, None))[0]
            out[rec.path] = (first, rec.after_sha256)
    return out


def drifted(applied: NodeReport, target: Target, run_id: str = "") -> list[str]:
    """The files ``applied`` changed that someone changed since (neither the hash the apply wrote
    nor the one it found), each said with its node; empty when a rollback is safe."""
    out = []
    for path, (before, after) in _file_changes(applied).items():
        now = sha256(target.read_bytes(path))
        if now not in (after, before):
            run = f"run {run_id}" if run_id else "the apply"
            out.append(
                f"{path} on {target.name} was changed since {run} (sha256 now "
                f"{(now or 'missing')[:12]}, {run} left {(after or 'missing')[:12]})"
            )
    return out


def rollback_node(applied: NodeReport, target: Target, *, run_id: str = "") -> NodeReport:
    """Put back every file ``applied`` changed (newest first), then run the recorded undo commands.

    Restored files are byte-identical to the backup (its hash checked against the one the apply
    found) and get the original mode and owner back; a file that did not exist before apply is
    removed. Refused (:class:`RollbackRefused`, nothing touched) when a file changed since.
    """
    bad = drifted(applied, target, run_id)
    if bad:
        raise RollbackRefused("rollback refused, nothing was restored: " + "; ".join(bad))
    report = NodeReport(target=target.spec, node=target.name)
    restored_any = False
    files = [r for r in applied.changed if r.file is not None]
    commands = [r for r in applied.changed if r.file is None]
    for done in [*reversed(files), *reversed(commands)]:  # files first, newest first
        res = StepResult(
            done.index, done.step_id, done.title, done.kind, done.phase, done.risk, Status.RESTORED
        )
        try:
            if done.file is not None:
                restored_any |= _restore_file(done.file, target, res)
            elif done.undo:
                if files and not restored_any:
                    res.status = Status.OK
                    res.reason = "every file was already as before: undo not run again"
                else:
                    _undo(done, target, res)
            else:
                res.status, res.reason = Status.NOT_RUN, "no undo declared: review by hand"
        except MirtaError as exc:
            res.status, res.reason = Status.FAILED, scrub(str(exc))
        report.results.append(res)
    return report


def _restore_file(rec: FileRecord, target: Target, res: StepResult) -> bool:
    """Restore one file; True when it wrote or removed something."""
    res.file = FileRecord(
        rec.path, rec.after_sha256, rec.before_sha256, rec.backup, rec.mode, rec.uid, rec.gid
    )
    now = sha256(target.read_bytes(rec.path))
    if now == rec.before_sha256:
        res.status, res.reason = Status.OK, "already as before the apply"
        return False
    if now != rec.after_sha256:
        raise RollbackRefused(f"{rec.path} on {target.name} was changed since the apply")
    if rec.backup is None:
        target.remove(rec.path)
        res.reason = "created by apply: removed"
        return True
    data = target.read_bytes(rec.backup)
    if data is None or sha256(data) != rec.before_sha256:
        raise MirtaError(f"backup {rec.backup} on {target.name} is missing or altered")
    target.write_atomic(rec.path, data, mode=rec.mode or 0o644, uid=rec.uid, gid=rec.gid)
    res.reason = f"restored from {rec.backup}"
    return True


def _undo(done: StepResult, target: Target, res: StepResult) -> None:
    assert done.undo is not None
    if MASK in done.undo:  # read back from the journal, where secrets are masked
        res.status = Status.NOT_RUN
        res.reason = f"the undo command holds a secret the journal masks: run by hand: {done.undo}"
        return
    out = target.run(done.undo, timeout=120.0)
    res.commands.append(
        CommandRecord(scrub(done.undo), out.exit_code, scrub(trim(out.output.rstrip("\n"))))
    )
    if out.exit_code not in done.undo_ok:
        res.status, res.reason = Status.FAILED, f"undo exited {out.exit_code}"
    else:
        res.status, res.reason = Status.CHANGED, "undo command ran"
