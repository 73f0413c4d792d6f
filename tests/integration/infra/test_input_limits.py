"""Inputs no run can use are refused before the run with a ParameterError (exit 2), never a raw
OSError in a cell: 100,000-character values, output folders that cannot be written, names that
are not tenant codes; and nothing is written."""

from __future__ import annotations

import os

import pytest

LONG = "A" * 100_000


def _refused(proc, scratch, *words):
    assert proc.returncode == 2, proc.stdout + proc.stderr
    for word in words:
        assert word in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and "OSError" not in proc.stderr
    assert len(proc.stderr) < 2_000  # the long value is not echoed
    assert not list((scratch / "reports").rglob("*")), "something was written"


@pytest.mark.parametrize(
    ("name", "value"),
    [("tenants", ",".join(["DEVEL"] * 16_667)), ("export_dir", "/tmp/" + LONG), ("html_dir", LONG)],
)
def test_a_100000_character_value_is_refused(scratch, mirta, name, value):
    proc = mirta("run", "cdr-report", "-p", name, value, "--reports", "reports")
    _refused(proc, scratch, name, "characters")


@pytest.mark.parametrize("value", ["DEVEL,acme-1", "DEVEL;ACME", "ÉTÉ", "A" * 33, "DEVEL,,../x"])
def test_names_that_are_not_tenant_codes(scratch, mirta, value):
    proc = mirta("run", "cdr-report", "-p", "tenants", value, "--reports", "reports")
    _refused(proc, scratch, "tenants", "not a tenant code")


def test_output_folder_that_cannot_be_written(scratch, mirta):
    (scratch / "afile").write_text("x")
    for folder in ("/proc/mirta-out", str(scratch / "afile" / "sub")):
        proc = mirta("run", "cdr-report", "-p", "export_dir", folder, "--reports", "reports")
        _refused(proc, scratch, "export_dir", folder.split("/")[1])
    if os.geteuid() != 0:  # root writes into a 0500 folder anyway (and so would the run)
        locked = scratch / "locked"
        locked.mkdir(mode=0o500)
        proc = mirta("run", "cdr-report", "-p", "html_dir", str(locked), "--reports", "reports")
        _refused(proc, scratch, "html_dir", "cannot be written")


def test_reports_folder_that_cannot_be_written(scratch, mirta):
    proc = mirta("run", "nbs/demo/greeting.py", "--reports", "/proc/mirta-reports")
    assert proc.returncode == 2, proc.stderr
    assert "reports folder" in proc.stderr and "cannot be written" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_long_run_name_is_refused_without_echo(scratch, mirta):
    proc = mirta("run", "nbs/demo/greeting.py", "--name", LONG, "--reports", "reports")
    _refused(proc, scratch, "run name", "at most 100")
