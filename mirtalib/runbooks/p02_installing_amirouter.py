"""Seed page 02, *Installing Amirouter*: the Java AMI router (multimanager's replacement).

Amirouter is a Java application in ``/usr/local/amirouter`` (``amirouter-server-config.yaml``,
``application.properties``) started by ``/usr/local/bin/runamirouter.sh``; it needs Java 13 or
later and writes its output to ``/tmp/amirouter.out``, which the page empties once a day from
cron (``0 0 * * * root truncate --size 0 /tmp/amirouter.out``).

What this runbook does:

* parses ``java -version`` (:func:`mirtalib.asterisk.software.parse_java_version`) and requires the
  feature release the page asks for (13);
* reads both configuration files on the node: the YAML must load, the properties file must have
  no line that is not ``key=value`` (values are never shown: it holds the database password);
* measures the log and checks how the start script writes it: ``truncate`` empties a file safely
  only when the writer appends (``>>``); with ``>`` the JVM keeps writing at its old offset and
  the file becomes sparse with the old size;
* renders the daily truncate entry as its own ``/etc/cron.d`` file (template
  ``templates/p02_amirouter_truncate.cron.j2``) instead of editing ``/etc/crontab``, and verifies
  it and the listener of the router.

Operator notes: the page's rebuild line ends with ``killall -9 java``, which kills *every* Java
process of the node (switchboard, other tools) without letting them close; the runbook lists a
targeted restart instead. Compiling with Maven is not needed for an installation and is left out.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

import yaml

from mirtalib.asterisk.keyvalue import parse_keyvalue
from mirtalib.asterisk.software import parse_java_version
from mirtalib.errors import ParseError
from mirtalib.runbook import (
    Check,
    Manual,
    Param,
    Phase,
    RunbookDef,
    Step,
    Verdict,
    Verification,
    template_file,
)
from mirtalib.runbooks.common_checks import listener_check
from mirtalib.runbooks.secretfiles import read_masked, template_text
from mirtalib.validate import cmd

_CRON = re.compile(r"^\s*(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(.+)$")


PARAMS = (
    Param(
        "install_dir",
        "/usr/local/amirouter",
        "Amirouter folder",
        kind="path",
    ),
    Param(
        "java_min",
        13,
        "lowest Java feature release accepted (page: 13)",
        between=(8, 99),
    ),
    Param(
        "start_script",
        "/usr/local/bin/runamirouter.sh",
        "start script",
        kind="path",
    ),
    Param(
        "log_file",
        "/tmp/amirouter.out",  # noqa: S108 - where Amirouter writes it (page 02)
        "output log of the router",
        kind="path",
    ),
    Param(
        "log_warn_mb",
        200,
        "warn when the log is larger (MB)",
        between=(1, 100000),
    ),
    Param(
        "cron_file",
        "/etc/cron.d/amirouter-log",
        "cron file of the daily truncate",
        kind="path",
    ),
    Param("cron_hour", 0, "hour of the daily truncate", between=(0, 23)),
    Param("cron_minute", 0, "minute of the daily truncate", between=(0, 59)),
    Param(
        "amirouter_port",
        8080,
        "TCP port Amirouter listens on",
        kind="port",
    ),
)


def _java_expect(minimum: int):
    def expect(j) -> tuple[Verdict, str]:
        what = f"{j.vendor} {j.version} (feature release {j.major})"
        if j.major < minimum:
            return Verdict.FAIL, f"{what}: Amirouter needs Java {minimum} or later"
        return Verdict.PASS, what

    return expect


def _yaml_summary(text: str) -> list[str]:
    if not text.strip():
        raise ParseError("the file is missing or empty")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ParseError(f"not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise ParseError("the YAML is not a mapping of settings")
    return sorted(str(k) for k in data)


def _properties_summary(text: str) -> dict[str, Any]:
    if not text.strip():
        raise ParseError("the file is missing or empty")
    kv = parse_keyvalue(text)
    return {"keys": len(kv.values), "bad_lines": [r.line for r in kv.rejects]}


def _properties_expect(s: dict[str, Any]) -> tuple[Verdict, str]:
    if s["bad_lines"]:
        return Verdict.WARN, f"{s['keys']} settings; lines {s['bad_lines']} are not key=value"
    return Verdict.PASS, f"{s['keys']} settings, every line readable (values not shown)"


def _size(text: str) -> int:
    stripped = text.strip()
    return int(stripped) if stripped.isdigit() else -1


def _size_expect(warn_mb: int):
    def expect(size: int) -> tuple[Verdict, str]:
        if size < 0:
            return Verdict.PASS, "no log file yet"
        mb = size / 1_000_000
        if mb > warn_mb:
            return (
                Verdict.WARN,
                f"log is {mb:.0f} MB (warning above {warn_mb} MB): add the truncate",
            )
        return Verdict.PASS, f"log is {mb:.1f} MB"

    return expect


def redirection(script: str, log_file: str) -> str:
    """How ``script`` sends output to ``log_file``: ``append``, ``overwrite`` or ``none``."""
    for line in script.splitlines():
        code = line.split("#", 1)[0]
        m = re.search(r"(>>|>)\s*" + re.escape(log_file) + r"(?=\s|$|;|&)", code)
        if m:
            return "append" if m.group(1) == ">>" else "overwrite"
    return "none"


def _redirect_expect(log_file: str):
    def expect(kind: str) -> tuple[Verdict, str]:
        if kind == "append":
            return Verdict.PASS, f"the script appends (>>) to {log_file}: truncate is safe"
        if kind == "overwrite":
            return Verdict.WARN, (
                f"the script writes {log_file} with '>': after truncate the JVM keeps its offset "
                "and the file grows back sparse; change it to '>>' at the next restart"
            )
        return Verdict.WARN, f"the script does not redirect to {log_file}: check the log path"

    return expect


def truncate_entries(text: str, log_file: str) -> list[str]:
    """System-crontab lines (with a user field) that truncate ``log_file`` once a day."""
    found = []
    for line in text.splitlines():
        m = _CRON.match(line)
        if not m or line.lstrip().startswith("#"):
            continue
        minute, hour, dom, month, dow, _user, command = m.groups()
        daily = minute.isdigit() and hour.isdigit() and (dom, month, dow) == ("*", "*", "*")
        if daily and "truncate" in command and log_file in command.split():
            found.append(line.strip())
    return found


def _cron_expect(entries: list[str]) -> tuple[Verdict, str]:
    if not entries:
        return Verdict.FAIL, "no daily truncate entry"
    if len(entries) > 1:
        return Verdict.WARN, f"{len(entries)} entries truncate the log: keep one ({entries})"
    return Verdict.PASS, entries[0]


def _read(*files: str):
    return lambda target: "\n".join(target.read_text(f) or "" for f in files)


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 02 for validated parameter values ``v``."""
    cfg_yaml = posixpath.join(v["install_dir"], "amirouter-server-config.yaml")
    props = posixpath.join(v["install_dir"], "application.properties")
    log_file = v["log_file"]
    return [
        Check(
            id="java",
            title=f"Java {v['java_min']} or later",
            phase=Phase.BEFORE,
            command=cmd("java", "-version") + " 2>&1",
            parse=parse_java_version,
            expect=_java_expect(v["java_min"]),
        ),
        Check(
            id="config-yaml",
            title=f"{cfg_yaml} loads",
            phase=Phase.BEFORE,
            probe=_read(cfg_yaml),
            parse=_yaml_summary,
            expect=lambda keys: (Verdict.PASS, f"top-level settings: {', '.join(keys)}"),
        ),
        Check(
            id="config-properties",
            title=f"{props} is readable",
            phase=Phase.BEFORE,
            probe=read_masked(props),
            parse=_properties_summary,
            expect=_properties_expect,
        ),
        Check(
            id="log-size",
            title=f"Size of {log_file}",
            phase=Phase.BEFORE,
            command=cmd("stat", "-c", "%s", log_file),
            ok_codes=(0, 1),
            parse=_size,
            expect=_size_expect(v["log_warn_mb"]),
        ),
        Check(
            id="log-redirection",
            title="The start script appends to the log",
            phase=Phase.BEFORE,
            probe=_read(v["start_script"]),
            parse=lambda text: redirection(text, log_file),
            expect=_redirect_expect(log_file),
        ),
        template_file(
            "truncate-cron",
            "Daily truncate of the Amirouter log",
            v["cron_file"],
            template_text("p02_amirouter_truncate.cron.j2"),
            {"minute": v["cron_minute"], "hour": v["cron_hour"], "log_file": log_file},
            summary=f"{v['cron_minute']} {v['cron_hour']} * * * root truncate --size 0 {log_file}",
        ),
        Manual(
            id="restart-amirouter",
            title="Restart only Amirouter when its configuration changed",
            where="the node",
            detail=(
                "Stop the router's own process (`pkill -f amirouter.jar`), then run "
                f"{v['start_script']}. Never `killall -9 java` as the page does: it kills every "
                "Java process of the node without a clean shutdown."
            ),
        ),
        Check(
            id="cron-entry",
            title="One daily truncate entry for the log",
            probe=_read("/etc/crontab", v["cron_file"]),
            parse=lambda text: truncate_entries(text, log_file),
            expect=_cron_expect,
        ),
        listener_check(
            "amirouter-port",
            f"Amirouter listens on {v['amirouter_port']}",
            v["amirouter_port"],
            programs=("java",),
        ),
    ]


RUNBOOK = RunbookDef(
    page=2,
    slug="installing-amirouter",
    title="Installing Amirouter",
    scope="node",
    roles=("pbx",),
    params=PARAMS,
    build=build,
    summary="java -version >= 13, config files, log size, daily truncate cron entry",
    verification=Verification(
        mirta_page="Open the real-time pages fed by Amirouter (switchboard, wallboards): they "
        "update without reconnecting.",
        asterisk_log="In /var/log/asterisk/full, the router's AMI login succeeds once and stays "
        "connected (no repeated manager logins).",
        status_menu="Status menu: the AMI related entry shows the node up.",
    ),
)
