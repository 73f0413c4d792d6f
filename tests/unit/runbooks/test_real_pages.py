"""Pages 10, 11, 31, 38, 39, 42, 43 and 45 on what a real Asterisk 22.10.1 node answered.

The outputs in ``tests/fixtures/realpbx/pages/<scenario>/`` were recorded by
``tests/integration/realpbx/pageruns.py`` while the pages ran read-only against the real node
(``commands.json`` names each command with its exit code and stderr, the files read and the page
runs). Each scenario is served back by a replay target, and the pages must find what they found
on the node: the defects it revealed stay fixed (no ParseError on "No such command", the
parking of Asterisk 12+, no chan_sip on Asterisk 22, no mysql or python on the node ...).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mirtalib.runbook import Status, Verdict
from mirtalib.runbook.replay import ReplayTarget
from mirtalib.runbooks import get
from mirtalib.runbooks.cli_answers import MissingCommand, chan_sip_missing, missing_command
from mirtalib.runbooks.p11_extension_state import table_of

PAGES = Path(__file__).parents[2] / "fixtures" / "realpbx" / "pages"
CHAN_SIP = "chan_sip is not loaded on this Asterisk 22 node"


def recording(scenario: str) -> dict:
    return json.loads((PAGES / scenario / "commands.json").read_text())


def output(scenario: str, command: str) -> str:
    """The recorded stdout of ``command`` in a scenario."""
    for entry in recording(scenario)["commands"]:
        if entry["command"] == command:
            return (PAGES / scenario / entry["stdout"]).read_text()
    raise KeyError(command)


def node(scenario: str) -> ReplayTarget:
    """The real node of a scenario, answering from the recording."""
    rec = recording(scenario)
    commands = {
        c["command"]: {
            "stdout": (PAGES / scenario / c["stdout"]).read_text(),
            "stderr": c["stderr"],
            "exit": c["exit"],
        }
        for c in rec["commands"]
    }
    files = {
        f["path"]: {
            "content": (PAGES / scenario / f["content"]).read_text(),
            "mode": f["mode"],
            "uid": f["uid"],
            "gid": f["gid"],
        }
        for f in rec["files"]
        if "content" in f
    }
    return ReplayTarget("realpbx", {"node": "srv01", "commands": commands, "files": files})


def run(scenario: str, page: int, tmp_path: Path, **params) -> dict:
    """``{mode: {step_id: StepResult}}`` of plan and verify; the run must be a recorded one."""
    assert {"page": page, "params": params} in recording(scenario)["runs"]
    rb = get(page).open(node(scenario), journal=tmp_path / "journal", **params)
    out = {}
    for mode in ("plan", "verify"):
        report = rb.plan() if mode == "plan" else rb.verify()
        assert not report.nodes[0].error, report.nodes[0].error
        out[mode] = {r.step_id: r for r in report.nodes[0].results}
        for r in report.nodes[0].results:
            assert r.status is not Status.FAILED, (mode, r.step_id, r.reason)
            assert "output not understood" not in r.reason, (mode, r.step_id, r.reason)
    return out


def params_of(scenario: str, page: int, **match) -> dict:
    """The recorded parameters of a page run (the first whose items include ``match``)."""
    for r in recording(scenario)["runs"]:
        if r["page"] == page and match.items() <= r["params"].items():
            return r["params"]
    raise KeyError((scenario, page, match))


def test_the_recording_is_asterisk_22():
    meta = json.loads((PAGES / "meta.json").read_text())
    assert meta["asterisk"].startswith("Asterisk 22.10.1")
    assert output("idle", "asterisk -V").startswith("Asterisk 22.10.1+dfsg")


def test_no_such_command_answers():
    for command in ("parkedcalls show", "sip show peers", "sip show peer 101-DEVEL"):
        text = output("idle", f"asterisk -rx '{command}'")
        found = missing_command(text)
        assert isinstance(found, MissingCommand) and found.command == command
    assert missing_command(output("idle", "asterisk -rx 'core show hints'")) is None
    assert missing_command("") is None
    assert missing_command("Output: No such command 'x y' (type ...)").command == "x y"
    assert chan_sip_missing("no peers", "22.10.1+dfsg").startswith(CHAN_SIP + " (Asterisk 21")
    assert chan_sip_missing("no peers", "20.5.0").startswith(
        "chan_sip is not loaded on this Asterisk 20 node (load chan_sip.so"
    )
    assert chan_sip_missing("x").startswith("chan_sip is not loaded on this node (Asterisk 21")


# ---- page 42 ----------------------------------------------------------------------------------
def test_p42_default_reads_parking_show_on_asterisk_22(tmp_path):
    parked = output("parked", "asterisk -rx 'parking show parkinglot_DEVEL_default'")
    space = re.search(r"Space\s+:\s+(\d+)", parked).group(1)
    result = run("parked", 42, tmp_path)
    for mode, step in (("plan", "parked-before"), ("verify", "parked-after")):
        res = result[mode][step]
        assert res.status is Status.PASS
        assert res.reason.startswith(
            "1 parked in the lots read, 1 of DEVEL (parking show: this Asterisk has no "
            "parkedcalls show)"
        )
        assert f"{space}@parkinglot_DEVEL_default" in res.evidence
    idle = run("idle", 42, tmp_path)
    assert idle["plan"]["parked-before"].reason.startswith("0 parked in the lots read, 0 of DEVEL")


def test_p42_page_command_on_asterisk_22_is_a_finding(tmp_path):
    result = run("idle", 42, tmp_path, parking_cli="parkedcalls")
    for mode, step in (("plan", "parked-before"), ("verify", "parked-after")):
        res = result[mode][step]
        assert res.status is Status.FAIL
        assert res.reason.startswith("this node's Asterisk has no 'parkedcalls show' command")


def test_p42_a_lot_the_node_does_not_have():
    from mirtalib.runbooks.p42_using_parking_lots import _judge, read_parked

    extra = json.loads((PAGES / "extra-commands.json").read_text())
    name = "parking-show-unknown-lot.txt"
    assert extra[name] == "asterisk -rx 'parking show parkinglot_NOPE_default'"
    reading = read_parked((PAGES / name).read_text(), ("parkinglot_NOPE_default",))
    assert reading.parked is not None and reading.parked.calls == []
    assert reading.lots_not_found == ["parkinglot_NOPE_default"]
    verdict, reason = _judge("DEVEL", 15, "parking", final=False)(reading)
    assert verdict is Verdict.WARN
    assert "lot(s) not on this node: parkinglot_NOPE_default" in reason


def test_p42_notebook_reader_names_the_missing_command():
    from mirtalib.errors import ParseError
    from mirtalib.runbooks.p42_using_parking_lots import parked_probe

    target = node("parked")
    command, probe, parse = parked_probe("DEVEL", "auto")
    assert command is None and len(parse(probe(target)).calls) == 1
    command, probe, parse = parked_probe("DEVEL", "parkedcalls")
    with pytest.raises(ParseError, match="Asterisk 12 and later park with res_parking"):
        parse(target.run(command).stdout)


# ---- page 11 ----------------------------------------------------------------------------------
def test_p11_idle_copies_agree_without_the_database(tmp_path):
    result = run("idle", 11, tmp_path, extensions="100-DEVEL,101-DEVEL")
    st = result["plan"]["st-states"]
    assert st.status is Status.FAIL and "mysql: command not found" in st.reason
    res = result["plan"]["three-way"]
    table = table_of(res.commands[0].output).set_index("extension")
    assert res.status is Status.WARN
    assert res.reason.startswith("2 extensions: the copies read on the node agree")
    devstates = output("idle", "asterisk -rx 'devstate list'")
    for ext in ("100-DEVEL", "101-DEVEL"):
        assert re.search(rf"Custom:{ext}'\s+State: 'NOT_INUSE'", devstates)
        row = table.loc[ext]
        assert (row["custom_state"], row["hint_state"], row["queue_state"]) == ("NOT_INUSE",) * 3
        assert row["db_state"] == "(not read)" and row["queues"] == "support-DEVEL"


def test_p11_inuse_without_a_call_points_at_the_event_reader(tmp_path):
    assert re.search(
        r"Custom:100-DEVEL'\s+State: 'INUSE'", output("inuse", "asterisk -rx 'devstate list'")
    )
    result = run("inuse", 11, tmp_path, extensions="100-DEVEL,101-DEVEL")
    for mode, step, verdict in (
        ("plan", "three-way", Status.WARN),
        ("verify", "three-way-after", Status.FAIL),
    ):
        res = result[mode][step]
        table = table_of(res.commands[0].output).set_index("extension")
        row = table.loc["100-DEVEL"]
        assert (row["custom_state"], row["hint_state"], row["queue_state"]) == ("INUSE",) * 3
        assert row["stage"] == "event reader"
        assert res.status is verdict
        assert "1 of 2 disagree: 100-DEVEL (event reader)" in res.reason


# ---- pages 31 and 39 --------------------------------------------------------------------------
def test_p39_and_p31_hints_of_the_node(tmp_path):
    text = output("idle", "asterisk -rx 'core show hints'")
    names = re.findall(r"^(\S+)@authentica\s+:", text, re.M)
    assert len(names) == int(re.search(r"^- (\d+) hints registered", text, re.M).group(1))
    devel = sum(n.endswith("-DEVEL") for n in names)
    p39 = run("idle", 39, tmp_path, monitors="100,101,801,500")
    before = p39["plan"]["hints-before"].reason
    assert before.startswith(f"{len(names)} hints, {devel} on monitors of DEVEL")
    assert "no hint yet for 500-DEVEL" in before and "500-DEVEL" not in names
    assert "no phone watches 100-DEVEL, 101-DEVEL, 801-DEVEL yet" in before
    assert "lines not understood" not in before
    p31 = run("idle", 31, tmp_path)
    reason = p31["verify"]["hints-after"].reason
    assert "no hint yet" not in reason
    assert "no phone watches 104-DEVEL, 103-DEVEL, 801-DEVEL yet" in reason


# ---- page 38 ----------------------------------------------------------------------------------
def test_p38_debian_version_and_the_missing_chan_sip(tmp_path):
    modules = output("idle", "asterisk -rx 'module show'")
    running = sum(1 for ln in modules.splitlines() if re.search(r"\sRunning\s", ln))
    assert running == int(re.search(r"^(\d+) modules loaded", modules, re.M).group(1))
    result = run(
        "idle",
        38,
        tmp_path,
        target_version="22.10.1",
        watch_modules="chan_sip,chan_pjsip,app_queue",
    )
    assert result["plan"]["version-now"].status is Status.PASS
    assert "22.10.1 already reached" in result["plan"]["version-now"].reason
    assert result["verify"]["version-after"].status is Status.PASS
    assert result["plan"]["modules-now"].reason == f"{running} modules running"
    after = result["verify"]["modules-after"]
    assert after.status is Status.WARN and after.reason.startswith(CHAN_SIP)
    default = run("idle", 38, tmp_path)["plan"]["version-now"].reason
    assert default.startswith("DOWNGRADE 22.10.1+dfsg")
    assert default.endswith("to go back later: target_version=22.10.1")


def test_p38_parked_call_is_an_active_call(tmp_path):
    count = output("parked", "asterisk -rx 'core show channels count'")
    calls = int(re.search(r"^(\d+) active calls?", count, re.M).group(1))
    result = run("parked", 38, tmp_path, target_version="22-current", watch_modules="chan_pjsip")
    active = result["plan"]["active-calls"]
    assert calls >= 1 and active.status is Status.FAIL
    assert active.reason.startswith(f"{calls} active call(s)")


# ---- page 43 ----------------------------------------------------------------------------------
def test_p43_registered_phones_and_no_python(tmp_path):
    contacts = output("registered", "asterisk -rx 'pjsip show contacts'")
    aors = sorted(re.findall(r"^\s+Contact:\s+(\d+-[A-Z]+)/sip:", contacts, re.M))
    assert aors == ["100-ACME", "100-DEVEL"]
    result = run("registered", 43, tmp_path, resolver="127.0.0.1")
    assert result["plan"]["phones-before"].reason == "2 phone(s) registered: ACME 1, DEVEL 1"
    srv = result["plan"]["srv-live-before"]
    assert srv.status is Status.WARN and "neither python3 nor python" in srv.reason
    assert result["verify"]["srv-published"].status is Status.FAIL


def test_p43_chan_sip_driver_on_asterisk_22(tmp_path):
    result = run("idle", 43, tmp_path, resolver="127.0.0.1", channel_driver="sip")
    before, after = result["plan"]["phones-before"], result["verify"]["phones-after"]
    assert (before.status, after.status) == (Status.WARN, Status.FAIL)
    assert before.reason.startswith("chan_sip is not loaded on this node")


def test_p43_registered_phones_refuses_a_missing_command():
    from mirtalib.errors import ParseError
    from mirtalib.runbooks.p43_clustering_and_high_availability import registered_phones

    with pytest.raises(ParseError, match="chan_sip is not loaded"):
        registered_phones(output("idle", "asterisk -rx 'sip show peers'"), "sip")


# ---- page 45 ----------------------------------------------------------------------------------
def test_p45_subscriptions_and_a_sip_extension(tmp_path):
    endpoint = output("idle", "asterisk -rx 'pjsip show endpoint 100-DEVEL'")
    assert re.search(r"^\s*allow_subscribe\s+:\s+true\s*$", endpoint, re.M)
    result = run("idle", 45, tmp_path, extension="100-DEVEL", peers="101-DEVEL,102-DEVEL")
    assert result["verify"]["presence-after"].reason == "100-DEVEL (pjsip): subscriptions=True"
    assert result["verify"]["peer-hints"].status is Status.PASS
    sip = run("idle", 45, tmp_path, extension="101-DEVEL", peers="100-DEVEL")
    res = sip["plan"]["presence-before"]
    assert res.status is Status.FAIL and res.reason.startswith("chan_sip is not loaded")
    assert "'sip show peer 101-DEVEL' does not exist" in res.reason


# ---- page 10 ----------------------------------------------------------------------------------
def test_p10_defaults_on_a_node_without_chan_sip(tmp_path):
    assert "0 modules loaded" in output("idle", "asterisk -rx 'module show like chan_sip'")
    result = run("idle", 10, tmp_path)
    mapping = result["plan"]["port-mapping"]
    assert mapping.status is Status.FAIL and mapping.reason.startswith(CHAN_SIP)
    assert "/etc/asterisk/sip.conf does not exist" in mapping.reason
    # apply would stop at the failing mapping check, before writing anything
    rb = get(10).open(node("idle"), journal=tmp_path / "journal")
    applied = rb.apply(confirm=True)
    steps = {r.step_id: r for r in applied.nodes[0].results}
    assert steps["port-mapping"].status is Status.FAIL
    assert steps["sip-ports"].status is Status.NOT_RUN and steps["restart"].status is Status.NOT_RUN
    assert rb.targets[0].read_bytes("/etc/asterisk/sip.conf") is None


def test_p10_pjsip_only_move(tmp_path):
    params = params_of("idle", 10, sip_conf="")
    port, new = params["pjsip_base"], params["sip_base"]
    transports = output("idle", "asterisk -rx 'pjsip show transports'")
    assert re.search(rf"transport-udp\s+udp\s+0\s+0\s+127\.0\.0\.1:{port}\b", transports)
    result = run("idle", 10, tmp_path, **params)
    plan = result["plan"]
    assert plan["port-mapping"].status is Status.WARN
    assert f"bind udp {port}->{new}" in plan["port-mapping"].reason
    assert f"-bind = 127.0.0.1:{port}\n+bind = 127.0.0.1:{new}" in plan["pjsip-ports"].diff
    assert "sip-ports" not in plan
    assert plan["restart"].reason == "because pjsip-ports changes"
    listeners = result["verify"]["listeners"]
    assert listeners.status is Status.FAIL and f"nothing listens on udp/{new}" in listeners.reason
