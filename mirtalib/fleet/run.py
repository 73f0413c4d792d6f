"""One fleet run: every applicable page's read-only checks on every node of an inventory.

Nodes run in parallel, at most ``forks`` at a time (Ansible's default, 5); on each node the pages
run one after another over one connection, in the engine's ``fleet`` mode (the checks of every
phase and the read-only commands; the engine refuses anything that could change the node). A
node that cannot be reached within its ``timeout``, or whose connection dies or whose command
runs into ``command_timeout`` during the run and that then does not answer a liveness probe
within ``timeout``, is *unreachable*: its remaining pages say so and the other nodes go on.

Per node and page the matrix holds one state (:data:`STATES`): ``ok`` (every check passed),
``warn`` (a check warns), ``fail`` (a check or read-only command failed), ``n/a`` (the page does
not apply to the node's roles) or ``unreachable``. Besides the pages, each node's certificates
(the inventory's ``certificates``: days left) and the kernel, Asterisk and PHP versions are read
with read-only commands. What pages compute from the MiRTA database (the recording coverage of
pages 07 and 14, the node table ...) is computed once per run and database and shared by the
nodes (:mod:`mirtalib.data.shared`; the demo's answers only among replay nodes).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from mirtalib.asterisk.software import parse_asterisk_version, parse_php_version
from mirtalib.data.db import demo_scope
from mirtalib.data.shared import RunCache, sharing
from mirtalib.errors import MirtaError, ParseError, TargetError
from mirtalib.fleet.inventory import Inventory, Node, all_pages
from mirtalib.runbook.engine import run_node
from mirtalib.runbook.model import Check, Command, Risk, Step
from mirtalib.runbook.replay import ReplayTarget
from mirtalib.runbook.results import Status, StepResult
from mirtalib.runbook.session import RunbookDef
from mirtalib.runbook.targets import Target, open_target
from mirtalib.runbooks.installs import cert_probe, parse_cert_probe
from mirtalib.secrets import scrub

log = logging.getLogger(__name__)

OK, WARN, FAIL, NA, UNREACHABLE = "ok", "warn", "fail", "n/a", "unreachable"
STATES = (OK, WARN, FAIL, NA, UNREACHABLE)
#: Prometheus value of a check's state (``mirta_check_status``)
STATUS_VALUE = {OK: 0, WARN: 1, FAIL: 2}
DEFAULT_FORKS = 5
MAX_FORKS = 100
_STEP_STATE = {
    Status.PASS: OK,
    Status.OK: OK,
    Status.WARN: WARN,
    Status.FAIL: FAIL,
    Status.FAILED: FAIL,
}
#: version probes: name, read-only command, parser -> version text
VERSION_PROBES: tuple[tuple[str, str, Callable[[str], str]], ...] = (
    ("kernel", "uname -r", lambda text: text.strip().splitlines()[0] if text.strip() else ""),
    (
        "asterisk",
        "asterisk -rx 'core show version'",
        lambda text: parse_asterisk_version(text).version,
    ),
    ("php", "php -v", lambda text: parse_php_version(text).version),
)
#: (node, page or 0 for the node's own probes, state) after each page; for progress and tests
PageCallback = Callable[[str, int, str], None]


@dataclass
class CheckResult:
    """One check (or read-only command) of one page on one node."""

    check: str
    title: str
    state: str
    reason: str = ""
    evidence: str = ""


@dataclass
class Cell:
    """One page on one node: the matrix cell."""

    page: int
    state: str
    reason: str = ""
    checks: list[CheckResult] = field(default_factory=list)


@dataclass
class Certificate:
    """A certificate file on a node, with its days left (None when missing or unreadable)."""

    node: str
    path: str
    state: str
    subject: str = ""
    not_after: str = ""
    days_left: int | None = None
    reason: str = ""


@dataclass
class NodeResult:
    """Everything one node answered."""

    node: str
    group: str
    address: str
    roles: list[str]
    reachable: bool = True
    error: str = ""
    cells: list[Cell] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    certificates: list[Certificate] = field(default_factory=list)

    def cell(self, page: int) -> Cell | None:
        """The cell of ``page`` (None when the page was not selected)."""
        return next((c for c in self.cells if c.page == page), None)

    @property
    def state(self) -> str:
        """The node's worst state (unreachable first)."""
        if not self.reachable:
            return UNREACHABLE
        states = {c.state for c in self.cells} | {c.state for c in self.certificates}
        for s in (FAIL, WARN):
            if s in states:
                return s
        return OK


@dataclass
class FleetRun:
    """A whole run: its name, inventory, pages and one result per node (inventory order)."""

    run: str
    started: str
    inventory: str
    pages: list[int]
    titles: dict[int, str]
    forks: int
    nodes: list[NodeResult]
    demo: bool = False

    @property
    def failed(self) -> bool:
        """Something failed or a node was unreachable (exit status 1)."""
        return any(n.state in (FAIL, UNREACHABLE) for n in self.nodes)

    def counts(self) -> dict[str, int]:
        """Matrix cells per state."""
        out = dict.fromkeys(STATES, 0)
        for n in self.nodes:
            for c in n.cells:
                out[c.state] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON form (every check's result)."""
        data = asdict(self)
        data["titles"] = {str(k): v for k, v in self.titles.items()}
        data["counts"] = self.counts()
        data["failed"] = self.failed
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FleetRun:
        """Back from :meth:`to_dict` (a previous run's JSON)."""
        nodes = []
        for n in data.get("nodes", []):
            cells = [
                Cell(
                    int(c["page"]),
                    c["state"],
                    c.get("reason", ""),
                    [CheckResult(**k) for k in c.get("checks", [])],
                )
                for c in n.get("cells", [])
            ]
            certs = [Certificate(**c) for c in n.get("certificates", [])]
            nodes.append(
                NodeResult(
                    n["node"],
                    n.get("group", ""),
                    n.get("address", ""),
                    list(n.get("roles", [])),
                    bool(n.get("reachable", True)),
                    n.get("error", ""),
                    cells,
                    dict(n.get("versions", {})),
                    certs,
                )
            )
        return cls(
            run=data["run"],
            started=data.get("started", ""),
            inventory=data.get("inventory", ""),
            pages=[int(p) for p in data.get("pages", [])],
            titles={int(k): v for k, v in data.get("titles", {}).items()},
            forks=int(data.get("forks", DEFAULT_FORKS)),
            nodes=nodes,
            demo=bool(data.get("demo", False)),
        )

    def to_json(self) -> str:
        """The JSON text written as ``<run>.json``."""
        return json.dumps(self.to_dict(), indent=1, sort_keys=True) + "\n"


def read_only_steps(steps: Sequence[Step]) -> list[Step]:
    """The steps fleet mode runs: checks and read-only commands."""
    return [
        s
        for s in steps
        if isinstance(s, Check) or (isinstance(s, Command) and s.risk is Risk.READ_ONLY)
    ]


def _summary(checks: list[CheckResult]) -> tuple[str, str]:
    for state in (FAIL, WARN):
        bad = [c for c in checks if c.state == state]
        if bad:
            return state, "; ".join(f"{c.title}: {c.reason}".rstrip(": ") for c in bad)
    return OK, f"{len(checks)} check(s) pass"


class CappedTarget(Target):
    """A real node on which every call (command, file read, stat) may take at most ``cap``
    seconds (the inventory's ``command_timeout``, plus a little): a node that stops answering
    costs that long once, not each step's own timeout or an SFTP read that never returns. After
    a call that did not come back, every later call fails at once (TargetError). Read-only use:
    the other calls are passed through."""

    def __init__(self, inner: Target, cap: float) -> None:
        self.inner, self.cap = inner, cap
        self.spec, self.name, self.clock = inner.spec, inner.name, inner.clock
        self.stuck = ""

    def _call(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if self.stuck:
            raise TargetError(f"{self.name}: {self.stuck}")
        box: dict[str, Any] = {}

        def work() -> None:
            try:
                box["value"] = fn(*args, **kwargs)
            except BaseException as exc:  # handed to the caller below
                box["error"] = exc

        worker = threading.Thread(target=work, name=f"fleet-{self.name}", daemon=True)
        worker.start()
        worker.join(self.cap + 5)
        if worker.is_alive():
            self.stuck = f"no answer within {self.cap:g} s ({what})"
            raise TargetError(f"{self.name}: {self.stuck}")
        if "error" in box:
            raise box["error"]
        return box.get("value")

    def run(self, command: str, *, timeout: float = 120.0):
        return self._call("a command", self.inner.run, command, timeout=min(timeout, self.cap))

    def stat(self, path: str):
        return self._call(f"stat {path}", self.inner.stat, path)

    def read_bytes(self, path: str):
        return self._call(f"reading {path}", self.inner.read_bytes, path)

    def stage(self, path: str, data: bytes, *, mode: int, uid: int | None, gid: int | None) -> str:
        return self.inner.stage(path, data, mode=mode, uid=uid, gid=gid)

    def makedirs(self, path: str) -> None:
        self.inner.makedirs(path)

    def rename(self, source: str, dest: str) -> None:
        self.inner.rename(source, dest)

    def remove(self, path: str) -> None:
        self.inner.remove(path)

    def resolve(self, path: str) -> str:
        return self._call(f"resolving {path}", self.inner.resolve, path)

    def now(self) -> datetime:
        return self.inner.now()

    def close(self) -> None:
        closing = threading.Thread(target=self.inner.close, daemon=True)
        closing.start()
        closing.join(10)  # a node that stopped answering must not hold the run here either


def _timed_out(results: Sequence[StepResult]) -> bool:
    """A command of these results ran into its timeout (the node may have stopped answering)."""
    return any(
        c.exit_code == 124 and "timed out after" in c.output for r in results for c in r.commands
    )


def alive(target: Target, timeout: float) -> bool:
    """The node still answers (``true`` within ``timeout``); a replay always does."""
    if isinstance(target, ReplayTarget):
        return True
    try:
        return target.run("true", timeout=timeout).exit_code == 0
    except TargetError:
        return False


class _NodeCheck:
    def __init__(self, node: Node, pages: Sequence[RunbookDef], run_id: str, on_page):
        self.node, self.pages, self.run_id, self.on_page = node, pages, run_id, on_page
        self.result = NodeResult(node.name, node.group, node.address, list(node.roles))

    def _say(self, page: int, state: str) -> None:
        if self.on_page is not None:
            self.on_page(self.node.name, page, state)

    def _lost(self, why: str, done: set[int]) -> None:
        self.result.reachable = False
        self.result.error = scrub(why)
        for page in self.pages:
            if page.page in done:
                continue
            if self.node.applies(page):
                self.result.cells.append(Cell(page.page, UNREACHABLE, self.result.error))
            else:
                self.result.cells.append(Cell(page.page, NA, self.node.why_not(page)))

    def run(self) -> NodeResult:
        try:
            target = open_target(self.node.address, **self.node.target_options())
            if not isinstance(target, ReplayTarget):
                target = CappedTarget(target, self.node.command_timeout)
        except MirtaError as exc:
            self._lost(str(exc), set())
            self._say(0, UNREACHABLE)
            return self.result
        try:
            self._run(target)
        finally:
            target.close()
        return self.result

    def _run(self, target: Target) -> None:
        done: set[int] = set()
        try:
            self._probes(target)
        except TargetError as exc:
            if not alive(target, self.node.timeout):
                self._lost(str(exc), done)
                self._say(0, UNREACHABLE)
                return
        self._say(0, OK)
        for page in self.pages:
            if not self.node.applies(page):
                self.result.cells.append(Cell(page.page, NA, self.node.why_not(page)))
                done.add(page.page)
                continue
            cell, exc, slow = self._page(page, target)
            if (isinstance(exc, TargetError) or slow) and not alive(target, self.node.timeout):
                self._lost(f"during page {page.page}: {exc}", done)
                self._say(page.page, UNREACHABLE)
                return
            self.result.cells.append(cell)
            done.add(page.page)
            self._say(page.page, cell.state)

    def _page(self, page: RunbookDef, target: Target) -> tuple[Cell, MirtaError | None, bool]:
        try:
            runbook = page.open(target, **self.node.values(page))
            with demo_scope(runbook.is_replay):  # a replay node's database is the demo's
                steps = read_only_steps(runbook.steps)
                report, exc = run_node(
                    "fleet", steps, target, run_id=self.run_id, backup_dir=runbook.backup_dir
                )
        except MirtaError as exc_:
            return Cell(page.page, FAIL, scrub(f"the page could not run: {exc_}")), exc_, False
        checks = [_check(r) for r in report.results if r.status in _STEP_STATE]
        state, reason = _summary(checks)
        if report.error and state == OK:
            state, reason = FAIL, report.error
        return Cell(page.page, state, reason, checks), exc, _timed_out(report.results)

    def _probes(self, target: Target) -> None:
        for name, command, parse in VERSION_PROBES:
            try:
                out = target.run(command, timeout=self.node.timeout)
            except TargetError as exc:
                if isinstance(target, ReplayTarget):
                    self.result.versions[name] = "not recorded"
                    continue
                raise exc
            if out.exit_code == 127 or "not found" in out.stderr:
                self.result.versions[name] = "not installed"
                continue
            try:
                self.result.versions[name] = (
                    parse(out.stdout) if out.exit_code == 0 else f"error (exit {out.exit_code})"
                )
            except ParseError:
                first = (out.stdout.strip().splitlines() or ["?"])[0]
                self.result.versions[name] = scrub(f"not understood: {first[:60]}")
        warn = int(self.node.vars.get("cert_warn_days", 30))
        fail = int(self.node.vars.get("cert_fail_days", 7))
        for path in self.node.vars.get("certificates") or []:
            self.result.certificates.append(_certificate(self.node.name, path, target, warn, fail))


def _certificate(node: str, path: str, target: Target, warn: int, fail: int) -> Certificate:
    try:
        found = parse_cert_probe(cert_probe(path)(target))
    except ParseError as exc:
        return Certificate(node, path, FAIL, reason=str(exc))
    if not found["found"]:
        return Certificate(node, path, FAIL, reason="missing")
    if not found["certs"]:
        return Certificate(node, path, FAIL, reason="holds no certificate")
    leaf = found["certs"][0]
    left = leaf.days_left(found["now"])
    state = FAIL if left < fail or left < 0 else WARN if left <= warn else OK
    reason = "expired" if left < 0 else f"{left} days left"
    return Certificate(node, path, state, leaf.subject, leaf.not_after[:10], left, reason)


def _check(r: StepResult) -> CheckResult:
    return CheckResult(
        r.step_id, r.title, _STEP_STATE[r.status], scrub(r.reason), scrub(r.evidence)
    )


def run_fleet(
    inventory: Inventory,
    pages: Sequence[int] | None = None,
    *,
    forks: int = DEFAULT_FORKS,
    run: str = "",
    on_page: PageCallback | None = None,
) -> FleetRun:
    """Check every node of ``inventory`` (its pages one after another, ``forks`` nodes at once).

    Args:
        inventory: the nodes.
        pages: page numbers (default: every page).
        forks: nodes checked at the same time (1-100).
        run: the run's name (the report's file name).
        on_page: called with (node, page, state) after each page (page 0: the node's probes).
    """
    if isinstance(forks, bool) or not isinstance(forks, int) or not 1 <= forks <= MAX_FORKS:
        from mirtalib.errors import ParameterError

        raise ParameterError(f"--forks {forks!r}: give a number of nodes from 1 to {MAX_FORKS}")
    defs = all_pages()
    chosen = [defs[p] for p in sorted(set(pages or defs))]
    started = datetime.now(UTC)
    run_id = run or started.strftime("%Y%m%dT%H%M%S.%fZ")
    clock = time.monotonic()

    shared = RunCache()  # what pages compute from the database: once per run and database

    def one(node: Node) -> NodeResult:
        with sharing(shared):
            result = _NodeCheck(node, chosen, f"fleet-{run_id}", on_page).run()
        log.debug("%s: %s", node.name, result.state)
        return result

    try:
        with ThreadPoolExecutor(max_workers=min(forks, len(inventory.nodes))) as pool:
            results = list(pool.map(one, inventory.nodes))
    finally:
        shared.clear()
    log.debug(
        "fleet run %s: %d nodes in %.1f s (%d database reads computed, %d shared)",
        run_id,
        len(results),
        time.monotonic() - clock,
        shared.computed,
        shared.served,
    )
    return FleetRun(
        run=run_id,
        started=started.isoformat(timespec="seconds"),
        inventory=inventory.path,
        pages=[p.page for p in chosen],
        titles={p.page: p.title for p in chosen},
        forks=forks,
        nodes=results,
        demo=all(n.is_replay for n in inventory.nodes),
    )
