"""What a fleet run writes: ``reports/fleet/<run>.html``, ``.json``, ``.prom`` and the run record
the report index lists; and what changed since the previous run.

The Prometheus file follows the text exposition format for node_exporter's textfile collector
(``--collector.textfile.directory``): HELP and TYPE lines, label values escaped (backslash,
double quote, newline), written to a temporary file and renamed (the collector never reads half
a file). Its series:

- ``mirta_check_status{node, page, check}``: 0 ok, 1 warn, 2 fail (a check, or a read-only
  command of the page, on the node); pages that do not apply to a node have no series;
- ``mirta_node_up{node}``: 1 answered, 0 unreachable;
- ``mirta_cert_days_left{node, cert}``: whole days until the certificate expires (negative:
  expired);
- ``mirta_fleet_last_run_timestamp_seconds``: when the run started.
"""

from __future__ import annotations

import html
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from mirtalib.fleet.run import FAIL, NA, OK, STATES, STATUS_VALUE, UNREACHABLE, WARN, FleetRun
from mirtalib.nbrun.outputs import atomic_write_text
from mirtalib.reporting import fmt
from mirtalib.reporting.fmt import html_table
from mirtalib.reporting.summary import Finding, Summary
from mirtalib.secrets import scrub

log = logging.getLogger(__name__)

FOLDER = "fleet"  # reports/fleet/
_LABELS = {OK: "ok", WARN: "warn", FAIL: "fail", NA: "n.a.", UNREACHABLE: "unreachable"}


def escape_label(value: object) -> str:
    """A label value as the exposition format wants it: ``\\`` ``"`` and newlines escaped."""
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(**labels: object) -> str:
    return "{" + ",".join(f'{k}="{escape_label(v)}"' for k, v in labels.items()) + "}"


def prometheus_text(run: FleetRun) -> str:
    """The ``<run>.prom`` text (see the module docstring for the series)."""
    out = [
        "# HELP mirta_check_status mirta fleet check result: 0 ok, 1 warn, 2 fail.",
        "# TYPE mirta_check_status gauge",
    ]
    for node in run.nodes:
        for cell in node.cells:
            seen: dict[str, int] = {}
            for check in cell.checks:
                n = seen[check.check] = seen.get(check.check, 0) + 1
                name = check.check if n == 1 else f"{check.check}#{n}"
                labels = _labels(node=node.node, page=cell.page, check=name)
                out.append(f"mirta_check_status{labels} {STATUS_VALUE[check.state]}")
    out += [
        "# HELP mirta_node_up mirta fleet: 1 the node answered, 0 unreachable.",
        "# TYPE mirta_node_up gauge",
    ]
    out += [f"mirta_node_up{_labels(node=n.node)} {int(n.reachable)}" for n in run.nodes]
    out += [
        "# HELP mirta_cert_days_left Days until the certificate expires (negative: expired).",
        "# TYPE mirta_cert_days_left gauge",
    ]
    for node in run.nodes:
        for cert in node.certificates:
            if cert.days_left is not None:
                labels = _labels(node=node.node, cert=cert.path)
                out.append(f"mirta_cert_days_left{labels} {cert.days_left}")
    started = datetime.fromisoformat(run.started).timestamp()
    out += [
        "# HELP mirta_fleet_last_run_timestamp_seconds When the mirta fleet run started.",
        "# TYPE mirta_fleet_last_run_timestamp_seconds gauge",
        f"mirta_fleet_last_run_timestamp_seconds {started:.0f}",
    ]
    return "\n".join(out) + "\n"


@dataclass(frozen=True)
class Change:
    """A check whose state changed since the previous run."""

    kind: str  # new failure, fixed, new warning
    node: str
    page: int
    check: str
    before: str
    now: str
    reason: str


def _states(run: FleetRun) -> dict[tuple[str, int, str], tuple[str, str, str]]:
    out = {}
    for node in run.nodes:
        for cell in node.cells:
            if cell.state == UNREACHABLE:
                out[(node.node, cell.page, "")] = (UNREACHABLE, "node unreachable", cell.reason)
            for c in cell.checks:
                out[(node.node, cell.page, c.check)] = (c.state, c.title, c.reason)
        for cert in node.certificates:
            out[(node.node, 0, cert.path)] = (cert.state, f"certificate {cert.path}", cert.reason)
    return out


def changes(previous: FleetRun | None, current: FleetRun) -> list[Change]:
    """New failures (now fail or unreachable, not before), fixed (failed before, now ok or warn)
    and new warnings (now warn, before ok or not there), by node, page and check."""
    if previous is None:
        return []
    before, now = _states(previous), _states(current)
    bad = (FAIL, UNREACHABLE)
    out = []
    for key in sorted(set(before) | set(now)):
        was = before.get(key, ("", "", ""))[0]
        state, title, reason = now.get(key, ("", before.get(key, ("", "", ""))[1], ""))
        if state in bad and was not in bad:
            kind = "new failure"
        elif was in bad and state in (OK, WARN):
            kind = "fixed"
        elif state == WARN and was in ("", OK):
            kind = "new warning"
        else:
            continue
        out.append(Change(kind, key[0], key[1], title, was or "-", state, reason))
    order = {"new failure": 0, "new warning": 1, "fixed": 2}
    return sorted(out, key=lambda c: (order[c.kind], c.node, c.page, c.check))


def previous_run(folder: Path, run: str) -> FleetRun | None:
    """The newest run before ``run`` in ``folder`` (its ``<run>.json``), None when there is none
    or it cannot be read (said in the log)."""
    older = sorted(
        p for p in folder.glob("*.json") if not p.name.endswith(".run.json") and p.stem < run
    )
    if not older:
        return None
    try:
        return FleetRun.from_dict(json.loads(older[-1].read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("previous fleet run %s cannot be read: %s", older[-1].name, exc)
        return None


def matrix(run: FleetRun) -> pd.DataFrame:
    """Node x page states (rows in inventory order, columns page numbers)."""
    return pd.DataFrame(
        [[(n.cell(p).state if n.cell(p) else "") for p in run.pages] for n in run.nodes],
        index=pd.Index([n.node for n in run.nodes], name="node"),
        columns=run.pages,
    )


def problems(run: FleetRun) -> pd.DataFrame:
    """Every cell that is not ok or n/a: node, page, state, reason (failures first)."""
    rows = [
        {
            "node": n.node,
            "page": c.page,
            "title": run.titles.get(c.page, ""),
            "state": c.state,
            "reason": c.reason,
        }
        for n in run.nodes
        for c in n.cells
        if c.state not in (OK, NA)
    ]
    order = {UNREACHABLE: 0, FAIL: 1, WARN: 2}
    rows.sort(key=lambda r: (order[r["state"]], r["node"], r["page"]))
    return pd.DataFrame(rows, columns=["node", "page", "title", "state", "reason"])


def checks_table(run: FleetRun, node: str | None = None) -> pd.DataFrame:
    """Every check's result (of one node when given)."""
    rows = [
        {
            "node": n.node,
            "page": c.page,
            "check": k.check,
            "title": k.title,
            "state": k.state,
            "reason": k.reason,
            "evidence": k.evidence,
        }
        for n in run.nodes
        if node is None or n.node == node
        for c in n.cells
        for k in c.checks
    ]
    cols = ["node", "page", "check", "title", "state", "reason", "evidence"]
    return pd.DataFrame(rows, columns=cols)


def certificates(run: FleetRun) -> pd.DataFrame:
    """Every certificate, the fewest days left first (missing ones first of all)."""
    rows = [
        {
            "node": c.node,
            "certificate": c.path,
            "subject": c.subject,
            "expires": c.not_after,
            "days left": c.days_left,
            "state": c.state,
            "note": c.reason,
        }
        for n in run.nodes
        for c in n.certificates
    ]
    frame = pd.DataFrame(
        rows, columns=["node", "certificate", "subject", "expires", "days left", "state", "note"]
    )
    frame["days left"] = frame["days left"].astype("Int64")
    return frame.sort_values("days left", na_position="first", kind="stable").reset_index(drop=True)


def versions(run: FleetRun) -> pd.DataFrame:
    """Kernel, Asterisk and PHP version per node."""
    rows = [
        {
            "node": n.node,
            "kernel": n.versions.get("kernel", "-"),
            "asterisk": n.versions.get("asterisk", "-"),
            "php": n.versions.get("php", "-"),
        }
        for n in run.nodes
    ]
    return pd.DataFrame(rows, columns=["node", "kernel", "asterisk", "php"])


def changes_table(found: list[Change]) -> pd.DataFrame:
    """The changes as a table."""
    return pd.DataFrame(
        [c.__dict__ for c in found],
        columns=["kind", "node", "page", "check", "before", "now", "reason"],
    )


def matrix_html(run: FleetRun) -> str:
    """The node x page matrix as an HTML table: one coloured cell per page, the state as its text
    and the reason on hover."""
    head = "".join(
        f'<th title="{html.escape(str(p) + ": " + run.titles.get(p, ""))}">{p}</th>'
        for p in run.pages
    )
    rows = []
    for n in run.nodes:
        cells = []
        for p in run.pages:
            c = n.cell(p)
            state = c.state if c else ""
            tip = f"{n.node}, page {p}: {state}" + (f": {c.reason}" if c and c.reason else "")
            cls = state.replace("/", "")
            label = {OK: "ok", WARN: "warn", FAIL: "fail", NA: "n.a.", UNREACHABLE: "unreach."}
            cells.append(
                f'<td class="fleet-{cls}" title="{html.escape(scrub(tip))}">'
                f"{label.get(state, '')}</td>"
            )
        cls = n.state.replace("/", "")
        node = f'<th class="fleet-node fleet-{cls}">{html.escape(n.node)}</th>'
        rows.append(f"<tr>{node}{''.join(cells)}</tr>")
    return (
        '<div class="fleet-scroll"><table class="fleet-matrix"><thead><tr><th>node \\ page</th>'
        f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _env() -> Environment:
    return Environment(
        loader=PackageLoader("mirtalib.fleet", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        keep_trailing_newline=True,
    )


def render_html(run: FleetRun, previous: FleetRun | None, found: list[Change]) -> str:
    """The report page (self-contained: inline CSS, no outside request)."""
    states = {OK: "ok", WARN: "warn", FAIL: "fail", NA: "n.a.", UNREACHABLE: "unreachable"}
    return (
        _env()
        .get_template("fleet.html.j2")
        .render(
            run=run,
            counts=run.counts(),
            states=states,
            unreachable=[n for n in run.nodes if not n.reachable],
            matrix=matrix_html(run),
            problems=html_table(problems(run), max_rows=None, empty="every check passes"),
            certificates=html_table(
                certificates(run), max_rows=None, empty="no certificate listed in the inventory"
            ),
            versions=html_table(versions(run), max_rows=None),
            previous=previous,
            changes=html_table(
                changes_table(found), max_rows=None, empty="nothing changed since the previous run"
            ),
        )
    )


@dataclass
class Written:
    """The files a fleet run wrote."""

    html: Path
    json: Path
    prom: Path
    record: Path
    textfile: Path | None = None


def write_reports(
    run: FleetRun,
    reports_dir: Path,
    *,
    textfile: Path | None = None,
    seconds: float | None = None,
) -> Written:
    """Write ``<reports>/fleet/<run>.{html,json,prom,run.json}`` (each atomically) and, when
    given, the Prometheus text also to ``textfile`` (node_exporter's textfile folder)."""
    folder = reports_dir / FOLDER
    previous = previous_run(folder, run.run)
    found = changes(previous, run)
    out = Written(
        folder / f"{run.run}.html",
        folder / f"{run.run}.json",
        folder / f"{run.run}.prom",
        folder / f"{run.run}.run.json",
    )
    atomic_write_text(out.json, scrub(run.to_json()))
    prom = scrub(prometheus_text(run))
    atomic_write_text(out.prom, prom)
    if textfile is not None:
        atomic_write_text(textfile, prom)
        out.textfile = textfile
    atomic_write_text(out.html, scrub(render_html(run, previous, found)))
    atomic_write_text(out.record, scrub(json.dumps(run_record(run, seconds), indent=1)) + "\n")
    return out


def run_record(run: FleetRun, seconds: float | None = None) -> dict[str, Any]:
    """The run record the report index lists (``reports/fleet/<run>.run.json``)."""
    counts = run.counts()
    bad = [n.node for n in run.nodes if n.state in (FAIL, UNREACHABLE)]
    return {
        "notebook": "mirta fleet",
        "name": FOLDER,
        "group": FOLDER,
        "run": run.run,
        "status": "failed" if run.failed else "ok",
        "error": (
            f"{counts[FAIL]} failing, {counts[UNREACHABLE]} unreachable page check(s) on "
            f"{', '.join(bad)}"
            if bad
            else None
        ),
        "key_parameters": {"source": run.inventory},
        "files": [f"{run.run}.json", f"{run.run}.prom"],
        "started": run.started,
        "seconds": None if seconds is None else round(seconds, 1),
        "html": f"{run.run}.html",
        "counts": counts,
        "states": list(STATES),
    }


def fleet_summary(run: FleetRun) -> Summary:
    """The run's answer, shown first in the notebook: cells per state, nodes unreachable or
    failing, certificates expiring."""
    counts = run.counts()
    figures = [
        ("Nodes", fmt.count(len(run.nodes))),
        ("Pages", fmt.count(len(run.pages))),
        *[(label, fmt.count(counts[state])) for state, label in _LABELS.items()],
    ]
    findings = [
        Finding(f"{n.node} is unreachable: {n.error}", severity="high")
        for n in run.nodes
        if not n.reachable
    ]
    for n in run.nodes:
        bad = [c.page for c in n.cells if c.state == FAIL]
        if bad:
            pages = ", ".join(map(str, bad))
            findings.append(Finding(f"{n.node}: checks fail on page(s) {pages}", severity="medium"))
    certs = certificates(run)
    for row in certs[certs["state"] != OK].itertuples():
        findings.append(
            Finding(f"{row.node}: certificate {row.certificate}: {row.note}", severity="medium")
        )
    notes = ["Every node is a recorded demo node (replay), not a real server."] if run.demo else []
    return Summary(
        title="Fleet health",
        source=run.inventory,
        figures=figures,
        findings=findings[:10],
        more_findings=max(0, len(findings) - 10),
        notes=notes,
    )
