"""Seed page 41, *Upgrading kernel*.

MiRTA PBX needs two out-of-tree kernel modules: ``dahdi`` (conferences) and ``xt_geoip``
(xtables-addons, the country filter of the firewall). Neither is rebuilt by a normal ``yum`` /
``dnf`` kernel update: after the reboot the new kernel runs without them. On CentOS 9 the page
adds that dahdi only compiles on the tested builds of the 5.14.0 kernel, ``5.14.0-362`` and
``5.14.0-378``, and shows ``grubby --info=ALL`` / ``grubby --set-default`` to pick the boot kernel.

What this runbook does, in the page's order (:func:`upgrade_steps`):

* before starting: the node's EL release (``rpm -E %rhel``) against ``platform``, the running
  kernel against the tested list (data: :data:`TESTED_KERNELS`, a parameter), the boot entries
  (``grubby --info=ALL``), and for the running *and the default* kernel whether ``dahdi`` and
  ``xt_geoip`` are built under ``/lib/modules/<release>`` (the danger is the next reboot);
  a maintenance-window item (the reboot stops every call of the node);
* ``install_kernel``: the kernel of ``boot_kernel`` and its ``-devel`` package (the modules build
  against it): on CentOS 6/7 ELRepo's ``kernel-lt`` (the page's key, ``elrepo-release`` package
  for 6 or 7, the ``elrepo-kernel`` repository), on EL9 the tested ``kernel-<release>`` from the
  OS repositories;
* dahdi and xtables-addons built *for the new kernel* while the old one runs (``make
  KVERS=<release>``, ``./configure --with-kbuild=/lib/modules/<release>/build``): dahdi from
  ``/usr/local/src/dahdi*`` (CentOS 6/7) or from GitHub (EL9, the page: only the latest dahdi
  runs there), xtables-addons 2.10 on CentOS 6/7 (the page's version for kernel 4.4), each only
  where its module is missing;
* CentOS 7: ``grub2-mkconfig -o /boot/grub2/grub.cfg`` when grub.cfg has no entry for it yet;
* the default kernel with ``grubby --set-default``, **refused** (exit 3, the step fails) when
  dahdi or xt_geoip is not built for it; the previous default is saved on the node and put back
  by rollback;
* ``reboot=True``: the reboot itself, a service-affecting step, skipped when the node already
  runs that kernel.
"""

from __future__ import annotations

import re
import shlex
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
PLATFORMS = ("centos6", "centos7", "el9")
ELREPO_KEY = "https://www.elrepo.org/RPM-GPG-KEY-elrepo.org"
ELREPO_RELEASE = {  # page 41: the repository package per CentOS release
    "centos6": "https://www.elrepo.org/elrepo-release-6-8.el6.elrepo.noarch.rpm",
    "centos7": "https://www.elrepo.org/elrepo-release-7.0-3.el7.elrepo.noarch.rpm",
}
XTABLES_210 = "/usr/local/src/xtables-addons-2.10"  # page 41: the version for kernel 4.4
SAVED_DEFAULT = "/var/lib/mirta-ops/p41-previous-default-kernel"
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
    Param(
        "platform",
        "el9",
        "EL release of the nodes: centos6, centos7 (ELRepo kernel-lt) or el9",
        choices=PLATFORMS,
    ),
    Param(
        "install_kernel",
        False,
        "install boot_kernel and its -devel package first (CentOS 6/7: ELRepo kernel-lt)",
    ),
    Param(
        "build_modules",
        True,
        "build dahdi and xtables-addons for boot_kernel where their module is missing",
    ),
    Param(
        "reboot",
        False,
        "reboot into boot_kernel at the end (service-affecting: in the maintenance window)",
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


def el_major(text: str) -> int:
    """``rpm -E %rhel`` output -> the EL major release (``9``); ParseError otherwise."""
    value = text.strip()
    if not value.isdigit():
        raise ParseError(f"rpm -E %rhel printed {value[:60]!r}: not an EL (CentOS/Rocky/RHEL) node")
    return int(value)


def _platform_expect(platform: str):
    def expect(major: int) -> tuple[Verdict, str]:
        found = "centos6" if major <= 6 else "centos7" if major == 7 else f"el{major}"
        if found != platform:
            return (
                Verdict.FAIL,
                f"EL{major} node (platform {found!r}): this run is set for {platform!r}",
            )
        return Verdict.PASS, f"EL{major} node: platform {platform!r}"

    return expect


def module_test(release: str, module: str, root: str = "/lib/modules") -> str:
    """Shell test: exit 0 when ``module`` (``dahdi``, ``xt_geoip``) is built for ``release``."""
    return (
        cmd("find", f"{root}/{release}", "-name", f"{module}.ko*")
        + " 2>/dev/null | "
        + cmd("grep", "-q", ".")
    )


def refuse_without_modules(release: str, root: str = "/lib/modules") -> str:
    """Shell prefix that stops (exit 3, naming the module) unless both modules are built."""
    parts = []
    for m in MODULES:
        say = cmd("echo", f"refused: {m} is not built for {release}")
        parts.append(f"{{ {module_test(release, m, root)} || {{ {say}; exit 3; }}; }}")
    return " && ".join(parts)


def _refused(output: str) -> str | None:
    hits = [ln for ln in output.splitlines() if ln.startswith("refused:")]
    return hits[0] if hits else None


def install_steps(platform: str, release: str) -> list[Command]:
    """The kernel of ``release`` and its -devel package (ELRepo kernel-lt on CentOS 6/7)."""
    if platform == "el9":
        pkgs = (f"kernel-{release}", f"kernel-devel-{release}")
        return [
            Command(
                id="kernel-install",
                title=f"Install kernel {release} and its headers (kernel-devel)",
                command=cmd("dnf", "-y", "install", *pkgs),
                unless=cmd("rpm", "-q", *pkgs),
                risk=Risk.CHANGING,
                timeout=1800,
            )
        ]
    pkgs = (f"kernel-lt-{release}", f"kernel-lt-devel-{release}")
    return [
        Command(
            id="elrepo-key",
            title="ELRepo's signing key",
            command=cmd("rpm", "--import", ELREPO_KEY),
            unless=cmd("rpm", "-q", "gpg-pubkey", "--qf", "%{SUMMARY}\n")
            + " | "
            + cmd("grep", "-qi", "elrepo"),
            risk=Risk.CHANGING,
        ),
        Command(
            id="elrepo-release",
            title="ELRepo repository package",
            command=cmd("rpm", "-Uvh", ELREPO_RELEASE[platform]),
            unless=cmd("rpm", "-q", "elrepo-release"),
            risk=Risk.CHANGING,
        ),
        Command(
            id="kernel-install",
            title=f"Install kernel-lt {release} and kernel-lt-devel from elrepo-kernel",
            command=cmd("yum", "-y", "--enablerepo=elrepo-kernel", "install", *pkgs),
            unless=cmd("rpm", "-q", *pkgs),
            risk=Risk.CHANGING,
            timeout=1800,
        ),
    ]


def build_steps(platform: str, release: str) -> list[Command]:
    """dahdi and xtables-addons built for ``release`` (not the running kernel), where missing."""
    kvers = f"KVERS={release}"
    if platform == "el9":
        dahdi = (
            "cd /usr/local/src && { test -d dahdi-linux/.git || "
            + cmd("git", "clone", "https://github.com/asterisk/dahdi-linux")
            + "; } && cd dahdi-linux && "
            + cmd("git", "pull", "--ff-only")
            + " && "
            + cmd("make", kvers)
            + " && "
            + cmd("make", "install", kvers)
        )
        xtables = 'cd "$(ls -d /usr/local/src/xtables-addons-*/ | sort -V | tail -1)"'
        where = "the newest /usr/local/src/xtables-addons-*"
    else:
        dahdi = (
            "cd /usr/local/src/dahdi* && "
            + cmd("make", kvers)
            + " && "
            + cmd("make", "install", kvers)
        )
        xtables = cmd("cd", XTABLES_210)
        where = f"{XTABLES_210} (the page's version for kernel 4.4, with its mconfig)"
    geoip = (
        xtables
        + " && "
        + cmd("./configure", f"--with-kbuild=/lib/modules/{release}/build")
        + " && make && make install"
    )
    return [
        Command(
            id="dahdi-build",
            title=f"Build dahdi for {release}"
            + (
                " (latest dahdi-linux from GitHub, as the page says for EL9)"
                if platform == "el9"
                else ""
            ),
            command=dahdi,
            unless=module_test(release, "dahdi"),
            risk=Risk.CHANGING,
            timeout=1800,
        ),
        Command(
            id="geoip-build",
            title=f"Build xtables-addons (xt_geoip) for {release} from {where}",
            command=geoip,
            unless=module_test(release, "xt_geoip"),
            risk=Risk.CHANGING,
            timeout=1800,
        ),
    ]


def upgrade_steps(v: dict[str, Any], release: str, kernel: str) -> list[Step]:
    """Install, build, grub and default-kernel steps for ``boot_kernel`` (``kernel``)."""
    platform = v["platform"]
    steps: list[Step] = []
    if v["install_kernel"]:
        steps += install_steps(platform, release)
    if v["build_modules"]:
        steps += build_steps(platform, release)
    if platform == "centos7":
        steps.append(
            Command(
                id="grub-mkconfig",
                title="Rebuild the GRUB 2 menu (grub2-mkconfig, as the page does on CentOS 7)",
                command=cmd("grub2-mkconfig", "-o", "/boot/grub2/grub.cfg"),
                unless=cmd("grep", "-qF", f"vmlinuz-{release}", "/boot/grub2/grub.cfg"),
                risk=Risk.CHANGING,
            )
        )
    is_default = Check(
        id="default-kernel",
        title=f"The default boot kernel is {release}",
        command=cmd("grubby", "--default-kernel"),
        parse=str,
        expect=_default_is(kernel),
    )
    save = (
        cmd("mkdir", "-p", SAVED_DEFAULT.rsplit("/", 1)[0])
        + " && "
        + cmd("grubby", "--default-kernel")
        + " > "
        + SAVED_DEFAULT
    )
    steps += [
        Command(
            id="set-default",
            title=f"Boot {release} by default (refused unless dahdi and xt_geoip are built for it)",
            command=f"{refuse_without_modules(release)} && {save} && "
            + cmd("grubby", "--set-default", kernel),
            risk=Risk.CHANGING,
            unless=is_default,
            ok_codes=(0, 3),
            failure=_refused,
            undo=cmd("test", "-s", SAVED_DEFAULT)
            + f' && grubby --set-default "$(cat {SAVED_DEFAULT})"',
        ),
        is_default,
    ]
    if v["reboot"]:
        steps.append(
            Command(
                id="reboot",
                title=f"Reboot into {release} (every call on the node drops)",
                command=cmd("shutdown", "-r", "now")
                if platform == "centos6"
                else cmd("systemctl", "reboot"),
                unless=f'test "$(uname -r)" = {shlex.quote(release)}',
                risk=Risk.SERVICE_AFFECTING,
            )
        )
    return steps


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
            id="el-release",
            title=f"EL release of the node (this run: {v['platform']})",
            phase=Phase.BEFORE,
            command=cmd("rpm", "-E", "%rhel"),
            parse=el_major,
            expect=_platform_expect(v["platform"]),
        ),
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
            detail="On CentOS 9 install only a tested build (kernel-<release>, install_kernel) "
            "and keep dnf update from pulling newer ones (exclude=kernel* in /etc/dnf/dnf.conf or "
            "dnf versionlock). Going from 2.6 to 4.x (ELRepo kernel-lt on CentOS 6/7): the geoip "
            "module of 2.6 does not load on 4.x and the firewall may lock you out, so disable "
            "GeoIP in the firewall first and enable it again once xt_geoip (xtables-addons 2.10) "
            "is built for the new kernel.",
        ),
        Manual(
            id="maintenance-window",
            title="Schedule the reboot in a maintenance window",
            phase=Phase.BEFORE,
            where="the node's console (iLO / iDRAC / vSphere) and the customers",
            detail="The reboot into the new kernel drops every call of the node and its phones "
            "re-register; in a cluster reboot one node at a time, with a console open in case "
            "the new kernel does not come up (the previous entry stays in the boot menu).",
        ),
    ]
    if kernel:
        release = parse_kernel_release(kernel.removeprefix("/boot/vmlinuz-"))
        verdict, note = tested_status(release, tested)
        if verdict is not Verdict.PASS and not v["allow_untested"]:
            raise ParameterError(
                f"boot_kernel: {note}; pick a tested one or set allow_untested=True"
            )
        if v["install_kernel"] and v["platform"] != "el9" and "elrepo" not in release.dist:
            raise ParameterError(
                f"boot_kernel: {release.release} is not an ELRepo kernel-lt release "
                "(such as 4.4.248-1.el7.elrepo.x86_64); on CentOS 6/7 install_kernel installs "
                "kernel-lt from ELRepo"
            )
        steps += upgrade_steps(v, release.release, kernel)
    else:
        wants = [n for n in ("install_kernel", "reboot") if v[n]]
        if wants:
            raise ParameterError(
                f"{', '.join(wants)} need boot_kernel (the kernel to install/boot)"
            )
    steps.append(
        Check(
            id="modules-default-after",
            title="The kernel the next reboot starts has dahdi and geoip",
            command=MODULE_LIST,
            parse=parse_module_inventory,
            expect=_modules_expect("default", tested),
        )
    )
    if not (kernel and v["build_modules"]):
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
        ]
    steps.append(
        Manual(
            id="try-once" if v["reboot"] else "reboot-window",
            title="Try a new kernel once before making it the default"
            if v["reboot"]
            else "Reboot into the new kernel in the maintenance window",
            where="the node",
            detail="grub2-reboot <entry> boots it once; if dahdi/geoip fail, the next reboot "
            "comes back to the current default."
            if v["reboot"]
            else "This run does not reboot (reboot=False): reboot in the window, then run "
            "verify; grub2-reboot <entry> instead boots a new kernel once to try it.",
        )
    )
    return steps


RUNBOOK = RunbookDef(
    page=41,
    demo_targets="replay:srv01,replay:srv02",
    slug="upgrading-kernel",
    title="Upgrading kernel",
    scope="node",
    roles=("pbx",),
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
