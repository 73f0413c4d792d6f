"""Seed page 43, *Clustering and High Availability*: SRV pools, and where the phones really are.

MiRTA nodes share load, they do not balance it: phones find a node through DNS SRV records
(RFC 2782: lowest priority first, weight-proportional inside a priority). The page recommends one
pool per node (``pbxA`` -> voip1 first, voip2 second; ``pbxB`` the other way round), each tenant's
phones provisioned with one pool, because a tenant split across nodes costs inter-node routing and
breaks attended transfers between calls held on different nodes; around 10% of phones on the
secondary is normal (packet loss makes some re-register there): more is a finding
(:func:`placement_check`, threshold ``secondary_warn``, default the page's 10%). A node switch
costs the phone a short re-registration delay and loses its INUSE state during a call (the
``switch-effects`` item).

What this runbook does:

* models the pools with :mod:`mirtalib.net.srv` and shows each pool's shares with every node up and
  with each node down (the page's own 60/20/10/10 example is a unit test of that model);
* renders the zone lines to publish (a manual step: the zone lives at the DNS provider);
* asks a resolver *from each node* for the live SRV records of every pool (dnspython queries, see
  :mod:`mirtalib.net.dns`) and compares them with the design (warn before, fail in verify);
* counts registered phones per tenant on each node from ``pjsip show contacts`` (or chan_sip's
  ``sip show peers``); :func:`placement` turns the per-node counts into the tenants that are split
  and the pool each one should use.

Found on a real Asterisk 22 node: ``sip show peers`` does not exist there (no chan_sip since
Asterisk 21), and a node without Python cannot run the SRV query; both are reported as such
instead of "0 phones" or an unexplained exit code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from mirtalib.asterisk.chansip import parse_sip_peers
from mirtalib.asterisk.pjsip import parse_pjsip_show
from mirtalib.errors import ParameterError, ParseError
from mirtalib.net.dns import DnsQuery, node_command, parse_node_output
from mirtalib.net.srv import SrvRecord, compare, pool_records, shares, zone_lines
from mirtalib.runbook import (
    Check,
    Manual,
    Param,
    Phase,
    RunbookDef,
    Step,
    Verdict,
    Verification,
)
from mirtalib.runbooks.cli_answers import MissingCommand, chan_sip_missing, missing_command
from mirtalib.validate import EXTENSION_RE, hostname

SECONDARY_NORMAL = 0.1  # page 43: "around 10% of the phones connected to the secondary" is normal
SWITCH_EFFECTS = (
    "When a phone moves to the other node (its primary did not answer, or packet loss), it is "
    "unreachable for a short while: it re-registers with a delay, and may be unreachable on both "
    "nodes meanwhile. A phone that was in a call when it switched loses its INUSE state: the "
    "new node sends it another call while it is still busy. Attended transfers between calls "
    "held on different nodes fail."
)
CONTACT_COMMANDS = {
    "pjsip": "asterisk -rx 'pjsip show contacts'",
    "sip": "asterisk -rx 'sip show peers'",
}


def _pools(value: str) -> str:
    pairs = [p.strip() for p in value.split(",") if p.strip()]
    seen: dict[str, str] = {}
    for pair in pairs:
        label, sep, primary = pair.replace("=", ":").partition(":")
        if not sep:
            raise ParameterError(f"pools: {pair!r} is not POOL:NODE (e.g. pbxa:srv01)")
        seen[hostname(label.strip(), "pools")] = hostname(primary.strip(), "pools")
    if len(seen) < 1:
        raise ParameterError("pools is empty: give POOL:NODE pairs such as pbxa:srv01,pbxb:srv02")
    return ",".join(f"{k}:{v}" for k, v in seen.items())


def _share(value: float) -> float:
    if not 0 < value < 1:
        raise ParameterError(f"secondary_warn={value} must be a fraction between 0 and 1")
    return value


PARAMS = (
    Param(
        "domain",
        "demo.mirta.example",
        "DNS zone of the pools and of the node names",
        kind="hostname",
    ),
    Param(
        "pools",
        "pbxa:srv01,pbxb:srv02",
        ("pool and its primary node, per pair (node host labels in the zone)"),
        check=_pools,
    ),
    Param(
        "transport",
        "udp",
        "SIP transport of the records: udp, tcp or tls (_sips._tcp)",
        choices=("udp", "tcp", "tls"),
    ),
    Param("sip_port", 5060, "SIP port on the nodes", kind="port"),
    Param(
        "ttl",
        3600,
        ("record TTL in seconds (page: 86400; a shorter TTL makes a redesign take effect sooner)"),
        between=(60, 604800),
    ),
    Param(
        "resolver",
        "1.1.1.1",
        "resolver the nodes ask for the live records",
        kind="ip",
    ),
    Param("dns_port", 53, "port of that resolver", kind="port"),
    Param(
        "channel_driver",
        "pjsip",
        ("registrations from pjsip (pjsip show contacts) or sip (sip show peers)"),
        choices=("pjsip", "sip"),
    ),
    Param(
        "secondary_warn",
        SECONDARY_NORMAL,
        "share of a tenant's phones elsewhere above which it is a finding (page: ~10% is normal)",
        check=_share,
    ),
)


def design(v: dict[str, Any]) -> list[SrvRecord]:
    """The SRV records of the pools for validated values ``v``."""
    pools = dict(p.split(":") for p in v["pools"].split(","))
    nodes = list(dict.fromkeys(pools.values()))
    return pool_records(
        pools, nodes, domain=v["domain"], port=v["sip_port"], transport=v["transport"], ttl=v["ttl"]
    )


def _owners(records: Sequence[SrvRecord]) -> list[str]:
    return list(dict.fromkeys(r.owner for r in records))


def shares_text(records: Sequence[SrvRecord]) -> str:
    """Per pool: shares with all nodes up, then with each node down."""
    out = []
    for owner in _owners(records):
        group = [r for r in records if r.owner == owner]
        hosts = list(dict.fromkeys(r.target for r in group))
        for down in [None, *hosts]:
            got = shares(group, [down] if down else [])
            where = ", ".join(f"{h}:{p} {float(s):.0%}" for (h, p), s in got.items()) or "nobody"
            out.append(f"{owner}: {'all up' if down is None else down + ' down'} -> {where}")
    return "\n".join(out)


NO_PYTHON = 127  # what the shell exits with when the node has neither python3 nor python


@dataclass(frozen=True)
class NoPython:
    """The node could not run the query: it has neither ``python3`` nor ``python``."""

    def __repr__(self) -> str:
        return "no python3 or python on the node"


def _srv_probe(records: Sequence[SrvRecord], resolver: str, dns_port: int):
    queries = [DnsQuery(resolver, o, "SRV", dns_port) for o in _owners(records)]
    command = node_command(queries)

    def parse(text: str) -> list[tuple[str, str, list[SrvRecord]]] | NoPython:
        if not text.strip():  # the query prints one line per record set, or did not run
            return NoPython()
        out = []
        for r in parse_node_output(text, queries):
            live = [SrvRecord(*(int(x) for x in a.split()[:3]), a.split()[3]) for a in r.answers]
            out.append((r.query.name, r.status, live))
        return out

    return command, parse


def _rdata(records: Sequence[SrvRecord]) -> str:
    return ", ".join(f"{r.priority} {r.weight} {r.port} {r.target}" for r in records)


def _srv_expect(records: Sequence[SrvRecord], worst: Verdict):
    def expect(found: list[tuple[str, str, list[SrvRecord]]] | NoPython) -> tuple[Verdict, str]:
        if isinstance(found, NoPython):
            return worst, (
                "the node has neither python3 nor python, which the SRV query runs with: ask "
                "the resolver from another node, or install python3"
            )
        problems, good = [], []
        for name, status, live in found:
            wanted = [r for r in records if r.owner == name]
            cmp = compare(name, wanted, live)
            if status not in {"ok", "nodata", "nxdomain"}:
                problems.append(f"{name}: resolver said {status}")
            elif cmp.ok:
                good.append(name)
            else:
                miss, extra = _rdata(cmp.missing), _rdata(cmp.unexpected)
                problems.append(f"{name}: missing [{miss}] unexpected [{extra}]")
        if problems:
            fine = f" (as designed: {', '.join(good)})" if good else ""
            return worst, "; ".join(problems) + fine
        return Verdict.PASS, f"published as designed: {', '.join(good)}"

    return expect


def tenant_of(aor: str) -> str:
    """Tenant code of an extension AOR/peer name (``100-DEVEL`` -> ``DEVEL``; "" for trunks)."""
    return aor.rsplit("-", 1)[1] if EXTENSION_RE.match(aor) else ""


def registered_phones(text: str, driver: str = "pjsip") -> dict[str, int]:
    """Registered phones per tenant in ``pjsip show contacts`` / ``sip show peers`` output.

    Raises:
        ParseError: when the node has no such command (chan_sip's ``sip show peers`` on Asterisk
            21 and later), naming the cause, or the output is not understood.
    """
    missing = missing_command(text)
    if missing is not None:
        raise ParseError(_missing_text(missing, driver))
    counts: dict[str, int] = {}
    if driver == "pjsip":
        report = parse_pjsip_show(text)
        names = [c.aor for c in report.contacts if c.status not in {"Removed", "Unavail"}]
        if report.rejects:
            raise ParseError(f"pjsip show contacts: {len(report.rejects)} line(s) not understood")
    else:
        peers = parse_sip_peers(text)
        names = [p.name for p in peers.peers if p.port and p.host != "(Unspecified)"]
    for name in names:
        t = tenant_of(name)
        if t:
            counts[t] = counts.get(t, 0) + 1
    return dict(sorted(counts.items()))


def _missing_text(missing: MissingCommand, driver: str) -> str:
    if driver == "sip":
        return chan_sip_missing(
            f"'{missing.command}' does not exist, so its phones cannot be counted; count the "
            "PJSIP registrations with channel_driver='pjsip'"
        )
    return f"'{missing.command}' does not exist on this node (is res_pjsip loaded?)"


def _phones(driver: str):
    def parse(text: str) -> dict[str, int] | MissingCommand:
        return missing_command(text) or registered_phones(text, driver)

    return parse


def _phones_expect(driver: str, worst: Verdict, *, final: bool):
    def expect(counts: dict[str, int] | MissingCommand) -> tuple[Verdict, str]:
        if isinstance(counts, MissingCommand):
            return worst, _missing_text(counts, driver)
        if final:
            return Verdict.PASS, f"phones per tenant: {counts}"
        total = sum(counts.values())
        return Verdict.PASS, f"{total} phone(s) registered: " + (
            ", ".join(f"{t} {n}" for t, n in counts.items()) or "none"
        )

    return expect


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 43 for validated values ``v``."""
    records = design(v)
    command, parse = _srv_probe(records, v["resolver"], v["dns_port"])
    driver = v["channel_driver"]
    contacts = CONTACT_COMMANDS[driver]
    return [
        Manual(
            id="srv-model",
            title="How phones will spread over the nodes (RFC 2782 model of the pools)",
            phase=Phase.BEFORE,
            where="this notebook",
            detail=shares_text(records).replace("\n", " | "),
        ),
        Check(
            id="srv-live-before",
            title=f"Live SRV records of the pools (asked from the node to {v['resolver']})",
            phase=Phase.BEFORE,
            command=command,
            parse=parse,
            expect=_srv_expect(records, Verdict.WARN),
            ok_codes=(0, NO_PYTHON),
        ),
        Check(
            id="phones-before",
            title="Phones registered on this node, per tenant",
            phase=Phase.BEFORE,
            command=contacts,
            parse=_phones(driver),
            expect=_phones_expect(driver, Verdict.WARN, final=False),
        ),
        Manual(
            id="switch-effects",
            title="What a node switch does to the phones (tell the tenants)",
            phase=Phase.BEFORE,
            where="this notebook; the tenants' administrators",
            detail=SWITCH_EFFECTS,
        ),
        Manual(
            id="publish-zone",
            title="Publish the pool records in the DNS zone",
            where=f"DNS provider of {v['domain']}",
            detail=zone_lines(records).strip().replace("\n", " | "),
        ),
        Manual(
            id="provision-pools",
            title="Provision each tenant's phones with one pool",
            where="phone provisioning / MiRTA extension settings",
            detail="Give all phones of a tenant the SIP server of the pool whose primary node "
            "already holds most of them (see the placement table); never one pool listing every "
            "node at equal priority: hand-overs and transfers across nodes fail.",
        ),
        Check(
            id="srv-published",
            title="The pools are published as designed",
            command=command,
            parse=parse,
            expect=_srv_expect(records, Verdict.FAIL),
            ok_codes=(0, NO_PYTHON),
        ),
        Check(
            id="phones-after",
            title="Phones registered on this node, per tenant (after)",
            command=contacts,
            parse=_phones(driver),
            expect=_phones_expect(driver, Verdict.FAIL, final=True),
        ),
    ]


def phones_per_node(rb) -> pd.DataFrame:
    """Registered phones per tenant (rows) and node (columns) of an open runbook's targets."""
    driver = rb.values["channel_driver"]
    cols = {
        t.name: registered_phones(t.run(CONTACT_COMMANDS[driver]).stdout, driver)
        for t in rb.targets
    }
    frame = pd.DataFrame(cols).fillna(0).astype(int).sort_index()
    frame.index.name = "tenant"
    return frame


def placement(frame: pd.DataFrame, pools: str, secondary_warn: float) -> pd.DataFrame:
    """Per tenant: phones, the node holding most of them, share elsewhere, pool to use, finding."""
    pool_of = {node: pool for pool, node in (p.split(":") for p in pools.split(","))}
    rows = []
    for tenant, counts in frame.iterrows():
        total = int(counts.sum())
        main = str(counts.idxmax())
        away = (total - int(counts[main])) / total if total else 0.0
        pool = pool_of.get(main, "")
        verdict = Verdict.PASS
        if away == 0:
            finding = "all on one node"
        elif away <= secondary_warn:
            finding = f"{away:.0%} on the secondary: normal after packet loss (page: ~10%)"
        else:
            verdict = Verdict.WARN
            finding = (
                f"{away:.0%} elsewhere, above {secondary_warn:.0%}: split across nodes, "
                f"provision {pool or 'one pool'} on all its phones"
            )
        rows.append(
            {
                "tenant": tenant,
                "phones": total,
                "main_node": main,
                "elsewhere": round(away, 3),
                "pool": pool,
                "verdict": verdict.value,
                "finding": finding,
            }
        )
    return pd.DataFrame(
        rows, columns=["tenant", "phones", "main_node", "elsewhere", "pool", "verdict", "finding"]
    )


def placement_check(
    frame: pd.DataFrame, pools: str, secondary_warn: float = SECONDARY_NORMAL
) -> tuple[Verdict, str]:
    """The cluster-wide check of :func:`placement`: pass while every tenant has at most
    ``secondary_warn`` of its phones away from its main node (the page: around 10% is normal),
    warn naming each tenant above it. It needs the counts of every node (:func:`phones_per_node`),
    so it runs over the whole cluster, not per node."""
    table = placement(frame, pools, secondary_warn)
    over = table[table["verdict"] == Verdict.WARN.value]
    if table.empty:
        return Verdict.WARN, "no registered phone on any node: nothing to place"
    if len(over):
        return Verdict.WARN, "; ".join(f"{r.tenant}: {r.finding}" for r in over.itertuples())
    return Verdict.PASS, (
        f"every tenant has at most {secondary_warn:.0%} of its phones away from its main node "
        "(the page: around 10% on the secondary is normal)"
    )


RUNBOOK = RunbookDef(
    page=43,
    demo_targets="replay:srv01,replay:srv02",
    slug="clustering-and-high-availability",
    title="Clustering and High Availability",
    scope="node",
    roles=("pbx",),
    params=PARAMS,
    build=build,
    summary="SRV pool design and shares, live SRV records, phones per node and tenant",
    verification=Verification(
        mirta_page="Extensions page of each moved tenant: phones registered, on the pool's "
        "primary node.",
        asterisk_log="In /var/log/asterisk/full, no registration storms or 'No matching "
        "endpoint' after the phones were re-provisioned.",
        status_menu="Status menu: registrations per node match the placement table.",
    ),
)
