"""Seed page 36, *Changing server IP*.

The page lists where a MiRTA node's IP address lives: the network configuration
(``/etc/sysconfig/network-scripts/ifcfg-*`` on old CentOS, a NetworkManager keyfile
``/etc/NetworkManager/system-connections/*.nmconnection`` on CentOS Stream 9 and derivatives),
``/etc/hosts``, the peer IP in ``sip.conf``, the allowed IP in ``manager.conf``, the
``devstate`` AGI script, Admin/PBX Nodes; with separate databases also ``/etc/odbc.ini``, the two
``db.php`` files and ``/etc/voipmonitor.conf``. Then the server is restarted. Behind NAT, when
only the public address changes, only ``externip`` in ``sip.conf`` changes.

What this runbook adds:

* every occurrence of the old IP per file and line before anything changes, replaced as a whole
  token only (``10.20.0.11`` never inside ``10.20.0.110`` or ``110.20.0.11``);
* files holding the IP that are not in the list (``grep -P`` with the same rule) are warned about;
* the node table ``no_nodes`` (Admin/PBX Nodes) is read and the row to change is shown;
* all nodes are scanned: the other nodes of a cluster reach this one by its IP (sip.conf peer,
  odbc.ini and voipmonitor.conf when the database is on this node) and need the same edit;
* the network file is declared service-affecting: a wrong address locks you out at the restart,
  so keep a console (iLO, vSphere) open; ``ip -o addr`` after the restart proves the change;
* a node whose files were edited reloads what reads them (:func:`reload_steps`): Asterisk (its
  ``.conf`` files, and ``odbc.ini`` that res_odbc and the ODBC CDR/realtime modules use) with
  ``core reload``, voipmonitor with a restart; the PHP ``db.php`` files are read per request;
  a node without an edit reloads nothing;
* ``nat_external_only``: the page's NAT case (only the public address changes) is its own step,
  ``externip`` of ``sip.conf`` edited from ``old_ip`` to ``new_ip`` and a reload, no restart
  (:func:`set_externip`);
* the page's note on ``extconfig.conf``: when the server *name* changes too, its realtime table
  ``sipregs_<name>`` and Admin/PBX Nodes change with it (page 35).
"""

from __future__ import annotations

import re
from typing import Any

from mirtalib.asterisk.machine import parse_ip_addr
from mirtalib.errors import ParameterError
from mirtalib.runbook import (
    Check,
    Command,
    FileChange,
    Manual,
    Param,
    Phase,
    Risk,
    RunbookDef,
    Step,
    Verdict,
    Verification,
    failure_lines,
    text_edit,
)
from mirtalib.runbooks import hostmove
from mirtalib.validate import cmd

NETWORK_FILES = ("/etc/sysconfig/network-scripts/", "/etc/NetworkManager/system-connections/")
DEFAULT_FILES = ",".join(
    (
        "/etc/NetworkManager/system-connections/eth0.nmconnection",
        "/etc/hosts",
        "/etc/asterisk/sip.conf",
        "/etc/asterisk/manager.conf",
        "/var/lib/asterisk/agi-bin/devstate.php",
        "/etc/odbc.ini",
        "/var/www/html/pbx/include/db.php",
        "/var/lib/asterisk/agi-bin/include/db.php",
        "/etc/voipmonitor.conf",
    )
)
DEFAULT_FOLDERS = "/etc,/var/lib/asterisk/agi-bin,/var/www/html/pbx/include"

PARAMS = (
    Param("old_ip", "10.20.0.11", "the node's current IP", kind="ip"),
    Param("new_ip", "10.20.0.21", "the node's new IP", kind="ip"),
    Param(
        "files",
        DEFAULT_FILES,
        "files to edit (old CentOS: /etc/sysconfig/network-scripts/ifcfg-eth0)",
        check=hostmove.file_list,
    ),
    Param(
        "search_dirs",
        DEFAULT_FOLDERS,
        "folders searched for other files holding the old IP",
        check=lambda v: hostmove.file_list(v, "search_dirs"),
    ),
    Param(
        "nat_external_only",
        False,
        "behind NAT, only the public IP changes: old_ip/new_ip are public, only externip changes",
    ),
)


ASTERISK_READS = ("/etc/asterisk/", "/etc/odbc.ini")  # reloaded by `core reload`
SIP_CONF = "/etc/asterisk/sip.conf"
_EXTERNIP = re.compile(r"^(\s*externip\s*=>?\s*)(\S+)(.*)$")


def set_externip(text: str, old: str, new: str) -> str:
    """``sip.conf`` with ``externip`` moved from ``old`` to ``new`` (only those lines change).

    Raises:
        ParameterError: no ``externip`` line holds ``old`` nor ``new`` (not the NAT case, or the
            wrong address).
    """
    out, seen = [], []
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        m = _EXTERNIP.match(body)
        if m:
            seen.append(m.group(2))
            if m.group(2) == old:
                line = m.group(1) + new + m.group(3) + line[len(body) :]
        out.append(line)
    if old not in seen and new not in seen:
        raise ParameterError(
            f"sip.conf has no externip = {old} (externip found: {', '.join(seen) or 'none'}): "
            "nat_external_only is for a node behind NAT whose public address changes"
        )
    return "".join(out)


def reload_steps(edits: list[FileChange]) -> list[Command]:
    """The reloads the edited files need, each only when one of its files changed."""

    def ids(match) -> tuple[str, ...]:
        return tuple(e.id for e in edits if match(e.path))

    asterisk = ids(lambda p: p.startswith(ASTERISK_READS))
    voipmonitor = ids(lambda p: p == "/etc/voipmonitor.conf")
    steps = []
    if asterisk:
        steps.append(
            Command(
                id="asterisk-reload",
                title="Reload Asterisk (its .conf files; odbc.ini for res_odbc and the ODBC "
                "CDR/realtime modules)",
                command=cmd("asterisk", "-rx", "core reload"),
                risk=Risk.SERVICE_AFFECTING,
                when_changed=asterisk,
                undo=cmd("asterisk", "-rx", "core reload"),
                failure=failure_lines(r"unable to connect", r"\bERROR\b", r"failed"),
            )
        )
    if voipmonitor:
        steps.append(
            Command(
                id="voipmonitor-restart",
                title="Restart voipmonitor (it reads its database address at start)",
                command=cmd("systemctl", "restart", "voipmonitor"),
                risk=Risk.SERVICE_AFFECTING,
                when_changed=voipmonitor,
                undo=cmd("systemctl", "restart", "voipmonitor"),
            )
        )
    return steps


def _addresses(text: str) -> list[tuple[str, str]]:
    found, _rejects = parse_ip_addr(text)
    return [(a.ifname, a.address) for a in found]


def _ip_expect(old: str, new: str, after: bool):
    def expect(addrs: list[tuple[str, str]]) -> tuple[Verdict, str]:
        on = {a: i for i, a in addrs}
        if old in on and after:
            return Verdict.FAIL, f"{old} is still on {on[old]}: restart the server, then verify"
        if old in on:
            return Verdict.PASS, f"{old} is on {on[old]}: this is the node whose IP changes"
        if new in on:
            return Verdict.PASS, f"{new} is on {on[new]}"
        return Verdict.PASS, f"this node holds neither {old} nor {new}: only its references change"

    return expect


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 36 for validated parameter values ``v``."""
    old, new = hostmove.check_pair(v["old_ip"], v["new_ip"], "ip")
    if v["nat_external_only"]:
        return nat_steps(old, new)
    files = v["files"]
    edits = hostmove.edit_steps(files, old, new, "ip", service_affecting=NETWORK_FILES)
    return [
        Check(
            id="address-before",
            title="Which node holds the old IP",
            phase=Phase.BEFORE,
            command=cmd("ip", "-o", "addr", "show"),
            parse=_addresses,
            expect=_ip_expect(old, new, after=False),
        ),
        hostmove.occurrences_check(
            "occurrences-before",
            f"Where {old} appears in the listed files",
            files,
            old,
            "ip",
            before=True,
        ),
        Check(
            id="unlisted-files",
            title=f"Other files holding {old}",
            phase=Phase.BEFORE,
            command=hostmove.grep_command(old, "ip", v["search_dirs"]),
            parse=hostmove.unlisted_files(files),
            expect=hostmove.unlisted_expect(old),
            ok_codes=(0, 1, 2),
        ),
        hostmove.node_table_check(
            "node-table-before", "Admin/PBX Nodes row of this node", old, new, "ip", before=True
        ),
        Manual(
            id="console-access",
            title="Keep a console open",
            phase=Phase.BEFORE,
            where="iLO / iDRAC / vSphere console",
            detail="A wrong address, prefix or gateway locks SSH out at the restart. Check "
            "PREFIX/GATEWAY (ifcfg) or address1=IP/prefix,gateway (keyfile) when the subnet "
            "changes too; this runbook only replaces the address itself.",
        ),
        *edits,
        *reload_steps(edits),
        Manual(
            id="admin-pbx-nodes",
            title="Change the IP in Admin/PBX Nodes",
            where="MiRTA web interface, Admin/PBX Nodes",
            detail=f"Set the IP of the node row shown before starting from {old} to {new}.",
        ),
        Manual(
            id="outside-references",
            title="Update what points at the node from outside",
            where="DNS, firewalls, SIP providers, phones",
            detail=f"A/SRV records, provider IP whitelists, firewall rules and phone "
            f"provisioning that name {old}.",
        ),
        Manual(
            id="extconfig-note",
            title="Changing the server name too? extconfig.conf and Admin/PBX Nodes",
            where="/etc/asterisk/extconfig.conf, MiRTA Admin/PBX Nodes (page 35)",
            detail="The realtime table sipregs_<name> in extconfig.conf and the node row of "
            "Admin/PBX Nodes carry the server name: when it changes too, run page 35 "
            "(Changing server name) for them.",
        ),
        Manual(
            id="restart",
            title="Restart the server",
            where="the node (maintenance window)",
            detail="The new address takes effect at the restart (page 36); then run verify.",
        ),
        Check(
            id="address-after",
            title="The node carries the new IP",
            command=cmd("ip", "-o", "addr", "show"),
            parse=_addresses,
            expect=_ip_expect(old, new, after=True),
        ),
        hostmove.occurrences_check(
            "occurrences-after",
            f"No {old} left in the listed files",
            files,
            old,
            "ip",
            before=False,
        ),
        hostmove.node_table_check(
            "node-table-after",
            "Admin/PBX Nodes carries the new IP",
            old,
            new,
            "ip",
            before=False,
        ),
    ]


def nat_steps(old: str, new: str) -> list[Step]:
    """The page's NAT case: only the public address changes, so only ``externip`` and a reload."""
    edit = text_edit(
        "externip",
        f"Set externip in {SIP_CONF} from {old} to {new}",
        SIP_CONF,
        lambda text: set_externip(text, old, new),
        mode=0o640,
        summary=f"externip {old} -> {new} (public address behind NAT)",
    )
    return [
        hostmove.occurrences_check(
            "externip-before",
            f"Where {old} appears in {SIP_CONF}",
            (SIP_CONF,),
            old,
            "ip",
            before=True,
        ),
        edit,
        *reload_steps([edit]),
        Manual(
            id="nat-router",
            title="Forward SIP and RTP on the new public address",
            where="the NAT router / firewall in front of the node",
            detail=f"Port forwards and SIP provider whitelists for {new}; no server restart "
            "is needed for externip (page 36).",
        ),
        hostmove.occurrences_check(
            "externip-after", f"No {old} left in {SIP_CONF}", (SIP_CONF,), old, "ip", before=False
        ),
    ]


RUNBOOK = RunbookDef(
    page=36,
    demo_targets="replay:srv01,replay:srv02",
    slug="changing-server-ip",
    title="Changing server IP",
    scope="node",
    roles=("pbx",),
    params=PARAMS,
    build=build,
    summary="old IP per file/line, token-exact replacement with backups, node table, restart",
    verification=Verification(
        mirta_page="Admin/PBX Nodes shows the new IP; the node's extensions and trunks register.",
        asterisk_log="In /var/log/asterisk/full after the restart: no AMI 'failed to "
        "authenticate' from the old address and no unreachable peer of the other node.",
        status_menu="Status menu: the node is up at its new address, the database is reachable.",
    ),
)
