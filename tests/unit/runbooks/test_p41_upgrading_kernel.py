"""Page 41 (Upgrading kernel) on the recorded demo nodes."""

from __future__ import annotations

from pathlib import Path

import pytest

from mirtalib.asterisk.host import parse_kernel_release
from mirtalib.asterisk.machine import parse_module_inventory
from mirtalib.errors import ParameterError, TargetError
from mirtalib.runbook import Status, Verdict, rehearse
from mirtalib.runbook.replay import isolated_replays as copy_replays
from mirtalib.runbooks import get
from mirtalib.runbooks import p41_upgrading_kernel as p41
from mirtalib.runbooks.p41_upgrading_kernel import RUNBOOK

FRAGMENTS = ("p41",)


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


def test_tested_list_is_the_pages():
    assert p41.tested_list("5.14.0-362,5.14.0-378") == (((5, 14, 0), 362), ((5, 14, 0), 378))
    with pytest.raises(ParameterError, match="5.14.0-362"):
        p41.tested_list("5.14-362")


@pytest.mark.parametrize(
    "release, verdict",
    [
        ("5.14.0-362.18.1.el9_3.x86_64", Verdict.PASS),
        ("5.14.0-378.el9.x86_64", Verdict.PASS),
        ("5.14.0-427.13.1.el9_4.x86_64", Verdict.WARN),
        ("3.10.0-1160.el7.x86_64", Verdict.PASS),  # CentOS 7: the list does not apply
        ("4.4.248-1.el7.elrepo.x86_64", Verdict.PASS),
    ],
)
def test_tested_status(release, verdict):
    assert p41.tested_status(parse_kernel_release(release), "5.14.0-362,5.14.0-378")[0] is verdict


def test_module_inventory_parser():
    inv = parse_module_inventory(
        "running=5.14.0-362.el9.x86_64\ndefault=/boot/vmlinuz-5.14.0-427.el9.x86_64\n"
        "/lib/modules/5.14.0-362.el9.x86_64/extra/dahdi.ko.xz\n"
        "/lib/modules/5.14.0-362.el9.x86_64/extra/xt_geoip.ko\n"
        "find: '/lib/modules/x': Permission denied\n"
    )
    assert inv.default == "5.14.0-427.el9.x86_64"
    assert inv.missing("5.14.0-362.el9.x86_64", ("dahdi", "xt_geoip")) == []
    assert inv.missing(inv.default, ("dahdi", "xt_geoip")) == ["dahdi", "xt_geoip"]
    assert len(inv.rejects) == 1


def test_registry_finds_page_41():
    assert get(41) is RUNBOOK


def test_plan_warns_about_the_next_reboot_on_srv02(rb):
    report = rb.plan()
    srv01, srv02 = _steps(report, 0), _steps(report, 1)
    assert srv01["modules-default"].status is Status.PASS
    assert srv02["modules-running"].status is Status.PASS
    assert srv02["modules-default"].status is Status.WARN
    assert "5.14.0-427.13.1.el9_4.x86_64: dahdi missing" in srv02["modules-default"].reason
    assert "0: 5.14.0-427.13.1.el9_4.x86_64 (warn)" in srv02["boot-entries"].reason
    assert srv01["set-default"].status is Status.OK
    assert srv02["set-default"].status is Status.WOULD_RUN
    assert all(t.state == "initial" for t in rb.targets)


def test_apply_sets_the_tested_default_where_needed(rb):
    applied = rb.apply(confirm=True)
    assert not applied.failed
    assert _steps(applied, 0)["set-default"].status is Status.OK
    assert _steps(applied, 1)["set-default"].status is Status.CHANGED
    assert (
        rb.targets[1].log.count("grubby --set-default /boot/vmlinuz-5.14.0-362.18.1.el9_3.x86_64")
        == 1
    )
    again = rb.apply(confirm=True)
    assert not any(n.changed for n in again.nodes)
    verify = rb.verify()
    assert not verify.failed
    assert _steps(verify, 1)["modules-default-after"].status is Status.PASS


def test_verify_fails_before_the_fix(rb):
    verify = rb.verify()
    s2 = _steps(verify, 1)
    assert s2["modules-default-after"].status is Status.FAIL
    assert s2["default-kernel"].status is Status.FAIL
    assert verify.failed


@pytest.mark.parametrize(
    "values, message",
    [
        ({"boot_kernel": "/boot/vmlinuz-5.14.0-427.13.1.el9_4.x86_64"}, "allow_untested"),
        ({"boot_kernel": "vmlinuz-5.14.0-362"}, "not a /boot/vmlinuz"),
        ({"boot_kernel": "/boot/vmlinuz-5.14.0-362;reboot"}, "not a /boot/vmlinuz"),
        ({"tested_kernels": "362"}, "VERSION-BUILD"),
    ],
)
def test_bad_parameters(tmp_path, values, message):
    with pytest.raises(ParameterError, match=message):
        RUNBOOK.open("replay:srv01", target_options=isolated(tmp_path), **values).steps


def test_unrecorded_command_is_named(tmp_path):
    rb = RUNBOOK.open(
        "replay:srv02",
        target_options=isolated(tmp_path),
        journal=tmp_path / "j",
        boot_kernel="/boot/vmlinuz-5.14.0-378.el9.x86_64",
    )
    applied = rb.apply(confirm=True)
    step = _steps(applied, 0)["set-default"]
    assert step.status is Status.FAILED
    assert "command not recorded" in step.reason
    assert "grubby --set-default /boot/vmlinuz-5.14.0-378.el9.x86_64" in step.reason
    # plan and verify only ask recorded, read-only commands
    assert _steps(rb.verify(), 0)["default-kernel"].status is Status.FAIL
    with pytest.raises(TargetError, match="no replay named"):
        RUNBOOK.open("replay:srv09", target_options={"replay_dir": tmp_path})


def test_rehearsal(rb):
    r = rehearse(rb)
    assert r.idempotent
    assert not r.verify.failed
