"""Page 41 (Upgrading kernel) on the recorded demo nodes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mirtalib.asterisk.host import parse_kernel_release
from mirtalib.asterisk.machine import parse_module_inventory
from mirtalib.errors import ParameterError, ParseError, TargetError
from mirtalib.runbook import Command, Manual, Phase, Risk, Status, Verdict, rehearse
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
    ran = [c for c in rb.targets[1].log if "grubby --set-default" in c]
    assert len(ran) == 1
    # refused unless both modules are built for the kernel; the previous default saved first
    assert ran[0].startswith(
        "{ find /lib/modules/5.14.0-362.18.1.el9_3.x86_64 -name 'dahdi.ko*' 2>/dev/null | grep -q ."
        " || { echo 'refused: dahdi is not built for 5.14.0-362.18.1.el9_3.x86_64'; exit 3; }; }"
    )
    assert ran[0].endswith(
        "grubby --default-kernel > /var/lib/mirta-ops/p41-previous-default-kernel && "
        "grubby --set-default /boot/vmlinuz-5.14.0-362.18.1.el9_3.x86_64"
    )
    # the modules are built already for 362: the build steps are ok on both nodes
    for node in (0, 1):
        assert _steps(applied, node)["dahdi-build"].status is Status.OK
        assert _steps(applied, node)["geoip-build"].status is Status.OK
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
        build_modules=False,
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
    # rollback puts the saved previous default (427) back on srv02
    undo = _steps(r.rollback, 1)["set-default"]
    assert undo.status is Status.CHANGED
    assert undo.commands[0].command == (
        "test -s /var/lib/mirta-ops/p41-previous-default-kernel && "
        'grubby --set-default "$(cat /var/lib/mirta-ops/p41-previous-default-kernel)"'
    )
    assert "vmlinuz-5.14.0-427.13.1.el9_4.x86_64" in undo.commands[0].output


K427 = "/boot/vmlinuz-5.14.0-427.13.1.el9_4.x86_64"
R362 = "5.14.0-362.18.1.el9_3.x86_64"


def _bash(script: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=False)


def test_refusal_prefix_in_a_real_shell(tmp_path):
    """The shell prefix of set-default: exit 3 naming the missing module, else the command runs."""
    rel = "5.14.0-427.13.1.el9_4.x86_64"
    root = tmp_path / "modules"
    guard = p41.refuse_without_modules(rel, root=str(root))
    out = _bash(f"{guard} && echo set-default-ran")
    assert out.returncode == 3
    assert out.stdout == f"refused: dahdi is not built for {rel}\n"
    (root / rel / "extra").mkdir(parents=True)
    (root / rel / "extra" / "dahdi.ko.xz").write_bytes(b"")
    out = _bash(f"{guard} && echo set-default-ran")
    assert (out.returncode, out.stdout) == (3, f"refused: xt_geoip is not built for {rel}\n")
    (root / rel / "extra" / "xt_geoip.ko").write_bytes(b"")
    out = _bash(f"{guard} && echo set-default-ran")
    assert (out.returncode, out.stdout) == (0, "set-default-ran\n")
    # another kernel's modules do not count
    assert _bash(p41.refuse_without_modules(R362, root=str(root))).returncode == 3


def test_set_default_is_refused_when_the_modules_are_missing(tmp_path):
    """srv01: 284 has dahdi but no xt_geoip; making it the default fails and stops apply."""
    rb = RUNBOOK.open(
        "replay:srv01",
        target_options=isolated(tmp_path),
        journal=tmp_path / "j",
        boot_kernel="/boot/vmlinuz-5.14.0-284.11.1.el9_2.x86_64",
        allow_untested=True,
        build_modules=False,
    )
    assert _steps(rb.plan(), 0)["set-default"].status is Status.WOULD_RUN
    applied = rb.apply(confirm=True)
    step = _steps(applied, 0)["set-default"]
    assert step.status is Status.FAILED
    assert step.reason == (
        "output shows a failure: refused: xt_geoip is not built for 5.14.0-284.11.1.el9_2.x86_64"
    )
    assert applied.failed
    assert _steps(applied, 0)["default-kernel"].status is Status.NOT_RUN
    assert rb.targets[0].state == "initial"  # the default was not touched


def _built(**values) -> dict:
    return {s.id: s for s in RUNBOOK.build(RUNBOOK.validate(values))}


def test_reboot_is_a_gated_service_affecting_step(rb):
    steps = _built()
    assert "reboot" not in steps  # reboot=False: only the checklist item
    assert steps["reboot-window"].phase is Phase.IMPLEMENTATION
    window = steps["maintenance-window"]
    assert isinstance(window, Manual) and window.phase is Phase.BEFORE
    assert "drops every call" in window.detail
    reboot = _built(reboot=True)["reboot"]
    assert isinstance(reboot, Command) and reboot.risk is Risk.SERVICE_AFFECTING
    assert reboot.command == "systemctl reboot"
    assert reboot.unless == f'test "$(uname -r)" = {R362}'
    assert (
        _built(
            reboot=True, platform="centos6", boot_kernel="/boot/vmlinuz-4.4.248-1.el6.elrepo.x86_64"
        )["reboot"].command
        == "shutdown -r now"
    )
    assert list(_built(reboot=True)).index("reboot") > list(_built(reboot=True)).index(
        "set-default"
    )


def test_reboot_on_the_demo_is_ok_where_the_kernel_already_runs(tmp_path):
    rb = RUNBOOK.open(
        "replay:srv01,replay:srv02",
        target_options=isolated(tmp_path),
        journal=tmp_path / "j",
        reboot=True,
    )
    plan = rb.plan()
    for node in (0, 1):
        step = _steps(plan, node)["reboot"]
        assert step.status is Status.OK and step.risk == "service-affecting"


def test_el9_install_and_build_for_the_new_kernel():
    steps = _built(install_kernel=True)
    assert steps["kernel-install"].command == (f"dnf -y install kernel-{R362} kernel-devel-{R362}")
    assert steps["kernel-install"].unless == f"rpm -q kernel-{R362} kernel-devel-{R362}"
    dahdi = steps["dahdi-build"].command
    assert "git clone https://github.com/asterisk/dahdi-linux" in dahdi  # the page: EL9 -> GitHub
    assert dahdi.endswith(f"make KVERS={R362} && make install KVERS={R362}")
    assert f"./configure --with-kbuild=/lib/modules/{R362}/build && make && make install" in (
        steps["geoip-build"].command
    )
    order = list(steps)
    assert order.index("kernel-install") < order.index("dahdi-build") < order.index("set-default")
    assert "grub-mkconfig" not in steps
    assert "rebuild-dahdi" not in steps  # built by the steps, not a checklist item


@pytest.mark.parametrize(
    ("platform", "release", "repo"),
    [
        ("centos7", "4.4.248-1.el7.elrepo.x86_64", "elrepo-release-7.0-3.el7.elrepo.noarch.rpm"),
        ("centos6", "4.4.207-1.el6.elrepo.x86_64", "elrepo-release-6-8.el6.elrepo.noarch.rpm"),
    ],
)
def test_elrepo_kernel_lt_on_centos_6_and_7(platform, release, repo):
    steps = _built(platform=platform, boot_kernel=f"/boot/vmlinuz-{release}", install_kernel=True)
    assert (
        steps["elrepo-key"].command == "rpm --import https://www.elrepo.org/RPM-GPG-KEY-elrepo.org"
    )
    assert steps["elrepo-release"].command == f"rpm -Uvh https://www.elrepo.org/{repo}"
    assert steps["elrepo-release"].unless == "rpm -q elrepo-release"
    assert steps["kernel-install"].command == (
        f"yum -y --enablerepo=elrepo-kernel install kernel-lt-{release} kernel-lt-devel-{release}"
    )
    # xtables-addons 2.10, as the page says for kernel 4.4
    assert steps["geoip-build"].command.startswith("cd /usr/local/src/xtables-addons-2.10 && ")
    assert steps["dahdi-build"].command == (
        f"cd /usr/local/src/dahdi* && make KVERS={release} && make install KVERS={release}"
    )
    if platform == "centos7":
        mk = steps["grub-mkconfig"]
        assert mk.command == "grub2-mkconfig -o /boot/grub2/grub.cfg"
        assert mk.unless == f"grep -qF vmlinuz-{release} /boot/grub2/grub.cfg"
        assert list(steps).index("grub-mkconfig") < list(steps).index("set-default")
    else:
        assert "grub-mkconfig" not in steps
    assert steps["set-default"].command.endswith(f"grubby --set-default /boot/vmlinuz-{release}")


def test_node_release_must_match_the_platform(tmp_path):
    rb = RUNBOOK.open(
        "replay:srv01",
        target_options=isolated(tmp_path),
        journal=tmp_path / "j",
        platform="centos7",
        boot_kernel="",
    )
    step = _steps(rb.plan(), 0)["el-release"]
    assert step.status is Status.FAIL
    assert step.reason == "EL9 node (platform 'el9'): this run is set for 'centos7'"
    with pytest.raises(ParseError, match="not an EL"):
        p41.el_major("sh: rpm: command not found")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"boot_kernel": "", "install_kernel": True}, "need boot_kernel"),
        ({"boot_kernel": "", "reboot": True}, "need boot_kernel"),
        (
            {
                "platform": "centos7",
                "boot_kernel": "/boot/vmlinuz-3.10.0-1160.el7.x86_64",
                "install_kernel": True,
            },
            "not an ELRepo kernel-lt release",
        ),
        ({"platform": "centos8"}, "is not one of"),
    ],
)
def test_bad_upgrade_parameters(values, message):
    with pytest.raises(ParameterError, match=message):
        RUNBOOK.build(RUNBOOK.validate(values))
