"""Every page's plan on one real target: it must END (a report with its findings), whatever the
host is; only the engine's own errors raised by design (a plan failure) may follow.

Used by ``test_every_plan.py`` (a plain loopback sshd of this Debian host: no Asterisk, no MiRTA)
and ``tests/integration/realpbx/test_every_plan_real.py`` (the real Asterisk 22 node).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from mirtalib.errors import MirtaError
from mirtalib.runbook import PlanFailed, RunReport
from mirtalib.runbook.targets import Target
from mirtalib.runbooks import available, get

PROJECT = Path(__file__).resolve().parents[3]
DEMO = PROJECT / "parameters" / "demo"


#: pages whose plan samples the node for a minute on a real target (17: /proc/loadavg, 40:
#: /proc/stat): two samples a second apart keep the every-plan runs short (defaults unchanged)
SHORT_SAMPLING = {17: {"samples": 2, "interval": 1}, 40: {"samples": 2, "interval_s": 1}}


def demo_values(page: int) -> dict:
    """The page's demo parameters (``parameters/demo/NN-*.yaml``) that are runbook parameters
    (targets, mode, ssh options are the notebook's); defaults where there is no file; the short
    sampling of :data:`SHORT_SAMPLING`."""
    names = {p.name for p in get(page).params}
    files = sorted(DEMO.glob(f"{page:02d}-*.yaml"))
    values = yaml.safe_load(files[0].read_text()) if files else {}
    chosen = {k: v for k, v in (values or {}).items() if k in names}
    return chosen | SHORT_SAMPLING.get(page, {})


@dataclass
class PlanOutcome:
    page: int
    report: RunReport | None = None
    final: MirtaError | None = None  # what raise_for_failure raised (PlanFailed or nothing)
    crash: str = ""  # anything else: a bug
    findings: list[str] = field(default_factory=list)


def plan_every_page(target: Target, journal: Path) -> list[PlanOutcome]:
    """Plan every page on ``target``; never lets an exception escape (they are recorded)."""
    out = []
    for page in available():
        got = PlanOutcome(page)
        try:
            rb = get(page).open(target, journal=journal, **demo_values(page))
            got.report = rb.plan()
            got.findings = [
                f"{r.step_id}: {r.status}: {r.reason}"
                for n in got.report.nodes
                for r in n.results
                if r.status.value in ("fail", "failed", "warn")
            ]
            try:
                got.report.raise_for_failure()
            except PlanFailed as exc:
                got.final = exc
        except Exception as exc:  # the test names every one
            got.crash = f"{type(exc).__module__}.{type(exc).__name__}: {exc}"
        out.append(got)
    return out


def assert_every_plan_ends(outcomes: list[PlanOutcome]) -> None:
    """Every page produced a report, and a failed one ends in PlanFailed naming its findings."""
    crashed = [f"page {o.page:02d}: {o.crash}" for o in outcomes if o.crash]
    assert not crashed, "plans that did not end in a report:\n" + "\n".join(crashed)
    assert len(outcomes) == len(available()) == 46
    for o in outcomes:
        assert o.report is not None and o.report.mode == "plan"
        if o.report.failed:
            assert isinstance(o.final, PlanFailed), o.page
            assert f"plan of page {o.page} failed" in str(o.final)
        for node in o.report.nodes:  # an internal error never hides as a node error
            for name in ("Traceback", "KeyError", "TypeError", "AttributeError"):
                assert name not in node.error, (o.page, node.error)
