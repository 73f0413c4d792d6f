"""Seed page 38, *Upgrading/Downgrading Asterisk*.

The page: change the Asterisk version only when really needed (each version wants its own library
versions); MiRTA ships ``protected/installAsterisk.sh``: copy it to ``/usr/local/src`` and run it
with ``20-current`` (latest 20.x) or an exact version such as ``20.12.0``.

What this runbook adds:

* the current version is read from the node (``asterisk -V``) and compared with the target:
  upgrade, downgrade (warned: modules and libraries may not go back cleanly) or nothing to do;
  ``NN-current`` counts as reached when the node already runs major NN (give an exact version to
  move within a major);
* a target of 21 or later is warned about: Asterisk 21 removed chan_sip, which MiRTA uses for the
  calls between nodes; on a node already on 21 or later, a watched chan_sip that does not run is
  reported as such ("chan_sip is not loaded on this Asterisk 22 node: ...", a warning), not as a
  module lost by the change;
* distribution builds print their package version (Debian: ``Asterisk 22.10.1+dfsg+~cs6...-1``):
  the Asterisk release (``22.10.1``) is what targets are compared with and what the "go back"
  hint gives;
* active calls are counted first: the build restarts Asterisk and drops them;
* the list of running modules is saved on the node before the build, and verify compares it with
  the modules running afterwards (every module that ran before must run again), plus a watch list
  of modules MiRTA cannot work without (a failed check still says whether the rest of the
  comparison held).

On the demo node srv01 (recorded from a real Asterisk 22.10.1, a Debian build, without chan_sip
and res_odbc) the page's documented target, ``20-current``, is a downgrade. Its answers after the
install are hand-written, not recorded (the test PBX runs Asterisk 22 only): ``asterisk -V`` says
20.15.2 and ``module show`` is the recorded 22.10.1 list, so verify finds chan_sip and res_odbc
of the watch list not running.

The script's location in the MiRTA tree is *assumed* (``install_script``); check it on your node.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Any

from mirtalib.asterisk.cli import ModuleList, parse_module_show
from mirtalib.asterisk.software import AsteriskVersion, parse_asterisk_version
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
    failure_lines,
)
from mirtalib.runbook.targets import Target
from mirtalib.runbooks.cli_answers import (
    FIRST_WITHOUT_CHAN_SIP,
    VERSION_COMMAND,
    chan_sip_missing,
)
from mirtalib.validate import Command as Cmd
from mirtalib.validate import cmd

_TARGET = re.compile(
    r"^(?:(?P<major>\d{2})-current|(?P<exact>\d{2}\.\d{1,2}\.\d{1,2}(?:-cert\d+)?))$"
)
_MODULE = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
SNAPSHOT = "/var/tmp/mirta-p38-modules-before.txt"  # noqa: S108 - a path on the node


def _target_version(value: str) -> str:
    if not _TARGET.match(value):
        raise ParameterError(
            f"target_version={value!r}: use NN-current (20-current) or an exact version (20.12.0)"
        )
    return value


def _modules(value: str) -> tuple[str, ...]:
    names = tuple(m.strip().removesuffix(".so") for m in value.split(",") if m.strip())
    bad = [m for m in names if not _MODULE.match(m)]
    if not names or bad:
        raise ParameterError(f"watch_modules={value!r}: module names like chan_sip,app_queue")
    return names


PARAMS = (
    Param(
        "target_version",
        "20-current",
        ("NN-current (latest of a major) or an exact version like 20.12.0"),
        check=_target_version,
    ),
    Param(
        "install_script",
        "/var/www/html/pbx/protected/installAsterisk.sh",
        "MiRTA's installer (assumed location)",
        kind="path",
    ),
    Param("build_dir", "/usr/local/src", "where the installer is copied and run", kind="path"),
    Param(
        "watch_modules",
        "chan_sip,chan_pjsip,res_pjsip,app_queue,app_mixmonitor,res_odbc",
        "must run afterwards",
        check=_modules,
    ),
    Param("allow_active_calls", False, "build even when calls are up (they are dropped)"),
)


def target_major(target: str) -> int:
    """Major release of a target version string."""
    return int(target.split("-")[0].split(".")[0])


_RELEASE = re.compile(r"^(?:certified/)?(?P<release>\d+\.\d+(?:\.\d+)?(?:-cert\d+)?)")


def release(current: AsteriskVersion) -> str:
    """The Asterisk release of a version string, without a distribution's package suffix.

    ``22.10.1+dfsg+~cs6.17.60671434-1`` (Debian) -> ``22.10.1``; ``certified/18.9-cert5`` ->
    ``18.9-cert5``; a version that is no release (``GIT-master-1a2b3c``) is kept as it is.
    """
    m = _RELEASE.match(current.version)
    return m.group("release") if m else current.version


def target_reached(current: AsteriskVersion, target: str) -> bool:
    """True when ``current`` satisfies ``target`` (same major for NN-current, else equal)."""
    m = _TARGET.match(target)
    if m is None:
        raise ParameterError(f"target version {target!r} is not understood")
    if m.group("major"):
        return current.major == int(m.group("major"))
    return release(current) == m.group("exact")


def compare(current: AsteriskVersion, target: str) -> tuple[Verdict, str]:
    """What moving from ``current`` to ``target`` means, as a verdict for the plan."""
    major = target_major(target)
    now = current.version
    notes = []
    if major >= FIRST_WITHOUT_CHAN_SIP:
        notes.append("Asterisk 21 and later have no chan_sip: MiRTA's calls between nodes use it")
    if target_reached(current, target):
        return Verdict.PASS, f"runs {now}: {target} already reached, nothing to build"
    exact = _TARGET.match(target).group("exact")  # type: ignore[union-attr]
    wanted = tuple(int(x) for x in re.findall(r"\d+", exact)[:3]) if exact else (major,)
    down = wanted < current.version_tuple[: len(wanted)]
    kind = "DOWNGRADE" if down else "upgrade"
    if down:
        notes.append("a downgrade may leave newer modules and libraries behind: test first")
    back = release(current)
    if _TARGET.match(back):
        notes.append(f"to go back later: target_version={back}")
    else:
        notes.append(f"{now} is not a release installAsterisk.sh can build back")
    text = f"{kind} {now} -> {target}; " + "; ".join(notes)
    return (Verdict.WARN if down or major >= FIRST_WITHOUT_CHAN_SIP else Verdict.PASS), text


_COUNT = re.compile(r"^(\d+) active calls?$", re.MULTILINE)


def parse_active_calls(text: str) -> int:
    """Active calls from ``core show channels count``."""
    m = _COUNT.search(str(text))
    if not m:
        raise ParseError("core show channels count: no 'N active call(s)' line")
    return int(m.group(1))


def module_regressions(before: ModuleList, after: ModuleList) -> list[str]:
    """Modules running in ``before`` that do not run in ``after``."""
    now = set(after.running())
    return [m for m in before.running() if m not in now]


def _snapshot_probe(target: Target) -> str:
    out = target.run(cmd("cat", SNAPSHOT))
    if out.exit_code != 0:
        return ""
    return out.stdout


VERSION_MARK = "\n=== version ===\n"


def _modules_compared(v: dict[str, Any]):
    def probe(target: Target) -> str:
        now = target.run(cmd("asterisk", "-rx", "module show"))
        if now.exit_code != 0:
            raise ParseError(f"module show exited {now.exit_code}: {now.stderr.strip()[:200]}")
        text = _snapshot_probe(target) + "\n=== now ===\n" + now.stdout
        running = parse_module_show(now.stdout).running()
        if any(f"{m}.so" not in running for m in v["watch_modules"]):
            # a watched module is missing: the version says whether it can exist at all
            version = target.run(VERSION_COMMAND)
            if version.exit_code == 0:
                text += VERSION_MARK + version.stdout
        return text

    return probe


@dataclass(frozen=True)
class ModulesNow:
    """The modules-after probe, parsed: the snapshot (None: no snapshot), the modules running
    now, and the node's version when it was asked (a watched module was missing)."""

    before: ModuleList | None
    now: ModuleList
    version: AsteriskVersion | None = None

    def __repr__(self) -> str:
        before = "no snapshot" if self.before is None else f"{len(self.before.running())} before"
        shown = f", {self.version.version}" if self.version else ""
        return f"{len(self.now.running())} modules running now, {before}{shown}"


def _parse_pair(text: str) -> ModulesNow:
    rest, _, version_text = text.partition(VERSION_MARK)
    before, _, now = rest.partition("\n=== now ===\n")
    version = parse_asterisk_version(version_text) if version_text.strip() else None
    return ModulesNow(
        parse_module_show(before) if before.strip() else None, parse_module_show(now), version
    )


def _removed_here(module: str, version: AsteriskVersion | None) -> bool:
    """True for a module the node's Asterisk cannot have (chan_sip on 21 and later)."""
    major = version.major if version else None
    return module == "chan_sip" and major is not None and major >= FIRST_WITHOUT_CHAN_SIP


def _pair_expect(v: dict[str, Any]):
    def expect(pair: ModulesNow) -> tuple[Verdict, str]:
        before, now = pair.before, pair.now
        missing = [m for m in v["watch_modules"] if f"{m}.so" not in now.running()]
        gone = [m for m in missing if _removed_here(m, pair.version)]
        missing_watch = [m for m in missing if m not in gone]
        lost = module_regressions(before, now) if before is not None else []
        problems = []
        if lost:
            problems.append(f"ran before, not now: {', '.join(lost)}")
        if missing_watch:
            problems.append(f"watch list not running: {', '.join(missing_watch)}")
        if problems:
            if gone:
                problems.append(_gone_text(gone, pair.version))
            if before is None:
                problems.append(f"no snapshot {SNAPSHOT} to compare with")
            elif not lost:
                problems.append(f"all {len(before.running())} modules of before run again")
            return Verdict.FAIL, "; ".join(problems)
        base = f"{len(now.running())} modules running, watch list all running"
        if gone:
            base = f"{len(now.running())} modules running, the rest of the watch list running"
        if before is None:
            verdict, text = Verdict.WARN, base + f" (no snapshot {SNAPSHOT} to compare with)"
        else:
            verdict = Verdict.PASS
            text = base + f"; all {len(before.running())} modules of before run again"
        if gone:
            verdict, text = Verdict.WARN, _gone_text(gone, pair.version) + "; " + text
        return verdict, text

    return expect


def _gone_text(gone: list[str], version: AsteriskVersion | None) -> str:
    return chan_sip_missing(
        f"{' and '.join(gone)} of the watch list cannot run here, and MiRTA's calls between "
        "nodes use chan_sip: move them to PJSIP, or stay on Asterisk 20",
        version,
    )


def _version_check(v: dict[str, Any], *, phase: Phase, final: bool) -> Check:
    def expect(current: AsteriskVersion) -> tuple[Verdict, str]:
        if final:
            if target_reached(current, v["target_version"]):
                return Verdict.PASS, f"runs {current.version} ({v['target_version']})"
            return Verdict.FAIL, f"runs {current.version}, wanted {v['target_version']}"
        return compare(current, v["target_version"])

    return Check(
        id="version-after" if final else "version-now",
        title="Asterisk version after the change" if final else "Current and target version",
        phase=phase,
        command=cmd("asterisk", "-V"),
        parse=parse_asterisk_version,
        expect=expect,
    )


def _calls_expect(allow: bool):
    def expect(calls: int) -> tuple[Verdict, str]:
        if calls == 0:
            return Verdict.PASS, "no active call"
        verdict = Verdict.WARN if allow else Verdict.FAIL
        return verdict, f"{calls} active call(s): the build restarts Asterisk and drops them"

    return expect


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 38 for validated parameter values ``v``."""
    reached = Check(
        id="version-reached",
        title=f"Already on {v['target_version']}",
        command=cmd("asterisk", "-V"),
        parse=parse_asterisk_version,
        expect=lambda cur: (
            (Verdict.PASS, f"runs {cur.version}")
            if target_reached(cur, v["target_version"])
            else (Verdict.FAIL, f"runs {cur.version}")
        ),
    )
    script = v["install_script"].rsplit("/", 1)[-1]
    snapshot = Cmd(f"{cmd('asterisk', '-rx', 'module show')} > {shlex.quote(SNAPSHOT)}")
    install = Cmd(f"cd {shlex.quote(v['build_dir'])} && {cmd('./' + script, v['target_version'])}")
    return [
        Manual(
            id="only-if-needed",
            title="Change the Asterisk version only for a reason",
            phase=Phase.BEFORE,
            where="change request",
            detail="Each Asterisk version needs its own library versions; back up /etc/asterisk "
            "and take a VM snapshot first; try the same version on a test node.",
        ),
        _version_check(v, phase=Phase.BEFORE, final=False),
        Check(
            id="active-calls",
            title="Calls in progress",
            phase=Phase.BEFORE,
            command=cmd("asterisk", "-rx", "core show channels count"),
            parse=parse_active_calls,
            expect=_calls_expect(v["allow_active_calls"]),
        ),
        Check(
            id="modules-now",
            title="Modules running now",
            phase=Phase.BEFORE,
            command=cmd("asterisk", "-rx", "module show"),
            parse=lambda text: tuple(parse_module_show(text).running()),
            expect=lambda names: (Verdict.PASS, f"{len(names)} modules running"),
        ),
        Command(
            id="modules-snapshot",
            title=f"Save the running modules to {SNAPSHOT}",
            command=snapshot,
            risk=Risk.CHANGING,
            unless=reached,
        ),
        Command(
            id="copy-script",
            title=f"Copy {script} to {v['build_dir']}",
            command=cmd("cp", v["install_script"], v["build_dir"] + "/"),
            risk=Risk.CHANGING,
            unless=reached,
        ),
        Command(
            id="install",
            title=f"Build and install Asterisk {v['target_version']} (restarts Asterisk)",
            command=install,
            risk=Risk.SERVICE_AFFECTING,
            unless=reached,
            timeout=7200,
            failure=failure_lines(r"\berror\b.*\b(make|configure|install)", r"^\s*failed\b"),
        ),
        _version_check(v, phase=Phase.VERIFICATION, final=True),
        Check(
            id="modules-after",
            title="Modules running after the change",
            probe=_modules_compared(v),
            parse=_parse_pair,
            expect=_pair_expect(v),
        ),
    ]


RUNBOOK = RunbookDef(
    page=38,
    slug="upgrading-downgrading-asterisk",
    title="Upgrading/Downgrading Asterisk",
    scope="node",
    roles=("pbx",),
    params=PARAMS,
    build=build,
    summary="current vs target version, active calls, installAsterisk.sh, modules compared",
    verification=Verification(
        mirta_page="Status page shows the new Asterisk version; extensions, queues and trunks "
        "work (test call in and out).",
        asterisk_log="After the restart: no 'Unable to load module' / 'Declined to load' lines in "
        "/var/log/asterisk/full.",
        status_menu="Status menu: Asterisk up with the new version on this node.",
    ),
)
