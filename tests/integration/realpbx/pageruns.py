"""Runbook pages run read-only (plan, verify) against the real PBX, and their outputs recorded.

* :func:`run_page` opens a page's runbook on a target and runs plan and/or verify;
* :class:`RecordingTarget` wraps a target and keeps every command it ran and file it read;
* :func:`parked_call`, :func:`registered_phones` and :func:`custom_state` put the node in the
  states the pages are asked about (a call parked in DEVEL's lot, two phones registered, a
  custom device state set as MiRTA's state daemon sets it);
* run as a script it starts a node, runs :data:`SCENARIOS` and writes what the pages read to
  ``tests/fixtures/realpbx/pages/<scenario>/`` (outputs as text files, ``commands.json`` naming
  each command, its exit code and stderr, the files read, and the page runs), which
  ``tests/unit/runbooks/test_real_pages.py`` replays::

      .venv/bin/python tests/integration/realpbx/pageruns.py [--out tests/fixtures/realpbx/pages]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from amiclient import Ami
from pbxtree import PROJECT, RealPbx, free_port, scratch_node
from sipphone import SipPhone

from mirtalib.runbook.targets import CommandResult, FileInfo, Target
from mirtalib.runbooks import get

FIXTURES = PROJECT / "tests" / "fixtures" / "realpbx" / "pages"
#: single answers kept besides the page runs (file name -> command), in extra-commands.json
EXTRA = {"parking-show-unknown-lot.txt": "asterisk -rx 'parking show parkinglot_NOPE_default'"}


def run_page(target: Target, page: int, params: dict, journal: Path, modes=("plan", "verify")):
    """``{mode: {step_id: StepResult}}`` of the page's read-only modes on ``target``."""
    rb = get(page).open(target, journal=journal, **params)
    out = {}
    for mode in modes:
        report = rb.plan() if mode == "plan" else rb.verify()
        out[mode] = {r.step_id: r for r in report.nodes[0].results}
    return out


class RecordingTarget(Target):
    """A target that keeps what it was asked: commands (first answer each) and files read."""

    def __init__(self, inner: Target) -> None:
        self.inner = inner
        self.spec, self.name = inner.spec, inner.name
        self.commands: dict[str, CommandResult] = {}
        self.files: dict[str, tuple[FileInfo | None, bytes | None]] = {}

    def run(self, command: str, *, timeout: float = 120.0) -> CommandResult:
        out = self.inner.run(command, timeout=timeout)
        self.commands.setdefault(command, out)
        return out

    def stat(self, path: str) -> FileInfo | None:
        info = self.inner.stat(path)
        data = self.inner.read_bytes(path)
        self.files.setdefault(path, (info, data))
        return info

    def read_bytes(self, path: str) -> bytes | None:
        data = self.inner.read_bytes(path)
        self.files.setdefault(path, (self.inner.stat(path), data))
        return data

    def resolve(self, path: str) -> str:
        return self.inner.resolve(path)

    def stage(self, path, data, *, mode, uid, gid):  # pragma: no cover - plan/verify only
        raise AssertionError("the real-node page runs are read-only")

    def rename(self, source, dest):  # pragma: no cover - plan/verify only
        raise AssertionError("the real-node page runs are read-only")

    def remove(self, path):  # pragma: no cover - plan/verify only
        raise AssertionError("the real-node page runs are read-only")

    def close(self) -> None:
        self.inner.close()


# ---- node states ------------------------------------------------------------------------------
@contextlib.contextmanager
def parked_call(pbx: RealPbx, tenant: str = "DEVEL") -> Iterator[dict[str, str]]:
    """A call parked in the tenant's lot (AMI Originate into the park extension 800).

    Yields the ParkedCall event's fields (``ParkingSpace``, ``ParkeeChannel``, ``Parkinglot``);
    the parked channel is hung up afterwards.
    """
    ami = Ami(pbx.ami_port, pbx.ami_user, pbx.ami_secret)
    since = len(ami.events)
    fields: dict[str, str] = {}
    try:
        ami.send(
            "Originate",
            Channel=f"Local/800@{tenant}",
            Application="Wait",
            Data="90",
            CallerID='"Parked caller" <555>',
            Account=tenant,
            Async="true",
        )
        event = ami.wait_event(lambda e: e.event == "ParkedCall", 20, since)
        fields = {k: event.get(k) for k in ("ParkingSpace", "ParkeeChannel", "Parkinglot")}
        yield fields
    finally:
        if fields.get("ParkeeChannel"):
            with contextlib.suppress(Exception):
                ami.action("Hangup", Channel=fields["ParkeeChannel"])
            with contextlib.suppress(Exception):
                ami.wait_event(lambda e: e.event == "ParkedCallGiveUp", 10, since)
        ami.close()
        time.sleep(0.5)


@contextlib.contextmanager
def registered_phones(pbx: RealPbx, names=("100-DEVEL", "100-ACME")) -> Iterator[list[SipPhone]]:
    """Phones registered as ``names`` (REGISTER with digest auth), unregistered afterwards."""
    passwords = {e["name"]: e["password"] for e in pbx.context["extensions"]}
    phones = []
    try:
        for name in names:
            phone = SipPhone(pbx.sip_port, name, passwords[name])
            phones.append(phone)
            phone.register(300)
        yield phones
    finally:
        for phone in phones:
            with contextlib.suppress(Exception):
                phone.close()


@contextlib.contextmanager
def custom_state(pbx: RealPbx, device: str, state: str) -> Iterator[None]:
    """``devstate change <device> <state>``, back to NOT_INUSE afterwards."""
    pbx.rx(f"devstate change {device} {state}")
    try:
        yield
    finally:
        pbx.rx(f"devstate change {device} NOT_INUSE")


# ---- recording --------------------------------------------------------------------------------
def scenario_runs(pbx: RealPbx) -> dict[str, list[dict]]:
    """The page runs of each recorded scenario (parameters fitting the node)."""
    idle = [
        {"page": 10, "params": {}},
        {"page": 10, "params": {"sip_conf": "", "pjsip_base": pbx.sip_port,
                                "sip_base": free_port(socket.SOCK_DGRAM)}},
        {"page": 11, "params": {"extensions": "100-DEVEL,101-DEVEL"}},
        {"page": 31, "params": {}},
        {"page": 38, "params": {}},
        {"page": 38, "params": {"target_version": "22.10.1",
                                "watch_modules": "chan_sip,chan_pjsip,app_queue"}},
        {"page": 39, "params": {"monitors": "100,101,801,500"}},
        {"page": 42, "params": {}},
        {"page": 42, "params": {"parking_cli": "parkedcalls"}},
        {"page": 43, "params": {"resolver": "127.0.0.1", "channel_driver": "sip"}},
        {"page": 45, "params": {"extension": "100-DEVEL", "peers": "101-DEVEL,102-DEVEL"}},
        {"page": 45, "params": {"extension": "101-DEVEL", "peers": "100-DEVEL"}},
    ]  # fmt: skip
    return {
        "idle": idle,
        "inuse": [{"page": 11, "params": {"extensions": "100-DEVEL,101-DEVEL"}}],
        "parked": [
            {"page": 42, "params": {}},
            {"page": 38, "params": {"target_version": "22-current", "watch_modules": "chan_pjsip"}},
        ],
        "registered": [{"page": 43, "params": {"resolver": "127.0.0.1"}}],
    }


def _scenario(name: str, pbx: RealPbx):
    if name == "inuse":
        return custom_state(pbx, "Custom:100-DEVEL", "INUSE")
    if name == "parked":
        return parked_call(pbx)
    if name == "registered":
        return registered_phones(pbx)
    return contextlib.nullcontext()


def write_recording(rec: RecordingTarget, runs: list[dict], folder: Path) -> None:
    """The outputs as numbered text files plus ``commands.json`` (commands, files, runs)."""
    folder.mkdir(parents=True)
    commands, files = [], []
    for i, (command, out) in enumerate(sorted(rec.commands.items()), start=1):
        name = f"out-{i:02d}.txt"
        (folder / name).write_text(out.stdout)
        commands.append(
            {"command": command, "exit": out.exit_code, "stderr": out.stderr, "stdout": name}
        )
    for i, (path, (info, data)) in enumerate(sorted(rec.files.items()), start=1):
        entry: dict = {"path": path}
        if data is not None and info is not None:
            name = f"file-{i:02d}.txt"
            text = data.decode("utf-8")
            # the node's PJSIP passwords are random test values: kept out of the repository
            text = re.sub(r"(?m)^(password\s*=\s*).*$", r"\1REDACTED", text)
            (folder / name).write_text(text)
            entry.update(content=name, mode=f"{info.mode:04o}", uid=info.uid, gid=info.gid)
        files.append(entry)
    (folder / "commands.json").write_text(
        json.dumps({"commands": commands, "files": files, "runs": runs}, indent=1) + "\n"
    )


def start_sshd(pbx: RealPbx, workdir: Path):
    """The tree's OpenSSH server, as the test session starts it (conftest's TreeSsh), and its
    pid."""
    import conftest

    return conftest._start_sshd(pbx, workdir)


def record(out: Path) -> None:
    """Start a real node, run every scenario's pages through a RecordingTarget, write ``out``."""
    with scratch_node("realpbx-pages-") as (pbx, scratch):
        ssh, sshd_pid = start_sshd(pbx, scratch)
        try:
            _record_pages(pbx, ssh, scratch, out)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.kill(sshd_pid, 15)


def _record_pages(pbx: RealPbx, ssh, scratch: Path, out: Path) -> None:
    from mirtalib.runbook.ssh import SSHTarget

    work = out.parent / (out.name + ".new")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for name, runs in scenario_runs(pbx).items():
        inner = SSHTarget.from_url(ssh.url, **ssh.options)
        rec = RecordingTarget(inner)
        with _scenario(name, pbx):
            for run in runs:
                run_page(rec, run["page"], run["params"], scratch / "journal")
        inner.close()
        write_recording(rec, runs, work / name)
    extra = SSHTarget.from_url(ssh.url, **ssh.options)
    for file, command in EXTRA.items():
        (work / file).write_text(extra.run(command).stdout)
    extra.close()
    (work / "extra-commands.json").write_text(json.dumps(EXTRA, indent=1) + "\n")
    meta = {"asterisk": pbx.rx("core show version").strip(), "node": pbx.node}
    (work / "meta.json").write_text(json.dumps(meta, indent=1) + "\n")
    shutil.rmtree(out, ignore_errors=True)
    work.rename(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=FIXTURES)
    args = ap.parse_args()
    record(args.out)
    print(f"recorded the page runs into {args.out}")


if __name__ == "__main__":
    main()
