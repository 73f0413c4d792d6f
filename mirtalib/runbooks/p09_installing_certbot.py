"""Seed page 09, *Installing Certbot*: Let's Encrypt certificates for the PBX web names.

The page installs Certbot on CentOS 7 through snapd and links ``/usr/bin/certbot``; MiRTA's
Admin/Theme page then requests certificates through Certbot's Apache integration. This runbook:

* reads ``/etc/os-release`` on each node and refuses to run a plan made for another OS (a
  CentOS 7 plan on a Rocky 9 node fails the first check, with the right plan named);
* has an install plan per OS (:func:`install_plan`): CentOS 7 through snapd (the page's way,
  plus ``epel-release``, which snapd needs and the page forgets, and a wait for snapd's first
  seeding, without which ``snap install`` fails with "too early for operation"; ``snap refresh
  core`` when the installed core has an update pending); Rocky/Alma/RHEL
  8 and 9 from EPEL with the Apache plugin; Debian from its own archive. Every command has a
  guard, so a second apply changes nothing;
* checks the renewal timer and the certificate of every PBX name in
  ``/etc/letsencrypt/live/NAME/fullchain.pem``: present, covering the name, days left.
"""

from __future__ import annotations

import dataclasses
from typing import Any

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
from mirtalib.runbooks.installs import (
    MISSING,
    cert_expect,
    cert_probe,
    os_probe,
    parse_cert_probe,
    parse_os,
    parse_tool_version,
    version_at_least,
)
from mirtalib.validate import cmd

PLATFORMS = ("centos7", "el8", "el9", "debian")
TIMERS = {
    "centos7": "snap.certbot.renew.timer",
    "el8": "certbot-renew.timer",
    "el9": "certbot-renew.timer",
    "debian": "certbot.timer",
}


# guard of ``snap refresh core``: core is installed and ``snap refresh --list`` has no update for it
CORE_CURRENT = (
    cmd("snap", "list", "core")
    + " >/dev/null 2>&1 && ! "
    + cmd("snap", "refresh", "--list")
    + " 2>/dev/null | "
    + cmd("grep", "-q", "^core ")
)


@dataclasses.dataclass(frozen=True)
class InstallStep:
    """One command of an install plan with its guard (exit 0: already done)."""

    id: str
    title: str
    command: str
    unless: str


def install_plan(platform: str) -> list[InstallStep]:
    """The guarded install commands for ``platform`` (one of :data:`PLATFORMS`)."""
    if platform == "centos7":
        return [
            InstallStep(
                "epel",
                "EPEL repository (snapd comes from it)",
                cmd("yum", "-y", "install", "epel-release"),
                cmd("rpm", "-q", "epel-release"),
            ),
            InstallStep(
                "snapd",
                "Install snapd",
                cmd("yum", "-y", "install", "snapd"),
                cmd("rpm", "-q", "snapd"),
            ),
            InstallStep(
                "snapd-socket",
                "Start snapd now and at boot",
                cmd("systemctl", "enable", "--now", "snapd.socket"),
                cmd("systemctl", "is-enabled", "snapd.socket"),
            ),
            InstallStep(
                "snap-link",
                "Classic snap support (/snap link)",
                cmd("ln", "-s", "/var/lib/snapd/snap", "/snap"),
                cmd("test", "-e", "/snap"),
            ),
            InstallStep(
                "snap-core",
                "Wait for snapd's first seeding, install the core snap",
                cmd("snap", "wait", "system", "seed.loaded")
                + " && "
                + cmd("snap", "install", "core"),
                cmd("snap", "list", "core"),
            ),
            InstallStep(
                "snap-core-refresh",
                "Bring the core snap up to date (snap refresh core, as the page does)",
                cmd("snap", "refresh", "core"),
                CORE_CURRENT,
            ),
            InstallStep(
                "certbot-snap",
                "Install Certbot (classic snap)",
                cmd("snap", "install", "--classic", "certbot"),
                cmd("snap", "list", "certbot"),
            ),
            InstallStep(
                "certbot-link",
                "Put certbot on the PATH",
                cmd("ln", "-s", "/snap/bin/certbot", "/usr/bin/certbot"),
                cmd("test", "-e", "/usr/bin/certbot"),
            ),
        ]
    if platform in ("el8", "el9"):
        return [
            InstallStep(
                "epel",
                "EPEL repository",
                cmd("dnf", "-y", "install", "epel-release"),
                cmd("rpm", "-q", "epel-release"),
            ),
            InstallStep(
                "certbot-pkg",
                "Install Certbot and its Apache plugin",
                cmd("dnf", "-y", "install", "certbot", "python3-certbot-apache"),
                cmd("rpm", "-q", "certbot", "python3-certbot-apache"),
            ),
            InstallStep(
                "renew-timer-on",
                "Enable the renewal timer",
                cmd("systemctl", "enable", "--now", TIMERS[platform]),
                cmd("systemctl", "is-enabled", TIMERS[platform]),
            ),
        ]
    if platform == "debian":
        return [
            InstallStep(
                "certbot-pkg",
                "Install Certbot and its Apache plugin",
                cmd("apt-get", "install", "-y", "certbot", "python3-certbot-apache"),
                cmd("dpkg", "-s", "certbot", "python3-certbot-apache"),
            ),
        ]
    raise ParameterError(f"platform={platform!r} has no install plan (use one of {PLATFORMS})")


def plan_text(platform: str) -> str:
    """The install plan as numbered shell lines (for the notebook)."""
    return "\n".join(
        f"{i}. {s.command}    # unless: {s.unless}" for i, s in enumerate(install_plan(platform), 1)
    )


PARAMS = (
    Param(
        "platform",
        "centos7",
        ("OS of the nodes: centos7, el8, el9 or debian (checked on each node)"),
        choices=PLATFORMS,
    ),
    Param(
        "pbx_names",
        "srv01.pbx.example.net",
        ("comma list of the PBX web names with a certificate"),
        items="hostname",
    ),
    Param(
        "live_dir",
        "/etc/letsencrypt/live",
        "Certbot's live folder (NAME/fullchain.pem)",
        kind="path",
    ),
    Param(
        "expiry_warn_days",
        30,
        "warn when a certificate expires within this many days",
        between=(0, 89),
    ),
    Param(
        "expiry_fail_days",
        7,
        "fail when it expires within this many days",
        between=(0, 89),
    ),
)


def _os_expect(platform: str):
    def expect(os_release) -> tuple[Verdict, str]:
        found = os_release.platform
        text = f"{os_release.pretty} (install plan '{found}')"
        if found != platform:
            return Verdict.FAIL, f"{text}: this run is set for '{platform}'; set platform={found!r}"
        return Verdict.PASS, text

    return expect


def _timer_expect(timer: str):
    def expect(state: str) -> tuple[Verdict, str]:
        if state.strip() == "enabled":
            return Verdict.PASS, f"{timer} is enabled (certificates renew by themselves)"
        return Verdict.FAIL, f"{timer} is {state.strip() or 'missing'}: no automatic renewal"

    return expect


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 09 for validated parameter values ``v``."""
    names = v["pbx_names"].split(",")
    timer = TIMERS[v["platform"]]
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
            id="certbot-before",
            title="Certbot already installed?",
            phase=Phase.BEFORE,
            command=cmd("certbot", "--version"),
            ok_codes=(0, 1, MISSING),
            parse=parse_tool_version,
            expect=version_at_least(
                "certbot", "1.0.0", missing=Verdict.PASS, hint="the install steps below add it"
            ),
        ),
    ]
    steps += [
        Command(id=s.id, title=s.title, command=s.command, unless=s.unless, risk=Risk.CHANGING)
        for s in install_plan(v["platform"])
    ]
    steps += [
        Manual(
            id="apache-integration",
            title="Request the certificates from MiRTA",
            where="MiRTA web interface: Admin/Theme (Apache integration of Certbot)",
            detail="Follow the Apache integration instructions of the Themes page for: "
            + ", ".join(names)
            + ". Port 80 must reach this node for the HTTP challenge.",
        ),
        Check(
            id="certbot-version",
            title="Certbot runs",
            command=cmd("certbot", "--version"),
            ok_codes=(0, 1, MISSING),
            parse=parse_tool_version,
            expect=version_at_least("certbot", "1.0.0"),
        ),
        Check(
            id="renew-timer",
            title=f"Renewal timer {timer}",
            command=cmd("systemctl", "is-enabled", timer),
            ok_codes=(0, 1),
            expect=_timer_expect(timer),
        ),
    ]
    for name in names:
        file = f"{v['live_dir']}/{name}/fullchain.pem"
        steps.append(
            Check(
                id=f"cert-{name.replace('.', '-')}"[:60],
                title=f"Certificate of {name}",
                probe=cert_probe(file),
                parse=parse_cert_probe,
                expect=cert_expect(
                    [name],
                    v["expiry_warn_days"],
                    v["expiry_fail_days"],
                    hint=f"request it from Admin/Theme (certbot --apache -d {name})",
                ),
            )
        )
    return steps


RUNBOOK = RunbookDef(
    page=9,
    slug="installing-certbot",
    title="Installing Certbot",
    scope="node",
    roles=("pbx",),
    params=PARAMS,
    build=build,
    summary="OS from /etc/os-release, Certbot install plan per OS, renewal timer, expiry per name",
    verification=Verification(
        mirta_page="Admin/Theme: the Certbot (Apache integration) section works and the site "
        "opens over https without a certificate warning.",
        asterisk_log="Nothing expected in /var/log/asterisk/full; see /var/log/letsencrypt/.",
        status_menu="Status menu: the node is up; the web server answers on https.",
    ),
)
