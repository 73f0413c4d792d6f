"""Seed page 46, *Changing the clock source*.

The kernel keeps time with one of the clock sources the hardware offers (TSC, HPET, ACPI PM
timer ...). The page reads ``current_clocksource`` and ``available_clocksource`` under
``/sys/devices/system/clocksource/clocksource0/``, changes it until the next reboot by writing
``current_clocksource``, and makes it permanent with a ``clocksource=`` kernel argument (it edits
``/etc/grub.conf`` on CentOS 6).

What this runbook does:

* shows the current and available clock sources, and refuses (fail in plan) a clock source the
  kernel does not offer on that node: the write would be rejected;
* for ``tsc``, checks the CPU flags ``constant_tsc`` and ``nonstop_tsc``: without them the TSC
  rate follows CPU frequency changes, the time warps the page warns about; and shows what the
  kernel logged about clock sources (``dmesg``: a TSC marked unstable);
* the temporary change (writing ``current_clocksource``) is declared service-affecting: the
  switch is instant, but audio timing of running calls and conferences can glitch; it runs only
  where the clock source differs;
* the permanent change adds only ``clocksource=<name>`` to every boot entry: ``grubby
  --update-kernel=ALL --args=clocksource=<name>`` (CentOS 7/9) or the ``kernel`` lines of
  ``/etc/grub.conf`` (CentOS 6, backed up and edited in place). The page's example line carries
  other arguments (``KEYTABLE=de``, ``root=/dev/md2`` ...) of one particular server: never copy it.
"""

from __future__ import annotations

import shlex
from typing import Any

from mirtalib.asterisk.grub import parse_grub_legacy, set_legacy_kernel_arg
from mirtalib.asterisk.host import ClockSource, parse_clocksource, parse_grubby_info
from mirtalib.asterisk.machine import parse_cpu_flags
from mirtalib.errors import ParseError
from mirtalib.runbook import (
    Check,
    Command,
    Param,
    Phase,
    Risk,
    RunbookDef,
    Step,
    Verdict,
    Verification,
    text_edit,
)
from mirtalib.validate import cmd, pipe

SYSFS = "/sys/devices/system/clocksource/clocksource0"
CURRENT = f"{SYSFS}/current_clocksource"
AVAILABLE = f"{SYSFS}/available_clocksource"
KNOWN = ("tsc", "hpet", "acpi_pm", "kvm-clock", "xen", "hyperv_clocksource_tsc_page", "jiffies")


PARAMS = (
    Param(
        "clocksource",
        "tsc",
        ("clock source to use: tsc, hpet, acpi_pm, kvm-clock ... (page's example: acpi_pm)"),
        choices=KNOWN,
    ),
    Param(
        "temporary",
        True,
        "switch now by writing current_clocksource (service-affecting)",
    ),
    Param(
        "permanent",
        "grubby",
        "grubby (CentOS 7/9), grub-legacy (CentOS 6 /etc/grub.conf) or none",
        choices=("grubby", "grub-legacy", "none"),
    ),
    Param(
        "grub_conf",
        "/etc/grub.conf",
        "legacy GRUB file, edited when permanent is grub-legacy",
        kind="path",
    ),
)


def parse_clock_files(text: str) -> ClockSource:
    """``cat current_clocksource available_clocksource`` output (two lines) -> ClockSource."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(lines) != 2:
        raise ParseError(f"expected the two clocksource files (2 lines), got {len(lines)} lines")
    return parse_clocksource(lines[0], lines[1])


def _now_expect(wanted: str, after: bool):
    def expect(cs: ClockSource) -> tuple[Verdict, str]:
        shown = f"current {cs.current}, available {' '.join(cs.available)}"
        if wanted not in cs.available:
            return Verdict.FAIL, f"{shown}: the kernel does not offer {wanted} on this node"
        if cs.current == wanted:
            return Verdict.PASS, f"{shown}: already {wanted}"
        if after:
            return Verdict.FAIL, f"{shown}: expected {wanted}"
        return Verdict.PASS, f"{shown}: will switch to {wanted}"

    return expect


TSC_FLAGS = ("constant_tsc", "nonstop_tsc", "tsc_reliable")


def tsc_flags(text: str) -> tuple[str, ...]:
    """The TSC-related flags of the ``flags`` line of ``/proc/cpuinfo``."""
    flags = parse_cpu_flags(text)
    return tuple(f for f in TSC_FLAGS if f in flags)


def boot_args(text: str) -> list[tuple[str, str | None]]:
    """``grubby --info=ALL`` -> (kernel file, value of clocksource= or None) per entry."""
    return [
        (e.kernel.rsplit("/", 1)[-1], e.arg("clocksource"))
        for e in parse_grubby_info(text)
        if e.kernel
    ]


def _legacy_args(text: str) -> list[tuple[str, str | None]]:
    return [
        (e.kernel.rsplit("/", 1)[-1], e.arg("clocksource"))
        for e in parse_grub_legacy(text).entries
        if e.kernel
    ]


def _tsc_expect(flags: tuple[str, ...]) -> tuple[Verdict, str]:
    missing = [f for f in ("constant_tsc", "nonstop_tsc") if f not in flags]
    if missing:
        return Verdict.WARN, (
            f"CPU lacks {', '.join(missing)}: the TSC rate follows frequency changes "
            "(time warps, page 46): prefer hpet or acpi_pm on this hardware"
        )
    return Verdict.PASS, "constant_tsc and nonstop_tsc present: the TSC is invariant"


def _kernel_log(wanted: str):
    def expect(text: str) -> tuple[Verdict, str]:
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        bad = [ln for ln in lines if "unstable" in ln.lower() and wanted in ln]
        if bad:
            return Verdict.WARN, f"the kernel marked {wanted} unstable: {bad[-1][:160]}"
        return Verdict.PASS, lines[-1][:160] if lines else "nothing logged about clock sources"

    return expect


def _boot_expect(wanted: str, strict: bool):
    def expect(entries: list[tuple[str, str | None]]) -> tuple[Verdict, str]:
        if not entries:
            return Verdict.FAIL, "no boot entry with a kernel found"
        wrong = [k for k, arg in entries if arg != wanted]
        if not wrong:
            return Verdict.PASS, f"every entry boots with clocksource={wanted}"
        text = "; ".join(f"{k}: clocksource={a if a is not None else '(none)'}" for k, a in entries)
        return (Verdict.FAIL if strict else Verdict.PASS), text

    return expect


def _read(file: str):
    return lambda target: target.read_text(file) or ""


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 46 for validated parameter values ``v``."""
    cs = v["clocksource"]
    read_now = cmd("cat", CURRENT, AVAILABLE)
    now_ok = Check(
        id="clocksource-after",
        title=f"The kernel uses {cs}",
        command=read_now,
        parse=parse_clock_files,
        expect=_now_expect(cs, after=True),
    )
    steps: list[Step] = [
        Check(
            id="clocksource-before",
            title="Current and available clock sources",
            phase=Phase.BEFORE,
            command=read_now,
            parse=parse_clock_files,
            expect=_now_expect(cs, after=False),
        ),
        Check(
            id="kernel-log",
            title="What the kernel logged about clock sources",
            phase=Phase.BEFORE,
            command=pipe(cmd("dmesg"), cmd("grep", "-i", "clocksource")),
            expect=_kernel_log(cs),
            ok_codes=(0, 1),
        ),
    ]
    if cs == "tsc":
        steps.append(
            Check(
                id="tsc-invariant",
                title="The CPU's TSC is invariant",
                phase=Phase.BEFORE,
                command=cmd("grep", "-m1", "^flags", "/proc/cpuinfo"),
                parse=tsc_flags,
                expect=_tsc_expect,
            )
        )
    if v["permanent"] == "grubby":
        boot_cmd = cmd("grubby", "--info=ALL")
        steps.append(
            Check(
                id="boot-args-before",
                title="clocksource= on the boot entries",
                phase=Phase.BEFORE,
                command=boot_cmd,
                parse=boot_args,
                expect=_boot_expect(cs, strict=False),
            )
        )
    elif v["permanent"] == "grub-legacy":
        steps.append(
            Check(
                id="boot-args-before",
                title=f"clocksource= on the kernel lines of {v['grub_conf']}",
                phase=Phase.BEFORE,
                probe=_read(v["grub_conf"]),
                parse=_legacy_args,
                expect=_boot_expect(cs, strict=False),
            )
        )
    if v["temporary"]:
        steps.append(
            Command(
                id="switch-now",
                title=f"Switch to {cs} now (until the next reboot)",
                command=f"echo {shlex.quote(cs)} > {shlex.quote(CURRENT)}",
                risk=Risk.SERVICE_AFFECTING,
                unless=now_ok,
            )
        )
    boot_ok: Check | None = None
    if v["permanent"] == "grubby":
        boot_ok = Check(
            id="boot-args-after",
            title=f"Every boot entry carries clocksource={cs}",
            command=cmd("grubby", "--info=ALL"),
            parse=boot_args,
            expect=_boot_expect(cs, strict=True),
        )
        steps.append(
            Command(
                id="boot-args",
                title=f"Add clocksource={cs} to every boot entry",
                command=cmd("grubby", "--update-kernel=ALL", f"--args=clocksource={cs}"),
                risk=Risk.CHANGING,
                unless=boot_ok,
                undo=cmd("grubby", "--update-kernel=ALL", "--remove-args=clocksource"),
            )
        )
    elif v["permanent"] == "grub-legacy":
        conf = v["grub_conf"]
        steps.append(
            text_edit(
                "grub-conf",
                f"Add clocksource={cs} to the kernel lines of {conf}",
                conf,
                lambda text: set_legacy_kernel_arg(text, "clocksource", cs),
                summary=f"clocksource={cs} on every kernel line",
            )
        )
        boot_ok = Check(
            id="boot-args-after",
            title=f"Every kernel line of {conf} carries clocksource={cs}",
            probe=_read(conf),
            parse=_legacy_args,
            expect=_boot_expect(cs, strict=True),
        )
    if v["temporary"]:
        steps.append(now_ok)
    if boot_ok is not None:
        steps.append(boot_ok)
    return steps


RUNBOOK = RunbookDef(
    page=46,
    demo_targets="replay:srv01,replay:srv02",
    slug="changing-the-clock-source",
    title="Changing the clock source",
    scope="node",
    roles=("pbx",),
    params=PARAMS,
    build=build,
    summary="current/available clocksource, temporary switch, clocksource= kernel argument",
    verification=Verification(
        mirta_page="Run a test conference with three or more participants and listen for "
        "choppy or drifting audio.",
        asterisk_log="In /var/log/asterisk/full: no timing warnings (res_timing, ConfBridge "
        "'timing' errors) after the switch.",
        status_menu="Status menu: Asterisk is up and the node's clock is in sync (NTP).",
    ),
)
