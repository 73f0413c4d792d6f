"""An SSH target whose sshd dies during a command: a TargetError naming the node at once, not a
spin until the step's timeout reported as exit code 124."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest
from sshd_nodes import start_sshd

from mirtalib.errors import TargetError
from mirtalib.runbook import open_target


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _descendants(pid: int) -> list[int]:
    tree, out, todo = _children(), [], [pid]
    while todo:
        kids = tree.get(todo.pop(), [])
        out += kids
        todo += kids
    return out


def _command_of(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def test_killed_sshd_is_a_target_error_at_once(tmp_path):
    with start_sshd(tmp_path / "sshd") as server:
        target = open_target(server.url, **server.options)
        outcome: dict = {}

        def run() -> None:
            try:
                outcome["result"] = target.run("sleep 300; echo never", timeout=600)
            except TargetError as exc:
                outcome["error"] = exc

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        deadline = time.monotonic() + 20
        while not any(b"sleep\x00300" in _command_of(p) for p in _descendants(server.pid)):
            assert time.monotonic() < deadline, "the command never started on the server"
            time.sleep(0.1)
        for pid in [server.pid, *_descendants(server.pid)]:  # the server and its sessions
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        worker.join(60)  # the step timeout is 600 s: only a detected close ends it now
        assert not worker.is_alive(), "the client still waits on a dead connection"
        target.close()
    assert "result" not in outcome, outcome.get("result")
    message = str(outcome["error"])
    assert message.startswith("127.0.0.1: the SSH connection to ssh://root@127.0.0.1:")
    assert "closed during a command" in message
    with pytest.raises(TargetError, match="127.0.0.1: the SSH connection .* is closed"):
        target.run("true")


def test_frozen_sshd_sftp_gives_up_after_io_timeout_and_recovers(tmp_path):
    """SIGSTOP (TCP up, no answer): an SFTP read, and opening a new SFTP session, each raise a
    TargetError naming the node within io_timeout; once the server answers again (SIGCONT) a
    new session reads the file."""
    with start_sshd(tmp_path / "sshd") as server:
        target = open_target(server.url, **server.options, io_timeout=2)
        fresh = open_target(server.url, **server.options, io_timeout=2)  # SFTP not opened yet
        assert target.read_bytes("/etc/hostname")  # the session is open
        pids = [server.pid, *_descendants(server.pid)]
        try:
            for pid in pids:
                os.kill(pid, signal.SIGSTOP)
            began = time.monotonic()
            with pytest.raises(TargetError) as read:
                target.read_bytes("/etc/hostname")
            took = time.monotonic() - began
            assert 1.5 < took < 6, f"the frozen read took {took:.1f} s"
            assert str(read.value) == (
                f"127.0.0.1: no answer within 2 s reading /etc/hostname over SFTP on "
                f"{server.url} (the node stopped answering?)"
            )
            began = time.monotonic()
            with pytest.raises(TargetError, match=r"^127\.0\.0\.1: no answer within 2 s opening"):
                fresh.stat("/etc/hostname")
            assert time.monotonic() - began < 6
        finally:
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGCONT)
                except ProcessLookupError:
                    pass
        assert target.read_bytes("/etc/hostname") == Path("/etc/hostname").read_bytes()
        target.close()
        fresh.close()
