"""Page 36: the reloads of the nodes whose files were edited, the NAT externip step, the
extconfig.conf note (on the recorded demo nodes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mirtalib.errors import ParameterError
from mirtalib.runbook import Command, Manual, Risk, Status, rehearse
from mirtalib.runbook.replay import isolated_replays
from mirtalib.runbooks.p36_changing_server_ip import RUNBOOK, set_externip

FRAGMENTS = ("p10", "p30", "p36")  # p10 owns the demo sip.conf, p30 the NetworkManager keyfile


def _open(tmp_path: Path, targets: str = "replay:srv01,replay:srv02", **values):
    return RUNBOOK.open(
        targets,
        target_options=isolated_replays(tmp_path / "r", FRAGMENTS),
        journal=tmp_path / "j",
        **values,
    )


def _steps(report, node=0):
    return {r.step_id: r for r in report.nodes[node].results}


def test_reload_steps_follow_the_edited_files():
    steps = {s.id: s for s in RUNBOOK.build(RUNBOOK.validate({}))}
    edits = {s.path: s.id for s in steps.values() if s.id.startswith("edit-")}
    reload = steps["asterisk-reload"]
    assert isinstance(reload, Command) and reload.risk is Risk.SERVICE_AFFECTING
    assert reload.command == "asterisk -rx 'core reload'"
    assert set(reload.when_changed) == {
        edits["/etc/asterisk/sip.conf"],
        edits["/etc/asterisk/manager.conf"],
        edits["/etc/odbc.ini"],  # res_odbc and the ODBC CDR/realtime modules
    }
    restart = steps["voipmonitor-restart"]
    assert restart.command == "systemctl restart voipmonitor"
    assert restart.when_changed == (edits["/etc/voipmonitor.conf"],)
    # nothing reloads for a file list without Asterisk or voipmonitor files
    only_hosts = RUNBOOK.build(RUNBOOK.validate({"files": "/etc/hosts"}))
    assert not [s for s in only_hosts if s.id in ("asterisk-reload", "voipmonitor-restart")]


def test_each_node_reloads_what_its_edits_need(tmp_path):
    rb = _open(tmp_path)
    rb.serial = 2  # both nodes at once (srv01 would otherwise stop for its restart)
    applied = rb.apply(confirm=True)
    s1, s2 = _steps(applied, 0), _steps(applied, 1)
    # srv01: manager.conf changed -> Asterisk reloads; voipmonitor.conf holds no 10.20.0.11 there
    assert s1["asterisk-reload"].status is Status.CHANGED
    assert s1["voipmonitor-restart"].status is Status.OK
    # srv02: sip.conf peer, odbc.ini and voipmonitor.conf point at srv01 -> both
    assert s2["asterisk-reload"].status is Status.CHANGED
    assert s2["voipmonitor-restart"].status is Status.CHANGED
    again = rb.apply(confirm=True)
    assert all(_steps(again, n)["asterisk-reload"].status is Status.OK for n in (0, 1))


def test_extconfig_note_is_there():
    steps = {s.id: s for s in RUNBOOK.build(RUNBOOK.validate({}))}
    note = steps["extconfig-note"]
    assert isinstance(note, Manual)
    assert "/etc/asterisk/extconfig.conf" in note.where
    assert "sipregs_<name>" in note.detail and "Admin/PBX Nodes" in note.detail


def test_set_externip_changes_only_that_line():
    text = "[general]\nexternip = 203.0.113.11 ; public\nbindaddr=203.0.113.11\n"
    assert set_externip(text, "203.0.113.11", "198.51.100.7") == (
        "[general]\nexternip = 198.51.100.7 ; public\nbindaddr=203.0.113.11\n"
    )
    done = set_externip(text, "203.0.113.11", "198.51.100.7")
    assert set_externip(done, "203.0.113.11", "198.51.100.7") == done  # idempotent
    with pytest.raises(ParameterError, match="no externip = 10.0.0.1"):
        set_externip(text, "10.0.0.1", "10.0.0.2")


def test_nat_external_ip_is_a_step_with_a_reload(tmp_path):
    rb = _open(
        tmp_path,
        "replay:srv01",
        old_ip="203.0.113.11",
        new_ip="198.51.100.7",
        nat_external_only=True,
    )
    ids = [s.id for s in rb.steps]
    assert "externip" in ids and "asterisk-reload" in ids
    assert not [i for i in ids if i.startswith("edit-")]  # no other file changes
    assert "restart" not in ids and "node-table-before" not in ids  # no restart for externip
    plan = _steps(rb.plan())
    assert plan["externip"].status is Status.WOULD_CHANGE
    assert "-externip=203.0.113.11" in plan["externip"].diff
    assert "+externip=198.51.100.7" in plan["externip"].diff
    assert plan["asterisk-reload"].status is Status.WOULD_RUN
    r = rehearse(rb)
    assert r.idempotent
    assert _steps(r.apply)["asterisk-reload"].status is Status.CHANGED
    assert _steps(r.verify)["externip-after"].status is Status.PASS
