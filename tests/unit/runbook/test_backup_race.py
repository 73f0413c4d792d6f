"""Two processes applying the same files in the same second (issue: one-second backup stamps let
the second apply overwrite the first's backup, so the first could not be rolled back)."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
from datetime import UTC, datetime
from pathlib import Path

from rb_helpers import sample_definition


def _apply(root: str, journal: str, backups: str, port: int, start, out) -> None:
    start.wait(30)
    rb = sample_definition(Path(root)).open(
        "local",
        journal=Path(journal),
        clock=lambda: datetime(2026, 11, 2, 8, 30, tzinfo=UTC),  # the same second for both
        backup_dir=backups,
        port=port,
    )
    report = rb.apply(confirm=True)
    out.put((port, report.run_id, [str(p) for p in Path(journal).glob("*.json")]))


def test_two_applies_in_the_same_second_keep_two_backups(target_root, tmp_path):
    backups, journal = tmp_path / "backups", tmp_path / "journal"
    ctx = multiprocessing.get_context("fork")
    start, out = ctx.Event(), ctx.Queue()
    procs = [
        ctx.Process(
            target=_apply, args=(str(target_root), str(journal), str(backups), port, start, out)
        )
        for port in (5070, 5080)
    ]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    runs = dict(out.get(timeout=5)[:2] for _ in procs)
    assert len(set(runs.values())) == 2, "each apply has its own run id"
    entries = [json.loads(p.read_text()) for p in journal.glob("*.json")]
    assert len(entries) == 2, "two journal entries, none overwritten"
    backed_up = []
    for entry in entries:
        for node in entry["nodes"]:
            for res in node["steps"]:
                rec = res.get("file")
                if rec and rec.get("backup"):
                    data = Path(rec["backup"]).read_bytes()
                    # the backup holds exactly what this apply found before it wrote
                    assert hashlib.sha256(data).hexdigest() == rec["before_sha256"]
                    backed_up.append(rec["backup"])
    assert backed_up and len(backed_up) == len(set(backed_up)), "no backup shared or overwritten"
    assert all(not Path(b).is_relative_to(target_root) for b in backed_up)
