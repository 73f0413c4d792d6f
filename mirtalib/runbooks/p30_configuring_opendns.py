"""Seed page 30, *Configuring OpenDNS*: resolvers that answer the PBX's names, from the node.

Asterisk resolves trunk hosts, SRV records and the licence server synchronously in places, so a
resolver that is slow or silent stalls call setup. The page recommends the four OpenDNS addresses
(in resolv.conf, ``ifcfg-*`` ``DNSn=`` lines or a NetworkManager keyfile ``dns=`` line) and shows
that OpenDNS answers ``REFUSED`` with a TXT notice to clients in France, pointing to Cloudflare
(1.1.1.1), Google (8.8.8.8) or Quad9 (9.9.9.9) instead.

What this runbook does:

* reads the node's ``/etc/resolv.conf`` (warns about a fourth nameserver: glibc asks at most three,
  so the page's fourth OpenDNS line is never used; and about NetworkManager rewriting the file);
* asks every configured resolver, *from the node* (:func:`mirtalib.net.dns.node_command`), for each
  PBX name with dnspython-built queries, and reports REFUSED, the "unavailable in France" notice,
  timeouts;
* asks the resolvers you want to configure the same questions before anything is written: apply
  stops there if one of them does not answer properly;
* renders the lines for resolv.conf, ``ifcfg-*``, the keyfile and ``nmcli``, then writes the file
  it manages (``resolv.conf`` or the NetworkManager keyfile, reloaded with ``nmcli device
  reapply``, which does not take the link down);
* verifies the file and the answers again.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from mirtalib.errors import MirtaError, ParameterError, ParseError
from mirtalib.net.dns import (
    GLIBC_MAXNS,
    PUBLIC_RESOLVERS,
    DnsQuery,
    DnsResult,
    node_command,
    parse_node_output,
    parse_resolv_conf,
    render_lines,
    set_nmconnection_dns,
    set_resolv_conf,
)
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
    text_edit,
)
from mirtalib.validate import cmd, ip_address

NM_DIR = "/etc/NetworkManager/system-connections"


def _servers(value: str) -> str:
    out: list[str] = []
    for token in (t.strip() for t in value.split(",")):
        if not token:
            continue
        if token.lower() in PUBLIC_RESOLVERS:
            out += PUBLIC_RESOLVERS[token.lower()]
        else:
            out.append(ip_address(token, "resolvers"))
    if not out:
        raise ParameterError("resolvers is empty: give addresses or names like cloudflare,quad9")
    return ",".join(dict.fromkeys(out))


def _names(value: str) -> str:
    names = [n.strip() for n in value.split(",") if n.strip()]
    if not names:
        raise ParameterError("pbx_names is empty: give the names Asterisk resolves")
    for n in names:
        DnsQuery("127.0.0.1", n)  # validates the name
    return ",".join(names)


PARAMS = (
    Param(
        "pbx_names",
        "www.mirtapbx.com,sip.voip-carrier.example",
        "names Asterisk resolves (licence server, trunks)",
        check=_names,
    ),
    Param(
        "resolvers",
        "1.1.1.1,9.9.9.9,8.8.8.8",
        "resolvers to configure, in order (addresses or opendns/cloudflare/google/quad9)",
        check=_servers,
    ),
    Param(
        "manage",
        "nmconnection",
        "file to edit: nmconnection (NetworkManager keyfile) or resolv.conf",
        choices=("nmconnection", "resolv.conf"),
    ),
    Param(
        "nm_connection",
        "eth0",
        "NetworkManager connection name (keyfile NAME.nmconnection) and device",
        kind="asterisk_name",
    ),
    Param("resolv_conf", "/etc/resolv.conf", "resolver file read by glibc", kind="path"),
    Param("query_timeout", 2.0, "seconds to wait for each DNS answer", between=(0.2, 10.0)),
    Param("dns_port", 53, "port the resolvers listen on (53)", kind="port"),
)


def _queries(servers: list[str], names: list[str], dns_port: int = 53) -> list[DnsQuery]:
    return [DnsQuery(s, n, "A", dns_port) for s in servers for n in names]


def results_json(results: list[DnsResult]) -> str:
    """Probe results as JSON text (evidence and the parse input of the checks)."""
    return json.dumps(
        [
            {
                "server": r.query.server,
                "name": r.query.name,
                "status": r.status,
                "summary": r.summary(),
                "blocked": r.blocked,
            }
            for r in results
        ],
        indent=1,
    )


def _run(target, command: str) -> str:
    out = target.run(command, timeout=60)
    if out.exit_code != 0:  # e.g. 127: neither python3 nor python on the node
        raise MirtaError(
            f"the DNS probe could not run on {target.name} (exit {out.exit_code}): "
            f"{out.stderr.strip()[:200] or 'no error text'}"
        )
    return out.stdout


def _ask_configured(conf: str, names: list[str], timeout: float, dns_port: int):
    def probe(target) -> str:
        parsed = parse_resolv_conf(target.read_text(conf) or "")
        servers = list(parsed.nameservers[:GLIBC_MAXNS]) or ["127.0.0.1"]  # glibc's default
        queries = _queries(servers, names, dns_port)
        return results_json(
            parse_node_output(_run(target, node_command(queries, timeout=timeout)), queries)
        )

    return probe


def _ask(servers: list[str], names: list[str], timeout: float, dns_port: int = 53):
    queries = _queries(servers, names, dns_port)
    command = node_command(queries, timeout=timeout)

    def probe(target) -> str:
        return results_json(parse_node_output(_run(target, command), queries))

    return probe


def _rows(text: str) -> list[dict[str, Any]]:
    try:
        rows = json.loads(text)
    except ValueError as exc:
        raise ParseError(f"DNS probe results not understood: {exc}") from None
    if not isinstance(rows, list):
        raise ParseError("DNS probe results must be a list")
    return rows


def _answers_expect(what: str, worst: Verdict = Verdict.FAIL):
    def expect(rows: list[dict[str, Any]]) -> tuple[Verdict, str]:
        bad = [r for r in rows if r["status"] not in {"ok", "nodata", "nxdomain"}]
        if not bad:
            return Verdict.PASS, f"{what}: all {len(rows)} answers usable"
        by_answer: dict[str, list[str]] = {}
        for r in bad:
            servers = by_answer.setdefault(r["summary"][:130], [])
            if r["server"] not in servers:
                servers.append(r["server"])
        detail = "; ".join(f"{', '.join(s)}: {why}" for why, s in by_answer.items())
        verdict = worst if len(bad) == len(rows) else Verdict.WARN
        return verdict, f"{what}: {len(bad)} of {len(rows)} answers unusable. {detail}"

    return expect


def _resolv_expect(manage: str):
    def expect(parsed) -> tuple[Verdict, str]:
        if not parsed.nameservers:
            return Verdict.FAIL, "no nameserver line: the node cannot resolve names"
        text = f"nameservers {', '.join(parsed.nameservers)}"
        warns = []
        if parsed.ignored:
            warns.append(f"glibc ignores {', '.join(parsed.ignored)} (only the first three count)")
        if parsed.managed_by and manage == "resolv.conf":
            warns.append("NetworkManager writes this file: edit the connection instead")
        if parsed.rejects:
            warns.append(f"{len(parsed.rejects)} line(s) not understood")
        return (Verdict.WARN, text + "; " + "; ".join(warns)) if warns else (Verdict.PASS, text)

    return expect


def _file_servers(manage: str):
    def parse(text: str) -> tuple[str, ...]:
        if manage == "resolv.conf":
            return parse_resolv_conf(text).nameservers
        lines = [ln.strip() for ln in text.splitlines()]
        dns = next((ln.split("=", 1)[1] for ln in lines if ln.startswith("dns=")), "")
        return tuple(s for s in dns.split(";") if s)

    return parse


def _servers_equal(wanted: tuple[str, ...]):
    def expect(found: tuple[str, ...]) -> tuple[Verdict, str]:
        if tuple(found) == wanted:
            return Verdict.PASS, f"configured: {', '.join(found)}"
        return Verdict.FAIL, f"configured: {', '.join(found) or 'none'}; wanted {', '.join(wanted)}"

    return expect


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 30 for validated values ``v``."""
    names = v["pbx_names"].split(",")
    servers = v["resolvers"].split(",")
    conf, manage = v["resolv_conf"], v["manage"]
    if manage == "resolv.conf" and len(servers) > GLIBC_MAXNS:
        raise ParameterError(
            f"resolvers: resolv.conf uses at most {GLIBC_MAXNS} nameservers, got {len(servers)}"
        )
    nm_file = f"{NM_DIR}/{v['nm_connection']}.nmconnection"
    managed = conf if manage == "resolv.conf" else nm_file
    lines = render_lines(servers, v["nm_connection"])
    ask_wanted = _ask(servers, names, v["query_timeout"], v["dns_port"])
    steps: list[Step] = [
        Check(
            id="resolv-conf",
            title=f"Resolvers in {conf}",
            phase=Phase.BEFORE,
            probe=lambda target: target.read_text(conf) or "",
            parse=parse_resolv_conf,
            expect=_resolv_expect(manage),
        ),
        Check(
            id="configured-answer",
            title="The configured resolvers answer the PBX's names (asked from the node)",
            phase=Phase.BEFORE,
            probe=_ask_configured(conf, names, v["query_timeout"], v["dns_port"]),
            parse=_rows,
            expect=_answers_expect("configured resolvers", Verdict.WARN),
        ),
        Check(
            id="wanted-answer-before",
            title=f"The resolvers to configure answer from this node ({', '.join(servers)})",
            phase=Phase.BEFORE,
            probe=ask_wanted,
            parse=_rows,
            expect=_answers_expect("resolvers to configure"),
        ),
        Manual(
            id="dns-lines",
            title="The same resolvers for every configuration style",
            phase=Phase.BEFORE,
            where="resolv.conf / ifcfg-* / NetworkManager",
            detail=" | ".join(f"{k}: {t.strip()}".replace("\n", " ") for k, t in lines.items()),
        ),
    ]
    if manage == "resolv.conf":
        steps.append(
            text_edit(
                "resolv-file",
                f"Write the resolvers to {conf}",
                conf,
                lambda text: set_resolv_conf(text, servers, ("timeout:2", "attempts:2")),
                summary=f"nameservers {', '.join(servers)}, options timeout:2 attempts:2",
            )
        )
        steps.append(
            Manual(
                id="glibc-reload",
                title="Make long-running programs read the new file",
                where="the node, quiet hour",
                detail="glibc before 2.26 (CentOS 7) never re-reads resolv.conf in a running "
                "process: restart Asterisk when no call is up (`core restart when convenient`).",
            )
        )
    else:
        steps += [
            text_edit(
                "nm-keyfile",
                f"Set dns= in {nm_file}",
                nm_file,
                lambda text: set_nmconnection_dns(text, servers),
                mode=0o600,
                summary=f"[ipv4] dns={';'.join(servers)}; ignore-auto-dns=true",
            ),
            Command(
                id="nm-reload",
                title="NetworkManager re-reads its connection files",
                command=cmd("nmcli", "connection", "reload"),
                risk=Risk.CHANGING,
                when_changed=("nm-keyfile",),
                undo=cmd("nmcli", "connection", "reload"),
            ),
            Command(
                id="nm-reapply",
                title=f"Apply the DNS change to {v['nm_connection']} without taking it down",
                command=cmd("nmcli", "device", "reapply", v["nm_connection"]),
                risk=Risk.CHANGING,
                when_changed=("nm-keyfile",),
                undo=cmd("nmcli", "device", "reapply", v["nm_connection"]),
            ),
        ]
    steps += [
        Check(
            id="managed-file",
            title=f"{managed} lists the wanted resolvers",
            probe=lambda target: target.read_text(managed) or "",
            parse=_file_servers(manage),
            expect=_servers_equal(tuple(servers)),
        ),
        Check(
            id="wanted-answer",
            title="The configured resolvers answer the PBX's names",
            probe=ask_wanted,
            parse=_rows,
            expect=_answers_expect("resolvers"),
        ),
    ]
    return steps


@dataclasses.dataclass(frozen=True)
class Comparison:
    """Answers of several resolvers to the PBX's names, as table rows."""

    rows: list[dict[str, Any]]

    def table(self):
        """pandas DataFrame: server, name, status, summary, blocked."""
        import pandas as pd

        return pd.DataFrame(self.rows, columns=["server", "name", "status", "summary", "blocked"])


def compare_resolvers(
    target, servers: list[str], names: list[str], timeout: float, dns_port: int = 53
) -> Comparison:
    """Ask ``servers`` for ``names`` from ``target`` (the node) and return the table rows."""
    return Comparison(_rows(_ask(servers, names, timeout, dns_port)(target)))


RUNBOOK = RunbookDef(
    page=30,
    demo_targets="replay:srv01,replay:srv02",
    slug="configuring-opendns",
    title="Configuring OpenDNS",
    scope="node",
    roles=("pbx",),
    params=PARAMS,
    build=build,
    summary="resolvers asked from the node (REFUSED, country block), resolv.conf / keyfile lines",
    verification=Verification(
        mirta_page="Make a test call through each trunk and open the licence page: no delay "
        "before ringing, licence shown as valid.",
        asterisk_log="In /var/log/asterisk/full, no new 'Could not resolve' / DNS lookup "
        "warnings for trunk hosts.",
        status_menu="Status menu: trunks and registrations shown up on every node.",
    ),
)
