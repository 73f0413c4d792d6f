"""Run ids and journal look-ups (the shared folder and headless runs' own folders)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from rb_helpers import sample_definition

from mirtalib.errors import ParameterError
from mirtalib.runbook.journal import (
    RUN_ID,
    check_run_id,
    entries,
    entry_line,
    find_entry,
    journal_dirs,
    new_run_id,
)

WHEN = datetime(2026, 11, 2, 8, 30, 0, 123456, tzinfo=UTC)


def test_run_ids_are_unique_and_checked():
    ids = {new_run_id(WHEN) for _ in range(200)}
    assert len(ids) == 200 and all(RUN_ID.match(i) for i in ids)
    assert next(iter(ids)).startswith("20261102-083000.123456-")
    one, two = new_run_id(WHEN, replay=True), new_run_id(WHEN, replay=True)
    assert one != two and one.split("-")[-1].startswith("rp")
    assert check_run_id("") == ""
    for bad in ("../x", "20261102-083000-p16", 5):
        with pytest.raises(ParameterError, match="is not a run id like"):
            check_run_id(bad)


def test_entries_are_found_in_every_journal_folder(target_root, tmp_path, monkeypatch):
    reports = tmp_path / "reports"
    monkeypatch.setenv("MIRTA_REPORTS", str(reports))
    definition = sample_definition(target_root)
    lab = definition.open("local", journal=reports / "journal").plan()
    headless = definition.open("local", journal=reports / "16-x" / "run1" / "journal")
    applied = headless.apply(confirm=True)
    assert journal_dirs(reports) == [reports / "journal", reports / "16-x" / "run1" / "journal"]
    found = entries(page=99)
    assert [e["run_id"] for e in found] == [lab.run_id, applied.run_id]
    assert entries(last=1)[0]["run_id"] == applied.run_id and entries(page=16) == []
    entry = find_entry(applied.run_id)
    assert entry["mode"] == "apply" and entry["path"].endswith(f"{applied.run_id}-p99-apply.json")
    line = entry_line(entry)
    assert line.startswith(applied.run_id) and f"local:{target_root}/pjsip.conf" in line
    # a rollback in a new session finds the apply wherever its journal went
    back = definition.open("local", journal=reports / "journal").rollback(
        run_id=applied.run_id, confirm=True
    )
    assert not back.failed and back.rolls_back == applied.run_id
    with pytest.raises(ParameterError, match="is not in the journal"):
        find_entry("20261102-083000.000000-abcdef")
