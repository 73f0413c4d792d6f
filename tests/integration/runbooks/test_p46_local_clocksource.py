"""Page 46 on this machine: the real clocksource files and CPU flags, a real grub.conf edit."""

from __future__ import annotations

from pathlib import Path

import pytest

from mirtalib.runbook import Status
from mirtalib.runbooks.p46_changing_the_clock_source import AVAILABLE, CURRENT, RUNBOOK

pytestmark = pytest.mark.skipif(
    not Path(CURRENT).is_file(), reason="this kernel exposes no clocksource in sysfs"
)

GRUB = (
    "default=0\ntimeout=5\n"
    "title CentOS (2.6.32-754.el6.x86_64)\n\troot (hd0,0)\n"
    "\tkernel /vmlinuz-2.6.32-754.el6.x86_64 ro root=/dev/sda2 clocksource=hpet quiet\n"
    "\tinitrd /initramfs-2.6.32-754.el6.x86_64.img\n"
    "title CentOS (2.6.32-696.el6.x86_64)\n\troot (hd0,0)\n"
    "\tkernel /vmlinuz-2.6.32-696.el6.x86_64 ro root=/dev/sda2\n"
)


def _steps(report):
    return {r.step_id: r for r in report.nodes[0].results}


def test_reads_this_kernel_and_edits_a_real_grub_conf(tmp_path):
    current = Path(CURRENT).read_text().strip()
    grub = tmp_path / "grub.conf"
    grub.write_text(GRUB)
    rb = RUNBOOK.open(
        "local",
        journal=tmp_path / "journal",
        clocksource=current if current in ("tsc", "hpet", "acpi_pm", "kvm-clock") else "tsc",
        temporary=False,  # never switch this machine's clock
        permanent="grub-legacy",
        grub_conf=str(grub),
    )
    plan = _steps(rb.plan())
    assert f"current {current}" in plan["clocksource-before"].reason
    assert plan["clocksource-before"].status is Status.PASS
    assert Path(AVAILABLE).read_text().split()[0] in plan["clocksource-before"].reason
    assert plan["grub-conf"].status is Status.WOULD_CHANGE

    applied = rb.apply(confirm=True)
    assert not applied.failed
    text = grub.read_text()
    want = rb.values["clocksource"]
    assert text.count(f"clocksource={want}") == 2  # both kernel lines, the old value replaced
    if want != "hpet":
        assert "clocksource=hpet" not in text
    assert "\tkernel /vmlinuz-2.6.32-754.el6.x86_64 ro root=/dev/sda2 " in text
    assert _steps(rb.verify())["boot-args-after"].status is Status.PASS
    rb.rollback(confirm=True)
    assert grub.read_text() == GRUB
