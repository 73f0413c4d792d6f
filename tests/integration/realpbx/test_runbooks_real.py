"""The runbooks that read Asterisk, run read-only (plan, verify) over SSH against the real node.

Pages 10 (PJSIP part, and the finding that this node has no chan_sip), 11, 31, 38, 39, 42, 43
and 45 run on ``ssh://root@127.0.0.1:PORT``, the OpenSSH server inside the real PBX's tree, with
parameters that fit the node (tenant DEVEL, extension 100-DEVEL ...). What they find is checked
against the node itself: its own CLI answers (``pbx.rx``), read here with plain regular
expressions rather than the library's parsers, and the state the test put it in (a custom device
state changed, a call parked, two phones registered). Nothing is applied.
"""

from __future__ import annotations

import re
import socket
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from pageruns import custom_state, parked_call, registered_phones
from pbxtree import free_port

from mirtalib.runbook import Status
from mirtalib.runbooks.p11_extension_state import table_of

CHAN_SIP = "chan_sip is not loaded on this Asterisk 22 node"


def hints_of(text: str) -> dict[str, tuple[str, str, int]]:
    """``core show hints`` read with a regex: name -> (device, state, watchers)."""
    found = {}
    for m in re.finditer(
        r"^(\S+)@(\S+)\s+: (\S+)\s+State:(\S+)\s+Presence:\S+\s+Watchers\s+(\d+)", text, re.M
    ):
        found[m.group(1)] = (m.group(3), m.group(4), int(m.group(5)))
    return found


def no_crash(result) -> None:
    """No step failed to run (a FAILED step is the engine's 'could not run', not a verdict)."""
    for mode, steps in result.items():
        for step in steps.values():
            assert step.status is not Status.FAILED, (mode, step.step_id, step.reason)
            assert "output not understood" not in step.reason, (mode, step.step_id, step.reason)


# ---- page 11 ----------------------------------------------------------------------------------
def _three_way(result, mode: str, step: str = "three-way"):
    res = result[mode][step]
    return res, table_of(res.commands[0].output).set_index("extension")


def test_p11_copies_of_the_state_agree_with_the_node(real_node, run):
    pbx = real_node.pbx
    result = run(11, extensions="100-DEVEL,101-DEVEL")
    no_crash(result)
    # the node has no mysql client: the database copy is reported as not read, not as missing
    st = result["plan"]["st-states"]
    assert st.status is Status.FAIL and "mysql: command not found" in st.reason
    res, table = _three_way(result, "plan")
    assert res.status is Status.WARN
    assert "the database copy (st_states) was not read" in res.reason
    assert "state daemon -> DB" not in res.reason
    devstates = pbx.rx("devstate list")
    hints = hints_of(pbx.rx("core show hints"))
    queue = pbx.rx("queue show support-DEVEL")
    for ext in ("100-DEVEL", "101-DEVEL"):
        row = table.loc[ext]
        real = re.search(rf"Custom:{ext}'\s+State: '(\w+)'", devstates).group(1)
        assert row["custom_state"] == real == "NOT_INUSE"
        assert hints[ext][1] == "Idle" and row["hint_state"] == "NOT_INUSE"
        member = next(ln for ln in queue.splitlines() if ln.strip().startswith(ext))
        assert "Not in use" in member and row["queue_state"] == "NOT_INUSE"
        assert row["queues"] == "support-DEVEL" and row["queue_watches"] == f"Custom:{ext}"
        assert row["db_state"] == "(not read)" and row["agree"] == "True"
    assert res.reason.startswith("2 extensions: the copies read on the node agree")


def test_p11_sees_inuse_after_devstate_change(real_node, run):
    pbx = real_node.pbx
    with custom_state(pbx, "Custom:100-DEVEL", "INUSE"):
        result = run(11, extensions="100-DEVEL,101-DEVEL")
        devstates = pbx.rx("devstate list")
        hints = hints_of(pbx.rx("core show hints"))
        queue = pbx.rx("queue show support-DEVEL")
        channels = pbx.rx("core show channels concise")
    no_crash(result)
    assert re.search(r"Custom:100-DEVEL'\s+State: 'INUSE'", devstates)
    assert hints["100-DEVEL"][1] == "InUse"
    assert "In use" in next(ln for ln in queue.splitlines() if "100-DEVEL (" in ln)
    assert "100-DEVEL" not in channels  # no call: the busy state was set by hand
    for mode, step in (("plan", "three-way"), ("verify", "three-way-after")):
        res, table = _three_way(result, mode, step)
        row = table.loc["100-DEVEL"]
        assert (row["custom_state"], row["hint_state"], row["queue_state"]) == ("INUSE",) * 3
        assert row["live_channels"] == "0"
        # busy without a channel: a lost call event, which the page points at
        assert row["stage"] == "event reader" and row["agree"] == "False"
        assert table.loc["101-DEVEL", "agree"] == "True"
        assert "1 of 2 disagree: 100-DEVEL (event reader)" in res.reason
        assert res.status is (Status.WARN if mode == "plan" else Status.FAIL)
    after = run(11, modes=("plan",), extensions="100-DEVEL")
    _, table = _three_way(after, "plan")
    assert table.loc["100-DEVEL", "custom_state"] == "NOT_INUSE"


# ---- pages 31 and 39 --------------------------------------------------------------------------
def test_p39_lists_the_hints_of_core_show_hints(real_node, run, target):
    from mirtalib.phones.blfsteps import findings

    result = run(39, monitors="100,101,801,500")
    no_crash(result)
    text = real_node.pbx.rx("core show hints")
    real = hints_of(text)
    footer = int(re.search(r"^- (\d+) hints registered", text, re.M).group(1))
    assert len(real) == footer == 26
    # what the page read is what the node has: same names, devices and watchers
    report = findings(target.run("asterisk -rx 'core show hints'").stdout, "DEVEL", "*97")
    table = report.table
    assert set(table["name"]) == set(real)
    assert not table.attrs["unparsed"]
    before = result["plan"]["hints-before"]
    devel = sum(1 for name in real if name.endswith("-DEVEL"))
    assert before.reason.startswith(f"{footer} hints, {devel} on monitors of DEVEL")
    # 500 is the demo database's queue: no hint for it on this node
    assert "500-DEVEL" not in real and "no hint yet for 500-DEVEL" in before.reason
    # no phone subscribes on this node: every chosen hint has 0 watchers
    assert {real[n][2] for n in ("100-DEVEL", "101-DEVEL", "801-DEVEL")} == {0}
    assert "no phone watches 100-DEVEL, 101-DEVEL, 801-DEVEL yet" in before.reason
    after = result["verify"]["hints-after"]
    assert after.status is Status.WARN  # hints missing / not watched yet, no missing dash
    assert "without the dash" not in after.reason


def test_p31_finds_the_hinted_names(real_node, run):
    result = run(31)  # the page's keys: 104, 103, 801
    no_crash(result)
    real = hints_of(real_node.pbx.rx("core show hints"))
    assert {"104-DEVEL", "103-DEVEL", "801-DEVEL"} <= set(real)
    for mode, step in (("plan", "hints-before"), ("verify", "hints-after")):
        reason = result[mode][step].reason
        assert "no hint yet" not in reason
        assert "no phone watches 104-DEVEL, 103-DEVEL, 801-DEVEL yet" in reason
    assert real["801-DEVEL"][0] == "park:801@parkedcalls_DEVEL"


# ---- page 38 ----------------------------------------------------------------------------------
def test_p38_version_and_modules(real_node, run):
    pbx = real_node.pbx
    version = re.match(r"Asterisk (\d+\.\d+\.\d+)\S*", pbx.rx("core show version")).group(1)
    assert version == "22.10.1"
    result = run(38, target_version="22.10.1", watch_modules="chan_sip,chan_pjsip,app_queue")
    no_crash(result)
    now = result["plan"]["version-now"]
    assert now.status is Status.PASS and "22.10.1 already reached" in now.reason
    assert result["verify"]["version-after"].status is Status.PASS
    # the modules it counts are those module show lists as running
    modules = pbx.rx("module show")
    running = [ln for ln in modules.splitlines() if re.search(r"\sRunning\s", ln)]
    loaded = int(re.search(r"^(\d+) modules loaded", modules, re.M).group(1))
    assert result["plan"]["modules-now"].reason == f"{len(running)} modules running"
    assert len(running) == loaded
    assert "chan_sip" not in modules
    after = result["verify"]["modules-after"]
    assert after.status is Status.WARN
    assert after.reason.startswith(CHAN_SIP)
    assert f"{len(running)} modules running, the rest of the watch list running" in after.reason
    # the page's defaults: 20-current is a downgrade from 22.10.1, and going back names 22.10.1
    default = run(38, modes=("plan",))
    reason = default["plan"]["version-now"].reason
    assert reason.startswith("DOWNGRADE 22.10.1") and "target_version=22.10.1" in reason
    assert default["plan"]["active-calls"].status is Status.PASS


def test_p38_counts_a_parked_call_as_active(real_node, run):
    with parked_call(real_node.pbx):
        result = run(38, modes=("plan",), target_version="22-current", watch_modules="chan_pjsip")
        count = real_node.pbx.rx("core show channels count")
    calls = int(re.search(r"^(\d+) active calls?", count, re.M).group(1))
    assert calls >= 1
    active = result["plan"]["active-calls"]
    assert active.status is Status.FAIL and active.reason.startswith(f"{calls} active call(s)")


# ---- page 42 ----------------------------------------------------------------------------------
def test_p42_lists_a_parked_call(real_node, run):
    pbx = real_node.pbx
    idle = run(42)
    no_crash(idle)
    assert idle["plan"]["parked-before"].reason.startswith("0 parked in the lots read, 0 of DEVEL")
    with parked_call(pbx) as parked:
        result = run(42)
        shown = pbx.rx("parking show parkinglot_DEVEL_default")
    no_crash(result)
    space = parked["ParkingSpace"]
    assert parked["Parkinglot"] == "parkinglot_DEVEL_default"
    assert re.search(rf"Space\s+:\s+{space}\b", shown)
    for mode, step in (("plan", "parked-before"), ("verify", "parked-after")):
        res = result[mode][step]
        assert res.status is Status.PASS
        assert res.reason.startswith(
            "1 parked in the lots read, 1 of DEVEL (parking show: this Asterisk has no "
            "parkedcalls show)"
        )
        assert f"{space}@parkinglot_DEVEL_default" in res.evidence
        # parkedcalls show had no such command: parking show was read for the tenant's lot
        assert res.commands[0].output.startswith("# parking show\n")
    assert "do not restart the parking module" in result["verify"]["parked-after"].reason


def test_p42_the_page_command_is_a_finding_not_a_crash(real_node, run):
    assert real_node.pbx.rx("parkedcalls show").startswith("No such command 'parkedcalls show'")
    result = run(42, parking_cli="parkedcalls")
    no_crash(result)
    for mode, step in (("plan", "parked-before"), ("verify", "parked-after")):
        res = result[mode][step]
        assert res.status is Status.FAIL
        assert res.reason.startswith("this node's Asterisk has no 'parkedcalls show' command")
        assert "parking_cli='auto' or 'parking'" in res.reason


# ---- page 43 ----------------------------------------------------------------------------------
def test_p43_counts_the_registered_phones(real_node, run):
    pbx = real_node.pbx
    idle = run(43, resolver="127.0.0.1")
    assert idle["plan"]["phones-before"].reason == "0 phone(s) registered: none"
    with registered_phones(pbx, ("100-DEVEL", "101-DEVEL", "100-ACME")):
        result = run(43, resolver="127.0.0.1")
        contacts = pbx.rx("pjsip show contacts")
    no_crash(result)
    aors = re.findall(r"^\s+Contact:\s+(\d+-[A-Z]+)/sip:", contacts, re.M)
    assert sorted(aors) == ["100-ACME", "100-DEVEL", "101-DEVEL"]
    before = result["plan"]["phones-before"]
    assert before.status is Status.PASS
    assert before.reason == "3 phone(s) registered: ACME 1, DEVEL 2"
    assert result["verify"]["phones-after"].reason == "phones per tenant: {'ACME': 1, 'DEVEL': 2}"
    # the tree has no python: the SRV query cannot run there, and the page says so
    srv = result["plan"]["srv-live-before"]
    assert srv.status is Status.WARN and "neither python3 nor python" in srv.reason
    assert result["verify"]["srv-published"].status is Status.FAIL


def test_p43_chan_sip_driver_is_a_finding(real_node, run):
    assert real_node.pbx.rx("sip show peers").startswith("No such command 'sip show peers'")
    result = run(43, resolver="127.0.0.1", channel_driver="sip")
    no_crash(result)
    before, after = result["plan"]["phones-before"], result["verify"]["phones-after"]
    assert before.status is Status.WARN and after.status is Status.FAIL
    for res in (before, after):
        assert res.reason.startswith("chan_sip is not loaded on this node")
        assert "'sip show peers' does not exist" in res.reason


# ---- page 45 ----------------------------------------------------------------------------------
def test_p45_extension_accepts_subscriptions(real_node, run):
    pbx = real_node.pbx
    endpoint = pbx.rx("pjsip show endpoint 100-DEVEL")
    assert re.search(r"^\s*allow_subscribe\s+:\s+true\s*$", endpoint, re.M)
    result = run(45, extension="100-DEVEL", peers="101-DEVEL,102-DEVEL")
    no_crash(result)
    for mode, step in (("plan", "presence-before"), ("verify", "presence-after")):
        res = result[mode][step]
        assert res.status is Status.PASS
        assert res.reason == "100-DEVEL (pjsip): subscriptions=True"
        assert "registered=False" in res.evidence  # no phone registered
    hints = hints_of(pbx.rx("core show hints"))
    assert {"100-DEVEL", "101-DEVEL", "102-DEVEL"} <= set(hints)
    assert (
        result["verify"]["peer-hints"].reason == "hints exist for 100-DEVEL, 101-DEVEL, 102-DEVEL"
    )
    with registered_phones(pbx, ("100-DEVEL",)):
        registered = run(45, modes=("plan",), extension="100-DEVEL", peers="101-DEVEL")
    assert "registered=True" in registered["plan"]["presence-before"].evidence


def test_p45_sip_extension_on_a_node_without_chan_sip(real_node, run):
    # the demo database says 101-DEVEL is a SIP (chan_sip) extension: this node has no chan_sip
    assert real_node.pbx.rx("sip show peer 101-DEVEL").startswith("No such command")
    result = run(45, extension="101-DEVEL", peers="100-DEVEL")
    no_crash(result)
    for mode, step in (("plan", "presence-before"), ("verify", "presence-after")):
        res = result[mode][step]
        assert res.status is Status.FAIL
        assert res.reason.startswith("chan_sip is not loaded on this node")
        assert "the MiRTA database says it is a SIP extension" in res.reason


# ---- page 10 ----------------------------------------------------------------------------------
def test_p10_pjsip_transports_and_the_missing_chan_sip(real_node, run):
    pbx = real_node.pbx
    transports = pbx.rx("pjsip show transports")
    bound = re.search(
        r"^Transport:\s+(\S+)\s+udp\s+\d+\s+\d+\s+127\.0\.0\.1:(\d+)", transports, re.M
    )
    assert bound.group(1) == "transport-udp" and int(bound.group(2)) == pbx.sip_port
    assert not pbx.path("/etc/asterisk/sip.conf").exists()
    # the page's defaults on this node: no sip.conf, no chan_sip; apply would stop at the mapping
    default = run(10)
    no_crash(default)
    mapping = default["plan"]["port-mapping"]
    assert mapping.status is Status.FAIL and mapping.reason.startswith(CHAN_SIP)
    assert "give sip_conf='' to leave chan_sip out" in mapping.reason
    assert default["plan"]["transports-before"].reason == f"transport-udp udp {pbx.sip_port}"
    # PJSIP from the node's port to a free one, chan_sip left out: the plan shows the pjsip.conf
    # change and the restart, and writes nothing
    pjsip_before = pbx.path("/etc/asterisk/pjsip.conf").read_text()
    new = free_port(socket.SOCK_DGRAM)  # a UDP port nothing listens on
    result = run(10, sip_conf="", pjsip_base=pbx.sip_port, sip_base=new)
    no_crash(result)
    plan = result["plan"]
    assert plan["port-mapping"].status is Status.WARN
    assert plan["port-mapping"].reason.startswith(CHAN_SIP)
    assert (
        f"pjsip.conf [transport-udp] bind udp {pbx.sip_port}->{new}" in plan["port-mapping"].reason
    )
    assert plan["pjsip-ports"].status is Status.WOULD_CHANGE
    assert f"-bind = 127.0.0.1:{pbx.sip_port}\n+bind = 127.0.0.1:{new}" in plan["pjsip-ports"].diff
    assert "sip-ports" not in plan
    assert plan["restart"].status is Status.WOULD_RUN
    assert plan["restart"].reason == "because pjsip-ports changes"
    assert pbx.path("/etc/asterisk/pjsip.conf").read_text() == pjsip_before
    verify = result["verify"]
    moved = verify["transports-after"]
    assert moved.status is Status.FAIL  # not applied: still on the node's port
    assert f"still on the old ports: transport-udp:{pbx.sip_port}" in moved.reason
    listeners = verify["listeners"]
    assert listeners.status is Status.FAIL and f"nothing listens on udp/{new}" in listeners.reason
    assert "no chan_sip listener expected" in listeners.reason
