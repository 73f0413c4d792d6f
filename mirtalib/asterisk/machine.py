"""Parsers for what a node says about its CPUs, its addresses and its kernel modules.

* ``nproc`` -> int, ``lscpu`` -> :class:`CpuInfo` (seed page 40: how many vCPUs the guest sees,
  which hypervisor it runs on);
* the ``flags`` line of ``/proc/cpuinfo`` -> set of flags (seed page 46: is the TSC invariant,
  ``constant_tsc`` / ``nonstop_tsc``);
* ``ip -o addr show`` -> list of :class:`Address` (seed page 36: which interface holds the IP);
* ``find /lib/modules ...`` -> :class:`ModuleInventory` (seed page 41: for which kernel releases
  the ``dahdi`` and ``xt_geoip`` modules are built).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import logging
import re

from mirtalib.asterisk._common import Reject, as_text, parser, reject, to_int
from mirtalib.errors import ParseError

log = logging.getLogger(__name__)

_LSCPU = re.compile(r"^([A-Za-z][A-Za-z0-9 ()/_.,-]*?):\s*(.*)$")
_IP_LINE = re.compile(
    r"^\d+:\s+(?P<ifname>[^\s:]+)\s+(?P<family>inet6?)\s+(?P<addr>[0-9A-Fa-f.:]+)/(?P<prefix>\d+)"
)
_MODULE = re.compile(r"^/lib/modules/(?P<release>[^/\s]+)/(?:[^\s]+/)?(?P<name>[A-Za-z0-9_-]+)\.ko")


@parser
def parse_nproc(text: str | bytes) -> int:
    """Parse ``nproc`` output (one positive integer)."""
    lines = [ln for ln in as_text(text, what="nproc", ami=False).split("\n") if ln.strip()]
    if len(lines) != 1:
        raise ParseError(f"nproc: expected one line, got {len(lines)}")
    value = to_int(lines[0], what="nproc")
    if value < 1:
        raise ParseError(f"nproc: {value} is not a CPU count")
    return value


@dataclasses.dataclass(frozen=True)
class CpuInfo:
    """What ``lscpu`` reports (``fields`` keeps every ``Key: value`` line as printed)."""

    cpus: int | None
    sockets: int | None
    cores_per_socket: int | None
    threads_per_core: int | None
    model_name: str
    hypervisor: str
    virtualization_type: str
    fields: dict[str, str] = dataclasses.field(repr=False, default_factory=dict)

    @property
    def virtual(self) -> bool:
        """True when lscpu names a hypervisor (the node is a VM)."""
        return bool(self.hypervisor)


def _opt_int(fields: dict[str, str], key: str) -> int | None:
    value = fields.get(key)
    if value is None or value == "-":
        return None
    return to_int(value, what=f"lscpu {key}")


@parser
def parse_lscpu(text: str | bytes) -> CpuInfo:
    """Parse ``lscpu`` output (util-linux; ``Key: value`` lines, section headers ignored)."""
    fields: dict[str, str] = {}
    for line in as_text(text, what="lscpu", ami=False).split("\n"):
        m = _LSCPU.match(line.strip())
        if m and m.group(2):
            fields.setdefault(m.group(1).strip(), m.group(2).strip())
    if "CPU(s)" not in fields:
        raise ParseError("lscpu: no 'CPU(s):' line in the output")
    return CpuInfo(
        cpus=_opt_int(fields, "CPU(s)"),
        sockets=_opt_int(fields, "Socket(s)"),
        cores_per_socket=_opt_int(fields, "Core(s) per socket"),
        threads_per_core=_opt_int(fields, "Thread(s) per core"),
        model_name=fields.get("Model name", ""),
        hypervisor=fields.get("Hypervisor vendor", ""),
        virtualization_type=fields.get("Virtualization type", ""),
        fields=fields,
    )


@parser
def parse_cpu_flags(text: str | bytes) -> frozenset[str]:
    """Parse the ``flags`` line of ``/proc/cpuinfo`` (``grep -m1 '^flags' /proc/cpuinfo``)."""
    for line in as_text(text, what="/proc/cpuinfo", ami=False).split("\n"):
        key, sep, value = line.partition(":")
        if sep and key.strip() == "flags":
            return frozenset(value.split())
    raise ParseError("/proc/cpuinfo: no 'flags' line")


@dataclasses.dataclass(frozen=True)
class Address:
    """One address line of ``ip -o addr show``."""

    ifname: str
    family: str  # inet or inet6
    address: str
    prefix: int


@parser
def parse_ip_addr(text: str | bytes) -> tuple[list[Address], list[Reject]]:
    """Parse ``ip -o addr show`` (one line per address); other lines are returned as rejects."""
    found: list[Address] = []
    rejects: list[Reject] = []
    for n, line in enumerate(as_text(text, what="ip -o addr", ami=False).split("\n"), start=1):
        if not line.strip():
            continue
        m = _IP_LINE.match(line.strip())
        if not m:
            rejects.append(reject(n, "not an 'ip -o addr' address line", line))
            continue
        try:
            addr = str(ipaddress.ip_address(m.group("addr")))
        except ValueError:
            rejects.append(reject(n, f"{m.group('addr')!r} is not an IP address", line))
            continue
        found.append(Address(m.group("ifname"), m.group("family"), addr, int(m.group("prefix"))))
    return found, rejects


@dataclasses.dataclass(frozen=True)
class ModuleInventory:
    """Kernel modules found under ``/lib/modules``, per kernel release.

    Attributes:
        running: ``uname -r`` of the node ("" when the output had no ``running=`` line).
        default: release of the default boot kernel ("" when unknown).
        modules: release -> module names found for it (``dahdi``, ``xt_geoip`` ...).
        rejects: lines that were not understood.
    """

    running: str
    default: str
    modules: dict[str, tuple[str, ...]]
    rejects: tuple[Reject, ...] = ()

    def missing(self, release: str, wanted: tuple[str, ...]) -> list[str]:
        """Modules of ``wanted`` not built for ``release``."""
        have = self.modules.get(release, ())
        return [m for m in wanted if m not in have]


@parser
def parse_module_inventory(text: str | bytes) -> ModuleInventory:
    """Parse ``running=<uname -r>``, ``default=<vmlinuz path>`` and ``find /lib/modules`` lines.

    The runbook of page 41 prints the first two lines itself, then the paths ``find`` found
    (``/lib/modules/<release>/extra/dahdi.ko.xz``).
    """
    running = default = ""
    modules: dict[str, set[str]] = {}
    rejects: list[Reject] = []
    for n, line in enumerate(as_text(text, what="module list", ami=False).split("\n"), start=1):
        line = line.strip()
        if not line:
            continue
        if line.startswith("running="):
            running = line.removeprefix("running=")
        elif line.startswith("default="):
            default = line.removeprefix("default=").rsplit("/", 1)[-1].removeprefix("vmlinuz-")
        elif m := _MODULE.match(line):
            modules.setdefault(m.group("release"), set()).add(m.group("name").replace("-", "_"))
        else:
            rejects.append(reject(n, "not a /lib/modules/<release>/...ko path", line))
    return ModuleInventory(
        running, default, {k: tuple(sorted(v)) for k, v in sorted(modules.items())}, tuple(rejects)
    )
