"""Page 35 (Changing server name) on the recorded demo nodes, and the name token rule."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mirtalib.errors import ParameterError
from mirtalib.runbook import Status, rehearse
from mirtalib.runbook.replay import isolated_replays as copy_replays
from mirtalib.runbooks import get
from mirtalib.runbooks.hostmove import find_occurrences, replace_tokens
from mirtalib.runbooks.p35_changing_server_name import RUNBOOK

# p10 owns the demo sip.conf the page edits; p35 the other files and commands
FRAGMENTS = ("p10", "p35")


def isolated(dest: Path, fragments=FRAGMENTS) -> dict:
    return copy_replays(dest, fragments)


@pytest.fixture
def rb(tmp_path):
    opts = isolated(tmp_path)
    runbook = RUNBOOK.open(
        "replay:srv01,replay:srv02", target_options=opts, journal=tmp_path / "journal"
    )
    yield runbook
    runbook.close()


def _steps(report, node):
    return {r.step_id: r for r in report.nodes[node].results}


@pytest.mark.parametrize(
    "text, hits",
    [
        ("srv01", 1),
        ("10.20.0.11  srv01.pbx.example.net srv01", 2),
        ("sipregs => mysql,general,sipregs_srv01", 1),
        ("[srv01]", 1),
        ("srv010 mysrv01 srv01-backup srv01b", 0),
        ("10.20.0.110 srv01-backup.pbx.example.net", 0),
    ],
)
def test_name_tokens(text, hits):
    assert sum(o.count for o in find_occurrences(text, "srv01", "name")) == hits


def test_name_replacement_keeps_longer_names():
    text = "a srv01 b\nsrv01-backup srv010 sipregs_srv01\n"
    assert replace_tokens(text, "srv01", "pbx01", "name") == (
        "a pbx01 b\nsrv01-backup srv010 sipregs_pbx01\n"
    )


@given(st.lists(st.sampled_from(["srv01", "srv010", "srv01-b", "x", "_", ".", " ", "\n", "-"])))
def test_name_replacement_is_exact_and_reversible(parts):
    text = "".join(parts)
    out = replace_tokens(text, "srv01", "pbx01", "name")
    assert not find_occurrences(out, "srv01", "name")
    if "pbx01" not in text:
        assert replace_tokens(out, "pbx01", "srv01", "name") == text


def test_registry_finds_page_35():
    assert get(35) is RUNBOOK


def test_plan_shows_occurrences_and_changes_nothing(rb):
    report = rb.plan()
    srv01, srv02 = _steps(report, 0), _steps(report, 1)
    assert "this is the node being renamed" in srv01["hostname-before"].reason
    assert "srv01 found 8 time(s)" in srv01["occurrences-before"].reason
    assert srv01["unlisted-files"].status is Status.WARN
    assert "/etc/postfix/main.cf" in srv01["unlisted-files"].reason
    assert "no_id 1: srv01 10.20.0.11" in srv01["node-table-before"].reason
    assert "-sipregs => mysql,general,sipregs_srv01" in srv01["edit-04"].diff
    assert "+10.20.0.11  pbx01.pbx.example.net pbx01" in srv01["edit-02"].diff
    assert "srv01-backup" not in (srv01["edit-02"].diff.split("\n+")[1])
    # srv02 keeps its own name, only its references to srv01 change
    assert srv02["edit-01"].status is Status.OK
    assert srv02["set-hostname"].status is Status.OK
    assert "+[pbx01]" in srv02["edit-03"].diff
    assert srv01["asterisk-reload"].status is Status.WOULD_RUN
    assert all(t.state == "initial" for t in rb.targets)
    assert not any("/var/backups/" in p or "mirta-" in p for t in rb.targets for p in t.files)


def test_apply_verify_rollback(rb):
    before = {t.name: dict(t.files) for t in rb.targets}
    # one node at a time: srv01's verify right after its apply fails (the node table changes
    # in the web interface), so the rolling apply stops before srv02
    rolling = rb.apply(confirm=True)
    assert rolling.not_run_nodes == ["srv02"] and rolling.changed_nodes == ["srv01"]
    assert [r.step_id for r in rolling.nodes[0].verify if r.status is Status.FAIL] == [
        "node-table-after"
    ]
    rb.serial = 2  # both nodes in one batch, as after the web interface step
    applied = rb.apply(confirm=True)
    assert not any(r.status is Status.FAILED for n in applied.nodes for r in n.results)
    s1 = _steps(rolling, 0)
    assert s1["edit-02"].file.backup == f"{rb.backup_dir}/{rolling.run_id}/etc/hosts"
    assert s1["set-hostname"].status is Status.CHANGED
    hosts = rb.targets[0].read_text("/etc/hosts")
    assert "pbx01.pbx.example.net pbx01" in hosts
    assert "10.20.0.110 srv01-backup.pbx.example.net srv01-backup" in hosts  # not a token
    again = rb.apply(confirm=True)
    assert not any(n.changed for n in again.nodes)
    verify = rb.verify()
    v1 = _steps(verify, 0)
    assert v1["hostname-after"].status is Status.PASS
    assert v1["occurrences-after"].status is Status.PASS
    # the node table is changed in the web interface: verify says so
    assert v1["node-table-after"].status is Status.FAIL
    rb.rollback(run_id=rolling.run_id, confirm=True)  # srv01, from the journal
    rb.rollback(run_id=applied.run_id, confirm=True)  # srv02
    for t in rb.targets:
        for path in ("/etc/hosts", "/etc/asterisk/sip.conf", "/etc/hostname"):
            assert t.files[path]["content"] == before[t.name][path]["content"]
    assert rb.targets[0].state == "initial"  # undo renamed it back


@pytest.mark.parametrize(
    "values, message",
    [
        ({"new_name": "srv01"}, "nothing to change"),
        ({"new_name": "srv01.example.net"}, "contains the old one"),
        ({"new_name": "bad_name!"}, "not a host name"),
        ({"files": "etc/hosts"}, "files"),
        ({"files": "/etc/hosts,/etc/hosts"}, "twice"),
        ({"hostname_tool": "sethostname"}, "not one of"),
    ],
)
def test_bad_parameters(tmp_path, values, message):
    with pytest.raises(ParameterError, match=message):
        RUNBOOK.open("replay:srv01", target_options=isolated(tmp_path), **values).steps


def test_missing_listed_file_fails_with_its_name(tmp_path):
    rb = RUNBOOK.open(
        "replay:srv01",
        target_options=isolated(tmp_path),
        journal=tmp_path / "j",
        files="/etc/hosts,/etc/sysconfig/network",
    )
    step = _steps(rb.plan(), 0)["edit-02"]
    assert step.status is Status.FAILED
    assert "/etc/sysconfig/network does not exist" in step.reason


def test_rehearsal_is_idempotent(rb):
    assert rehearse(rb).idempotent
