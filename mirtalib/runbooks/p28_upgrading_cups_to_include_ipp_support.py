"""Seed page 28, *Upgrading CUPS to include IPP support*: print received faxes over IPP.

MiRTA can print a received fax directly on a printer with the IPP protocol; it needs CUPS's
``ipptool`` command on the PBX and a network path from the PBX to the printer's IPP port (631,
through a port forward when the printer sits behind the customer's router). The page covers
CentOS 6, whose CUPS 1.4 has no ``ipptool``: MiRTA publishes newer CUPS packages for it.

This runbook:

* reads ``/etc/os-release`` and refuses a plan made for another OS (CentOS 6 has no os-release
  file and no supported package: the check fails and says to use MiRTA's packages by hand);
* checks whether ``ipptool`` is on the PATH and installs the package that carries it only when it
  is missing (``cups-ipptool`` on EL7/8/9, ``cups-ipp-utils`` on Debian: the CUPS server itself
  is not needed to send IPP jobs);
* when a printer URI is given, asks the printer for its attributes with the read-only
  ``get-printer-attributes.test`` from the PBX, which proves the port forward and IPP at once.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from mirtalib import validate
from mirtalib.asterisk.ipptool import IppTestRun, parse_ipptool
from mirtalib.errors import ParameterError
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
from mirtalib.runbooks.installs import MISSING, os_probe, parse_os
from mirtalib.validate import cmd

PACKAGES = {
    "centos7": ("yum", "cups-ipptool"),
    "el8": ("dnf", "cups-ipptool"),
    "el9": ("dnf", "cups-ipptool"),
    "debian": ("apt-get", "cups-ipp-utils"),
}
FIND = "command -v ipptool"  # POSIX shell builtin: prints the path, exit 1 when missing


def printer_uri(value: Any) -> str:
    """An ``ipp://`` / ``ipps://`` printer URI, or "" for no printer test."""
    if value == "":
        return ""
    text = validate.url(value, "printer_uri", schemes=("ipp", "ipps"))
    if not urlsplit(text).path.strip("/"):
        raise ParameterError(
            f"printer_uri={value!r} has no resource path (most printers use /ipp/print)"
        )
    return text


def install_command(platform: str) -> str:
    """The command installing ``ipptool`` on ``platform``."""
    if platform not in PACKAGES:
        raise ParameterError(f"platform={platform!r}: use one of {sorted(PACKAGES)}")
    tool, package = PACKAGES[platform]
    return cmd(tool, "install", "-y", package)


def printer_command(uri: str, timeout: int) -> str:
    """Read-only IPP test of the printer, stderr merged (ipptool prints its errors there)."""
    return cmd("ipptool", "-T", str(timeout), "-tv", uri, "get-printer-attributes.test") + " 2>&1"


def _ipptool_expect(missing: Verdict):
    def expect(found: str) -> tuple[Verdict, str]:
        found = found.strip()
        if found:
            return Verdict.PASS, f"ipptool is {found}"
        return missing, "ipptool is not installed" + (
            ": the install step below adds it" if missing is not Verdict.FAIL else ""
        )

    return expect


def printer_expect(run: IppTestRun) -> tuple[Verdict, str]:
    """PASS when the printer answered; the make/model and state shown; errors explained."""
    if run.passed:
        a = run.attributes
        what = a.get("printer-make-and-model") or a.get("printer-name") or "printer"
        return Verdict.PASS, f"{what} answers IPP (state {a.get('printer-state', '?')})"
    why = "; ".join(run.errors[:2]) or "the attributes test failed"
    if "Unable to connect" in why:
        why += " (check the port forward to the printer's port 631 and the URI)"
    return Verdict.FAIL, why


def _os_expect(platform: str):
    def expect(found) -> tuple[Verdict, str]:
        text = f"{found.pretty} (plan '{found.platform}')"
        if found.platform != platform:
            return Verdict.FAIL, f"{text}: this run is set for '{platform}'"
        return Verdict.PASS, text

    return expect


PARAMS = (
    Param(
        "platform",
        "centos7",
        ("OS of the nodes: centos7, el8, el9 or debian (checked on each node)"),
        choices=tuple(PACKAGES),
    ),
    Param(
        "printer_uri",
        "ipp://192.0.2.50:631/ipp/print",
        "printer to test from the PBX; empty: no test",
        check=printer_uri,
    ),
    Param("ipp_timeout", 10, "seconds ipptool waits for the printer", between=(1, 120)),
)


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 28 for validated parameter values ``v``."""
    tool, package = PACKAGES[v["platform"]]
    steps: list[Step] = [
        Check(
            id="os-release",
            title="Operating system of the node",
            phase=Phase.BEFORE,
            probe=os_probe,
            parse=parse_os,
            expect=_os_expect(v["platform"]),
        ),
        Check(
            id="ipptool-before",
            title="ipptool present?",
            phase=Phase.BEFORE,
            command=FIND,
            ok_codes=(0, 1, MISSING),
            expect=_ipptool_expect(Verdict.WARN),
        ),
        Command(
            id="install-ipptool",
            title=f"Install {package} (ipptool)",
            command=install_command(v["platform"]),
            risk=Risk.CHANGING,
            unless=FIND,
            undo=cmd(tool, "remove", "-y", package),
        ),
        Check(
            id="ipptool-after",
            title="ipptool on the PATH",
            command=FIND,
            ok_codes=(0, 1, MISSING),
            expect=_ipptool_expect(Verdict.FAIL),
        ),
    ]
    if v["printer_uri"]:
        host = urlsplit(v["printer_uri"]).hostname
        port = urlsplit(v["printer_uri"]).port or 631
        steps.insert(
            1,
            Manual(
                id="port-forward",
                title="The PBX reaches the printer's IPP port",
                phase=Phase.BEFORE,
                where="customer router / firewall",
                detail=f"forward TCP {port} to the printer {host}; allow only the PBX's address",
            ),
        )
        steps.append(
            Check(
                id="printer-ipp",
                title="The printer answers IPP from the PBX",
                command=printer_command(v["printer_uri"], v["ipp_timeout"]),
                ok_codes=(0, 1),
                parse=parse_ipptool,
                expect=printer_expect,
            )
        )
    steps.append(
        Manual(
            id="fax-to-printer",
            title="Point the fax destination at the printer",
            where="MiRTA Configuration > Fax (print on receive)",
            detail=f"printer URI {v['printer_uri'] or '<the printer ipp:// URI>'}",
        )
    )
    return steps


RUNBOOK = RunbookDef(
    page=28,
    slug="upgrading-cups-to-include-ipp-support",
    title="Upgrading CUPS to include ipp support",
    scope="node",
    roles=("pbx",),
    params=PARAMS,
    build=build,
    summary="OS, ipptool present (package per OS), printer reachable over IPP from the PBX",
    verification=Verification(
        mirta_page="Send a test fax to the DID: it is printed on the printer.",
        asterisk_log="/var/log/asterisk/full: the fax is received; no ipptool error after it.",
        status_menu="Status menu: the node is up.",
    ),
)
