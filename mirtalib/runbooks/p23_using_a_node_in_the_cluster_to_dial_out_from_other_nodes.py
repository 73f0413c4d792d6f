"""Seed page 23, *Using a node in the cluster to dial out from other nodes*.

Calls between MiRTA nodes are internal calls, so one node cannot simply be a "provider" for the
others. When one node hosts a DAHDI card (ISDN/analogue lines) and the others must send special
numbers out through it, the page does three things on that node:

1. remove ``insecure=port,invite`` from every *host account* of sip.conf (the accounts of the
   other nodes). That setting lets a peer in by IP address alone; it is a fallback for broken
   user/password authentication (a renamed server not updated in sip.conf), and it would make the
   other nodes' calls land in the internal context instead of the new account;
2. create a dedicated account for the other nodes, mapped to a ``[dahdi]`` context, and add it
   as a provider on the Admin/Providers page;
3. create ``[dahdi]`` in the dialplan, dialling the DAHDI group.

What this runbook adds: the scan lists which host accounts carry the setting (own line or
inherited from a template, which must be edited by hand); the account's secret comes from an
environment variable (placeholder in plan, resolved by apply, masked in diffs); the account only
accepts the other nodes' addresses (``deny``/``permit``); ``dialplan reload`` runs when the
context changed; ``sip reload`` (it drops phone registrations) only when ``reload_now=True``.
Run it with ``dahdi_node=True`` on the DAHDI node and ``dahdi_node=False`` on the others (they
only get the ``insecure`` cleanup).

The page is about chan_sip (sip.conf) and DAHDI. A node without chan_sip (Asterisk 21 and later
have none; found on a real Asterisk 22.10.1 node) answers ``No such command 'sip show peers'``:
the first check says "chan_sip is not loaded on this node ..." and fails, so apply stops before it
writes a sip.conf that nothing reads (the account for the other nodes is then a PJSIP endpoint,
outside this page). Likewise a node without chan_dahdi answers ``No such command 'dahdi show
status'``: with ``dahdi_node=True`` that fails too (no DAHDI lines to dial out through).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from mirtalib.asterisk.chansip import parse_sip_peers
from mirtalib.asterisk.conf import ConfDocument, parse_conf
from mirtalib.asterisk.conftree import effective_value
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
    conf_edit,
    failure_lines,
)
from mirtalib.runbook.targets import Target
from mirtalib.runbooks.cli_answers import (
    MissingCommand,
    chan_sip_missing,
    missing_command,
    tolerant,
)
from mirtalib.runbooks.sipconf import host_accounts, mask_live_secrets, secret_conf_edit
from mirtalib.validate import asterisk_name, cmd, ip_address

INSECURE = "port,invite"


def _nodes(value: str) -> tuple[str, ...]:
    items = tuple(x.strip() for x in value.split(",") if x.strip())
    if not items:
        raise ParameterError("other_nodes must list the IP addresses of the other nodes")
    out = tuple(ip_address(x, "other_nodes", version=4) for x in items)
    if any(ipaddress.ip_address(ip).is_unspecified for ip in out):
        raise ParameterError("other_nodes: 0.0.0.0 would let anyone use the DAHDI lines")
    return out


def _group(value: str) -> str:
    if not (len(value) >= 2 and value[0] in "gGrR" and value[1:].isdigit()) and not (
        value.isdigit()
    ):
        raise ParameterError(f"dahdi_group={value!r}: a group like g0 / r1, or a channel number")
    return value


def _pattern(value: str) -> str:
    if not value or any(c not in "_0123456789XZN.[]-!+*#" for c in value):
        raise ParameterError(f"dial_pattern={value!r} is not a dialplan pattern like _X.")
    return value


def _sections(value: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in value.split(",") if n.strip())
    if not names:
        raise ParameterError("node_sections must name the sip.conf sections of the nodes")
    return tuple(asterisk_name(n, "node_sections") for n in names)


PARAMS = (
    Param("sip_conf", "/etc/asterisk/sip.conf", "chan_sip configuration", kind="path"),
    Param(
        "extensions_conf",
        "/etc/asterisk/extensions_custom.conf",
        "dialplan file for [dahdi] (assumed: included, not rewritten by MiRTA)",
        kind="path",
    ),
    Param(
        "node_sections",
        "srv01,srv02",
        "sip.conf sections of the cluster nodes (the host accounts to clean)",
        check=_sections,
    ),
    Param(
        "dahdi_node",
        True,
        ("True on the DAHDI node; False on the others (only the insecure cleanup)"),
    ),
    Param(
        "account",
        "dahdi-trunk",
        ("account the other nodes use (also the provider's user name)"),
        kind="asterisk_name",
    ),
    Param(
        "secret_env",
        "MIRTA_DAHDI_TRUNK_SECRET",
        "NAME of the environment variable holding its password",
        kind="env_var",
        secret_ref=True,
    ),
    Param(
        "other_nodes",
        "10.20.0.11",
        ("IPv4 addresses of the nodes allowed to use the account"),
        check=_nodes,
    ),
    Param("dahdi_group", "g0", "DAHDI group (g0, r1 ...) or channel number", check=_group),
    Param("dial_pattern", "_X.", "numbers the other nodes may send out", check=_pattern),
    Param("dial_timeout", 60, "Dial() timeout in seconds", between=(5, 300)),
    Param(
        "reload_now", False, ("run 'sip reload' (drops phone registrations) right after the change")
    ),
)


def insecure_accounts(doc: ConfDocument, nodes: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """Host accounts whose effective ``insecure`` allows port,invite.

    Returns:
        (section, where it is set, ``node`` for a cluster node's account else ``provider``).
    """
    found = []
    for section in host_accounts(doc):
        value = (effective_value(doc, section, "insecure") or "").replace(" ", "")
        if set(value.split(",")) >= {"port", "invite"}:
            where = "own line" if "insecure" in section else "inherited from a template"
            found.append((section.name, where, "node" if section.name in nodes else "provider"))
    return found


def _scan(v: dict[str, Any]):
    def probe(target: Target) -> str:
        return target.read_text(v["sip_conf"]) or ""

    return probe


def _scan_expect(*, after: bool):
    def expect(found: list[tuple[str, str, str]]) -> tuple[Verdict, str]:
        nodes = [f"[{name}] ({where})" for name, where, role in found if role == "node"]
        kept = [f"[{name}]" for name, _, role in found if role == "provider"]
        note = (
            f"; left on provider(s) {', '.join(kept)}: they send calls without authenticating"
            if kept
            else ""
        )
        if not nodes:
            return Verdict.PASS, f"no node account with insecure={INSECURE}{note}"
        verdict = Verdict.FAIL if after else Verdict.WARN
        return verdict, f"insecure={INSECURE} in node account(s) {', '.join(nodes)}{note}"

    return expect


def _remove_insecure(doc: ConfDocument, nodes: tuple[str, ...]) -> None:
    for section in host_accounts(doc):
        if section.name not in nodes:
            continue  # providers keep it: they do not authenticate to us
        for value in section.get_all("insecure"):
            if set(value.replace(" ", "").split(",")) >= {"port", "invite"}:
                section.remove("insecure", value)


def _account_options(v: dict[str, Any], secret: str) -> list[tuple[str, str]]:
    return [
        ("type", "friend"),
        ("host", "dynamic"),
        ("defaultuser", v["account"]),
        ("secret", secret),
        ("context", "dahdi"),
        ("directmedia", "no"),
        ("qualify", "no"),
    ]


def _edit_sip(v: dict[str, Any]):
    def edit(doc: ConfDocument, secret: str) -> None:
        _remove_insecure(doc, v["node_sections"])
        found = doc.find(v["account"])
        section = found[0] if found else doc.add_section(v["account"])
        for key, value in _account_options(v, secret):
            section.set(key, value, duplicates="all")
        section.set_all("deny", ["0.0.0.0/0.0.0.0"])
        section.set_all("permit", [f"{ip}/255.255.255.255" for ip in v["other_nodes"]])
        section.set_all("disallow", ["all"])
        section.set_all("allow", ["alaw", "ulaw"])

    return edit


def _live_secret(v: dict[str, Any]):
    def find(doc: ConfDocument) -> str | None:
        found = doc.find(v["account"])
        return found[0].get("secret") if found else None

    return find


def dahdi_context_lines(v: dict[str, Any]) -> list[str]:
    """The ``exten =>`` values of ``[dahdi]``."""
    p = v["dial_pattern"]
    return [
        f"{p},1,NoOp(Call from another node to ${{EXTEN}} through DAHDI)",
        f"{p},n,Dial(DAHDI/{v['dahdi_group']}/${{EXTEN}},{v['dial_timeout']})",
        f"{p},n,Hangup()",
    ]


def _edit_extensions(v: dict[str, Any]):
    def edit(doc: ConfDocument) -> None:
        found = doc.find("dahdi")
        section = found[0] if found else doc.add_section("dahdi")
        section.set_all("exten", dahdi_context_lines(v), op="=>")

    return edit


def _cleanup_only(v: dict[str, Any]):
    def edit(doc: ConfDocument) -> None:
        mask_live_secrets(doc)
        _remove_insecure(doc, v["node_sections"])

    return edit


def _dialplan_expect(v: dict[str, Any]):
    want = f"DAHDI/{v['dahdi_group']}/"

    def expect(text: str) -> tuple[Verdict, str]:
        if "[ Context 'dahdi'" not in text:
            return Verdict.FAIL, "context [dahdi] is not loaded"
        if want not in text:
            return Verdict.FAIL, f"[dahdi] does not dial {want}"
        return Verdict.PASS, f"[dahdi] loaded, dials {want}${{EXTEN}}"

    return expect


def _no_chan_sip(v: dict[str, Any], missing: MissingCommand) -> str:
    return chan_sip_missing(
        f"'{missing.command}' does not exist, so {v['sip_conf']} (the node accounts, "
        f"insecure=, the [{v['account']}] account) is read by nothing here; make the account "
        "for the other nodes a PJSIP endpoint instead. This page's sip.conf steps apply to nodes "
        "with chan_sip (Asterisk 20 and earlier)"
    )


def _chan_sip_expect(v: dict[str, Any]):
    def expect(peers) -> tuple[Verdict, str]:
        if isinstance(peers, MissingCommand):
            return Verdict.FAIL, _no_chan_sip(v, peers)
        names = ", ".join(p.name for p in peers.peers) or "none yet"
        return Verdict.PASS, f"chan_sip is loaded: {len(peers.peers)} peer(s) ({names})"

    return expect


def _peer_expect(v: dict[str, Any]):
    def expect(peers) -> tuple[Verdict, str]:
        if isinstance(peers, MissingCommand):
            return Verdict.FAIL, _no_chan_sip(v, peers)
        peer = peers.get(v["account"])
        if peer is None and not v["reload_now"]:
            return Verdict.WARN, f"{v['account']} not loaded yet: 'sip reload' is still to do"
        if peer is None:
            return Verdict.FAIL, f"{v['account']} is not a loaded SIP peer after the reload"
        return Verdict.PASS, f"{v['account']} loaded ({peer.status}, host {peer.host})"

    return expect


def _spans(text: str) -> list[str] | MissingCommand:
    """Span descriptions from ``dahdi show status`` (first column, header skipped).

    A node without chan_dahdi answers "No such command": returned as :class:`MissingCommand`.
    """
    missing = missing_command(text)
    if missing is not None:
        return missing
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return [ln.split("  ")[0].strip() for ln in lines[1:]]


def _spans_expect(spans: list[str] | MissingCommand) -> tuple[Verdict, str]:
    if isinstance(spans, MissingCommand):
        return Verdict.FAIL, (
            f"chan_dahdi is not loaded on this node: '{spans.command}' does not exist, so it has "
            "no DAHDI lines to dial out through; dahdi_node=True is for the node with the DAHDI "
            "card and chan_dahdi loaded (dahdi_node=False on the others)"
        )
    if not spans:
        return Verdict.WARN, "no DAHDI span: is this the node with the card?"
    return Verdict.PASS, f"{len(spans)} span(s): " + "; ".join(spans)


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 23 for validated parameter values ``v``."""
    sip_reload = cmd("asterisk", "-rx", "sip reload")
    sip_peers = cmd("asterisk", "-rx", "sip show peers")
    chan_sip = Check(
        id="chan-sip",
        title="chan_sip runs on this node (it reads sip.conf)",
        phase=Phase.BEFORE,
        command=sip_peers,
        parse=tolerant(parse_sip_peers),
        expect=_chan_sip_expect(v),
    )
    scan = Check(
        id="insecure-scan",
        title=f"Node accounts with insecure={INSECURE} (now)",
        phase=Phase.BEFORE,
        probe=_scan(v),
        parse=lambda text: insecure_accounts(parse_conf(text), v["node_sections"]),
        expect=_scan_expect(after=False),
    )
    steps: list[Step] = [chan_sip, scan]
    if v["dahdi_node"]:
        steps += [
            Check(
                id="dahdi-spans",
                title="DAHDI spans on this node",
                phase=Phase.BEFORE,
                command=cmd("asterisk", "-rx", "dahdi show status"),
                parse=_spans,
                expect=_spans_expect,
            ),
            secret_conf_edit(
                "sip-account",
                f"Remove insecure={INSECURE}; add the [{v['account']}] account",
                v["sip_conf"],
                _edit_sip(v),
                secret_env=v["secret_env"],
                live_value=_live_secret(v),
                summary=f"[{v['account']}] -> context dahdi, only from "
                + ", ".join(v["other_nodes"]),
            ),
            conf_edit(
                "dahdi-context",
                "Create the [dahdi] context",
                v["extensions_conf"],
                _edit_extensions(v),
                summary=f"[dahdi] {v['dial_pattern']} -> DAHDI/{v['dahdi_group']}",
            ),
            Command(
                id="dialplan-reload",
                title="Reload the dialplan (calls in progress are not affected)",
                command=cmd("asterisk", "-rx", "dialplan reload"),
                risk=Risk.CHANGING,
                when_changed=("dahdi-context",),
                undo=cmd("asterisk", "-rx", "dialplan reload"),
                failure=failure_lines(r"\bERROR\b", r"unable to", r"no such command"),
            ),
            Manual(
                id="provider-page",
                title="Add the provider for the account on the Admin/Providers page",
                where="MiRTA web interface, Admin/Providers",
                detail=f"Host: this node's address; user {v['account']}; the same secret as "
                f"${v['secret_env']}; route only the special numbers to it.",
            ),
        ]
    else:
        steps.append(
            conf_edit(
                "sip-account",
                f"Remove insecure={INSECURE} from the node accounts",
                v["sip_conf"],
                _cleanup_only(v),
                summary="host accounts authenticate by user/password only",
            )
        )
    if v["reload_now"]:
        steps.append(
            Command(
                id="sip-reload",
                title="sip reload (phones lose their registration until they register again)",
                command=sip_reload,
                risk=Risk.SERVICE_AFFECTING,
                when_changed=("sip-account",),
                undo=sip_reload,
                failure=failure_lines(r"no such command", r"unable to connect", r"\bERROR\b"),
            )
        )
    else:
        steps.append(
            Manual(
                id="sip-reload-later",
                title="Run 'sip reload' in a quiet moment",
                where="asterisk -rx 'sip reload' on the node",
                detail="sip.conf changes need it; it drops every phone registration until the "
                "phones register again. Do it off-hours, or rerun with reload_now=True.",
            )
        )
    steps.append(
        Check(
            id="insecure-after",
            title=f"No node account left with insecure={INSECURE}",
            probe=_scan(v),
            parse=lambda text: insecure_accounts(parse_conf(text), v["node_sections"]),
            expect=_scan_expect(after=True),
        )
    )
    if v["dahdi_node"]:
        steps += [
            Check(
                id="dahdi-context-loaded",
                title="[dahdi] context loaded",
                command=cmd("asterisk", "-rx", "dialplan show dahdi"),
                expect=_dialplan_expect(v),
            ),
            Check(
                id="account-loaded",
                title=f"[{v['account']}] loaded by chan_sip",
                command=sip_peers,
                parse=tolerant(parse_sip_peers),
                expect=_peer_expect(v),
            ),
        ]
    return steps


RUNBOOK = RunbookDef(
    page=23,
    demo_targets="replay:srv02",
    slug="using-a-node-in-the-cluster-to-dial-out-from-other-nodes",
    title="Using a node in the cluster to dial out from other nodes",
    scope="node",
    roles=("dahdi",),
    params=PARAMS,
    build=build,
    summary="insecure=port,invite scan and cleanup, inter-node account, [dahdi] context",
    verification=Verification(
        mirta_page="Admin/Providers: the new provider exists; a special number dialled on "
        "another node goes out through the DAHDI node (check its CDR).",
        asterisk_log="On the DAHDI node: the call arrives from the account in context dahdi and "
        "Dial(DAHDI/...) answers; no 'Failed to authenticate' lines for the other nodes.",
        status_menu="Status menu: SIP peers of the other nodes still reachable after the reload.",
    ),
)
