"""Page 30 (Configuring OpenDNS) on the recorded demo nodes."""

from __future__ import annotations

import pytest

from mirtalib.errors import ParameterError, TargetError
from mirtalib.runbook import Status, rehearse
from mirtalib.runbooks import get
from mirtalib.runbooks.p30_configuring_opendns import RUNBOOK, compare_resolvers

KEYFILE = "/etc/NetworkManager/system-connections/eth0.nmconnection"


@pytest.fixture
def rb(tmp_path):
    runbook = RUNBOOK.open("replay:srv01,replay:srv02", journal=tmp_path / "journal")
    yield runbook
    runbook.close()


def _steps(report, node):
    return {r.step_id: r for r in report.nodes[node].results}


def test_registry_finds_page_30():
    assert get(30) is RUNBOOK


def test_plan_shows_the_country_block_and_the_fourth_resolver(rb):
    plan = rb.plan()
    srv01, srv02 = _steps(plan, 0), _steps(plan, 1)
    assert srv01["resolv-conf"].status is Status.WARN
    assert "glibc ignores 208.67.220.222" in srv01["resolv-conf"].reason
    configured = srv01["configured-answer"]
    assert configured.status is Status.WARN
    assert "6 of 6 answers unusable" in configured.reason
    assert "208.67.222.222, 208.67.220.220, 208.67.222.220: refused: The OpenDNS service" in (
        configured.reason
    )
    assert srv01["wanted-answer-before"].status is Status.PASS
    assert srv02["configured-answer"].status is Status.PASS
    assert "+dns=1.1.1.1;9.9.9.9;8.8.8.8;" in srv01["nm-keyfile"].diff
    assert srv01["nm-reapply"].status is Status.WOULD_RUN
    assert not plan.failed
    assert all("nmcli" not in c for t in rb.targets for c in t.log)  # plan ran nothing changing


def test_comparison_table_of_all_providers(rb):
    names = ["www.mirtapbx.com", "sip.voip-carrier.example"]
    servers = [
        "208.67.222.222",
        "208.67.220.220",
        "208.67.222.220",
        "208.67.220.222",
        "1.1.1.1",
        "1.0.0.1",
        "8.8.8.8",
        "8.8.4.4",
        "9.9.9.9",
        "149.112.112.112",
    ]
    table = compare_resolvers(rb.targets[0], servers, names, 2.0).table()
    assert len(table) == 20
    assert set(table[table.blocked].server) == set(servers[:4])
    assert (table[~table.blocked].status == "ok").all()


def test_apply_is_idempotent_verifies_and_rolls_back(rb):
    applied = rb.apply(confirm=True)
    assert not applied.failed
    keyfile = rb.targets[0].read_text(KEYFILE)
    assert "dns=1.1.1.1;9.9.9.9;8.8.8.8;\nmethod=manual\nignore-auto-dns=true\n" in keyfile
    assert _steps(applied, 0)["nm-reapply"].status is Status.CHANGED
    again = rb.apply(confirm=True)
    assert not any(n.changed for n in again.nodes)
    rb.verify().raise_for_failure()
    rb.last_apply = applied  # roll back the apply that changed something
    rb.rollback(confirm=True)
    assert "dns=208.67.222.222;" in rb.targets[0].read_text(KEYFILE)


def test_apply_stops_before_writing_when_a_wanted_resolver_is_blocked(tmp_path):
    rb = RUNBOOK.open("replay:srv01", journal=tmp_path, resolvers="opendns")
    with pytest.raises(TargetError, match="command not recorded"):
        rb.plan()  # the four OpenDNS servers as a set to configure were never recorded
    rb = RUNBOOK.open(
        "replay:srv01", journal=tmp_path, resolvers="208.67.222.222,208.67.220.220,208.67.222.220"
    )
    applied = rb.apply(confirm=True)
    steps = _steps(applied, 0)
    assert steps["wanted-answer-before"].status is Status.FAIL
    assert steps["nm-keyfile"].status is Status.NOT_RUN
    assert "dns=208.67.222.222;208.67.220.220;208.67.222.220;208.67.220.222;" in rb.targets[
        0
    ].read_text(KEYFILE)


def test_rehearsal_is_idempotent(rb):
    assert rehearse(rb).idempotent


@pytest.mark.parametrize(
    "values, match",
    [
        (
            {"resolvers": "1.1.1.1,not-an-ip"},
            "parameter resolvers='not-an-ip': is not an IP address",
        ),
        ({"resolvers": " , "}, "resolvers is empty"),
        ({"pbx_names": "bad name"}, "is not a DNS name"),
        ({"query_timeout": 60}, "query_timeout=60.0 is outside 0.2-10"),
        ({"manage": "ifcfg"}, "is not one of"),
        ({"nm_connection": "eth0; reboot"}, "not a safe Asterisk object name"),
    ],
)
def test_bad_parameters_are_refused_with_a_clear_message(values, match):
    with pytest.raises(ParameterError, match=match):
        RUNBOOK.open("replay:srv01", **values)


def test_resolv_conf_takes_three_servers_at_most():
    with pytest.raises(ParameterError, match="at most 3 nameservers, got 4"):
        RUNBOOK.open("replay:srv01", manage="resolv.conf", resolvers="opendns").steps
