"""Helpers the runbook notebooks share: SSH options from parameters, a rehearsal on replays."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mirtalib.runbook.render import report_text, verdict_table
from mirtalib.runbook.replay import ReplayTarget
from mirtalib.runbook.results import RunReport
from mirtalib.runbook.session import Runbook


def ssh_options(
    key_path: str = "", known_hosts: str = "", *, accept_new_host: bool = False
) -> dict[str, Any]:
    """Target options from notebook parameters (empty strings mean: agent / default files)."""
    options: dict[str, Any] = {}
    if key_path:
        options["key_filename"] = key_path
    if known_hosts:
        options["known_hosts"] = known_hosts
    if accept_new_host:
        options["accept_new_host"] = True
    return options


@dataclass
class Rehearsal:
    """apply, apply again, verify and rollback on fresh in-memory copies of replay targets."""

    apply: RunReport | None = None
    again: RunReport | None = None
    verify: RunReport | None = None
    rollback: RunReport | None = None
    skipped: str = ""

    @property
    def idempotent(self) -> bool:
        """True when the second apply changed nothing."""
        return self.again is not None and not any(n.changed for n in self.again.nodes)

    def text(self) -> str:
        """The four results, condensed."""
        if self.skipped:
            return self.skipped
        assert self.apply and self.again and self.verify and self.rollback
        lines = [
            "REHEARSAL on in-memory copies of the replay targets (nothing real is touched)",
            "",
            report_text(self.apply, checklist=False),
            "",
        ]
        for node in self.again.nodes:
            lines.append(
                f"second apply on {node.node}: {len(node.changed)} changed "
                f"({'idempotent' if not node.changed else 'NOT idempotent'})"
            )
        lines += [
            "",
            "verify after apply:",
            verdict_table(self.verify),
            "",
            report_text(self.rollback, checklist=False),
        ]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()


def rehearse(rb: Runbook) -> Rehearsal:
    """On replay targets, show what apply does: apply, apply again, verify, rollback.

    Every step runs on a fresh copy of the recording, so the runbook ``rb`` itself is unchanged.
    On real targets nothing runs and the rehearsal says so.
    """
    if not rb.is_replay:
        return Rehearsal(skipped="rehearsal skipped: it only runs on replay targets")
    copies = [
        ReplayTarget.load(t.spec.removeprefix("replay:"), replay_dir=t.origin)  # type: ignore[attr-defined]
        for t in rb.targets
    ]
    twin = Runbook(
        rb.definition,
        rb.values,
        copies,
        clock=rb.clock,
        journal=rb.journal,
        rehearsal=True,
        serial=rb.serial,
        backup_dir=rb.backup_dir,
    )
    out = Rehearsal()
    out.apply = twin.apply(confirm=True)
    applied = twin.last_apply
    out.again = twin.apply(confirm=True)
    out.verify = twin.verify()
    twin.last_apply = applied
    out.rollback = twin.rollback(confirm=True)
    return out
