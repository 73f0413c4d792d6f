"""Page 46 (Changing the clock source) on the recorded demo nodes and on a local grub.conf."""

from __future__ import annotations

from pathlib import Path

import pytest

from mirtalib.errors import ParameterError, ParseError
from mirtalib.runbook import Status, rehearse
from mirtalib.runbook.replay import ReplayTarget
from mirtalib.runbook.replay import isolated_replays as copy_replays
from mirtalib.runbooks import get
from mirtalib.runbooks.p46_changing_the_clock_source import RUNBOOK, parse_clock_files, tsc_flags

FRAGMENTS = ("p46",)


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


def test_clock_files_parser():
    cs = parse_clock_files("hpet\ntsc hpet acpi_pm \n")
    assert cs.current == "hpet" and cs.available == ("tsc", "hpet", "acpi_pm")
    with pytest.raises(ParseError, match="2 lines"):
        parse_clock_files("tsc\n")


def test_tsc_flags():
    assert tsc_flags("flags\t\t: fpu tsc constant_tsc nonstop_tsc\n") == (
        "constant_tsc",
        "nonstop_tsc",
    )
    with pytest.raises(ParseError):
        tsc_flags("processor : 0\n")


def test_registry_finds_page_46():
    assert get(46) is RUNBOOK


def test_plan_on_both_nodes(rb):
    report = rb.plan()
    srv01, srv02 = _steps(report, 0), _steps(report, 1)
    assert "already tsc" in srv01["clocksource-before"].reason
    assert "current hpet" in srv02["clocksource-before"].reason
    assert srv01["switch-now"].status is Status.OK
    assert srv02["switch-now"].status is Status.WOULD_RUN
    assert srv02["switch-now"].risk == "service-affecting"
    assert "clocksource=hpet" in srv02["boot-args-before"].reason
    assert srv01["boot-args"].status is Status.WOULD_RUN
    assert srv01["tsc-invariant"].status is Status.PASS
    assert all(t.state == "initial" for t in rb.targets)


def test_apply_verify_rollback(rb):
    applied = rb.apply(confirm=True)
    assert not applied.failed
    assert _steps(applied, 1)["switch-now"].status is Status.CHANGED
    assert "grubby --update-kernel=ALL --args=clocksource=tsc" in rb.targets[1].log
    again = rb.apply(confirm=True)
    assert not any(n.changed for n in again.nodes)
    verify = rb.verify()
    assert not verify.failed
    rb.last_apply = applied
    back = rb.rollback(confirm=True)
    assert "grubby --update-kernel=ALL --remove-args=clocksource" in [
        c.command for r in back.nodes[0].results for c in r.commands
    ]


def test_a_clock_source_the_node_lacks_stops_apply(tmp_path):
    rb = RUNBOOK.open(
        "replay:srv02",
        target_options=isolated(tmp_path),
        journal=tmp_path / "j",
        clocksource="kvm-clock",
    )
    plan = _steps(rb.plan(), 0)
    assert plan["clocksource-before"].status is Status.FAIL
    assert "does not offer kvm-clock" in plan["clocksource-before"].reason
    applied = rb.apply(confirm=True)
    assert applied.failed
    assert not applied.nodes[0].changed
    assert "echo kvm-clock" not in " ".join(rb.targets[0].log)


def test_grub_legacy_edits_only_the_kernel_lines(tmp_path):
    opts = isolated(tmp_path)
    grub = (
        "default=0\ntimeout=5\n# kernel /vmlinuz-old commented\n"
        "title CentOS (3.4.53-8.el6.centos.alt.x86_64)\n\troot (hd0,1)\n"
        "\tkernel /vmlinuz-3.4.53-8.el6.centos.alt.x86_64 ro root=/dev/md2 KEYTABLE=de\n"
        "\tinitrd /initramfs-3.4.53-8.el6.centos.alt.x86_64.img\n"
    )
    target = ReplayTarget.load("srv01", **opts)
    target.files["/etc/grub.conf"] = {"content": grub.encode(), "mode": 0o600, "uid": 0, "gid": 0}
    rb = RUNBOOK.open(
        target,
        journal=tmp_path / "j",
        permanent="grub-legacy",
        temporary=False,
        clocksource="acpi_pm",
    )
    plan = _steps(rb.plan(), 0)
    assert plan["grub-conf"].status is Status.WOULD_CHANGE
    assert (
        "+\tkernel /vmlinuz-3.4.53-8.el6.centos.alt.x86_64 ro root=/dev/md2 KEYTABLE=de "
        "clocksource=acpi_pm" in plan["grub-conf"].diff
    )
    applied = rb.apply(confirm=True)
    assert not applied.failed
    text = target.read_text("/etc/grub.conf")
    assert text.count("clocksource=acpi_pm") == 1
    assert "# kernel /vmlinuz-old commented\n" in text
    assert target.files["/etc/grub.conf"]["mode"] == 0o600
    assert _steps(rb.verify(), 0)["boot-args-after"].status is Status.PASS


@pytest.mark.parametrize(
    "values, message",
    [
        ({"clocksource": "tsc; reboot"}, "not one of"),
        ({"permanent": "grub2"}, "not one of"),
        ({"grub_conf": "grub.conf"}, "grub_conf"),
        ({"temporary": "maybe"}, "not a bool"),
    ],
)
def test_bad_parameters(tmp_path, values, message):
    with pytest.raises(ParameterError, match=message):
        RUNBOOK.open("replay:srv01", target_options=isolated(tmp_path), **values)


def test_rehearsal(rb):
    r = rehearse(rb)
    assert r.idempotent and not r.verify.failed
