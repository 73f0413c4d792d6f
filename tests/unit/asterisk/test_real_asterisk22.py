"""The CLI parsers on real Asterisk 22.10 answers (recorded, so these run without root).

Two sets of recordings: the real-PBX world's (``tests/fixtures/realpbx/cli``: idle node, calls in
queues, a bridged call, a parked call; see tests/integration/realpbx/world.py) and this module's
own (``data/real22``: dynamic and paused members, a PJSIP channel, PJSIP auths, identifies,
contacts, an outbound registration, "not found" and error answers; recorded by
tests/integration/realpbx/cli_extra.py). Every answer whose command has a parser is read in its
three forms (CLI with colour codes, AMI, CLI without colours) and checked whole by
:mod:`realcli`, with no warning logged.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import sys
from pathlib import Path

import pytest

from mirtalib.asterisk.ami import AsteriskRefused, CommandNotFound, read_command_output
from mirtalib.asterisk.cli import parse_channels_concise as cli_channels
from mirtalib.asterisk.cli import parse_module_show
from mirtalib.asterisk.parking import parse_parking_show
from mirtalib.asterisk.pjsip import parse_pjsip_endpoint, parse_pjsip_registrations
from mirtalib.asterisk.states import (
    parse_channels_concise,
    parse_core_show_hints,
    parse_devstate_list,
    parse_queue_show,
    queue_callers,
    queue_summary,
)
from mirtalib.errors import ParseError

HERE = Path(__file__).parent
WORLD = HERE.parents[1] / "fixtures" / "realpbx"
EXTRA = HERE / "data" / "real22"


def _load_realcli():
    spec = importlib.util.spec_from_file_location("realcli", HERE / "realcli.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("realcli", module)
    spec.loader.exec_module(module)
    return module


realcli = _load_realcli()


def _answers(folder: Path) -> list[tuple[str, str]]:
    index = json.loads((folder / "commands.json").read_text())
    return [(folder.name, name) for name, command in index.items() if realcli.parser_for(command)]


ANSWERS = _answers(WORLD / "cli") + _answers(EXTRA)


def _read(folder: str, name: str) -> tuple[str, str, str | None]:
    base = (WORLD / "cli") if folder == "cli" else EXTRA
    command = json.loads((base / "commands.json").read_text())[name]
    ami = base / f"{name}.ami"
    cli = (base / f"{name}.txt").read_text()
    return command, cli, ami.read_text() if ami.exists() else None


def _parse(folder: str, name: str, form: str = "cli"):
    command, cli, ami = _read(folder, name)
    return realcli.parser_for(command)(realcli.forms(cli, ami)[form])


FORMS = [
    (folder, name, form)
    for folder, name in ANSWERS
    for form in realcli.forms(*_read(folder, name)[1:])
]


@pytest.mark.parametrize(("folder", "name", "form"), FORMS, ids=[f"{n}-{f}" for _, n, f in FORMS])
def test_every_real_answer_is_read_whole(folder, name, form, caplog):
    command, cli, ami = _read(folder, name)
    text = realcli.forms(cli, ami)[form]
    caplog.set_level(logging.DEBUG, logger="mirtalib")
    realcli.check_answer(command, text, realcli.operator_lines(text))
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert loud == [], [r.getMessage() for r in loud]


def test_the_fixtures_hold_what_the_parsers_are_tested_on():
    commands = {_read(folder, name)[0] for folder, name in ANSWERS}
    for wanted in ("queue show", "core show hints", "devstate list", "module show", "pjsip show"):
        assert any(c.startswith(wanted) for c in commands), wanted
    assert len(ANSWERS) >= 50 and len(FORMS) == 3 * len(ANSWERS) - 1  # asterisk-down: no AMI


def test_queue_members_login_and_colours():
    df = _parse("cli", "queue-show")
    assert df["member"].tolist() == ["102-DEVEL", "103-DEVEL", "100-DEVEL", "101-DEVEL"]
    assert df["extension"].tolist() == df["member"].tolist()
    assert df["state_interface"].tolist() == [f"Custom:{m}" for m in df["member"]]
    assert df["interface"].str.fullmatch(r"Local/AG-000-NF-\d+@fromotherpbx").all()
    assert (df["member_state"] == "NOT_INUSE").all() and (df["ringinuse"] == False).all()  # noqa: E712
    assert df["login_secs"].notna().all() and not df["paused"].any()
    summary = queue_summary(df)
    assert summary["strategy"].tolist() == ["rrmemory", "ringall"]
    assert summary["max_calls"].isna().all() and (summary["members"] == 2).all()


def test_queue_member_states_agree_with_the_device_states_of_the_same_moment():
    for run in (1, 2):
        members = _parse("cli", f"queue-show-callers-{run}")
        devstates = _parse("cli", f"devstate-{run}").set_index("extension")["devstate"]
        assert members["member_state"].tolist() == devstates[members["extension"]].tolist()
        assert "RINGING" in set(members["member_state"])
        hints = _parse("cli", f"hints-busy-{run}")
        custom = hints[hints["device"].str.startswith("Custom:")].set_index("extension")
        assert (custom["hint_state"] == devstates[custom.index]).all()


def test_queue_callers_are_the_calls_of_the_truth():
    truth = json.loads((WORLD / "truth.json").read_text())["calls"]
    for run in (1, 2):
        callers = queue_callers(_parse("cli", f"queue-show-callers-{run}"))
        assert callers["queue"].tolist() == ["sales-DEVEL", "support-DEVEL"]
        assert (callers["position"] == 1).all() and (callers["wait_secs"] >= 0).all()
        for channel in callers["channel"]:
            [call] = [c for c in truth if c["run"] == run and channel in c["channels"]]
            assert call["queue_outcome"] in {"abandoned", "timeout"}


def test_dynamic_paused_member_with_penalty():
    df = _parse("real22", "queue-show-dynamic").set_index("member")
    smith = df.loc["AgentSmith"]
    assert (smith["interface"], smith["state_interface"]) == (
        "Local/999@fromotherpbx",
        "Custom:105-DEVEL",
    )
    assert (smith["extension"], smith["penalty"], smith["paused_reason"]) == (
        "105-DEVEL",
        2,
        "lunch",
    )
    assert smith["paused"] and smith["dynamic"] and smith["paused_secs"] >= 0
    phone = df.loc["PJSIP/104-DEVEL"]
    assert phone["interface"] == phone["state_interface"] == "PJSIP/104-DEVEL"
    assert (phone["extension"], phone["member_state"]) == ("104-DEVEL", "UNAVAILABLE")
    assert phone["paused"] and phone["paused_reason"] == "" and phone["dynamic"]
    assert not df.loc["100-DEVEL", "paused"] and not df.loc["100-DEVEL", "dynamic"]


def test_no_queues_and_no_such_queue_are_empty_answers():
    for form in ("cli", "ami"):
        none = _parse("cli", "queue-show-none", form)
        assert none.empty and none.attrs["queues"] == [] and none.attrs["not_found"] is None
        missing = _parse("real22", "queue-show-nosuch", form)
        assert missing.empty and missing.attrs["not_found"] == "nosuch-DEVEL"


def test_hints_match_the_dialplan_and_the_parked_call():
    hints = _parse("cli", "core-show-hints")
    dialplan = (WORLD / "cli" / "dialplan-show-hints.txt").read_text()
    declared = dict(
        (line.split("'")[1], line.split("hint:")[1].split()[0])
        for line in dialplan.splitlines()
        if "hint:" in line
    )
    assert dict(zip(hints["hint"].str.split("@").str[0], hints["device"], strict=True)) == declared
    assert hints.attrs["count"] == len(declared) == 26
    parked = _parse("cli", "parking-show-lot")
    [call] = parked.calls
    assert (call.lot, call.tenant, call.space, call.monitor) == (
        "parkinglot_DEVEL_default",
        "DEVEL",
        "801",
        "801-DEVEL",
    )
    during = _parse("cli", "hints-parked")
    park = during[during["device"].str.startswith("park:")].set_index("hint")["hint_state"]
    assert park.pop("801-DEVEL@authentica") == "INUSE" and (park == "NOT_INUSE").all()
    assert _parse("real22", "core-show-hint-999").empty


def test_parked_channel_is_the_park_call_of_the_truth():
    truth = json.loads((WORLD / "truth.json").read_text())["calls"]
    [call] = parse_parking_show((WORLD / "cli" / "parking-show-lot.ami").read_text()).calls
    assert any(c["scenario"] == "park" and call.channel in c["channels"] for c in truth)
    lots = _parse("cli", "parking-show-lots")
    assert list(lots.lots) == ["default", "parkinglot_ACME_default", "parkinglot_DEVEL_default"]
    assert lots.calls == [] and _parse("real22", "parking-show-nosuch").lots == {}


def test_channels_are_the_channels_of_the_truth():
    truth = json.loads((WORLD / "truth.json").read_text())["calls"]
    for run in (1, 2):
        df = _parse("cli", f"channels-concise-{run}")
        known = {ch for c in truth if c["run"] == run for ch in c["channels"]}
        assert set(df["channel"]) <= known and len(df) == len(known & set(df["channel"])) >= 4
        assert (df["extension"] == "").all()  # Local channels belong to no phone
    bridged = cli_channels((WORLD / "cli" / "channels-concise-bridged.txt").read_text())
    bridges = {c.bridge for c in bridged.channels if c.bridge}
    assert len(bridges) == 1 and sum(c.bridge != "" for c in bridged.channels) == 2


def test_pjsip_channel_belongs_to_its_phone():
    df = _parse("real22", "channels-concise-pjsip")
    [row] = df.itertuples()
    assert (row.channel.split("-0")[0], row.extension, row.application) == (
        "PJSIP/100-DEVEL",
        "100-DEVEL",
        "AppDial2",
    )
    endpoint, params = parse_pjsip_endpoint((EXTRA / "pjsip-show-endpoint-call.ami").read_text())
    [channel] = endpoint.channels
    assert (channel.channel, channel.application, channel.exten) == (row.channel, "AppDial2", "s")
    assert channel.clcid == '"cli probe" <555>' and endpoint.channels_in_use == 1
    assert params["context"] == "DEVEL"


def test_pjsip_objects():
    endpoints = _parse("cli", "pjsip-show-endpoints").endpoints
    assert [e.name for e in endpoints] == sorted(e.name for e in endpoints)
    assert {e.name for e in endpoints} == {f"{n}-ACME" for n in (100, 101, 102)} | {
        f"{n}-DEVEL" for n in range(100, 110)
    }
    assert all(e.in_auths == [e.name] and [a.name for a in e.aors] == [e.name] for e in endpoints)
    [transport] = _parse("cli", "pjsip-show-transports").transports
    assert (transport.name, transport.protocol, transport.bind.split(":")[0]) == (
        "transport-udp",
        "udp",
        "127.0.0.1",
    )
    [reg] = parse_pjsip_registrations((EXTRA / "pjsip-show-registrations.txt").read_text())
    assert (reg.name, reg.server_uri, reg.auth, reg.status) == (
        "trunkreg",
        "sip:127.0.0.1:5997",
        "trunk-auth",
        "Unregistered",
    )
    assert not reg.registered and reg.expires_s is not None
    [ident] = _parse("real22", "pjsip-show-identifies").identifies
    assert (ident.name, ident.endpoint, ident.matches) == (
        "999-identify",
        "999-TEST",
        ["127.0.0.2/32"],
    )
    contact = _parse("real22", "pjsip-show-endpoint-contact").endpoints[0].contacts[0]
    assert (contact.status, contact.rtt_ms != contact.rtt_ms) == ("NonQual", True)


def test_modules_and_version():
    mods = _parse("cli", "module-show")
    assert mods.get("res_pjsip").status == "Running" and mods.get("app_queue.so") is not None
    assert mods.get("cdr").name == "cdr" and mods.get("chan_sip") is None
    assert parse_module_show((EXTRA / "module-show-like-none.txt").read_text()).modules == []
    version = _parse("cli", "core-show-version")
    banner = json.loads((WORLD / "truth.json").read_text())["meta"]["asterisk"]
    assert banner.split()[1] == version.version
    assert version.major == int(banner.split()[1].split(".")[0]) >= 22


@pytest.mark.parametrize("suffix", ["txt", "ami"])
def test_unknown_commands_say_so(suffix):
    for name, command in [
        ("parkedcalls-show", "parkedcalls show"),
        ("sip-show-peers", "sip show peers"),
        ("sip-show-registry", "sip show registry"),
    ]:
        with pytest.raises(CommandNotFound, match="does not exist on this Asterisk") as exc:
            realcli.parser_for(command)((WORLD / "cli" / f"{name}.{suffix}").read_text())
        assert exc.value.command == command
    with pytest.raises(CommandNotFound) as exc:
        realcli.parser_for("sip show peer ")((EXTRA / f"sip-show-peer.{suffix}").read_text())
    assert exc.value.command == "sip show peer 100-DEVEL"


def test_refusals_are_not_results():
    with pytest.raises(AsteriskRefused, match="usage"):
        parse_queue_show((EXTRA / "queue-show-usage.txt").read_text())
    with pytest.raises(AsteriskRefused, match="AMI command failed: Usage: queue show"):
        parse_queue_show((EXTRA / "queue-show-usage.ami").read_text())
    for suffix in ("txt", "ami"):
        with pytest.raises(AsteriskRefused, match="Not there|failed"):
            read_command_output((EXTRA / f"queue-remove-failed.{suffix}").read_text())
    down = (EXTRA / "asterisk-down.txt").read_text()
    for parser in (parse_core_show_hints, parse_devstate_list, parse_queue_show, cli_channels):
        with pytest.raises(AsteriskRefused, match="not running"):
            parser(down)
    for parser in (parse_core_show_hints, parse_devstate_list, parse_queue_show):
        with pytest.raises(ParseError, match="output is empty"):
            parser("")
    assert parse_channels_concise("").empty  # no channel is a real answer
