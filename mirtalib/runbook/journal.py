"""The journal: one JSON file per run under ``settings.reports_dir / 'journal'`` (a headless
run: its own folder's ``journal/``).

It records who ran what, when, where and with which parameters (secret references by name only,
everything scrubbed), each command with its exit code and trimmed output, and each file with its
before/after SHA-256 and backup path: enough to audit a change and to roll it back from another
process (:meth:`mirtalib.runbook.Runbook.rollback` with ``run_id``).

Every run (plan, apply, verify, rollback) gets a run id, ``YYYYmmdd-HHMMSS.ffffff-xxxxxx``: the
run's UTC start to the microsecond and a random suffix (replays: a per-process counter, so demo
outputs stay the same), unique across runs. It names the entry (``<run id>-pNN-<mode>.json``) and
the run's backup folder on the targets (``<backup dir>/<run id>/<absolute path>``).
"""

from __future__ import annotations

import getpass
import itertools
import json
import logging
import re
import secrets
import socket
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from mirtalib.errors import ParameterError, TargetError
from mirtalib.runbook.results import RunReport
from mirtalib.runfiles import JOURNAL, run_dir
from mirtalib.secrets import scrub
from mirtalib.settings import Settings

log = logging.getLogger(__name__)


RUN_ID = re.compile(r"^\d{8}-\d{6}\.\d{6}-[a-z0-9]{6}$")
_REPLAY_RUNS = itertools.count(1)


def new_run_id(when: datetime, *, replay: bool = False) -> str:
    """A run id for a run starting at ``when``: random suffix, or a counter on replays."""
    suffix = f"rp{next(_REPLAY_RUNS):04d}" if replay else secrets.token_hex(3)
    return f"{when:%Y%m%d-%H%M%S.%f}-{suffix}"


def check_run_id(value: object, name: str = "run_id") -> str:
    """A run id as the journal writes it (``20261102-083000.123456-9f3a1c``), or ""."""
    text = str(value).strip() if isinstance(value, str) else value
    if text == "":
        return ""
    if not isinstance(text, str) or not RUN_ID.match(text):
        raise ParameterError(
            f"{name}={value!r} is not a run id like 20261102-083000.123456-9f3a1c "
            "(`mirta journal` lists them)"
        )
    return text


def journal_dir(settings: Settings | None = None) -> Path:
    """Default folder of the journal: the headless run's own folder (``MIRTA_RUN_DIR/journal``,
    :mod:`mirtalib.runfiles`), else ``reports_dir / 'journal'``."""
    here = run_dir()
    if here is not None and settings is None:
        return here / JOURNAL
    return (settings or Settings.load()).reports_dir / "journal"


def journal_dirs(reports: Path | None = None) -> list[Path]:
    """Every journal folder under the reports folder: ``<reports>/journal`` (JupyterLab and
    library runs) and each headless run's ``<reports>/<notebook>/<run>/journal``, plus the
    running headless run's own; what :func:`entries` and :func:`find_entry` search."""
    root = reports or Settings.load().reports_dir
    found = [root / "journal", *sorted(root.glob("*/*/journal"))]
    here = run_dir()
    if here is not None and reports is None:
        found.append(here / JOURNAL)
    out: list[Path] = []
    for folder in found:
        if folder.is_dir() and folder.resolve() not in {f.resolve() for f in out}:
            out.append(folder)
    return out


def _folders(where: Path | Sequence[Path] | None) -> list[Path]:
    if where is None:
        return journal_dirs()
    return [Path(where)] if isinstance(where, str | Path) else [Path(p) for p in where]


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def who() -> str:
    """``user@host`` of the person running the notebook."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def write_journal(
    report: RunReport,
    *,
    when: datetime,
    slug: str,
    parameters: dict[str, Any],
    folder: Path,
    rehearsal: bool = False,
    backup_dir: str = "",
) -> Path:
    """Write ``report`` as a journal entry; returns its path (never overwrites an entry)."""
    entry = {
        "run_id": report.run_id,
        "page": report.page,
        "slug": slug,
        "title": report.title,
        "mode": report.mode,
        "rehearsal": rehearsal,
        "who": who(),
        "when": when.isoformat(),
        "targets": [n.target for n in report.nodes],
        "parameters": _clean(parameters),
        "failed": report.failed,
        "serial": report.serial,
        "backup_dir": backup_dir,
        "rolls_back": report.rolls_back,
        "nodes": _clean([n.to_dict() for n in report.nodes]),
    }
    try:
        folder.mkdir(parents=True, exist_ok=True)
        mode = f"rehearsal-{report.mode}" if rehearsal else report.mode
        stem = f"{report.run_id or f'{when:%Y%m%d-%H%M%S}'}-p{report.page:02d}-{mode}"
        for n in range(1, 10_000):
            path = folder / (f"{stem}.json" if n == 1 else f"{stem}-{n}.json")
            try:
                with path.open("x", encoding="utf-8") as fh:
                    json.dump(entry, fh, indent=1, sort_keys=False)
                    fh.write("\n")
                log.info("journal written: %s", path.name)
                return path
            except FileExistsError:
                continue
    except OSError as exc:
        raise TargetError(f"cannot write the journal in {folder}: {exc.strerror}") from None
    raise TargetError(f"journal folder {folder} has too many entries named {stem}")


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        log.warning("journal entry %s is not readable: %s", path.name, exc)
        return None
    if not isinstance(data, dict):
        return None
    data["path"] = str(path)
    return data


def entries(
    where: Path | Sequence[Path] | None = None,
    *,
    page: int | None = None,
    last: int | None = None,
) -> list[dict[str, Any]]:
    """Journal entries of a folder or folders (default :func:`journal_dirs`), oldest first
    (optionally of one page, only the ``last`` N)."""
    found = []
    for path in sorted(p for f in _folders(where) for p in f.glob("*.json")):
        data = _read(path)
        if data is None or (page is not None and data.get("page") != page):
            continue
        found.append(data)
    found.sort(key=lambda e: (str(e.get("run_id") or ""), str(e.get("when", "")), e["path"]))
    return found[-last:] if last else found


def find_entry(run_id: str, where: Path | Sequence[Path] | None = None) -> dict[str, Any]:
    """The journal entry of ``run_id`` in a folder or folders (default :func:`journal_dirs`;
    an apply when the id names several entries)."""
    run_id = check_run_id(run_id)
    if not run_id:
        raise ParameterError("no run id given (`mirta journal` lists them)")
    folders = _folders(where)
    paths = sorted(p for f in folders for p in f.glob(f"{run_id}-p*.json"))
    hits = [e for p in paths if (e := _read(p)) is not None and e.get("run_id") == run_id]
    if not hits:
        named = ", ".join(str(f) for f in folders) or "(no journal folder yet)"
        raise ParameterError(f"run {run_id} is not in the journal ({named})")
    hits.sort(key=lambda e: (e.get("mode") != "apply", bool(e.get("rehearsal"))))
    return hits[0]


def changed_files(entry: dict[str, Any]) -> list[str]:
    """``node:path`` of every file the entry's run changed."""
    out = []
    for node in entry.get("nodes", []):
        for step in node.get("steps", []):
            if step.get("status") in ("changed", "restored") and step.get("file"):
                out.append(f"{node.get('node')}:{step['file']['path']}")
    return out


def entry_line(entry: dict[str, Any]) -> str:
    """One line of ``mirta journal``: run id, when, page, mode, targets, changed files, failed."""
    mode = f"rehearsal-{entry.get('mode')}" if entry.get("rehearsal") else str(entry.get("mode"))
    changed = changed_files(entry)
    files = ", ".join(changed[:3]) + (f" (+{len(changed) - 3})" if len(changed) > 3 else "")
    return "  ".join(
        [
            str(entry.get("run_id") or Path(entry["path"]).stem),
            str(entry.get("when", "")),
            f"p{int(entry.get('page', 0)):02d}",
            f"{mode:<16}",
            ",".join(entry.get("targets", [])),
            f"changed: {files or '-'}",
            "FAILED" if entry.get("failed") else "ok",
        ]
    )


def entry_text(entry: dict[str, Any]) -> str:
    """``mirta journal RUN_ID``: the entry node by node (steps, files with hashes and backups)."""
    out = [
        f"run {entry.get('run_id')}: {entry.get('mode')} of page {entry.get('page')} "
        f"({entry.get('title', '')}) at {entry.get('when')} by {entry.get('who')}"
        + (" [rehearsal on replays]" if entry.get("rehearsal") else ""),
        f"targets: {', '.join(entry.get('targets', []))}; failed: {bool(entry.get('failed'))}",
    ]
    if entry.get("rolls_back"):
        out.append(f"rolls back run {entry['rolls_back']}")
    if entry.get("backup_dir"):
        out.append(f"backups: {entry['backup_dir']}/{entry.get('run_id')}/ on each node")
    out.append(f"entry: {entry['path']}")
    for node in entry.get("nodes", []):
        out.append("")
        out.append(f"== {node.get('node')} ({node.get('target')})")
        if node.get("skipped"):
            out.append(f"   not run: {node['skipped']}")
        if node.get("error"):
            out.append(f"   ERROR: {node['error']}")
        for step in node.get("steps", []) + node.get("verify", []):
            if step.get("status") in ("to do", "not run") and not step.get("file"):
                continue
            out.append(f"   {step.get('status', ''):<13} {step.get('title', '')}")
            f = step.get("file")
            if f and step.get("status") in ("changed", "restored", "failed"):
                before, after = f.get("before_sha256"), f.get("after_sha256")
                out.append(
                    f"      {f['path']}: sha256 {(before or 'missing')[:12]} -> "
                    f"{(after or 'missing')[:12]}"
                    + (f", backup {f['backup']}" if f.get("backup") else "")
                )
    return "\n".join(out)
