"""The real-PBX world itself: the scenarios did what they claim, and the node is safe to run.

These tests check the test world before the other real-PBX tests trust it: every scenario ran in
both runs with its expected outcome, the restart really renumbered the Local channels (so the
restart defect can show), app_queue's own log agrees with the driver's queue outcomes, every CDR
writer wrote every record, nothing listens beyond loopback and no secret is in a recorded file.
"""

from __future__ import annotations

import csv
import re
from collections import Counter

from scenarios import scenario_set
from sqlalchemy import create_engine, text

LOCAL_NUMBER = re.compile(r"-([0-9a-f]{8});[12]$")


def _packets(stream: str) -> list[dict[str, str]]:
    out = []
    for block in stream.split("\r\n\r\n"):
        headers = {}
        for line in block.split("\r\n"):
            key, sep, value = line.partition(": ")
            if sep:
                headers.setdefault(key, value)
        if headers:
            out.append(headers)
    return out


def test_every_scenario_ran_twice_with_its_expected_outcome(real_node):
    expected = {sc.name: sc.expect_answered for batch in scenario_set() for sc in batch}
    truths = real_node.world.truths
    assert Counter(t.scenario for t in truths) == Counter({name: 2 for name in expected})
    for t in truths:
        assert t.answered == expected[t.scenario], t
        assert len({t.linkedid for t in truths}) == len(truths)
        if t.answered:
            assert t.billable > 0.5, t
            assert t.who_answered, t
        else:
            assert t.billable == 0.0 and t.answer is None, t
    assert {t.who_answered for t in truths if t.scenario == "ringgroup"} == {"105-DEVEL"}
    assert {t.who_answered for t in truths if t.scenario == "forward"} == {"107-DEVEL"}
    assert {t.who_answered for t in truths if t.scenario == "queue-answered"} == {"100-DEVEL"}


def test_the_restart_renumbered_local_channels(real_node):
    """Both runs used the same Local channel names: the case that merged calls across a restart."""
    world = real_node.world
    assert len(world.restarts) == 1
    by_run = {
        run: {ch for t in world.truths if t.run == run for ch in t.channels} for run in (1, 2)
    }
    first = {t.linkedid: t for t in world.truths}
    assert all(t.start < world.restarts[0] for t in first.values() if t.run == 1)
    assert all(t.start > world.restarts[0] for t in first.values() if t.run == 2)
    shared = by_run[1] & by_run[2]
    assert any(ch.endswith("-00000000;1") for ch in shared)
    assert len(shared) >= 10


def test_queue_log_agrees_with_the_driver(real_node):
    """app_queue's queue_log says for each queue call what the driver recorded."""
    joins = {
        p["Linkedid"]: p["Uniqueid"]
        for p in _packets(real_node.world.ami_events)
        if p.get("Event") == "QueueCallerJoin"
    }
    final = {}
    log = (real_node.world.logs / "queue_log").read_text().splitlines()
    for line in log:
        fields = line.split("|")
        if fields[4] in ("CONNECT", "ABANDON", "EXITWITHTIMEOUT"):
            final[fields[1]] = fields[4]
    meaning = {"CONNECT": "answered", "ABANDON": "abandoned", "EXITWITHTIMEOUT": "timeout"}
    queued = [t for t in real_node.world.truths if t.queue_outcome]
    assert len(queued) == 8
    for t in queued:
        assert meaning[final[joins[t.linkedid]]] == t.queue_outcome, t


def test_every_cdr_writer_wrote_every_record(real_node):
    logs = real_node.world.logs
    counts = {}
    for rel, width in (
        ("cdr-csv/Master.csv", 18),
        ("cdr-custom/Master16.csv", 16),
        ("cdr-custom/Master21.csv", 21),
    ):
        with (logs / rel).open(newline="") as fh:
            rows = list(csv.reader(fh))
        assert {len(r) for r in rows} == {width}, rel
        counts[rel] = len(rows)
    assert len(set(counts.values())) == 1, counts
    if real_node.odbc_url:
        # the scenarios' calls only: other tests place calls on the same node afterwards
        linkedids = {t.linkedid for t in real_node.world.truths}
        engine = create_engine(real_node.odbc_url)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT linkedid FROM cdr")).scalars().all()
        engine.dispose()
        ours = [r for r in rows if r in linkedids]
        assert len(ours) == counts["cdr-csv/Master.csv"]
        assert set(ours) == linkedids


def test_the_node_listens_on_loopback_only(real_node):
    """AMI and PJSIP of the test node listen on 127.0.0.1 only.

    Measured: with res_pjsip loaded, pjproject also holds one IPv4 and one IPv6 UDP socket bound
    to the wildcard address on an ephemeral port (gone when res_pjsip is not loaded); they are no
    configured service, so they are allowed here, and nothing else.
    """
    pbx = real_node.pbx
    pid = pbx.pid()
    inodes = set()
    for fd in (pbx.tree / "proc" / str(pid) / "fd").iterdir():
        target = fd.readlink().as_posix() if fd.is_symlink() else ""
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    low = int((pbx.tree / "proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    services, wildcard = [], []
    for table in ("tcp", "udp", "tcp6", "udp6"):
        for line in (pbx.tree / "proc" / "net" / table).read_text().splitlines()[1:]:
            f = line.split()
            if f[9] not in inodes or (table.startswith("tcp") and f[3] != "0A"):
                continue  # another process's socket, or a TCP connection
            address, port = f[1].rsplit(":", 1)
            if address == "0100007F":
                services.append((table, int(port, 16)))
            else:
                wildcard.append((table, address, int(port, 16)))
    assert ("tcp", pbx.ami_port) in services and ("udp", pbx.sip_port) in services, services
    assert all(t.startswith("udp") and set(a) == {"0"} and p >= low for t, a, p in wildcard), (
        wildcard
    )
    assert len(wildcard) <= 2, wildcard


def test_no_secret_in_what_the_world_recorded(real_node):
    secret = real_node.pbx.ami_secret
    assert secret not in real_node.world.ami_events
    for cap in real_node.world.captures.values():
        assert secret not in cap["cli"] and secret not in cap["ami"]
    for path in real_node.world.logs.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path
