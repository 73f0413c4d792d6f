"""Page 38 (Upgrading/Downgrading Asterisk): version plan, active calls, module comparison."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from page_helpers import steps_of

from mirtalib.asterisk._common import UnforeseenInput
from mirtalib.asterisk.cli import parse_module_show
from mirtalib.asterisk.sipregistry import parse_sip_registry
from mirtalib.asterisk.software import parse_asterisk_version
from mirtalib.errors import ParameterError, ParseError
from mirtalib.runbook import Status, Verdict, rehearse
from mirtalib.runbooks.p38_upgrading_downgrading_asterisk import (
    RUNBOOK,
    compare,
    module_regressions,
    parse_active_calls,
    target_reached,
)
from mirtalib.runbooks.sipconf import parse_register


def v(text: str):
    return parse_asterisk_version(f"Asterisk {text}\n")


@pytest.mark.parametrize(
    ("current", "target", "verdict", "words"),
    [
        ("18.20.2", "20-current", Verdict.PASS, "upgrade 18.20.2 -> 20-current"),
        ("20.5.0", "20-current", Verdict.PASS, "already reached"),
        ("20.5.0", "20.12.0", Verdict.PASS, "upgrade 20.5.0 -> 20.12.0"),
        ("20.12.0", "18.20.2", Verdict.WARN, "DOWNGRADE"),
        ("20.12.0", "22-current", Verdict.WARN, "no chan_sip"),
        ("20.12.0", "20.12.0", Verdict.PASS, "nothing to build"),
    ],
)
def test_compare(current, target, verdict, words):
    got, reason = compare(v(current), target)
    assert got is verdict and words in reason
    if "nothing" not in reason and "already" not in reason:
        assert f"to go back later: target_version={current}" in reason


def test_target_reached_rules():
    assert target_reached(v("20.1.0"), "20-current")
    assert not target_reached(v("18.20.2"), "20-current")
    assert target_reached(v("certified/18.9-cert5"), "18.9.0-cert5") is False
    assert target_reached(v("20.12.0"), "20.12.0")


def test_active_calls_parser():
    assert parse_active_calls("3 active channels\n1 active call\n99 calls processed\n") == 1
    with pytest.raises(ParseError):
        parse_active_calls("No such command 'core show channels count'")


def test_module_regressions():
    before = parse_module_show(
        "chan_sip.so  SIP  0  Running  deprecated\napp_queue.so  Queues  0  Running  core\n"
        "2 modules loaded\n"
    )
    after = parse_module_show("app_queue.so  Queues  0  Running  core\n1 module loaded\n")
    assert module_regressions(before, after) == ["chan_sip.so"]


DEBIAN = "22.10.1+dfsg+~cs6.17.60671434-1"  # srv01's recorded `asterisk -V` (Asterisk 22.10.1)


def test_a_debian_build_is_compared_by_its_release():
    verdict, reason = compare(v(DEBIAN), "20-current")
    assert verdict is Verdict.WARN
    assert reason == (
        f"DOWNGRADE {DEBIAN} -> 20-current; a downgrade may leave newer modules and libraries "
        "behind: test first; to go back later: target_version=22.10.1"
    )
    assert target_reached(v(DEBIAN), "22.10.1") and target_reached(v(DEBIAN), "22-current")
    assert compare(v(DEBIAN), "22.11.0")[1].startswith(f"upgrade {DEBIAN} -> 22.11.0")


def test_plan_apply_verify_on_the_recorded_node(replays, journal):
    """srv01 answers as the recorded Asterisk 22.10.1 node before the install. Its answers after
    installAsterisk.sh 20-current are hand-written (srv01.d/p38.yaml says so): ``asterisk -V``
    20.15.2, and ``module show`` the recorded 22.10.1 list, which has no chan_sip, no res_odbc."""
    rb = RUNBOOK.open("replay:srv01", journal=journal, target_options=replays)
    plan = rb.plan()
    s = steps_of(plan)
    assert s["version-now"].status is Status.WARN  # the documented 20-current: a downgrade here
    assert s["version-now"].reason.startswith(f"DOWNGRADE {DEBIAN} -> 20-current;")
    assert s["version-now"].reason.endswith("to go back later: target_version=22.10.1")
    assert s["active-calls"].status is Status.PASS and s["active-calls"].reason == "no active call"
    assert s["modules-now"].reason == "328 modules running"
    assert s["install"].status is Status.WOULD_RUN
    verify_before = steps_of(rb.verify())
    assert verify_before["version-after"].status is Status.FAIL
    assert verify_before["version-after"].reason == f"runs {DEBIAN}, wanted 20-current"
    modules = verify_before["modules-after"]
    assert modules.status is Status.FAIL  # res_odbc does not run on the recorded node
    assert modules.reason.startswith(
        "watch list not running: res_odbc; chan_sip is not loaded on this Asterisk 22 node"
    )
    assert modules.reason.endswith(
        "no snapshot /var/tmp/mirta-p38-modules-before.txt to compare with"
    )
    result = rehearse(rb)
    assert result.idempotent
    applied = steps_of(result.apply)
    assert applied["install"].commands[-1].command == (
        "cd /usr/local/src && ./installAsterisk.sh 20-current"
    )
    after = steps_of(result.verify)
    assert after["version-after"].status is Status.PASS
    assert after["version-after"].reason == "runs 20.15.2 (20-current)"
    assert after["modules-after"].status is Status.FAIL  # on 20.15.2 chan_sip can run: not gone
    assert after["modules-after"].reason == (
        "watch list not running: chan_sip, res_odbc; all 328 modules of before run again"
    )


def test_rehearsal_with_a_watch_list_the_node_runs(replays, journal):
    rb = RUNBOOK.open(
        "replay:srv01",
        journal=journal,
        target_options=replays,
        watch_modules="chan_pjsip,res_pjsip,app_queue,app_mixmonitor",
    )
    after = steps_of(rehearse(rb).verify)["modules-after"]
    assert after.status is Status.PASS
    assert after.reason == (
        "328 modules running, watch list all running; all 328 modules of before run again"
    )


def test_a_call_up_stops_apply(journal):
    from mirtalib.runbook import LocalTarget
    from mirtalib.runbook.targets import CommandResult

    class Busy(LocalTarget):
        def run(self, command, *, timeout=120.0):
            out = {
                "asterisk -V": "Asterisk 18.20.2\n",
                "asterisk -rx 'core show channels count'": "2 active channels\n1 active call\n",
                "asterisk -rx 'module show'": "app_queue.so  Queues  0  Running  core\n",
            }.get(command)
            if out is None:
                raise AssertionError(f"must not run {command!r}")
            return CommandResult(command, 0, out, "")

    rb = RUNBOOK.open(Busy(), journal=journal)
    report = rb.apply(confirm=True)
    s = steps_of(report)
    assert s["active-calls"].status is Status.FAIL
    assert s["install"].status is Status.NOT_RUN  # the build never started


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"target_version": "latest"}, "target_version='latest'"),
        ({"target_version": "20.12.0; rm -rf /"}, "target_version="),
        ({"watch_modules": "chan_sip,../x"}, "watch_modules="),
        ({"install_script": "protected/installAsterisk.sh"}, "absolute path"),
    ],
)
def test_bad_parameters(values, message, replays, journal):
    with pytest.raises(ParameterError, match=message):
        RUNBOOK.open("replay:srv01", journal=journal, target_options=replays, **values)


WORDS = st.sampled_from(
    [
        "Host",
        "dnsmgr",
        "Username",
        "Registered",
        "Request Sent",
        "N",
        "Y",
        "105",
        "sip.x.com:5060",
        "SIP registrations.",
        "1",
        ":",
        "@",
        "?",
        "~",
        "/",
        "tls://",
        "user",
        "\n",
        "  ",
        "Output: ",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(WORDS, max_size=40).map("".join))
def test_new_parsers_raise_only_parse_error(text):
    for parse in (parse_sip_registry, parse_register, parse_active_calls):
        try:
            parse(text)
        except UnforeseenInput:
            raise
        except ParseError:
            pass
