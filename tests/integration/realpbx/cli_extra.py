"""More real Asterisk 22 CLI answers than the world records: the shapes the CLI parsers must read
beyond an idle node (a dynamic, paused member with a penalty; a PJSIP channel; PJSIP auths,
identifies, contacts and an outbound registration; "not found" and error answers).

Run as a script it records them, as plain ``asterisk -rx`` text and AMI capture, into
``tests/unit/asterisk/data/real22/`` (``<name>.txt``, ``<name>.ami``, ``commands.json``), from a
private node configured like the test node plus :data:`EXTRA_PJSIP` (objects only this recording
has, so the session's node stays as every other test expects it):

    .venv/bin/python tests/integration/realpbx/cli_extra.py [--out DIR]

``probe_call`` is shared with ``test_cli_real.py``: a short outbound PJSIP call to a UDP port that
never answers, its CDR disabled, so it leaves nothing in the node's CDRs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from amiclient import Ami
from pbxtree import PROJECT, RealPbx, scratch_node

OUT = PROJECT / "tests" / "unit" / "asterisk" / "data" / "real22"

#: recording only: an endpoint with a static contact and an outbound auth, an identify, an AOR
#: with a qualified contact, and an outbound registration to a port where nothing answers
EXTRA_PJSIP = """
[999-TEST]
type = endpoint
context = DEVEL
allow = ulaw
aors = 999-TEST
outbound_auth = trunk-auth

[999-TEST]
type = aor
contact = sip:999@127.0.0.1:5999

[998-TEST]
type = aor
contact = sip:998@127.0.0.1:5998
qualify_frequency = 5

[trunk-auth]
type = auth
auth_type = userpass
username = trunkuser
password = not-a-secret

[999-identify]
type = identify
endpoint = 999-TEST
match = 127.0.0.2

[trunkreg]
type = registration
transport = transport-udp
outbound_auth = trunk-auth
server_uri = sip:127.0.0.1:5997
client_uri = sip:trunkuser@127.0.0.1:5997
retry_interval = 60
"""

#: members added for the "dynamic" captures (and removed after)
DYNAMIC_MEMBERS = (
    "queue add member Local/999@fromotherpbx to support-DEVEL penalty 2 as AgentSmith "
    "state_interface Custom:105-DEVEL paused lunch",
    "queue add member PJSIP/104-DEVEL to support-DEVEL",
    "queue pause member PJSIP/104-DEVEL queue support-DEVEL",
)
REMOVE_MEMBERS = (
    "queue remove member Local/999@fromotherpbx from support-DEVEL",
    "queue remove member PJSIP/104-DEVEL from support-DEVEL",
)

#: read-only commands answered on the idle node (name -> command)
IDLE = {
    "queue-show-nosuch": "queue show nosuch-DEVEL",
    "queue-show-usage": "queue show support-DEVEL extra",
    "queue-remove-failed": "queue remove member Local/nobody@fromotherpbx from support-DEVEL",
    "core-show-hint-100": "core show hint 100",
    "core-show-hint-999": "core show hint 999",
    "module-show-like-none": "module show like nothing_here",
    "module-show-like-queue": "module show like app_queue",
    "parking-show-nosuch": "parking show nosuch",
    "pjsip-show-endpoints-contact": "pjsip show endpoints",
    "pjsip-show-endpoint-contact": "pjsip show endpoint 999-TEST",
    "pjsip-show-endpoint-nosuch": "pjsip show endpoint nosuch",
    "pjsip-show-aors": "pjsip show aors",
    "pjsip-show-aor-contact": "pjsip show aor 999-TEST",
    "pjsip-show-auths": "pjsip show auths",
    "pjsip-show-auth": "pjsip show auth trunk-auth",
    "pjsip-show-identifies": "pjsip show identifies",
    "pjsip-show-contacts-two": "pjsip show contacts",
    "pjsip-show-registrations": "pjsip show registrations",
    "pjsip-show-transport": "pjsip show transport transport-udp",
    "pjsip-show-channels-none": "pjsip show channels",
    "sip-show-peer": "sip show peer 100-DEVEL",
}
#: asked while the PJSIP probe call is up
DURING_PJSIP_CALL = {
    "channels-concise-pjsip": "core show channels concise",
    "pjsip-show-channels-call": "pjsip show channels",
    "pjsip-show-endpoint-call": "pjsip show endpoint 100-DEVEL",
}


def capture(pbx: RealPbx, ami: Ami, command: str) -> dict[str, str]:
    """The real answer to ``command``: ``asterisk -rx`` text and the AMI ``Command`` packet."""
    return {"command": command, "cli": pbx.rx(command), "ami": ami.command(command).raw}


@contextlib.contextmanager
def probe_call(ami: Ami, endpoint: str = "100-DEVEL", seconds: float = 6) -> Iterator[str]:
    """An outbound PJSIP call from ``endpoint`` to a UDP port that never answers, CDR disabled.

    Yields the channel name once Asterisk created it; on exit waits until it is gone.
    """
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))  # receives the INVITEs and never answers: the call stays up
    since = len(ami.events)
    try:
        ami.send(
            "Originate",
            Channel=f"PJSIP/{endpoint}/sip:probe@127.0.0.1:{sink.getsockname()[1]}",
            Application="Wait",
            Data="1",
            CallerID='"cli probe" <555>',
            Timeout=str(int(seconds * 1000)),
            Async="true",
            Variable=["CDR_PROP(disable)=1"],
        )
        new = ami.wait_event(
            lambda e: e.event == "Newchannel" and e.get("Channel").startswith(f"PJSIP/{endpoint}-"),
            10,
            since,
        )
        time.sleep(1.2)  # let the channel age a second (the duration fields)
        yield new.get("Channel")
        ami.wait_event(
            lambda e: e.event == "Hangup" and e.get("Uniqueid") == new.get("Uniqueid"),
            seconds + 15,
            since,
        )
    finally:
        sink.close()


def record(out: Path) -> None:
    """Start a private node with :data:`EXTRA_PJSIP`, ask everything, write the captures."""

    def extra_pjsip(pbx: RealPbx) -> None:
        conf = pbx.path("/etc/asterisk/pjsip.conf")
        conf.write_text(conf.read_text() + EXTRA_PJSIP)

    caps: dict[str, dict[str, str]] = {}
    with scratch_node("realpbx-cli-extra-", extra_pjsip) as (pbx, _scratch):
        ami = Ami(pbx.ami_port, pbx.ami_user, pbx.ami_secret)
        for name, command in IDLE.items():
            caps[name] = capture(pbx, ami, command)
        for command in DYNAMIC_MEMBERS:
            pbx.rx(command)
        caps["queue-show-dynamic"] = capture(pbx, ami, "queue show support-DEVEL")
        for command in REMOVE_MEMBERS:
            pbx.rx(command)
        with probe_call(ami):
            for name, command in DURING_PJSIP_CALL.items():
                caps[name] = capture(pbx, ami, command)
        ami.close()
        pbx.stop()
        down = pbx.chroot("asterisk", "-rx", "core show hints", check=False)
        caps["asterisk-down"] = {
            "command": "core show hints",
            "cli": down.stdout + down.stderr,  # as `asterisk -rx ... 2>&1` shows it
            "ami": "",
        }
    out.mkdir(parents=True, exist_ok=True)
    for name, cap in sorted(caps.items()):
        (out / f"{name}.txt").write_text(cap["cli"])
        if cap["ami"]:
            (out / f"{name}.ami").write_text(cap["ami"])
    index = {name: cap["command"] for name, cap in sorted(caps.items())}
    (out / "commands.json").write_text(json.dumps(index, indent=1) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    record(args.out)
    print(f"recorded the extra CLI answers into {args.out}")


if __name__ == "__main__":
    main()
