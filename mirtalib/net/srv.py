"""DNS SRV records (RFC 2782): parse, select by priority and weight, design pools, render zones.

Seed page 43 (*Clustering and High Availability*) spreads phones over MiRTA nodes with SRV records.
A client takes the records of the lowest priority value that still has a reachable target; inside
that group it picks one record at random in proportion to its weight; only when every target of the
group is down does it move to the next priority.

* :func:`shares` gives the long-run fraction of new registrations per (target, port), for a set
  of targets that are down: the page's example (60/20/10/10, then 50/50 when bigbox is down, then
  backupbox) is a unit test.
* :func:`select` is RFC 2782's own procedure for one pick (zero-weight records first, a uniform
  integer in ``[0, sum]``, first running sum that reaches it). Its exact odds differ slightly from
  ``weight / sum`` (60 of 100 becomes 61 of 101): :func:`rfc_odds` gives them, and the page's
  rounded figures are what :func:`shares` reports.
* :func:`pool_records` builds the page's "one pool per node" design (pbxA -> voip1 first, pbxB ->
  voip2 first), :func:`zone_lines` renders it as zone-file lines, :func:`compare` checks the live
  answer against the design.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Sequence
from fractions import Fraction

import dns.exception
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import numpy as np

from mirtalib.errors import ParameterError, ParseError
from mirtalib.validate import hostname

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True, order=True)
class SrvRecord:
    """One SRV record: ``_sip._udp.NAME TTL IN SRV priority weight port target``."""

    priority: int
    weight: int
    port: int
    target: str
    ttl: int = 86400
    owner: str = ""

    def __post_init__(self) -> None:
        for name, value, top in (
            ("priority", self.priority, 65535),
            ("weight", self.weight, 65535),
            ("port", self.port, 65535),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top:
                raise ParameterError(f"SRV {name}={value!r} must be an integer 0-{top}")
        object.__setattr__(self, "target", self.target.lower().removesuffix("."))

    @property
    def endpoint(self) -> tuple[str, int]:
        """(target, port): what a client actually contacts."""
        return self.target, self.port


def parse_zone_lines(text: str) -> list[SrvRecord]:
    """SRV records from zone-file lines (``owner [ttl] [IN] SRV prio weight port target``).

    Blank lines and ``;`` comments are skipped. Raises ParseError naming the line otherwise.
    """
    out: list[SrvRecord] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(";", 1)[0].strip()
        if not line:
            continue
        tokens = line.split()
        upper = [t.upper() for t in tokens]
        if "SRV" not in upper:
            raise ParseError(f"zone line {lineno}: no SRV type in {raw.strip()[:120]!r}")
        at = upper.index("SRV")
        head, rdata = tokens[:at], " ".join(tokens[at + 1 :])
        owner = head[0] if head and not head[0].isdigit() and head[0].upper() != "IN" else ""
        ttl = next((int(t) for t in head if t.isdigit()), 86400)
        try:
            rd = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.SRV, rdata)
        except (dns.exception.DNSException, ValueError) as exc:
            raise ParseError(f"zone line {lineno}: bad SRV data {rdata!r} ({exc})") from None
        out.append(
            SrvRecord(
                rd.priority, rd.weight, rd.port, rd.target.to_text(), ttl, owner.rstrip(".").lower()
            )
        )
    return out


def _groups(records: Sequence[SrvRecord]) -> list[list[SrvRecord]]:
    by_prio: dict[int, list[SrvRecord]] = {}
    for r in records:
        by_prio.setdefault(r.priority, []).append(r)
    return [by_prio[p] for p in sorted(by_prio)]


def _down(down: Iterable[str | tuple[str, int]]) -> set[str | tuple[str, int]]:
    out: set[str | tuple[str, int]] = set()
    for d in down:
        out.add(d.lower().removesuffix(".") if isinstance(d, str) else (d[0].lower(), d[1]))
    return out


def _alive(records: Sequence[SrvRecord], down: set) -> list[SrvRecord]:
    return [r for r in records if r.target not in down and r.endpoint not in down]


def shares(
    records: Sequence[SrvRecord], down: Iterable[str | tuple[str, int]] = ()
) -> dict[tuple[str, int], Fraction]:
    """Long-run share of new contacts per (target, port) when the ``down`` targets fail.

    ``down`` holds host names (every port of it) or (host, port) pairs. Inside the chosen priority
    group the share is ``weight / sum``; when every weight of the group is 0 the records share
    equally; a zero-weight record next to weighted ones gets (almost) nothing. Returns {} when
    every target is down.
    """
    dead = _down(down)
    for group in _groups(records):
        alive = _alive(group, dead)
        if not alive:
            continue
        total = sum(r.weight for r in alive)
        out: dict[tuple[str, int], Fraction] = {}
        for r in alive:
            part = Fraction(r.weight, total) if total else Fraction(1, len(alive))
            out[r.endpoint] = out.get(r.endpoint, Fraction(0)) + part
        return out
    return {}


def rfc_odds(group: Sequence[SrvRecord]) -> dict[tuple[str, int], Fraction]:
    """Exact odds of RFC 2782's procedure for one priority group (all targets up)."""
    ordered = sorted(group, key=lambda r: r.weight != 0)  # zero weights first (stable)
    total = sum(r.weight for r in ordered)
    odds: dict[tuple[str, int], Fraction] = {}
    running = 0
    previous = -1
    for r in ordered:
        running += r.weight
        hits = running - previous  # integers n with previous < n <= running
        previous = running
        odds[r.endpoint] = odds.get(r.endpoint, Fraction(0)) + Fraction(hits, total + 1)
    return odds


def select(
    records: Sequence[SrvRecord],
    rng: np.random.Generator,
    down: Iterable[str | tuple[str, int]] = (),
) -> SrvRecord | None:
    """One pick by RFC 2782 (lowest live priority, then weighted random); None when all are down."""
    dead = _down(down)
    for group in _groups(records):
        alive = sorted(_alive(group, dead), key=lambda r: r.weight != 0)
        if not alive:
            continue
        total = sum(r.weight for r in alive)
        pick = int(rng.integers(0, total + 1))
        running = 0
        for r in alive:
            running += r.weight
            if running >= pick:
                return r
    return None


def pool_records(
    pools: dict[str, str],
    nodes: Sequence[str],
    *,
    domain: str,
    port: int = 5060,
    transport: str = "udp",
    ttl: int = 3600,
) -> list[SrvRecord]:
    """The page's "one pool per primary node" design.

    Args:
        pools: pool label -> its primary node (``{"pbxa": "voip1", "pbxb": "voip2"}``).
        nodes: every node host label (``voip1``, ``voip2``); the others are secondaries.
        domain: zone the names live in (``domain.com``).
        port, transport: SIP port and ``udp``/``tcp``/``tls`` (``_sips._tcp`` for tls).
        ttl: record TTL (the page uses 86400; shorter TTLs make a redesign take effect sooner).
    """
    dom = hostname(domain, "domain")
    if transport not in {"udp", "tcp", "tls"}:
        raise ParameterError(f"transport={transport!r} is not one of udp, tcp, tls")
    service = "_sips._tcp" if transport == "tls" else f"_sip._{transport}"
    out: list[SrvRecord] = []
    for label, primary in pools.items():
        hostname(label, "pool")
        if primary not in nodes:
            raise ParameterError(f"pool {label!r}: primary {primary!r} is not one of {list(nodes)}")
        owner = f"{service}.{label}.{dom}"
        out.append(SrvRecord(10, 10, port, f"{primary}.{dom}", ttl, owner))
        out += [SrvRecord(20, 10, port, f"{n}.{dom}", ttl, owner) for n in nodes if n != primary]
    return out


def zone_lines(records: Sequence[SrvRecord]) -> str:
    """Zone-file lines, one per record, fully qualified (``owner. TTL IN SRV p w port target.``)."""
    lines = [
        f"{r.owner}. {r.ttl} IN SRV {r.priority} {r.weight} {r.port} {r.target}." for r in records
    ]
    return "\n".join(lines) + ("\n" if lines else "")


@dataclasses.dataclass(frozen=True)
class SrvComparison:
    """Designed vs published records of one SRV name."""

    name: str
    missing: tuple[SrvRecord, ...]
    unexpected: tuple[SrvRecord, ...]

    @property
    def ok(self) -> bool:
        """Published exactly as designed (TTL ignored)."""
        return not self.missing and not self.unexpected


def compare(name: str, wanted: Sequence[SrvRecord], live: Sequence[SrvRecord]) -> SrvComparison:
    """Which designed records are missing from the live answer and which live ones are extra."""

    def key(r: SrvRecord) -> tuple[int, int, int, str]:
        return r.priority, r.weight, r.port, r.target

    want, have = {key(r): r for r in wanted}, {key(r): r for r in live}
    return SrvComparison(
        name,
        tuple(want[k] for k in sorted(set(want) - set(have))),
        tuple(have[k] for k in sorted(set(have) - set(want))),
    )
