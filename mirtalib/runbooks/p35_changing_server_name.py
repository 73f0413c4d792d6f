"""Seed page 35, *Changing server name*.

The page lists where a MiRTA node's name lives: the host name (``/etc/sysconfig/network`` on
CentOS 6, ``/etc/hostname`` / ``hostnamectl`` since CentOS 7), ``/etc/hosts``, the label in
``/etc/asterisk/sip.conf``, the ``sipregs_<name>`` realtime table in
``/etc/asterisk/extconfig.conf``, the peer name in Admin/PBX Nodes; then Asterisk is reloaded.

What this runbook adds:

* every occurrence of the old name is shown per file and line *before* anything changes, with
  the token rule of :mod:`mirtalib.runbooks.hostmove` (``srv01`` is replaced in
  ``srv01.pbx.example.net`` and ``sipregs_srv01``, never in ``srv010`` or ``srv01-backup``);
* a ``grep -P`` with the same rule over ``/etc`` and the MiRTA folders lists files that hold the
  name but are not in the edit list (warned, not edited);
* the node table ``no_nodes`` (Admin/PBX Nodes) is read from the MiRTA database and the row to
  change is shown; the change itself is made in the web interface (a checklist item);
* all nodes are scanned: the *other* nodes of a cluster name this one in ``/etc/hosts`` and in
  their ``sip.conf`` peer, and need the same edit; ``hostnamectl`` runs only on the node whose
  host name is the old name;
* ``sipregs_<new name>`` must exist in the database before the reload (a checklist item).
"""

from __future__ import annotations

import shlex
from typing import Any

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
from mirtalib.runbooks import hostmove
from mirtalib.validate import cmd

DEFAULT_FILES = "/etc/hostname,/etc/hosts,/etc/asterisk/sip.conf,/etc/asterisk/extconfig.conf"
DEFAULT_FOLDERS = "/etc,/var/lib/asterisk/agi-bin,/var/www/html/pbx/include"

PARAMS = (
    Param("old_name", "srv01", "the node's current name", kind="hostname"),
    Param(
        "new_name",
        "pbx01",
        ("the node's new name (also names the realtime table sipregs_<new_name>)"),
        kind="hostname",
    ),
    Param(
        "files",
        DEFAULT_FILES,
        "files to edit; CentOS 6: /etc/sysconfig/network instead of /etc/hostname",
        check=hostmove.file_list,
    ),
    Param(
        "search_dirs",
        DEFAULT_FOLDERS,
        "folders searched for other files holding the old name",
        check=lambda v: hostmove.file_list(v, "search_dirs"),
    ),
    Param(
        "hostname_tool",
        "hostnamectl",
        "hostnamectl (CentOS 7+) or hostname (CentOS 6)",
        choices=("hostnamectl", "hostname"),
    ),
)


def _hostname_now(old: str, new: str, after: bool):
    def expect(name: str) -> tuple[Verdict, str]:
        if after and name == old:
            return Verdict.FAIL, f"the host name is still {old}"
        if name == old:
            return Verdict.PASS, f"host name is {old}: this is the node being renamed"
        if name == new:
            return Verdict.PASS, f"host name is {new}"
        return Verdict.PASS, f"host name is {name}: only its references to {old} change here"

    return expect


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 35 for validated parameter values ``v``."""
    old, new = hostmove.check_pair(v["old_name"], v["new_name"], "name")
    files = v["files"]
    folders = v["search_dirs"]
    edits = hostmove.edit_steps(files, old, new, "name")
    asterisk_edits = tuple(e.id for e in edits if e.path.startswith("/etc/asterisk/"))
    rename = (
        cmd("hostnamectl", "set-hostname", new)
        if v["hostname_tool"] == "hostnamectl"
        else cmd("hostname", new)
    )
    steps: list[Step] = [
        Check(
            id="hostname-before",
            title="Which node is this",
            phase=Phase.BEFORE,
            command="hostname",
            parse=str.strip,
            expect=_hostname_now(old, new, after=False),
        ),
        hostmove.occurrences_check(
            "occurrences-before",
            f"Where {old} appears in the listed files",
            files,
            old,
            "name",
            before=True,
        ),
        Check(
            id="unlisted-files",
            title=f"Other files holding {old}",
            phase=Phase.BEFORE,
            command=hostmove.grep_command(old, "name", folders),
            parse=hostmove.unlisted_files(files),
            expect=hostmove.unlisted_expect(old),
            ok_codes=(0, 1, 2),
        ),
        hostmove.node_table_check(
            "node-table-before",
            "Admin/PBX Nodes row of this node",
            old,
            new,
            "name",
            before=True,
        ),
        Manual(
            id="sipregs-table",
            title=f"Create the realtime table sipregs_{new}",
            phase=Phase.BEFORE,
            where="MiRTA database",
            detail=f"extconfig.conf will name sipregs_{new}: create it like sipregs_{old} "
            f"(CREATE TABLE sipregs_{new} LIKE sipregs_{old}) before the reload, or "
            "registrations cannot be stored.",
        ),
        *edits,
        Command(
            id="set-hostname",
            title=f"Set the running host name to {new} (only where it is {old})",
            command=rename,
            risk=Risk.CHANGING,
            unless=f'[ "$(hostname)" != {shlex.quote(old)} ]',
            undo=(
                cmd("hostnamectl", "set-hostname", old)
                if v["hostname_tool"] == "hostnamectl"
                else cmd("hostname", old)
            ),
        ),
        Manual(
            id="admin-pbx-nodes",
            title="Change the peer name in Admin/PBX Nodes",
            where="MiRTA web interface, Admin/PBX Nodes",
            detail=f"Rename node {old} to {new} (the row shown before starting).",
        ),
        Command(
            id="asterisk-reload",
            title="Reload Asterisk (sip.conf label, extconfig realtime table)",
            command=cmd("asterisk", "-rx", "core reload"),
            risk=Risk.SERVICE_AFFECTING,
            when_changed=asterisk_edits,
            undo=cmd("asterisk", "-rx", "core reload"),
            failure=failure_lines(r"unable to connect", r"\bERROR\b", r"failed"),
        ),
        Check(
            id="hostname-after",
            title="The running host name",
            command="hostname",
            parse=str.strip,
            expect=_hostname_now(old, new, after=True),
        ),
        hostmove.occurrences_check(
            "occurrences-after",
            f"No {old} left in the listed files",
            files,
            old,
            "name",
            before=False,
        ),
        hostmove.node_table_check(
            "node-table-after",
            "Admin/PBX Nodes carries the new name",
            old,
            new,
            "name",
            before=False,
        ),
    ]
    return steps


RUNBOOK = RunbookDef(
    page=35,
    demo_targets="replay:srv01,replay:srv02",
    slug="changing-server-name",
    title="Changing server name",
    scope="node",
    roles=("pbx",),
    params=PARAMS,
    build=build,
    summary="old name per file/line, token-exact replacement with backups, hostname, node table",
    verification=Verification(
        mirta_page="Admin/PBX Nodes shows the new name; the extensions of the node register "
        "(Status / registrations page).",
        asterisk_log="In /var/log/asterisk/full after the reload: no realtime error about "
        "sipregs_<new name> and no peer lookup failures for the renamed node.",
        status_menu="Status menu: the node appears under its new name and is up.",
    ),
)
