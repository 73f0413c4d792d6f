"""Seed page 41, *Upgrading kernel*.

MiRTA PBX needs two out-of-tree kernel modules: ``dahdi`` (conferences) and ``xt_geoip``
(xtables-addons, the country filter of the firewall). Neither is rebuilt by a normal ``yum`` /
``dnf`` kernel update: after the reboot the new kernel runs without them. On CentOS 9 the page
adds that dahdi only compiles on the tested builds of the 5.14.0 kernel, ``5.14.0-362`` and
``5.14.0-378``, and shows ``grubby --info=ALL`` / ``grubby --set-default`` to pick the boot kernel.

What this runbook does:

* the running kernel against the page's tested list (data: :data:`TESTED_KERNELS`, a parameter);
* the boot entries (``grubby --info=ALL``) with the tested flag, and the default one;
* for the running *and the default* kernel, whether ``dahdi`` and ``xt_geoip`` are built under
  ``/lib/modules/<release>`` (the danger is the next reboot, not today);
* the safe change: make a tested kernel that has both modules the default (``grubby
  --set-default``, only where it is not already);
* the rebuild steps of the page (dahdi, dahdi from GitHub on CentOS 9, xtables-addons/geoip) and
  the upgrade advice as checklist items: they compile on the node and are run by hand.
"""

from __future__ import annotations

import re
from typing import Any

from mirtalib.asterisk.host import KernelRelease, parse_grubby_info, parse_kernel_release
from mirtalib.asterisk.machine import ModuleInventory, parse_module_inventory
from mirtalib.errors import ParameterError, ParseError
from mirtalib.runbook import (
    Check,
    Command,
    Manual,
    Param,
    Phase,
    Risk,
    RunbookDef,
    Step,
    Verdict,
    Verification,
)
from mirtalib.validate import cmd

TESTED_KERNELS = ("5.14.0-362", "5.14.0-378")  # page 41: CentOS 9 kernels dahdi builds on
MODULES = ("dahdi", "xt_geoip")
MODULE_LIST = (
    'printf \'running=%s\\ndefault=%s\\n\' "$(uname -r)" "$(grubby --default-kernel)"; '
    "find /lib/modules -name 'dahdi.ko*' -o -name 'xt_geoip.ko*'"
)
_TESTED = re.compile(r"^(\d+)\.(\d+)\.(\d+)-(\d+)$")
_VMLINUZ = re.compile(r"^/boot/vmlinuz-[A-Za-z0-9._+-]+$")


def tested_list(value: str) -> tuple[tuple[tuple[int, int, int], int], ...]:
    """``"5.14.0-362,5.14.0-378"`` -> ``(((5, 14, 0), 362), ((5, 14, 0), 378))``."""
    out = []
    for item in (p.strip() for p in value.split(",")):
        m = _TESTED.match(item)
        if not m:
            raise ParameterError(
                f"tested_kernels: {item!r} is not VERSION-BUILD such as 5.14.0-362"
            )
        g = [int(x) for x in m.groups()]
        out.append(((g[0], g[1], g[2]), g[3]))
    return tuple(out)


def tested_status(release: KernelRelease, tested: str) -> tuple[Verdict, str]:
    """Is ``release`` on the tested list? Kernels of other versions are outside the list."""
    builds = tested_list(tested)
    versions = {v for v, _ in builds}
    if release.version[:3] not in versions:
        listed = "/".join(sorted({".".join(map(str, v)) for v in versions}))
        return Verdict.PASS, f"{release.release}: not a {listed} kernel, the list does not apply"
    if (release.version[:3], release.build_number) in builds:
        return Verdict.PASS, f"{release.release} is a tested build"
    return (
        Verdict.WARN,
        f"{release.release} is not a tested build ({tested}): dahdi may not compile",
    )


def _boot_kernel(value: str) -> str:
    if value and not _VMLINUZ.match(value):
        raise ParameterError(
            f"boot_kernel={value!r} is not a /boot/vmlinuz-<release> path (empty: no change)"
        )
    if value:
        parse_kernel_release(value.removeprefix("/boot/vmlinuz-"))
    return value


PARAMS = (
    Param(
        "tested_kernels",
        ",".join(TESTED_KERNELS),
        "builds dahdi is known to compile on (page 41)",
        check=lambda v: (tested_list(v), v)[1],
    ),
    Param(
        "boot_kernel",
        "/boot/vmlinuz-5.14.0-362.18.1.el9_3.x86_64",
        "kernel to make the default; empty: no change",
        check=_boot_kernel,
    ),
    Param(
        "allow_untested",
        False,
        "allow boot_kernel to be a 5.14.0 build outside the tested list",
    ),
)


def _running(tested: str):
    def expect(release: KernelRelease) -> tuple[Verdict, str]:
        return tested_status(release, tested)

    return expect


def _entries(tested: str):
    def parse(text: str) -> list[str]:
        rows = []
        for e in parse_grubby_info(text):
            name = e.kernel.rsplit("/", 1)[-1].removeprefix("vmlinuz-")
            try:
                flag = tested_status(parse_kernel_release(name), tested)[0].value
            except ParseError:
                flag = "not a kernel release"
            rows.append(f"{e.index}: {name} ({flag})")
        return rows

    return parse


def _modules_expect(which: str, tested: str, strict: bool = True):
    """Both modules built for the running/default kernel; before the change a gap only warns
    (apply must go on to fix the default), after it fails."""

    def expect(inv: ModuleInventory) -> tuple[Verdict, str]:
        release = inv.running if which == "running" else inv.default
        if not release:
            return Verdict.FAIL, f"the {which} kernel could not be read"
        missing = inv.missing(release, MODULES)
        others = ", ".join(f"{r}: {'+'.join(sorted(m))}" for r, m in inv.modules.items())
        if missing:
            harm = {
                "dahdi": "conferences stop working",
                "xt_geoip": "the geoip firewall rules fail (you may be locked out)",
            }
            why = "; ".join(f"{m} missing ({harm[m]})" for m in missing)
            verdict = Verdict.FAIL if strict else Verdict.WARN
            return verdict, f"{which} kernel {release}: {why}. Built for: {others or 'none'}"
        verdict, note = tested_status(parse_kernel_release(release), tested)
        return verdict, f"{which} kernel {release}: dahdi and xt_geoip built; {note}"

    return expect


def _default_is(kernel: str):
    def expect(text: str) -> tuple[Verdict, str]:
        now = text.strip()
        if now == kernel:
            return Verdict.PASS, f"default kernel is {kernel}"
        return Verdict.FAIL, f"default kernel is {now}, wanted {kernel}"

    return expect


REBUILD_DAHDI = "cd /usr/local/src/dahdi* && make && make install && service dahdi restart"
REBUILD_DAHDI_GIT = (
    "cd /usr/local/src && git clone https://github.com/asterisk/dahdi-linux && cd dahdi-linux && "
    "make && make install; cd /usr/local/src && git clone https://github.com/asterisk/dahdi-tools "
    "&& cd dahdi-tools && autoreconf -i && ./configure && make && make install && make config && "
    "/etc/init.d/dahdi restart"
)
REBUILD_GEOIP = "cd /usr/local/src/xtables* && ./configure && make && make install"


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 41 for validated parameter values ``v``."""
    tested = v["tested_kernels"]
    kernel = v["boot_kernel"]
    steps: list[Step] = [
        Check(
            id="running-kernel",
            title="Running kernel against the tested list",
            phase=Phase.BEFORE,
            command=cmd("uname", "-r"),
            parse=parse_kernel_release,
            expect=_running(tested),
        ),
        Check(
            id="boot-entries",
            title="Installed boot entries (grubby --info=ALL)",
            phase=Phase.BEFORE,
            command=cmd("grubby", "--info=ALL"),
            parse=_entries(tested),
            expect=lambda rows: (Verdict.PASS, "; ".join(rows)),
        ),
        Check(
            id="modules-running",
            title="dahdi and geoip built for the running kernel",
            phase=Phase.BEFORE,
            command=MODULE_LIST,
            parse=parse_module_inventory,
            expect=_modules_expect("running", tested),
        ),
        Check(
            id="modules-default",
            title="dahdi and geoip built for the kernel the next reboot starts",
            phase=Phase.BEFORE,
            command=MODULE_LIST,
            parse=parse_module_inventory,
            expect=_modules_expect("default", tested, strict=False),
        ),
        Manual(
            id="upgrade-advice",
            title="Before a kernel upgrade",
            phase=Phase.BEFORE,
            where="the node",
            detail="On CentOS 9 install only a tested build (dnf install kernel-<version>) and "
            "keep dnf update from pulling newer ones (exclude=kernel* in /etc/dnf/dnf.conf or dnf "
            "versionlock). Going from 2.6 to 4.x (elrepo kernel-lt on CentOS 6/7): disable "
            "GeoIP first, reboot, rebuild xtables-addons 2.10, enable it again.",
        ),
    ]
    if kernel:
        release = parse_kernel_release(kernel.removeprefix("/boot/vmlinuz-"))
        verdict, note = tested_status(release, tested)
        if verdict is not Verdict.PASS and not v["allow_untested"]:
            raise ParameterError(
                f"boot_kernel: {note}; pick a tested one or set allow_untested=True"
            )
        is_default = Check(
            id="default-kernel",
            title=f"The default boot kernel is {release.release}",
            command=cmd("grubby", "--default-kernel"),
            parse=str,
            expect=_default_is(kernel),
        )
        steps += [
            Command(
                id="set-default",
                title=f"Boot {release.release} by default",
                command=cmd("grubby", "--set-default", kernel),
                risk=Risk.CHANGING,
                unless=is_default,
            ),
            is_default,
        ]
    steps.append(
        Check(
            id="modules-default-after",
            title="The kernel the next reboot starts has dahdi and geoip",
            command=MODULE_LIST,
            parse=parse_module_inventory,
            expect=_modules_expect("default", tested),
        )
    )
    steps += [
        Manual(
            id="rebuild-dahdi",
            title="Rebuild dahdi after booting a new kernel",
            where="the node, booted into the new kernel",
            detail=f"{REBUILD_DAHDI}. Latest CentOS 9 kernels need dahdi from GitHub: "
            f"{REBUILD_DAHDI_GIT}",
        ),
        Manual(
            id="rebuild-geoip",
            title="Rebuild the geoip module (xtables-addons)",
            where="the node, booted into the new kernel",
            detail=REBUILD_GEOIP,
        ),
        Manual(
            id="try-once",
            title="Try a new kernel once before making it the default",
            where="the node",
            detail="grub2-reboot <entry> boots it once; if dahdi/geoip fail, the next reboot "
            "comes back to the current default.",
        ),
    ]
    return steps


RUNBOOK = RunbookDef(
    page=41,
    demo_targets="replay:srv01,replay:srv02",
    slug="upgrading-kernel",
    title="Upgrading kernel",
    scope="node",
    params=PARAMS,
    build=build,
    summary="running/default kernel vs tested list, dahdi and geoip modules, grubby default",
    verification=Verification(
        mirta_page="Start a test conference (needs dahdi) and check the GeoIP country filter "
        "page still lists its rules.",
        asterisk_log="In /var/log/asterisk/full: no 'No DAHDI timing source' / ConfBridge "
        "timing errors after the reboot.",
        status_menu="Status menu: the services (Asterisk, dahdi, firewall) are running.",
    ),
)
