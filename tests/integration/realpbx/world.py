"""The real-PBX world of a test session: the node started, the scenarios run twice with a restart
between them, and everything Asterisk wrote collected for the tests.

Run as a script it records the real outputs kept as fixtures (``tests/fixtures/realpbx/``), which
the unit tests read on machines where the real PBX cannot run:

    .venv/bin/python tests/integration/realpbx/world.py [--out tests/fixtures/realpbx]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from amiclient import Ami
from pbxtree import PROJECT, RealPbx, scratch_node
from scenarios import CallTruth, Driver, scenario_set

FIXTURES = PROJECT / "tests" / "fixtures" / "realpbx"

#: commands whose real output is kept, asked on the idle node after the scenarios
IDLE_COMMANDS = {
    "core-show-version": "core show version",
    "core-show-hints": "core show hints",
    "devstate-list": "devstate list",
    "queue-show": "queue show",
    "queue-show-support": "queue show support-DEVEL",
    "pjsip-show-endpoints": "pjsip show endpoints",
    "pjsip-show-endpoint": "pjsip show endpoint 100-DEVEL",
    "pjsip-show-aor": "pjsip show aor 100-DEVEL",
    "pjsip-show-transports": "pjsip show transports",
    "pjsip-show-contacts": "pjsip show contacts",
    "module-show": "module show",
    "module-show-like-pjsip": "module show like res_pjsip",
    "core-show-channels-concise-idle": "core show channels concise",
    "core-show-channels-count": "core show channels count",
    "parking-show-idle": "parking show parkinglot_DEVEL_default",
    "parking-show-lots": "parking show",
    "parkedcalls-show": "parkedcalls show",
    "sip-show-peers": "sip show peers",
    "sip-show-registry": "sip show registry",
    "dialplan-show-hints": "dialplan show authentica",
}


BULKY = tuple(
    f"Event: {e}\r\n"
    for e in ("VarSet", "Newexten", "TestEvent", "NewCallerid", "NewConnectedLine",
              "NewAccountCode", "HangupHandlerRun", "HangupHandlerPush", "DTMFBegin", "DTMFEnd")
)  # fmt: skip


#: the AMI packets kept beside the full log (logs/full-ami-devicestate.txt)
DEVICE_STATE_EVENTS = ("Event: DeviceStateChange\r\n", "Event: ExtensionStatus\r\n")


@dataclass
class World:
    """What one session of scenarios produced."""

    pbx: RealPbx
    truths: list[CallTruth]
    captures: dict[str, dict[str, str]]
    ami_events: str  # the raw AMI event stream of both runs (timestampevents)
    restarts: list[float] = field(default_factory=list)  # epoch of each restart
    logs: Path | None = None  # copy of /var/log/asterisk after the scenarios


def run_world(pbx: RealPbx, copy_to: Path | None = None) -> World:
    """Run every scenario batch twice, restarting Asterisk in between; collect the results."""
    ami = Ami(pbx.ami_port, pbx.ami_user, pbx.ami_secret)
    driver = Driver(ami, pbx)
    events: list[str] = []
    restarts: list[float] = []
    for run in (1, 2):
        for batch in scenario_set():
            driver.run_batch(batch, run)
        if run == 1:
            events += [e.raw for e in ami.events]
            ami.close()
            restarts.append(time.time())
            pbx.restart()
            ami = Ami(pbx.ami_port, pbx.ami_user, pbx.ami_secret)
            driver.ami = ami
    for name, command in IDLE_COMMANDS.items():
        driver.capture(name, command)
    # a node without queues answers "No queues.": reload app_queue with none, then put them back
    queues = pbx.path("/etc/asterisk/queues.conf")
    kept = queues.read_text()
    queues.write_text("[general]\n")
    pbx.rx("module reload app_queue")
    driver.capture("queue-show-none", "queue show")
    queues.write_text(kept)
    pbx.rx("module reload app_queue")
    events += [e.raw for e in ami.events]
    ami.close()
    time.sleep(1.5)  # cdr_csv and cdr_adaptive_odbc write when the last channel is gone
    logs = None
    if copy_to is not None:
        logs = copy_to / "asterisk-logs"
        shutil.copytree(pbx.logdir, logs)
    return World(pbx, driver.truths, driver.captures, "".join(events), restarts, logs)


def record(out: Path) -> None:
    """Start the real PBX, run the world and write the fixtures under ``out``."""
    with scratch_node("realpbx-record-") as (pbx, _scratch):
        work = out.parent / (out.name + ".new")
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        world = run_world(pbx, work)
        cli = work / "cli"
        cli.mkdir()
        for name, cap in sorted(world.captures.items()):
            (cli / f"{name}.txt").write_text(cap["cli"])
            (cli / f"{name}.ami").write_text(cap["ami"])
        index = {name: cap["command"] for name, cap in sorted(world.captures.items())}
        (cli / "commands.json").write_text(json.dumps(index, indent=1) + "\n")
        logs = work / "asterisk-logs"
        keep = work / "logs"
        keep.mkdir()
        for rel in ("cdr-csv/Master.csv", "cdr-custom/Master16.csv", "cdr-custom/Master21.csv",
                    "queue_log", "cel-custom/Master.csv", "full"):  # fmt: skip
            name = rel.replace("/", "_").replace("cel-custom_Master.csv", "cel.csv")
            shutil.copy(logs / rel, keep / name)
        shutil.rmtree(logs)
        # the capture as kept: without the bulky per-step events no reader uses
        packets = world.ami_events.split("\r\n\r\n")
        kept = [p for p in packets if p and not p.startswith(BULKY)]
        (work / "ami-events.txt").write_text("".join(p + "\r\n\r\n" for p in kept))
        # the device-state packets of the run the full log comes from, for the full-log tests
        states = [p for p in packets if p.startswith(DEVICE_STATE_EVENTS)]
        with open(keep / "full-ami-devicestate.txt", "w", newline="") as fh:
            fh.write("".join(p + "\r\n\r\n" for p in states))
        truths = [asdict(t) for t in world.truths]
        meta = {
            "asterisk": pbx.rx("core show version").strip(),
            "node": pbx.node,
            "restarts": world.restarts,
            "timezone": subprocess.run(
                ["chroot", str(pbx.tree), "date", "+%Z"], capture_output=True, text=True
            ).stdout.strip(),
        }
        (work / "truth.json").write_text(
            json.dumps({"meta": meta, "calls": truths}, indent=1) + "\n"
        )
        shutil.rmtree(out, ignore_errors=True)
        work.rename(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=FIXTURES)
    args = ap.parse_args()
    record(args.out)
    print(f"recorded the real PBX into {args.out}")


if __name__ == "__main__":
    main()
