"""Replay targets: recorded answers, states, fragments, in-memory writes, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from mirtalib.errors import TargetError
from mirtalib.runbook import open_target
from mirtalib.runbook.replay import ReplayTarget, replay_dir
from mirtalib.runbook.targets import parse_targets

NODE = """
node: pbx9
clock: "2026-11-02T09:30:00+01:00"
commands:
  "uptime": {stdout: "up 3 days\\n"}
  "sysctl -n kernel.x":
    - {stdout: "1\\n"}
    - {state: done, stdout: "2\\n"}
  "reload": {stdout: "", then: done}
  "broken": {stdout: "", stderr: "boom\\n", exit: 7}
files:
  /etc/x.conf: {mode: "0640", uid: 0, gid: 4, content: "a=1\\n"}
"""


@pytest.fixture
def replays(tmp_path: Path) -> Path:
    (tmp_path / "pbx9.yaml").write_text(NODE)
    return tmp_path


def test_answers_states_and_exit_codes(replays):
    t = ReplayTarget.load("pbx9", replay_dir=replays)
    assert t.name == "pbx9" and t.spec == "replay:pbx9"
    assert t.run("uptime").stdout == "up 3 days\n"
    assert t.run("  uptime  ").exit_code == 0  # whitespace-normalized lookup
    assert t.run("sysctl -n kernel.x").stdout == "1\n"
    t.run("reload")
    assert t.state == "done"
    assert t.run("sysctl -n kernel.x").stdout == "2\n"
    broken = t.run("broken")
    assert (broken.exit_code, broken.stderr) == (7, "boom\n")
    assert t.now().isoformat() == "2026-11-02T09:30:00+01:00"


def test_unrecorded_command_names_it(replays):
    t = ReplayTarget.load("pbx9", replay_dir=replays)
    with pytest.raises(TargetError, match=r"command not recorded: 'netstat -an'"):
        t.run("netstat   -an")


def test_unknown_replay_lists_known_ones(replays):
    with pytest.raises(TargetError, match=r"no replay named 'nope'.*\['pbx9'\]"):
        ReplayTarget.load("nope", replay_dir=replays)


def test_files_and_in_memory_writes_do_not_leak(replays):
    t = ReplayTarget.load("pbx9", replay_dir=replays)
    info = t.stat("/etc/x.conf")
    assert (info.mode, info.uid, info.gid) == (0o640, 0, 4)
    t.write_atomic("/etc/x.conf", b"a=2\n", mode=0o640, uid=0, gid=4)
    assert t.read_text("/etc/x.conf") == "a=2\n"
    assert t.stat("/missing") is None and t.read_bytes("/missing") is None
    fresh = ReplayTarget.load("pbx9", replay_dir=replays)
    assert fresh.read_text("/etc/x.conf") == "a=1\n"
    assert (replays / "pbx9.yaml").read_text() == NODE


def test_fragments_merge_and_conflicts_are_named(replays):
    frag = replays / "pbx9.d"
    frag.mkdir()
    (frag / "p77.yaml").write_text('commands:\n  "hostname": {stdout: "pbx9\\n"}\n')
    t = ReplayTarget.load("pbx9", replay_dir=replays)
    assert t.run("hostname").stdout == "pbx9\n"
    (frag / "p78.yaml").write_text('commands:\n  "uptime": {stdout: "other\\n"}\n')
    with pytest.raises(TargetError, match=r"p78.yaml: command 'uptime' conflicts"):
        ReplayTarget.load("pbx9", replay_dir=replays)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("commands: {x: [1]}", "answer must be a mapping"),
        ("commands: {x: {stdout: a, exitcode: 1}}", r"unknown answer key\(s\) \['exitcode'\]"),
        ("files: {/a: {mode: '0644'}}", "needs a 'content' key"),
        ("files: {/a: {mode: 'rw', content: x}}", "not an octal number"),
        ("clock: yesterday", "not an ISO date-time"),
        ("- a list", "must be a mapping"),
        ("a: [", "not valid YAML"),
    ],
)
def test_bad_replay_files_are_clear(tmp_path, text, message):
    (tmp_path / "bad.yaml").write_text(text)
    with pytest.raises(TargetError, match=message):
        ReplayTarget.load("bad", replay_dir=tmp_path)


def test_shipped_demo_replays_load():
    assert {p.stem for p in replay_dir().glob("*.yaml")} >= {"srv01", "srv02"}
    t = open_target("replay:srv01")
    assert t.name == "srv01" and "TIME-WAIT" in t.run("ss -tan").stdout


def test_target_specs():
    assert parse_targets("replay:a, replay:b,") == ["replay:a", "replay:b"]
    with pytest.raises(TargetError, match="no target given"):
        parse_targets(" , ")
    with pytest.raises(TargetError, match="is not understood"):
        open_target("telnet://pbx")
    with pytest.raises(TargetError, match="never a password"):
        open_target("ssh://root:pw@127.0.0.1:22")
    with pytest.raises(TargetError, match="port is not a number"):
        open_target("ssh://root@127.0.0.1:99999")
