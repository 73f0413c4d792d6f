"""Seed page 12, *Activating FastAGI*: serve MiRTA's AGI scripts from one node.js process.

On a busy node every ``AGI()`` call forks a new process; FreePBX's ``fastagi-server.js`` (run by
pm2) answers ``agi://127.0.0.1/`` requests from one long-lived process instead. The page installs
node and pm2, copies the node folder to ``/var/lib/asterisk/agi-bin/node``, starts the server
under pm2 and sets ``FASTAGI`` in an AEL ``globals`` block in ``extensions.d``.

What this runbook adds:

* node, npm and pm2 versions are checked (a missing tool is named with the page's install line);
  the nodesource ``curl | bash`` install stays a manual step to read first;
* ``fastagi.ael`` is rendered from a template into ``extensions.d`` (the page's alternative,
  uncommenting a line in ``extensions.ael``, is lost at every MiRTA upgrade) and AEL is reloaded
  only when the file changed;
* the page's bug: ``line.split(":")`` splits every ``agi_*`` header at *each* colon, so a value
  holding a time (recording names with ``12:30:05``) is cut. :func:`find_split_bug` finds the
  line in the real file and :func:`patch_split_bug` rewrites it to ``split(": ")``, shown as a
  unified diff; pm2 reloads the server only when the file changed;
* ``--watch`` is never used (it restarts the server for any file written under agi-bin).
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

from mirtalib.asterisk.conftree import unified_diff
from mirtalib.asterisk.sockets import parse_ss
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
    template_file,
    text_edit,
)
from mirtalib.runbooks.installs import MISSING, parse_tool_version, version_at_least
from mirtalib.runbooks.secretfiles import template_text
from mirtalib.validate import cmd, url

BUGGY = re.compile(r"""\.split\(\s*(["']):\1\s*\)""")
FASTAGI_PORT = 4573


@dataclasses.dataclass(frozen=True)
class SplitBug:
    """One occurrence of the header split at every colon.

    Attributes:
        line: 1-based line number in fastagi-server.js.
        text: the line as it is.
        fixed: the line as the patch writes it.
    """

    line: int
    text: str
    fixed: str


def find_split_bug(source: str) -> list[SplitBug]:
    """Lines of ``fastagi-server.js`` that split the AGI headers on ``":"`` instead of ``": "``.

    Only splits of a variable named ``line`` (the header loop) count; other ``split(":")`` calls
    in the file are not the page's bug.
    """
    found = []
    for i, text in enumerate(str(source).splitlines(), 1):
        if "line" in text and BUGGY.search(text) and not text.lstrip().startswith("//"):
            fixed = BUGGY.sub(lambda m: f".split({m.group(1)}: {m.group(1)})", text)
            found.append(SplitBug(i, text, fixed))
    return found


def patch_split_bug(source: str) -> str:
    """The file with every :func:`find_split_bug` line fixed (idempotent; other bytes kept)."""
    bugs = {b.line: b.fixed for b in find_split_bug(source)}
    if not bugs:
        return source
    lines = source.splitlines(keepends=True)
    for n, fixed in bugs.items():
        ending = lines[n - 1][len(lines[n - 1].rstrip("\r\n")) :]
        lines[n - 1] = fixed + ending
    return "".join(lines)


def patch_diff(source: str, name: str = "fastagi-server.js") -> str:
    """The patch as a unified diff ("" when the file is already fixed)."""
    return unified_diff(source, patch_split_bug(source), name)


def _bug_expect(found: list[SplitBug]) -> tuple[Verdict, str]:
    if not found:
        return Verdict.PASS, "no header split at every ':' (already patched or a fixed version)"
    where = "; ".join(f"line {b.line}: {b.text.strip()}" for b in found)
    return Verdict.WARN, f"the split(':') bug is present ({where}): dates in values get cut"


def _bug_probe(file: str):
    def probe(target: Any) -> str:
        text = target.read_text(file)
        if text is None:
            raise ParseError(f"{file} does not exist: copy the FreePBX node folder first")
        return text

    return probe


def _pm2_status(name: str):
    def parse(text: str) -> dict[str, str]:
        try:
            procs = json.loads(text or "[]")
        except ValueError as exc:
            raise ParseError(f"pm2 jlist is not JSON: {exc}") from None
        return {str(p.get("name")): str((p.get("pm2_env") or {}).get("status", "?")) for p in procs}

    def expect(value: dict[str, str]) -> tuple[Verdict, str]:
        if name not in value:
            return Verdict.FAIL, f"pm2 runs no process named {name} (has: {sorted(value)})"
        if value[name] != "online":
            return Verdict.FAIL, f"{name} is {value[name]} in pm2"
        return Verdict.PASS, f"{name} is online in pm2"

    return parse, expect


def _listening(port_number: int):
    def parse(text: str) -> int:
        return len(parse_ss(text).listening(port_number))

    def expect(count: int) -> tuple[Verdict, str]:
        if not count:
            return Verdict.FAIL, f"nothing listens on TCP {port_number}"
        return Verdict.PASS, f"TCP {port_number} is listening"

    return parse, expect


def _globals(url_value: str):
    def parse(text: str) -> dict[str, str]:
        out = {}
        for line in text.splitlines():
            m = re.match(r"^\s*(\w+)=(.*)$", line)
            if m:
                out[m.group(1)] = m.group(2).strip()
        return out

    def expect(value: dict[str, str]) -> tuple[Verdict, str]:
        got = value.get("FASTAGI")
        if got == url_value:
            return Verdict.PASS, f"the dialplan global FASTAGI is {got}"
        return Verdict.FAIL, f"the dialplan global FASTAGI is {got!r}, want {url_value!r}"

    return parse, expect


def _fastagi_url(value: str) -> str:
    url(value, "fastagi_url", schemes=("agi",))
    if not value.endswith("/"):
        raise ParameterError(f"fastagi_url={value!r} must end with '/' (MiRTA appends the script)")
    return value


PARAMS = (
    Param(
        "agi_dir",
        "/var/lib/asterisk/agi-bin/node",
        "where the FreePBX node folder was copied",
        kind="path",
    ),
    Param(
        "fastagi_url",
        "agi://127.0.0.1/",
        ("FASTAGI global, agi://host[:port]/ with the trailing /"),
        check=_fastagi_url,
    ),
    Param(
        "ael_file",
        "/etc/asterisk/extensions.d/fastagi.ael",
        "AEL file carrying the global",
        kind="path",
    ),
    Param("pm2_name", "fastagi-server", "pm2 process name", kind="asterisk_name"),
    Param("patch_split_bug", True, 'fix split(":") -> split(": ") in fastagi-server.js'),
    Param("node_min", "14.0.0", "oldest acceptable node (CentOS 7 cannot run node 18+)"),
    Param("fastagi_port", FASTAGI_PORT, "TCP port of the FastAGI server", kind="port"),
)


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 12 for validated parameter values ``v``."""
    js = f"{v['agi_dir']}/fastagi-server.js"
    name = v["pm2_name"]
    pm2_parse, pm2_expect = _pm2_status(name)
    ss_parse, ss_expect = _listening(v["fastagi_port"])
    g_parse, g_expect = _globals(v["fastagi_url"])
    install_node = (
        "CentOS 7: curl -sL https://rpm.nodesource.com/setup_14.x | bash - ; yum install -y "
        "nodejs (node 18+ needs a newer glibc than CentOS 7 has). CentOS/Rocky 9: setup_20.x "
        "and yum install -y nodejs. Read the script before piping it to a root shell."
    )
    steps: list[Step] = [
        Manual(
            id="install-node",
            title="Install node.js and copy the FreePBX node folder",
            phase=Phase.BEFORE,
            where="the node's shell",
            detail=install_node + f" Copy the FreePBX core 'node' folder to {v['agi_dir']}.",
        ),
        Check(
            id="node-version",
            title="node.js version",
            phase=Phase.BEFORE,
            command=cmd("node", "--version"),
            ok_codes=(0, MISSING),
            parse=parse_tool_version,
            expect=version_at_least("node", v["node_min"], hint=install_node),
        ),
        Check(
            id="npm-version",
            title="npm version",
            phase=Phase.BEFORE,
            command=cmd("npm", "--version"),
            ok_codes=(0, MISSING),
            parse=parse_tool_version,
            expect=version_at_least("npm", "6.0.0", hint="comes with nodejs"),
        ),
        Check(
            id="split-bug",
            title="fastagi-server.js: the split(':') bug",
            phase=Phase.BEFORE,
            probe=_bug_probe(js),
            parse=find_split_bug,
            expect=_bug_expect,
        ),
        Command(
            id="pm2-install",
            title="Install pm2",
            command=cmd("npm", "install", "-g", "pm2"),
            risk=Risk.CHANGING,
            unless=cmd("pm2", "--version"),
        ),
        Command(
            id="pm2-startup",
            title="Start pm2 at boot (systemd unit pm2-root)",
            command=cmd("pm2", "startup", "systemd"),
            risk=Risk.CHANGING,
            unless=cmd("systemctl", "is-enabled", "pm2-root"),
        ),
        Command(
            id="pm2-logrotate",
            title="Rotate the pm2 logs",
            command=cmd("pm2", "install", "pm2-logrotate"),
            risk=Risk.CHANGING,
            unless=cmd("pm2", "describe", "pm2-logrotate"),
        ),
    ]
    if v["patch_split_bug"]:
        steps += [
            text_edit(
                "fastagi-js",
                "Patch the header split in fastagi-server.js",
                js,
                patch_split_bug,
                summary="split(':') -> split(': ')",
            ),
        ]
    steps += [
        Command(
            id="pm2-start",
            title=f"Start {js} under pm2 (no --watch)",
            command=cmd("pm2", "start", js, "--name", name),
            risk=Risk.CHANGING,
            unless=cmd("pm2", "describe", name),
        ),
        *(
            [
                Command(
                    id="pm2-reload",
                    title=f"Reload {name} with the patched file",
                    command=cmd("pm2", "reload", name),
                    risk=Risk.SERVICE_AFFECTING,
                    when_changed=("fastagi-js",),
                )
            ]
            if v["patch_split_bug"]
            else []
        ),
        Command(
            id="pm2-save",
            title="Save the pm2 process list for boot",
            command=cmd("pm2", "save"),
            risk=Risk.CHANGING,
            when_changed=("fastagi-js",) if v["patch_split_bug"] else (),
            unless=cmd("pm2", "describe", name),
        ),
        template_file(
            "fastagi-ael",
            f"Set FASTAGI in {v['ael_file']}",
            v["ael_file"],
            template_text("p12_fastagi.ael.j2"),
            {"fastagi_url": v["fastagi_url"]},
            summary=f"globals {{ FASTAGI={v['fastagi_url']}; }}",
        ),
        Command(
            id="ael-reload",
            title="Reload AEL (only the first time)",
            command="asterisk -rx 'ael reload'",
            risk=Risk.CHANGING,
            when_changed=("fastagi-ael",),
            failure=failure_lines(r"\berror\b", r"\bfail"),
        ),
        Check(
            id="pm2-online",
            title=f"{name} is online in pm2",
            command=cmd("pm2", "jlist"),
            parse=pm2_parse,
            expect=pm2_expect,
        ),
        Check(
            id="fastagi-listening",
            title=f"FastAGI listens on {v['fastagi_port']}",
            command=cmd("ss", "-ltn"),
            parse=ss_parse,
            expect=ss_expect,
        ),
        Check(
            id="dialplan-global",
            title="Asterisk sees FASTAGI",
            command="asterisk -rx 'dialplan show globals'",
            parse=g_parse,
            expect=g_expect,
        ),
        Check(
            id="split-fixed",
            title="fastagi-server.js has no split(':') bug",
            probe=_bug_probe(js),
            parse=find_split_bug,
            expect=_bug_expect,
        ),
    ]
    return steps


RUNBOOK = RunbookDef(
    page=12,
    slug="activating-fastagi",
    title="Activating FastAGI",
    scope="node",
    roles=("pbx",),
    params=PARAMS,
    build=build,
    summary="node/pm2 checks, fastagi-server under pm2, FASTAGI global in extensions.d, split bug",
    verification=Verification(
        mirta_page="Place a call that runs an AGI (a recording upload, a queue callback): it "
        "works, and the recording keeps its full date-time name.",
        asterisk_log="In /var/log/asterisk/full, AGI lines show agi://127.0.0.1/ and no "
        "'Connection refused' or 'FastAGI' errors.",
        status_menu="Status menu: the node is up; `pm2 list` shows fastagi-server online.",
    ),
)
