"""Page 12 (FastAGI): the split(':') bug on real JS text, the patch, and the runbook on a replay."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # install_replays.py, next to this file
from install_replays import isolated

from mirtalib.errors import ParameterError
from mirtalib.runbook import Status, rehearse
from mirtalib.runbooks import get
from mirtalib.runbooks.p12_activating_fastagi import (
    RUNBOOK,
    find_split_bug,
    patch_diff,
    patch_split_bug,
)

BUGGY = """function readHeaders(block) {
  const vars = {};
  block.split("\\n").forEach((line) => {
    let s = line.split(":").map((item) => {
      return item.trim();
    });
    vars[s[0]] = s[1];
  });
  const hostPort = address.split(":");
  return vars;
}
"""
FIXED = BUGGY.replace('line.split(":")', 'line.split(": ")')


def test_detector_on_buggy_and_fixed_text():
    bugs = find_split_bug(BUGGY)
    assert [(b.line, b.fixed.strip()) for b in bugs] == [
        (4, 'let s = line.split(": ").map((item) => {')
    ]
    assert find_split_bug(FIXED) == []
    assert find_split_bug("// let s = line.split(':')\n") == []  # a comment is not the bug
    assert find_split_bug("let s = line.split(':').map(f)\n")[0].fixed == (
        "let s = line.split(': ').map(f)"
    )


def test_patch_is_exact_and_idempotent():
    assert patch_split_bug(BUGGY) == FIXED
    assert patch_split_bug(FIXED) == FIXED
    crlf = BUGGY.replace("\n", "\r\n")
    assert patch_split_bug(crlf) == FIXED.replace("\n", "\r\n")
    diff = patch_diff(BUGGY)
    assert '-    let s = line.split(":").map((item) => {' in diff
    assert '+    let s = line.split(": ").map((item) => {' in diff
    assert patch_diff(FIXED) == ""


def test_the_fix_keeps_times_whole():
    header = "agi_arg_1: rec-20261102-09:30:05.wav"
    # what the JS does, in Python: split at every ':' cuts the time; ': ' keeps it
    assert header.split(":")[1].strip() == "rec-20261102-09"
    assert header.split(": ")[1] == "rec-20261102-09:30:05.wav"


@pytest.fixture
def rb(tmp_path):
    (tmp_path / "r").mkdir()
    runbook = RUNBOOK.open(
        "replay:srv01", journal=tmp_path / "j", target_options=isolated(tmp_path / "r")
    )
    yield runbook
    runbook.close()


def _steps(report):
    return {r.step_id: r for r in report.nodes[0].results}


def test_plan_on_the_demo_node(rb):
    assert get(12) is RUNBOOK
    s = _steps(rb.plan())
    assert s["node-version"].status is Status.PASS
    assert s["split-bug"].status is Status.WARN and "line 14" in s["split-bug"].reason
    assert '+    let s = line.split(": ").map((item) => {' in s["fastagi-js"].diff
    assert "FASTAGI=agi://127.0.0.1/;" in s["fastagi-ael"].diff
    assert s["pm2-install"].status is Status.WOULD_RUN
    assert rb.targets[0].state == "initial"


def test_apply_verify_again_rollback(rb):
    r = rehearse(rb)
    assert r.idempotent
    applied = rb.apply(confirm=True)
    assert not applied.failed
    verify = rb.verify()
    checks = {x.step_id: x.status for x in verify.nodes[0].results if x.kind == "check"}
    assert checks["pm2-online"] is Status.PASS
    assert checks["fastagi-listening"] is Status.PASS
    assert checks["dialplan-global"] is Status.PASS
    assert checks["split-fixed"] is Status.PASS


def test_without_patch_no_reload(tmp_path):
    (tmp_path / "r").mkdir()
    rb = RUNBOOK.open(
        "replay:srv01",
        journal=tmp_path / "j",
        target_options=isolated(tmp_path / "r"),
        patch_split_bug=False,
    )
    ids = [s.id for s in rb.steps]
    assert "fastagi-js" not in ids and "pm2-reload" not in ids


@pytest.mark.parametrize(
    ("name", "value", "match"),
    [
        ("fastagi_url", "agi://127.0.0.1", "must end with '/'"),
        ("fastagi_url", "http://127.0.0.1/", "fastagi_url"),
        ("fastagi_port", 0, "fastagi_port"),
        ("agi_dir", "relative/dir", "agi_dir"),
    ],
)
def test_bad_parameters(name, value, match):
    with pytest.raises(ParameterError, match=match):
        RUNBOOK.validate({name: value})
