"""The frame every page shares: before starting / implementation / current verification.

Every seed page ends with the same advice (page 21 spells it out): confirm the tenant or node scope,
back up what you change, keep service-affecting steps for a maintenance window; review the current
settings, try one node or a test tenant first, reload only what is needed and validate calls,
registrations, logs and status pages; then check the related MiRTA page, the Asterisk log, the
Status menu entry and the tenant selection. :func:`framed` wraps a page's own steps with it, so a
page module only writes what is specific to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mirtalib.runbook.model import Command, FileChange, Manual, Phase, Risk, Step


@dataclass(frozen=True)
class Verification:
    """What the page says to look at by hand after the change (the *current verification*).

    Attributes:
        mirta_page: the related MiRTA web page and what it should show.
        asterisk_log: what to look for in the Asterisk log.
        status_menu: the Status menu entry and what it should show.
        tenant_selection: why / how to recheck the tenant selection (empty for node-only pages).
    """

    mirta_page: str
    asterisk_log: str = (
        "Follow /var/log/asterisk/full (or `asterisk -rvvv`) while testing: no new ERROR or "
        "WARNING lines caused by the change."
    )
    status_menu: str = "Open the Status menu and check the entry related to the change."
    tenant_selection: str = (
        "Recheck which tenant is selected in the web interface before testing "
        "tenant-specific behaviour."
    )


def scope_text(scope: str, nodes: Sequence[str], tenant: str | None = None) -> str:
    """Human description of what a run touches."""
    where = ", ".join(nodes)
    if scope == "tenant" and tenant:
        return f"tenant {tenant} on node(s) {where}"
    return f"node(s) {where}"


def framed(
    page_steps: Sequence[Step],
    verification: Verification,
    *,
    scope: str,
    nodes: Sequence[str],
    tenant: str | None = None,
) -> list[Step]:
    """Return the page's steps inside the shared frame, in phase order."""
    files = [s for s in page_steps if isinstance(s, FileChange)]
    service = [
        s
        for s in page_steps
        if isinstance(s, Command | FileChange) and s.risk is Risk.SERVICE_AFFECTING
    ]
    before: list[Step] = [
        Manual(
            id="frame-scope",
            title="Confirm the scope of the change",
            phase=Phase.BEFORE,
            where="this notebook's parameters",
            detail=f"This run touches {scope_text(scope, nodes, tenant)}.",
        )
    ]
    if files:
        paths = ", ".join(sorted({f.path for f in files}))
        before.append(
            Manual(
                id="frame-backup",
                title="Back up the files you change",
                phase=Phase.BEFORE,
                where="the target",
                detail=f"Apply backs up {paths} into the node's backup folder, <run id>/PATH "
                "under /var/backups/mirta-ops (MIRTA_BACKUP_DIR), before writing; back up by "
                "hand anything you change outside this runbook.",
            )
        )
    if service:
        before.append(
            Manual(
                id="frame-window",
                title="Schedule a maintenance window",
                phase=Phase.BEFORE,
                where="change calendar",
                detail="Service-affecting steps: " + "; ".join(s.title for s in service) + ".",
            )
        )
    implementation: list[Step] = [
        Manual(
            id="frame-review",
            title="Review the current settings and the plan",
            phase=Phase.IMPLEMENTATION,
            where="the plan output",
            detail="Read the diffs and the current values before you apply.",
        ),
    ]
    implementation.append(
        Manual(
            id="frame-one-first",
            title="Apply to one node or a test tenant first",
            phase=Phase.IMPLEMENTATION,
            where="this notebook's targets",
            detail="Run apply on a single target, verify it, then widen the target list.",
        )
    )
    closing = Manual(
        id="frame-validate",
        title="Validate calls, registrations, logs and status pages",
        phase=Phase.IMPLEMENTATION,
        where="phones and the MiRTA web interface",
        detail="Place a test call and watch registrations once the change is live.",
    )
    checks: list[Step] = [
        Manual(
            id="verify-mirta-page",
            title="Check the related MiRTA page",
            phase=Phase.VERIFICATION,
            where="MiRTA web interface",
            detail=verification.mirta_page,
        ),
        Manual(
            id="verify-asterisk-log",
            title="Check the Asterisk log",
            phase=Phase.VERIFICATION,
            where="Asterisk log",
            detail=verification.asterisk_log,
        ),
        Manual(
            id="verify-status-menu",
            title="Check the Status menu entry",
            phase=Phase.VERIFICATION,
            where="MiRTA Status menu",
            detail=verification.status_menu,
        ),
    ]
    if verification.tenant_selection:
        checks.append(
            Manual(
                id="verify-tenant",
                title="Recheck tenant selection",
                phase=Phase.VERIFICATION,
                where="MiRTA web interface",
                detail=verification.tenant_selection,
            )
        )

    def of(phase: Phase) -> list[Step]:
        return [s for s in page_steps if s.phase is phase]

    steps = [
        *before,
        *of(Phase.BEFORE),
        *implementation,
        *of(Phase.IMPLEMENTATION),
        closing,
        *of(Phase.VERIFICATION),
        *checks,
    ]
    seen: set[str] = set()
    for step in steps:
        if step.id in seen:
            from mirtalib.errors import ParameterError

            raise ParameterError(f"two steps share the id {step.id!r}")
        seen.add(step.id)
    return steps


__all__ = ["Verification", "framed", "scope_text"]
