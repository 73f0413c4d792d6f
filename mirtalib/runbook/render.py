"""Text and HTML renderings of steps and reports (text for headless runs, HTML for JupyterLab)."""

from __future__ import annotations

import difflib
import html
from collections.abc import Sequence

from mirtalib.runbook.model import Check, Command, FileChange, Manual, Step
from mirtalib.runbook.results import RunReport, Status, StepResult

MAX_OUTPUT_LINES = 12

_HEADLINE = {
    "plan": "PLAN (nothing was changed)",
    "apply": "APPLY",
    "verify": "VERIFY",
    "rollback": "ROLLBACK",
}


def _indent(text: str, prefix: str = "      ") -> list[str]:
    lines = text.splitlines()
    if len(lines) > MAX_OUTPUT_LINES:
        cut = len(lines) - MAX_OUTPUT_LINES
        lines = [*lines[:MAX_OUTPUT_LINES], f"[... {cut} more lines in the journal]"]
    return [prefix + line for line in lines]


def steps_text(steps: Sequence[Step]) -> str:
    """Table of the steps of a runbook: phase, kind, risk, title, and what runs."""
    out = [f"{'#':>3}  {'phase':<20} {'kind':<10} {'risk':<17} step"]
    for i, s in enumerate(steps, 1):
        risk = str(getattr(s, "risk", "")) if not isinstance(s, Manual) else "by hand"
        out.append(f"{i:>3}  {s.phase.value:<20} {s.kind:<10} {risk:<17} {s.title}")
        if isinstance(s, Command | Check) and getattr(s, "command", None):
            out.append(f"{'':>5}$ {s.command}")
        elif isinstance(s, FileChange):
            out.append(
                f"{'':>5}file {s.path}" + (f"  (validated by: {s.validate})" if s.validate else "")
            )
    return "\n".join(out)


def _result_lines(r: StepResult, mode: str) -> list[str]:
    if r.status is Status.TODO:
        lines = [f"{r.index:>3}  [ ] {r.title}" + (f" ({r.where})" if r.where else "")]
        return lines + (_indent(r.reason) if r.reason else [])
    risk = f"{r.kind}, {r.risk}" if r.risk else r.kind
    lines = [f"{r.index:>3}  {r.status.value.upper():<13} {r.title}  [{risk}]"]
    if r.reason:
        lines += _indent(r.reason)
    if r.evidence and r.evidence != r.reason:
        lines += _indent(f"evidence: {r.evidence}")
    for c in r.commands:
        lines.append(f"      $ {c.command}   (exit {c.exit_code})")
        # a check's evidence says what its output means: its raw output stays in the journal
        if c.output and (r.kind != "check" or (r.status is Status.FAIL and not r.evidence)):
            lines += _indent(c.output, "        ")
    if r.file is not None and r.file.backup and mode in ("apply", "rollback"):
        lines.append(f"      backup: {r.file.backup}")
    if r.diff:
        lines += _indent_all(r.diff)
    return lines


def _checklist(report: RunReport) -> list[str]:
    seen: dict[str, StepResult] = {}
    for node in report.nodes:
        for r in node.results:
            if r.status is Status.TODO:
                seen.setdefault(r.step_id, r)
    lines: list[str] = []
    phase = None
    for r in sorted(seen.values(), key=lambda r: r.index):
        if r.phase is not phase:
            phase = r.phase
            lines.append(f"  {phase.value}:")
        lines += _result_lines(r, report.mode)
    return lines


def _indent_all(text: str) -> list[str]:
    return ["      " + line for line in text.splitlines()]


def _counts(counts: dict[str, int]) -> str:
    shown = {k: v for k, v in counts.items() if k != Status.TODO.value}
    return ", ".join(f"{v} {k}" for k, v in shown.items()) or "nothing"


LATER = "checked in verify mode"


def report_text(report: RunReport, *, checklist: bool = True) -> str:
    """Plain-text report of a run, node by node (then the manual checklist once)."""
    head = _HEADLINE.get(report.mode, report.mode.upper())
    out = [f"{head}: {report.title} (page {report.page}) on {len(report.nodes)} node(s)"]
    if report.mode in ("apply", "rollback") and report.run_id:
        undid = f", undoing run {report.rolls_back}" if report.rolls_back else ""
        out.append(f"run id {report.run_id}{undid}")
    if report.mode == "apply" and report.serial:
        out.append(
            f"rolling apply, {report.serial} node(s) at a time, each verified before the next:"
        )
        out += report.progress_lines()
    for node in report.nodes:
        out.append("")
        if node.skipped:
            out.append(f"== {node.node} ({node.target}): not run: {node.skipped} ==")
            continue
        out.append(f"== {node.node} ({node.target}): {_counts(node.counts())} ==")
        if node.error:
            out.append(f"   ERROR: {node.error}")
        later = [r for r in node.results if r.status is Status.NOT_RUN and r.reason == LATER]
        for r in node.results:
            if r.status is not Status.TODO and r not in later:
                out += _result_lines(r, report.mode)
        if later and not node.verify:
            out.append(f"{'':>5}{LATER}: " + "; ".join(f"{r.index} {r.title}" for r in later))
        if node.verify:
            out.append(f"{'':>5}verified on {node.node} after its apply:")
            for r in node.verify:
                out += _result_lines(r, "verify")
    manual = _checklist(report) if checklist else []
    if manual:
        out += ["", "By hand (checklist):", *manual]
    if report.mode == "verify":
        out += ["", "Verdicts:", verdict_table(report)]
    if report.mode == "apply" and report.failed:
        changed = ", ".join(report.changed_nodes) or "no node"
        untouched = ", ".join(report.not_run_nodes) or "none"
        out += [
            "",
            f"Apply stopped at the first failure. Changed: {changed}; not run: {untouched}. "
            "What changed can be put back with rollback(confirm=True), or from any session "
            f'with mode="rollback", run_id="{report.run_id}".',
        ]
    return "\n".join(out)


def verdict_table(report: RunReport) -> str:
    """Pass/warn/fail table of the checks: one row per check, one column per node."""
    rows: dict[str, dict[str, str]] = {}
    for node in report.nodes:
        for r in node.results:
            if r.kind == "check":
                rows.setdefault(r.title, {})[node.node] = r.status.value
    names = [n.node for n in report.nodes]
    width = max([len(t) for t in rows] + [5])
    out = [f"  {'check':<{width}}  " + "  ".join(f"{n:<8}" for n in names)]
    for title, cells in rows.items():
        out.append(f"  {title:<{width}}  " + "  ".join(f"{cells.get(n, '-'):<8}" for n in names))
    return "\n".join(out)


def diff_html(before: str | None, after: str, path: str, *, side_by_side: bool = True) -> str:
    """Readable HTML diff of one file (side-by-side table, or a coloured unified diff)."""
    old = (before or "").splitlines()
    new = after.splitlines()
    if side_by_side:
        table = difflib.HtmlDiff(wrapcolumn=70).make_table(
            old, new, f"{path} (live)", f"{path} (planned)", context=True, numlines=3
        )
        style = (
            "<style>.mirta-diff table.diff{font-family:monospace;font-size:12px}"
            ".mirta-diff .diff_add{background:#dfd}.mirta-diff .diff_chg{background:#ffa}"
            ".mirta-diff .diff_sub{background:#fdd}</style>"
        )
        return f'{style}<div class="mirta-diff">{table}</div>'
    colours = {"+": "#dfd", "-": "#fdd", "@": "#eef"}
    rows = []
    for line in difflib.unified_diff(old, new, f"{path} (live)", f"{path} (planned)", lineterm=""):
        bg = colours.get(line[:1], "transparent")
        rows.append(f'<div style="background:{bg}">{html.escape(line) or "&nbsp;"}</div>')
    return f'<pre class="mirta-diff" style="font-size:12px">{"".join(rows)}</pre>'


def report_html(report: RunReport) -> str:
    """HTML view of a report: the text report plus side-by-side diffs of changed files."""
    parts = [f"<pre>{html.escape(report_text(report))}</pre>"]
    for node in report.nodes:
        for r in node.results:
            if r.diff and r.after_text is not None and r.file is not None:
                parts.append(f"<h4>{html.escape(node.node)}: {html.escape(r.file.path)}</h4>")
                parts.append(diff_html(r.before_text, r.after_text, r.file.path))
    return "\n".join(parts)
