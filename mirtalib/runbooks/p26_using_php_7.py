"""Seed page 26, *Using PHP 7*: move the web interface from PHP 5 to PHP 7.3/7.4 (remi).

The page installs remi's *parallel* packages (``php74-php-*`` under ``/opt/remi/php74``), replaces
``php-common``, removes ``php5*``, moves ``php.ini`` around with symlinks and replaces
``/usr/bin/php`` with a symlink, then copies the ionCube loader for 7.x. That leaves a node whose
``php`` command, ``php.ini`` and Apache module come from different places, and every later
``yum update`` can undo the symlinks.

This runbook follows remi's *single version* route instead (same result, no symlinks): the
remi-release repository package, then on CentOS 6 and 7 ``yum-config-manager`` enables only
``remi-php73`` (CentOS 6: the page's 7.3, remi has no 7.4 there; ``/etc/redhat-release`` tells the
release, CentOS 6 has no os-release) or ``remi-php74`` (every other ``remi-phpNN`` disabled) and
``yum update 'php*'`` upgrades the installed PHP in place; on EL8/EL9 ``dnf module reset php`` +
``dnf module enable php:remi-7.4``. The page's extension list is installed with the same names
(:func:`remi_plan`, every command with its declared risk and a guard, so a second apply changes
nothing), and the packages named ``php5*`` are removed as the page does (``php55-php-*``,
``php56u-*`` ...: a parallel PHP 5 left behind; the guard ``rpm -qa 'php5*'`` finds none on a
single-version node, where PHP 5 was ``php-*``). The ionCube loader for the new PHP is installed
before Apache restarts (shared with page 27), so the web interface never runs a PHP without its
loader.

Operator notes: PHP 7.3 and 7.4 are end of life upstream (remi's builds are the only updates);
the package update is service-affecting for the web interface. Rollback is not a command:
snapshot the node first; ``yum history undo <id>`` (``dnf`` on EL8/9) of the update
transaction and re-enabling the former ``remi-phpNN`` repository / module stream give PHP 5
back, and this runbook's rollback restores the ionCube ini file (:func:`rollback_notes`).
"""

from __future__ import annotations

import dataclasses
import re
import shlex
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
from mirtalib.runbooks.installs import os_probe, parse_os
from mirtalib.runbooks.p27_upgrading_ioncube import PARAMS as P27
from mirtalib.runbooks.php_pages import (
    MIN_IONCUBE,
    ioncube_steps,
    loader_choice,
    machine_check,
    php_check,
    php_now_check,
)
from mirtalib.validate import cmd

PLATFORMS = ("centos6", "centos7", "el8", "el9")
OLD_PHP = "php5*"  # the page's `yum -y remove "php5*"`: php55-php-*, php56u-* ... packages
VERSIONS = ("7.3", "7.4")
PAGE_PACKAGES = (
    "php-cli,php-mysqlnd,php-pdo,php-xml,php-gd,php-mbstring,php-process,php-json,php-ldap,"
    "php-imap,php-pear,php-pecl-zip,php-pecl-mcrypt,php-pecl-imagick,php-pecl-http,"
    "php-pecl-raphf,php-pecl-mysql"
)


@dataclasses.dataclass(frozen=True)
class PlanStep:
    """One command of the remi plan: guard (exit 0 = already done), risk, rollback note."""

    id: str
    title: str
    command: str
    unless: str
    risk: Risk
    rollback: str


def _packages(value: str) -> str:
    names = [n.strip() for n in value.split(",") if n.strip()]
    bad = [n for n in names if not n.replace("-", "").replace("_", "").isalnum()]
    if not names or bad:
        raise ParameterError(f"php_packages={value!r}: a comma list of package names (bad: {bad})")
    return ",".join(names)


def remi_plan(platform: str, version: str, packages: str = PAGE_PACKAGES) -> list[PlanStep]:
    """The remi commands moving ``platform`` (centos6/7, el8/9) to PHP ``version`` (7.3/7.4)."""
    if platform not in PLATFORMS:
        raise ParameterError(f"platform={platform!r} has no remi plan (use one of {PLATFORMS})")
    if platform == "centos6" and version != "7.3":
        raise ParameterError(
            f"php_version={version!r}: on CentOS 6 the page moves to 7.3 (remi has no 7.4 for EL6)"
        )
    if version not in VERSIONS:
        raise ParameterError(f"php_version={version!r}: page 26 moves to one of {VERSIONS}")
    major = {"centos6": 6, "centos7": 7, "el8": 8, "el9": 9}[platform]
    yum = "yum" if platform in ("centos6", "centos7") else "dnf"
    code = f'exit(PHP_MAJOR_VERSION . "." . PHP_MINOR_VERSION === "{version}" ? 0 : 1);'
    at_version = cmd("php", "-r", code)
    steps = [
        PlanStep(
            "remi-release",
            "remi repository definitions (needs EPEL)",
            cmd(
                yum,
                "-y",
                "install",
                "epel-release",
                f"https://rpms.remirepo.net/enterprise/remi-release-{major}.rpm",
            ),
            cmd("rpm", "-q", "epel-release", "remi-release"),
            Risk.CHANGING,
            f"{yum} remove remi-release (only if nothing else uses remi)",
        )
    ]
    if platform in ("centos6", "centos7"):
        repo = f"remi-php{version.replace('.', '')}"
        steps += [
            PlanStep(
                "yum-utils",
                "yum-config-manager (yum-utils)",
                cmd("yum", "-y", "install", "yum-utils"),
                cmd("rpm", "-q", "yum-utils"),
                Risk.CHANGING,
                "none needed",
            ),
            PlanStep(
                "remi-php-repo",
                f"Enable {repo} only",
                cmd("yum-config-manager", "--disable", "remi-php*")
                + " && "
                + cmd("yum-config-manager", "--enable", repo),
                "test \"$(yum -q repolist enabled | grep -o '^remi-php[0-9]*' | sort -u)\" = "
                + shlex.quote(repo),
                Risk.CHANGING,
                f"yum-config-manager --disable {repo} --enable remi-phpNN (the former one)",
            ),
        ]
    else:
        stream = f"php:remi-{version}"
        steps.append(
            PlanStep(
                "php-module",
                f"Enable the {stream} module stream",
                cmd("dnf", "-y", "module", "reset", "php")
                + " && "
                + cmd("dnf", "-y", "module", "enable", stream),
                cmd("dnf", "-q", "module", "list", "--enabled", "php")
                + " | "
                + cmd("grep", "-q", f"remi-{version}"),
                Risk.CHANGING,
                "dnf module reset php && dnf module enable php:<former stream>",
            )
        )
    steps += [
        PlanStep(
            "php-update",
            f"Upgrade the installed PHP packages to {version}",
            cmd(yum, "-y", "update", "php*"),
            at_version,
            Risk.SERVICE_AFFECTING,
            f"{yum} history undo <id of this transaction> (see {yum} history list php)",
        ),
        PlanStep(
            "php-extensions",
            "The extensions the page installs",
            cmd(yum, "-y", "install", *packages.split(",")),
            cmd("rpm", "-q", *packages.split(",")),
            Risk.CHANGING,
            f"part of the same {yum} history undo",
        ),
        PlanStep(
            "remove-php5",
            'Remove the packages named php5* (the page: yum -y remove "php5*")',
            cmd(yum, "-y", "remove", OLD_PHP),
            "! " + cmd("rpm", "-qa", OLD_PHP) + " | " + cmd("grep", "-q", "."),
            Risk.CHANGING,
            f"{yum} history undo <id of the remove transaction> reinstalls them",
        ),
    ]
    return steps


def rollback_notes(platform: str, version: str) -> str:
    """How to go back, step by step (rollback is a decision, not a command run automatically)."""
    lines = ["0. Before apply: snapshot the node (VM) or note the last `yum history` id."]
    lines += [f"{i}. {s.id}: {s.rollback}" for i, s in enumerate(remi_plan(platform, version), 1)]
    lines.append(
        "then: this runbook's rollback restores the ionCube ini file from its backup; "
        "restart the web server."
    )
    return "\n".join(lines)


_REDHAT_RELEASE = re.compile(r"^(?P<name>.*?) release (?P<version>\d+(?:\.\d+)*)")


def os_text(target: Any) -> str:
    """``/etc/os-release``, or on CentOS 6 (which has none) ``/etc/redhat-release`` in its form."""
    text = os_probe(target)
    if text.strip():
        return text
    release = (target.read_text("/etc/redhat-release") or "").strip()
    m = _REDHAT_RELEASE.match(release)
    if not m:
        return ""  # parse_os names the missing file
    name = m.group("name").split()[0].lower()
    return (
        f'ID={name}\nID_LIKE="rhel"\nVERSION_ID="{m.group("version")}"\nPRETTY_NAME="{release}"\n'
    )


def remi_platform(found: Any) -> str:
    """The remi plan key of an :class:`~mirtalib.asterisk.osrelease.OsRelease` (CentOS 6 too)."""
    if found.family == "rhel" and found.major == 6:
        return "centos6"
    return found.platform


def _os_expect(platform: str):
    def expect(found) -> tuple[Verdict, str]:
        text = f"{found.pretty} (remi plan '{remi_platform(found)}')"
        if remi_platform(found) != platform:
            return Verdict.FAIL, f"{text}: this run is set for '{platform}'"
        return Verdict.PASS, text

    return expect


PARAMS = (
    Param(
        "platform",
        "centos7",
        "OS of the nodes: centos6, centos7, el8 or el9 (checked on each node)",
        choices=PLATFORMS,
    ),
    Param("php_version", "7.4", "PHP version to move to: 7.3 or 7.4", choices=VERSIONS),
    Param("php_packages", PAGE_PACKAGES, "the page's extensions", check=_packages),
    *(p for p in P27 if p.name not in ("php_version", "php_ini")),
)


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 26 for validated parameter values ``v``."""
    choice = loader_choice(v["php_version"], v["thread_safe"], v["machine"])
    steps: list[Step] = [
        Check(
            id="os-release",
            title="Operating system of the node",
            phase=Phase.BEFORE,
            probe=os_text,
            parse=parse_os,
            expect=_os_expect(v["platform"]),
        ),
        php_now_check(),
        machine_check(v["machine"]),
        Manual(
            id="rollback-path",
            title="Know the way back before starting",
            phase=Phase.BEFORE,
            where="hypervisor / yum history",
            detail=rollback_notes(v["platform"], v["php_version"]).replace("\n", " "),
        ),
    ]
    steps += [
        Command(id=s.id, title=s.title, command=s.command, unless=s.unless, risk=s.risk)
        for s in remi_plan(v["platform"], v["php_version"], v["php_packages"])
    ]
    steps += [
        Manual(
            id="loader-for-new-php",
            title=f"ionCube loader for PHP {v['php_version']}",
            where="this runbook (next steps)",
            detail=f"{choice.file} from {choice.tarball}; "
            "a loader built for another PHP version does not load.",
        ),
        *ioncube_steps(v, v["php_version"]),
        php_check(
            "php-after",
            f"PHP {v['php_version']} with ionCube {MIN_IONCUBE}+",
            v["php_version"],
            ioncube=Verdict.FAIL,
        ),
    ]
    return steps


RUNBOOK = RunbookDef(
    page=26,
    slug="using-php-7",
    title="Using PHP 7",
    scope="node",
    roles=("pbx",),
    params=PARAMS,
    build=build,
    summary="OS and PHP found, remi plan per OS (repo or module stream), ionCube for the new PHP",
    verification=Verification(
        mirta_page="Log in to the MiRTA web interface and open a few Admin and Configuration "
        "pages: no blank page, no ionCube or PHP error.",
        asterisk_log="Nothing expected in /var/log/asterisk/full; AGI scripts in PHP keep "
        "working (test a call that uses one); see /var/log/httpd/error_log.",
        status_menu="Status menu: the node and its web interface are up.",
    ),
)
