"""Scenario driver: places calls on the real PBX through AMI and records what really happened.

Each scenario sets how the "phones" behave (AstDB ``phone/<ext>-mode|ring|talk``), originates a
call as a caller of a tenant would make it (``Local/<number>@<TENANT>`` running ``Wait``), acts on
it when the kind needs (blind/attended transfer, hang up a parked caller) and waits for it to end.
The truth of each call is read from the AMI events of that call (their ``Timestamp``), never from
the CDR: the linkedid (uniqueid of the originated channel), answered or not (the originated
channel went Up), who answered (the first phone of the call that went Up), billable seconds (from
that Up to the last hangup of the call), and the queue outcome app_queue reported.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field

from amiclient import Ami, Packet


@dataclass
class Phone:
    ext: str  # 101-ACME
    mode: str = "answer"  # answer | noanswer | busy
    ring: int = 1
    talk: int = 3


@dataclass
class Scenario:
    name: str
    tenant: str
    dial: str  # number dialled in the tenant's context
    caller: str  # caller id number
    phones: list[Phone] = field(default_factory=list)
    give_up: float = 30.0  # seconds the caller lets it ring before hanging up (originate timeout)
    qwait: int | None = None  # queue wait limit (EXITWITHTIMEOUT)
    forward: tuple[str, str] | None = None  # (ext, target ext): call forward set in AstDB
    action: str = ""  # blindxfer | atxfer | park
    action_target: str = ""  # number the transfer goes to
    expect_answered: bool = True


@dataclass
class CallTruth:
    scenario: str
    run: int
    linkedid: str
    answered: bool
    who_answered: str
    start: float  # epoch of the originated channel's creation
    answer: float | None
    end: float  # last hangup of the call
    billable: float  # seconds
    queue_outcome: str = ""
    channels: list[str] = field(default_factory=list)


def scenario_set() -> list[list[Scenario]]:
    """The scenarios, in batches; the calls of one batch run at the same time."""
    concurrent = [
        Scenario("answered", "ACME", "101", "100", [Phone("101-ACME", ring=2, talk=4)]),
        Scenario(
            "noanswer", "ACME", "102", "100", [Phone("102-ACME", "noanswer")], give_up=6,
            expect_answered=False,
        ),
        Scenario(
            "busy", "ACME", "100", "101", [Phone("100-ACME", "busy")], expect_answered=False
        ),
        Scenario(
            "ringgroup", "DEVEL", "600", "199",
            [Phone("104-DEVEL", "noanswer"), Phone("105-DEVEL", ring=2, talk=3)],
        ),
        Scenario(
            "forward", "DEVEL", "106", "198", [Phone("107-DEVEL", ring=1, talk=3)],
            forward=("106-DEVEL", "107-DEVEL"),
        ),
        Scenario(
            "queue-answered", "DEVEL", "700", "3331234567",
            [Phone("100-DEVEL", ring=2, talk=3), Phone("101-DEVEL", "noanswer")],
        ),
        Scenario(
            "queue-rrmemory", "DEVEL", "701", "3337654321",
            [Phone("102-DEVEL", ring=1, talk=2), Phone("103-DEVEL", ring=1, talk=2)],
        ),
    ]  # fmt: skip
    queue_failures = [
        Scenario(
            "queue-abandoned", "DEVEL", "700", "3330000001",
            [Phone("100-DEVEL", "noanswer"), Phone("101-DEVEL", "noanswer")],
            give_up=5, expect_answered=False,
        ),
        Scenario(
            "queue-timeout", "DEVEL", "701", "3330000002",
            [Phone("102-DEVEL", "noanswer"), Phone("103-DEVEL", "noanswer")],
            qwait=4, give_up=20, expect_answered=False,
        ),
    ]  # fmt: skip
    features = [
        Scenario(
            "blind-transfer", "DEVEL", "108", "197",
            [Phone("108-DEVEL", ring=1, talk=30), Phone("109-DEVEL", ring=1, talk=3)],
            action="blindxfer", action_target="109",
        ),
        Scenario("park", "DEVEL", "800", "196", [], action="park"),
    ]  # fmt: skip
    attended = [
        Scenario(
            "attended-transfer", "DEVEL", "108", "195",
            [Phone("108-DEVEL", ring=1, talk=6), Phone("109-DEVEL", ring=1, talk=4)],
            action="atxfer", action_target="109",
        ),
    ]  # fmt: skip
    return [concurrent, queue_failures, features, attended]


_LOCAL_PHONE = re.compile(r"^Local/(?P<ext>[^@]+)@phones-[0-9a-f]+;2$")


class Driver:
    """Runs scenarios on one AMI session; ``captures`` collects CLI outputs taken mid-call."""

    def __init__(self, ami: Ami, pbx) -> None:
        self.ami = ami
        self.pbx = pbx
        self.truths: list[CallTruth] = []
        self.captures: dict[str, dict[str, str]] = {}  # name -> {"cli": ..., "ami": ...}

    # ---- helpers ----------------------------------------------------------------------------
    def capture(self, name: str, command: str) -> None:
        """Keep the real output of ``command`` in plain CLI form (asterisk -rx) and AMI form."""
        cli = self.pbx.rx(command)
        ami = self.ami.command(command).raw
        self.captures[name] = {"command": command, "cli": cli, "ami": ami}

    def _set_phones(self, sc: Scenario) -> None:
        for ph in sc.phones:
            self.ami.action("DBPut", Family="phone", Key=f"{ph.ext}-mode", Val=ph.mode)
            self.ami.action("DBPut", Family="phone", Key=f"{ph.ext}-ring", Val=str(ph.ring))
            self.ami.action("DBPut", Family="phone", Key=f"{ph.ext}-talk", Val=str(ph.talk))
        if sc.forward:
            self.ami.action("DBPut", Family="CF", Key=sc.forward[0], Val=sc.forward[1])

    def _clear_forward(self, sc: Scenario) -> None:
        if sc.forward:
            self.ami.action("DBDel", Family="CF", Key=sc.forward[0])

    def _events_of(self, linkedid: str, since: int) -> list[Packet]:
        return [e for e in self.ami.events[since:] if e.get("Linkedid") == linkedid]

    def _channel_up(self, pattern: re.Pattern, since: int, timeout: float = 30) -> Packet:
        return self.ami.wait_event(
            lambda e: (
                e.event == "Newstate"
                and e.get("ChannelState") == "6"
                and bool(pattern.match(e.get("Channel")))
            ),
            timeout,
            since,
        )

    # ---- one call ---------------------------------------------------------------------------
    def run_call(self, sc: Scenario, run: int) -> None:
        self._set_phones(sc)
        since = len(self.ami.events)
        variables = [f"__QWAIT={sc.qwait}"] if sc.qwait else []
        aid = self.ami.send(
            "Originate",
            Channel=f"Local/{sc.dial}@{sc.tenant}",
            Application="Wait",
            Data="300",
            CallerID=f'"{sc.name}" <{sc.caller}>',
            Account=sc.tenant,
            Timeout=str(int(sc.give_up * 1000)),
            Async="true",
            Variable=variables,
        )
        first = self.ami.wait_event(
            lambda e: (
                e.event == "Newchannel"
                and e.get("Channel").startswith(f"Local/{sc.dial}@{sc.tenant}-")
                and e.get("Channel").endswith(";1")
            ),
            10,
            since,
        )
        linkedid = first.get("Uniqueid")
        if sc.action == "blindxfer":
            self._blind_transfer(sc, linkedid, since)
        elif sc.action == "atxfer":
            self._attended_transfer(sc, linkedid, since)
        elif sc.action == "park":
            self._park(sc, linkedid, since)
        response = self.ami.wait_event(
            lambda e: e.event == "OriginateResponse" and e.get("ActionID") == aid,
            sc.give_up + 15,
            since,
        )
        self._wait_call_end(linkedid, since)
        self._clear_forward(sc)
        self.truths.append(self._truth(sc, run, linkedid, since, response))

    def _wait_call_end(self, linkedid: str, since: int, timeout: float = 90) -> None:
        """Until every channel of the call has hung up (counts Newchannel against Hangup)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            events = self._events_of(linkedid, since)
            alive = {e.get("Uniqueid") for e in events if e.event == "Newchannel"}
            alive -= {e.get("Uniqueid") for e in events if e.event == "Hangup"}
            if events and not alive:
                return
            time.sleep(0.2)
        raise TimeoutError(f"call {linkedid} did not end within {timeout} s")

    def _truth(self, sc: Scenario, run: int, linkedid: str, since: int, response: Packet):
        events = self._events_of(linkedid, since)
        stamp = lambda e: float(e.get("Timestamp"))  # noqa: E731
        start = min(stamp(e) for e in events if e.event == "Newchannel")
        end = max(stamp(e) for e in events if e.event == "Hangup")
        answered = response.get("Response") == "Success"
        up = [
            e
            for e in events
            if e.event == "Newstate"
            and e.get("ChannelState") == "6"
            and e.get("Uniqueid") == linkedid
        ]
        answer = stamp(up[0]) if answered and up else None
        phones_up = [
            _LOCAL_PHONE.match(e.get("Channel")).group("ext")
            for e in events
            if e.event == "Newstate"
            and e.get("ChannelState") == "6"
            and _LOCAL_PHONE.match(e.get("Channel"))
        ]
        queue, agent = "", ""
        for e in events:
            if e.event == "AgentConnect":
                queue, agent = "answered", e.get("MemberName")
        if sc.dial in ("700", "701") and not queue:
            # AMI says QueueCallerAbandon for a timeout too; the driver knows which it caused
            queue = "timeout" if sc.qwait else "abandoned"
        if agent:
            phones_up.insert(0, agent)
        channels = sorted({e.get("Channel") for e in events if e.event == "Newchannel"})
        return CallTruth(
            sc.name,
            run,
            linkedid,
            answered,
            phones_up[0] if phones_up else ("Park" if answered and sc.action == "park" else ""),
            start,
            answer,
            end,
            (end - answer) if answer is not None else 0.0,
            queue,
            channels,
        )

    # ---- actions ----------------------------------------------------------------------------
    def _callee_leg(self, ext: str, since: int) -> str:
        """The bridged ;1 half of the Local channel that rang phone ``ext``."""
        up = self._channel_up(re.compile(rf"^Local/{re.escape(ext)}@phones-[0-9a-f]+;2$"), since)
        return up.get("Channel")[:-1] + "1"

    def _blind_transfer(self, sc: Scenario, linkedid: str, since: int) -> None:
        transferer = self._callee_leg(sc.phones[0].ext, since)
        time.sleep(2)
        self.capture("channels-concise-bridged", "core show channels concise")
        self.ami.action(
            "BlindTransfer", Channel=transferer, Exten=sc.action_target, Context=sc.tenant
        )

    def _attended_transfer(self, sc: Scenario, linkedid: str, since: int) -> None:
        transferer = self._callee_leg(sc.phones[0].ext, since)
        time.sleep(1.5)
        self.ami.action("Atxfer", Channel=transferer, Exten=sc.action_target, Context=sc.tenant)

    def _park(self, sc: Scenario, linkedid: str, since: int) -> None:
        parked = self.ami.wait_event(lambda e: e.event == "ParkedCall", 15, since)
        self.capture("parking-show-lot", f"parking show parkinglot_{sc.tenant}_default")
        self.capture("parking-show", "parking show")
        self.capture("hints-parked", "core show hints")
        time.sleep(2)
        self.ami.action("Hangup", Channel=parked.get("ParkeeChannel"))

    # ---- batches ----------------------------------------------------------------------------
    def run_batch(self, batch: list[Scenario], run: int) -> None:
        errors: list[BaseException] = []

        def one(sc: Scenario) -> None:
            try:
                self.run_call(sc, run)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=one, args=(sc,)) for sc in batch]
        for t in threads:
            t.start()
            time.sleep(0.3)
        if any(sc.dial in ("700", "701") for sc in batch):
            time.sleep(0.7)
            self.capture(f"queue-show-callers-{run}", "queue show")
            self.capture(f"channels-concise-{run}", "core show channels concise")
            self.capture(f"hints-busy-{run}", "core show hints")
            self.capture(f"devstate-{run}", "devstate list")
        for t in threads:
            t.join(timeout=180)
        if errors:
            raise errors[0]
