"""The journal: one JSON file per run under ``settings.reports_dir / 'journal'``.

It records who ran what, when, where and with which parameters (secret references by name only,
everything scrubbed), each command with its exit code and trimmed output, and each file with its
before/after SHA-256 and backup path: enough to audit a change and to find the backups to restore.
"""

from __future__ import annotations

import getpass
import json
import logging
import socket
from datetime import datetime
from pathlib import Path
from typing import Any

from mirtalib.errors import TargetError
from mirtalib.runbook.results import RunReport
from mirtalib.secrets import scrub
from mirtalib.settings import Settings

log = logging.getLogger(__name__)


def journal_dir(settings: Settings | None = None) -> Path:
    """Default folder of the journal."""
    return (settings or Settings.load()).reports_dir / "journal"


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
) -> Path:
    """Write ``report`` as a journal entry; returns its path (never overwrites an entry)."""
    entry = {
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
        "nodes": _clean([n.to_dict() for n in report.nodes]),
    }
    try:
        folder.mkdir(parents=True, exist_ok=True)
        mode = f"rehearsal-{report.mode}" if rehearsal else report.mode
        stem = f"{when:%Y%m%d-%H%M%S}-p{report.page:02d}-{mode}"
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
