"""Record the real ``full`` log kept as ``tests/fixtures/realpbx/logs/full``, with the AMI
device-state packets of the same run (``logs/full-ami-devicestate.txt``).

Asterisk 22 writes "Changing state for Custom:..." for no custom device (their state is published
with its value known), so the custom states reach the ``full`` log only as the dialplan's
``Set(DEVICE_STATE(Custom:...)=...)`` lines, written at verbose level 3. The node of this recording
is the session's node with ``full => ...,verbose(3)`` in logger.conf; it runs on a private overlay
and rewrites only those two files (world.py's ``record()`` rewrites the whole fixture folder):

    .venv/bin/python tests/integration/realpbx/record_full_log.py
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from pbxtree import RealPbx
from world import FIXTURES, run_world

#: the AMI packets kept with the full log: what the comparison needs
KEPT_EVENTS = ("Event: DeviceStateChange\r\n", "Event: ExtensionStatus\r\n")


class VerboseLogPbx(RealPbx):
    """The session's node, its ``full`` log channel at verbose level 3."""

    def configure(self) -> None:
        super().configure()
        conf = self.path("/etc/asterisk/logger.conf")
        text = conf.read_text()
        if "debug,verbose\n" not in text:
            raise RuntimeError("logger.conf: the full channel line is not the expected one")
        conf.write_text(text.replace("debug,verbose\n", "debug,verbose(3)\n"))


def main() -> None:
    scratch = Path(tempfile.mkdtemp(prefix="realpbx-full-"))
    base = RealPbx.private(RealPbx.build(), scratch)
    pbx = VerboseLogPbx(base.tree, overlay=True)
    pbx.configure()
    pbx.reset_logs()
    pbx.start()
    try:
        world = run_world(pbx, scratch / "out")
        logs = FIXTURES / "logs"
        shutil.copy(world.logs / "full", logs / "full")
        packets = [p for p in world.ami_events.split("\r\n\r\n") if p.startswith(KEPT_EVENTS)]
        with open(logs / "full-ami-devicestate.txt", "w", newline="") as fh:
            fh.write("".join(p + "\r\n\r\n" for p in packets))
        print(f"recorded {logs / 'full'} and {len(packets)} AMI packets of the same run")
    finally:
        pbx.stop()
        pbx.unmount()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
