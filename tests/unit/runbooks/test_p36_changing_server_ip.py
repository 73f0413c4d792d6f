"""Page 36 (Changing server IP) on the recorded demo nodes, and the IP token rule."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mirtalib.errors import ParameterError, TargetError
from mirtalib.runbook import Status
from mirtalib.runbook.replay import isolated_replays as copy_replays
from mirtalib.runbooks import get, hostmove
from mirtalib.runbooks.hostmove import find_occurrences, replace_tokens
from mirtalib.runbooks.p36_changing_server_ip import RUNBOOK
from mirtalib.secrets import MASK

# p10 owns the demo sip.conf, p30 the NetworkManager keyfile, p36 the rest
FRAGMENTS = ("p10", "p30", "p36")


def isolated(dest: Path, fragments=FRAGMENTS) -> dict:
    return copy_replays(dest, fragments)


@pytest.fixture
def rb(tmp_path):
    runbook = RUNBOOK.open(
        "replay:srv01,replay:srv02", target_options=isolated(tmp_path), journal=tmp_path / "j"
    )
    yield runbook
    runbook.close()


def _steps(report, node):
    return {r.step_id: r for r in report.nodes[node].results}


@pytest.mark.parametrize(
    "text, hits",
    [
        ("host=10.0.0.1", 1),
        ("10.0.0.1:5060 and 10.0.0.1/24", 2),
        ("$nodes = array('10.0.0.1', '10.0.0.2');", 1),
        ("10.0.0.10 110.0.0.1 10.0.0.1.5 10.0.0.100 210.0.0.1", 0),
        ("permit=10.0.0.1/255.255.255.255 ; not 10.0.0.11", 1),
        ("end of line 10.0.0.1", 1),
    ],
)
def test_ip_tokens(text, hits):
    assert sum(o.count for o in find_occurrences(text, "10.0.0.1", "ip")) == hits


def test_ip_replacement_never_touches_longer_addresses():
    text = "a=10.0.0.1\nb=10.0.0.10\nc=110.0.0.1\nd=10.0.0.1:5060\n"
    assert replace_tokens(text, "10.0.0.1", "10.0.0.9", "ip") == (
        "a=10.0.0.9\nb=10.0.0.10\nc=110.0.0.1\nd=10.0.0.9:5060\n"
    )


@given(st.lists(st.sampled_from(["10.0.0.1", "10.0.0.10", "110.0.0.1", "0", ".", ":", "/", " "])))
def test_ip_replacement_is_exact_and_reversible(parts):
    text = "".join(parts)
    out = replace_tokens(text, "10.0.0.1", "10.9.9.9", "ip")
    assert not find_occurrences(out, "10.0.0.1", "ip")
    # every longer address survives byte for byte
    assert out.count("10.0.0.10") == text.count("10.0.0.10")
    if "10.9.9.9" not in text:
        assert replace_tokens(out, "10.9.9.9", "10.0.0.1", "ip") == text


def test_ipv6_tokens():
    text = "host=2001:db8::1\nhost=2001:db8::10\n"
    out = replace_tokens(text, "2001:db8::1", "2001:db8::2", "ip")
    assert out == "host=2001:db8::2\nhost=2001:db8::10\n"


def test_registry_finds_page_36():
    assert get(36) is RUNBOOK


def test_plan_finds_the_ip_on_both_nodes(rb):
    report = rb.plan()
    srv01, srv02 = _steps(report, 0), _steps(report, 1)
    assert "10.20.0.11 is on eth0" in srv01["address-before"].reason
    assert "neither" in srv02["address-before"].reason
    assert "10.20.0.11 found 4 time(s)" in srv01["occurrences-before"].reason
    assert "10.20.0.11 found 8 time(s)" in srv02["occurrences-before"].reason
    assert "/etc/sysconfig/iptables" in srv01["unlisted-files"].reason
    # the keyfile is service-affecting and changes on srv01 only
    assert srv01["edit-01"].risk == "service-affecting"
    assert "+address1=10.20.0.21/24,10.20.0.1" in srv01["edit-01"].diff
    assert srv02["edit-01"].status is Status.OK
    # the wallboard 10.20.0.110 keeps its permit line
    assert "-permit = 10.20.0.11/255.255.255.255" in srv01["edit-04"].diff
    assert "-permit = 10.20.0.110" not in srv01["edit-04"].diff
    assert "+Server = 10.20.0.21" in srv02["edit-06"].diff
    assert not any("/var/backups/" in p or "mirta-" in p for t in rb.targets for p in t.files)


def test_apply_then_verify_before_the_restart(rb):
    rolling = rb.apply(confirm=True)  # one node at a time: srv01 needs its restart first
    assert rolling.changed_nodes == ["srv01"] and rolling.not_run_nodes == ["srv02"]
    failing = {r.step_id for r in rolling.nodes[0].verify if r.status is Status.FAIL}
    assert "address-after" in failing
    rb.serial = 2  # both nodes at once
    applied = rb.apply(confirm=True)
    assert not any(r.status is Status.FAILED for n in applied.nodes for r in n.results)
    # the edits, plus core reload (and on srv02 the voipmonitor restart) where files changed
    assert len(rolling.nodes[0].changed) == 5 and len(applied.nodes[1].changed) == 10
    assert "10.20.0.110" in rb.targets[0].read_text("/etc/asterisk/manager.conf")
    verify = rb.verify()
    v1, v2 = _steps(verify, 0), _steps(verify, 1)
    assert v1["occurrences-after"].status is Status.PASS
    assert v2["occurrences-after"].status is Status.PASS
    # the address moves at the restart, which a replay does not do
    assert v1["address-after"].status is Status.FAIL
    assert "restart the server" in v1["address-after"].reason
    assert v2["address-after"].status is Status.PASS


@pytest.mark.parametrize(
    "values, message",
    [
        ({"new_ip": "10.20.0.11"}, "nothing to change"),
        ({"new_ip": "10.20.0.300"}, "not an IP address"),
        ({"new_ip": "2001:db8::1"}, "same IP version"),
        ({"files": ""}, "empty"),
    ],
)
def test_bad_parameters(tmp_path, values, message):
    with pytest.raises(ParameterError, match=message):
        RUNBOOK.open("replay:srv01", target_options=isolated(tmp_path), **values).steps


def test_unrecorded_command_is_named(tmp_path):
    rb = RUNBOOK.open(
        "replay:srv01",
        target_options=isolated(tmp_path),
        journal=tmp_path / "j",
        search_dirs="/opt",
    )
    with pytest.raises(TargetError, match="command not recorded: .*grep -rIlsP"):
        rb.plan()


def test_secrets_next_to_a_replaced_line_are_masked():
    text = "[srv01]\nhost=10.0.0.1\nsecret=Sup3rS3cretValue\n$db_pass = 'An0therOne';\n"
    hostmove.register_file_secrets(text)
    from mirtalib.secrets import scrub

    masked = scrub(text)
    assert "Sup3rS3cretValue" not in masked and "An0therOne" not in masked
    assert masked.count(MASK) == 2
