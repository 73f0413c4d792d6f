"""Rolling apply on two real nodes: two sshd servers (127.0.0.1 and 127.0.0.2), each in its own
mount namespace where the test's folder for that node is seen at the same path."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from rb_helpers import PJSIP, SYSCTL, sample_definition, tree_state
from sshd_nodes import NODE_MOUNT, start_sshd

from mirtalib.runbook import Status

LIVE = f"{NODE_MOUNT}/etc"  # the runbook's folder, as every node sees it
BACKUPS = f"{NODE_MOUNT}/backups"


def _node(folder: Path, pjsip: str = PJSIP) -> Path:
    (folder / "etc").mkdir(parents=True)
    (folder / "etc" / "pjsip.conf").write_text(pjsip)
    os.chmod(folder / "etc" / "pjsip.conf", 0o640)
    os.chown(folder / "etc" / "pjsip.conf", 65534, 65534)
    (folder / "etc" / "sysctl.conf").write_text(SYSCTL)
    return folder


@pytest.fixture
def nodes(tmp_path):
    """Two nodes; the first one's pjsip.conf makes the runbook's validator refuse it."""
    broken = "[transport-udp]\ntype=transport\n bind = x\n"  # edited in place: no '^bind='
    one = _node(tmp_path / "node1", broken)
    two = _node(tmp_path / "node2")
    with (
        start_sshd(tmp_path / "sshd1", address="127.0.0.1", node=one) as s1,
        start_sshd(tmp_path / "sshd2", address="127.0.0.2", node=two) as s2,
    ):
        yield (one, s1), (two, s2)


def _url(server) -> str:
    return f"{server.url}?key={server.client_key}&known_hosts={server.known_hosts}"


def _open(servers, tmp_path, **options):
    return sample_definition(Path(LIVE)).open(
        ",".join(_url(s) for s in servers),
        journal=tmp_path / "journal",
        backup_dir=BACKUPS,
        **options,
    )


def test_rolling_apply_stops_at_the_first_failed_node(nodes, tmp_path):
    (one, s1), (two, s2) = nodes
    untouched = tree_state(two)
    events = []
    rb = _open([s1, s2], tmp_path)
    assert rb.serial == 1  # the default: one node at a time
    report = rb.apply(confirm=True, on_node=lambda *e: events.append((e[0], e[3])))
    rb.close()
    first = {r.step_id: r for r in report.nodes[0].results}
    assert first["app-conf"].status is Status.CHANGED  # written before the failure
    assert first["pjsip"].status is Status.FAILED and "validation failed" in first["pjsip"].reason
    assert report.changed_nodes == ["127.0.0.1"] and report.not_run_nodes == ["127.0.0.2"]
    assert report.nodes[1].results == [] and "127.0.0.1 failed" in report.nodes[1].skipped
    assert tree_state(two) == untouched  # the second node: not a byte, not a backup folder
    assert events == [("127.0.0.1", "applying"), ("127.0.0.1", "failed"), ("127.0.0.2", "not run")]
    text = report.text()
    assert "rolling apply, 1 node(s) at a time" in text
    assert "2/2 127.0.0.2: not run (the rolling apply stopped after 127.0.0.1 failed)" in text
    assert f'run_id="{report.run_id}"' in text
    entry = json.loads(Path(report.journal_path).read_text())
    assert entry["serial"] == 1 and entry["nodes"][1]["skipped"]
    # rollback covers exactly the changed node
    rb = _open([s1, s2], tmp_path)
    back = rb.rollback(run_id=report.run_id, confirm=True)
    rb.close()
    assert not back.failed, back.text()
    assert not (one / "etc" / "app.conf").exists()
    assert back.nodes[1].skipped.startswith("not changed by run")
    assert tree_state(two) == untouched


def test_each_node_is_applied_then_verified_before_the_next(nodes, tmp_path):
    (one, s1), (two, s2) = nodes
    _node(tmp_path / "fixed")  # a healthy first node this time
    for name in ("pjsip.conf", "sysctl.conf"):
        (one / "etc" / name).write_bytes((tmp_path / "fixed" / "etc" / name).read_bytes())
    before = {n: (n / "etc" / "pjsip.conf").read_bytes() for n in (one, two)}
    events = []
    rb = _open([s1, s2], tmp_path)
    report = rb.apply(confirm=True, on_node=lambda *e: events.append((e[0], e[3])))
    rb.close()
    assert not report.failed, report.text()
    assert events == [
        ("127.0.0.1", "applying"),
        ("127.0.0.1", "verifying"),
        ("127.0.0.1", "changed"),
        ("127.0.0.2", "applying"),
        ("127.0.0.2", "verifying"),
        ("127.0.0.2", "changed"),
    ]
    for node, folder in zip(report.nodes, (one, two), strict=True):
        assert {r.step_id: r.status for r in node.verify} == {
            "bind": Status.PASS,
            "app": Status.PASS,
        }
        # backups only in the node's backup folder; the live folder holds the change alone
        backup = folder / "backups" / report.run_id / LIVE.lstrip("/") / "pjsip.conf"
        assert backup.read_bytes() == before[folder]
        st = backup.stat()
        assert (st.st_mode & 0o777, st.st_uid, st.st_gid) == (0o640, 65534, 65534)
        live = sorted(p.name for p in (folder / "etc").iterdir())
        assert live == ["app.conf", "pjsip.conf", "reloads.log", "sysctl.conf"]
    assert "1/2 127.0.0.1: changed, 4 change(s); verified: pass" in report.text()
