"""Every CLI parser of mirtalib.asterisk on the LIVE answers of the real Asterisk 22 node.

The world's captures (taken during the scenarios), fresh ``asterisk -rx`` and AMI ``Command``
answers, the same commands over the node's SSH login (what a runbook does), and a short live
PJSIP call (CDR disabled): each answer is checked whole by ``tests/unit/asterisk/realcli.py`` in
its three forms (CLI with colour codes, AMI, CLI without colours), with no warning logged.
"""

from __future__ import annotations

import importlib.util
import logging
import shlex
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from amiclient import Ami
from cli_extra import probe_call

from mirtalib.asterisk.ami import CommandNotFound
from mirtalib.asterisk.pjsip import parse_pjsip_endpoint, parse_pjsip_show
from mirtalib.asterisk.states import parse_channels_concise, parse_core_show_hints
from mirtalib.runbook.targets import open_target

REALCLI = Path(__file__).parents[2] / "unit" / "asterisk" / "realcli.py"
spec = importlib.util.spec_from_file_location("realcli", REALCLI)
realcli = sys.modules.setdefault("realcli", importlib.util.module_from_spec(spec))
if not hasattr(realcli, "check_answer"):
    spec.loader.exec_module(realcli)

#: read-only questions asked fresh on the live node
FRESH = [
    "core show version",
    "core show hints",
    "core show hint 100",
    "core show hint 999",
    "devstate list",
    "queue show",
    "queue show support-DEVEL",
    "queue show nosuch-DEVEL",
    "core show channels concise",
    "module show",
    "module show like res_pjsip",
    "module show like nothing_here",
    "parking show",
    "parking show parkinglot_DEVEL_default",
    "parking show parkinglot_ACME_default",
    "parking show nosuch",
    "pjsip show endpoints",
    "pjsip show endpoint 100-DEVEL",
    "pjsip show endpoint nosuch",
    "pjsip show aors",
    "pjsip show aor 101-ACME",
    "pjsip show auths",
    "pjsip show auth 100-DEVEL",
    "pjsip show contacts",
    "pjsip show identifies",
    "pjsip show registrations",
    "pjsip show transports",
    "pjsip show channels",
    "parkedcalls show",
    "sip show peers",
    "sip show peer 100-DEVEL",
    "sip show registry",
    "queue show support-DEVEL extra",
]


@pytest.fixture(scope="module")
def ami(real_node):
    pbx = real_node.pbx
    session = Ami(pbx.ami_port, pbx.ami_user, pbx.ami_secret)
    yield session
    session.close()


def _check_all_forms(command: str, cli: str, ami_raw: str | None, caplog) -> dict[str, object]:
    caplog.clear()
    caplog.set_level(logging.DEBUG, logger="mirtalib")
    results = {}
    for form, text in realcli.forms(cli, ami_raw).items():
        results[form] = realcli.check_answer(command, text, realcli.operator_lines(text))
    loud = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert loud == [], (command, loud)
    return results


def test_world_captures_are_read_whole(real_node, caplog):
    checked = 0
    for name, cap in sorted(real_node.world.captures.items()):
        if realcli.parser_for(cap["command"]) is None:
            continue
        _check_all_forms(cap["command"], cap["cli"], cap["ami"], caplog)
        checked += 1
    assert checked >= 25, checked


@pytest.mark.parametrize("command", FRESH)
def test_fresh_answers_are_read_whole(real_node, ami, command, caplog):
    cli = real_node.pbx.rx(command)
    answer = ami.command(command).raw
    results = _check_all_forms(command, cli, answer, caplog)
    if command in {"parkedcalls show", "sip show peers", "sip show registry"}:
        assert all(isinstance(r, CommandNotFound) for r in results.values())


def test_answers_over_the_nodes_ssh_login(real_node, caplog):
    target = open_target(real_node.ssh.url, **real_node.ssh.options)
    try:
        for command in ("queue show", "core show hints", "devstate list", "pjsip show endpoints"):
            res = target.run(f"asterisk -rx {shlex.quote(command)}")
            assert res.exit_code == 0, res.stderr
            _check_all_forms(command, res.stdout, None, caplog)
        res = target.run("asterisk -rx 'parkedcalls show'")
        with pytest.raises(CommandNotFound):
            realcli.parser_for("parkedcalls show")(res.stdout)
    finally:
        target.close()


def test_channels_during_a_live_pjsip_call(real_node, ami, caplog):
    pbx = real_node.pbx
    with probe_call(ami) as channel:
        answers = {
            c: (pbx.rx(c), ami.command(c).raw)
            for c in (
                "core show channels concise",
                "pjsip show channels",
                "pjsip show endpoint 100-DEVEL",
                "core show hints",
            )
        }
    for command, (cli, raw) in answers.items():
        _check_all_forms(command, cli, raw, caplog)
    cli, raw = answers["core show channels concise"]
    for text in (cli, raw):
        df = parse_channels_concise(text).set_index("channel")
        assert df.loc[channel, "extension"] == "100-DEVEL"
        assert df.loc[channel, "application"] == "AppDial2" and df.loc[channel, "duration"] >= 1
    [live] = parse_pjsip_show(answers["pjsip show channels"][1]).channels
    assert (live.channel, live.application) == (channel, "AppDial2")
    assert live.clcid == '"cli probe" <555>'
    endpoint, _ = parse_pjsip_endpoint(answers["pjsip show endpoint 100-DEVEL"][0])
    assert [c.channel for c in endpoint.channels] == [channel] and endpoint.channels_in_use == 1
    hints = parse_core_show_hints(answers["core show hints"][0])
    assert len(hints) == hints.attrs["count"] >= 26
    after = parse_channels_concise(pbx.rx("core show channels concise"))
    assert channel not in set(after["channel"])
