"""DNS probes with dnspython: ask given resolvers, from this machine or from a node.

Seed page 30 (*Configuring OpenDNS*) and page 43 (SRV records) need the answer *as a node sees
it*: OpenDNS answers ``REFUSED`` plus a TXT notice to clients in France, so a query from the
operator's laptop proves nothing about the PBX. Two ways to ask, same result type:

* :func:`query`: dnspython from this machine (tests, the operator's own view);
* :func:`node_command` + :func:`parse_node_output`: the query message is built here with
  dnspython (fixed id, so the command line is stable), sent from the node by a six-line Python
  script that only moves bytes over UDP (Python 2.7 or 3, no package needed on the node), and the
  raw answer is decoded here by dnspython. EDNS0 with a 1232-byte buffer keeps the answers of
  A/SRV/TXT questions about PBX names within one datagram; a truncated answer is reported as such.

Also: ``resolv.conf`` reading (:func:`parse_resolv_conf`) and the lines for resolv.conf,
``ifcfg-*`` and NetworkManager keyfiles (:func:`render_resolv_conf` ...).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
from collections.abc import Sequence

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype

from mirtalib.errors import ParameterError, ParseError
from mirtalib.validate import Command, cmd, ip_address

log = logging.getLogger(__name__)

PUBLIC_RESOLVERS: dict[str, tuple[str, ...]] = {
    "opendns": ("208.67.222.222", "208.67.220.220", "208.67.222.220", "208.67.220.222"),
    "cloudflare": ("1.1.1.1", "1.0.0.1"),
    "google": ("8.8.8.8", "8.8.4.4"),
    "quad9": ("9.9.9.9", "149.112.112.112"),
}
GLIBC_MAXNS = 3  # glibc reads at most three nameserver lines; later ones are ignored

# Moves bytes only (Python 2.7 or 3): argv = timeout, then host:port:hexquery ...; one line each.
RUNNER = """import binascii as b, socket as s, sys
for a in sys.argv[2:]:
 h, p, q = a.rsplit(":", 2); q = b.unhexlify(q)
 try:
  c = s.socket(s.AF_INET6 if ":" in h else s.AF_INET, s.SOCK_DGRAM)
  c.settimeout(float(sys.argv[1]))
  c.sendto(q, (h, int(p))); r = c.recv(65535)
  while r[:2] != q[:2]: r = c.recv(65535)
  sys.stdout.write("%s %s ok %s\\n" % (h, p, b.hexlify(r).decode()))
 except Exception as e: sys.stdout.write("%s %s error %s\\n" % (h, p, type(e).__name__))
"""
_TIMEOUTS = {"timeout", "TimeoutError"}
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$")


def _dns_name(value: str) -> str:
    """A DNS name: host-name labels, underscores allowed (``_sip._udp.pbx.example.com``)."""
    text = str(value).removesuffix(".")
    if not text or len(text) > 253 or not all(_LABEL.match(x) for x in text.split(".")):
        raise ParameterError(f"{value!r} is not a DNS name (letters, digits, '-', '_' labels)")
    return text


@dataclasses.dataclass(frozen=True)
class DnsQuery:
    """One question for one resolver."""

    server: str
    name: str
    rdtype: str = "A"
    port: int = 53

    def __post_init__(self) -> None:
        ip_address(self.server, "resolver")
        _dns_name(self.name)
        if self.rdtype not in {"A", "AAAA", "SRV", "TXT", "NAPTR", "CNAME", "MX", "NS", "PTR"}:
            raise ParameterError(f"record type {self.rdtype!r} is not supported here")

    def message(self) -> dns.message.Message:
        """The query (recursion desired, EDNS0); its id is derived from the question."""
        msg = dns.message.make_query(self.name, self.rdtype, use_edns=0, payload=1232)
        digest = hashlib.sha256(f"{self.name}/{self.rdtype}".encode()).digest()
        msg.id = int.from_bytes(digest[:2], "big")
        return msg


@dataclasses.dataclass(frozen=True)
class DnsResult:
    """What one resolver said about one name.

    Attributes:
        status: ``ok`` (answer present), ``nodata``, ``nxdomain``, ``refused``, ``servfail``,
            ``truncated`` (empty and TC set), ``other`` (another rcode), ``timeout`` or ``error``
            (no answer at all).
        rcode: ``NOERROR``, ``REFUSED`` ... ("" without an answer).
        answers: rdata texts of the asked type (``10 10 5060 voip1.domain.com.``).
        notices: TXT strings found outside the answer section (OpenDNS's block notice).
        detail: error name for ``error`` / ``timeout``.
    """

    query: DnsQuery
    status: str
    rcode: str = ""
    answers: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()
    detail: str = ""

    @property
    def usable(self) -> bool:
        """The resolver gave a real answer (ok, nodata or nxdomain are all authoritative)."""
        return self.status in {"ok", "nodata", "nxdomain"}

    @property
    def blocked(self) -> bool:
        """A refusal that carries an explanatory notice (OpenDNS country block)."""
        return self.status == "refused" and bool(self.notices)

    def summary(self) -> str:
        """One line for tables."""
        if self.status == "ok":
            return ", ".join(self.answers)
        if self.notices:
            return f"{self.status}: {self.notices[0][:160]}"
        return self.status + (f" ({self.detail})" if self.detail else "")


def classify(query: DnsQuery, response: dns.message.Message) -> DnsResult:
    """Turn a dnspython response into a :class:`DnsResult`."""
    rcode = dns.rcode.to_text(response.rcode())
    wanted = dns.rdatatype.from_text(query.rdtype)
    answers = tuple(
        rd.to_text() for rrset in response.answer if rrset.rdtype == wanted for rd in rrset
    )
    notices = tuple(
        b"".join(rd.strings).decode("utf-8", "replace")
        for rrset in (*response.authority, *response.additional)
        if rrset.rdtype == dns.rdatatype.TXT
        for rd in rrset
    )
    status = {
        "NOERROR": "ok" if answers else "nodata",
        "NXDOMAIN": "nxdomain",
        "REFUSED": "refused",
        "SERVFAIL": "servfail",
    }.get(rcode, "other")
    if status == "nodata" and response.flags & dns.flags.TC:
        status = "truncated"
    return DnsResult(query, status, rcode, answers, notices)


def query(q: DnsQuery, *, timeout: float = 3.0) -> DnsResult:
    """Ask ``q.server`` from this machine (UDP, TCP when truncated)."""
    try:
        response, _ = dns.query.udp_with_fallback(
            q.message(), q.server, timeout=timeout, port=q.port
        )
    except dns.exception.Timeout:
        return DnsResult(q, "timeout", detail="no answer")
    except (OSError, dns.exception.DNSException) as exc:
        return DnsResult(q, "error", detail=type(exc).__name__)
    return classify(q, response)


def node_command(queries: Sequence[DnsQuery], *, timeout: float = 3.0) -> str:
    """Shell command that sends ``queries`` from the node and prints the raw answers."""
    if not queries:
        raise ParameterError("no DNS query to send")
    args = [f"{q.server}:{q.port}:{q.message().to_wire().hex()}" for q in queries]
    runner: Command = cmd("-c", RUNNER, f"{timeout:g}", *args)
    return f'"$(command -v python3 || command -v python)" {runner}'


def parse_node_output(text: str, queries: Sequence[DnsQuery]) -> list[DnsResult]:
    """Decode the output of :func:`node_command` (one line per query, in order)."""
    lines = [ln for ln in str(text).splitlines() if ln.strip()]
    if len(lines) != len(queries):
        raise ParseError(f"DNS probe: {len(lines)} output lines for {len(queries)} queries")
    out = []
    for q, line in zip(queries, lines, strict=True):
        parts = line.split(" ", 3)
        if len(parts) != 4 or parts[0] != q.server or parts[1] != str(q.port):
            raise ParseError(f"DNS probe: line {line[:100]!r} does not answer {q.server}")
        if parts[2] == "error":
            status = "timeout" if parts[3] in _TIMEOUTS else "error"
            out.append(DnsResult(q, status, detail=parts[3][:80]))
            continue
        try:
            response = dns.message.from_wire(bytes.fromhex(parts[3]))
        except (ValueError, dns.exception.DNSException) as exc:
            raise ParseError(
                f"DNS probe: answer from {q.server} is not a DNS message ({exc})"
            ) from None
        if response.id != q.message().id:
            raise ParseError(f"DNS probe: answer from {q.server} has a foreign id {response.id}")
        out.append(classify(q, response))
    return out


@dataclasses.dataclass(frozen=True)
class ResolvConf:
    """``/etc/resolv.conf``: nameservers in order, search list, options, NetworkManager marker."""

    nameservers: tuple[str, ...]
    search: tuple[str, ...]
    options: tuple[str, ...]
    managed_by: str
    rejects: tuple[str, ...]

    @property
    def ignored(self) -> tuple[str, ...]:
        """Nameservers beyond the third, which glibc never asks."""
        return self.nameservers[GLIBC_MAXNS:]


def parse_resolv_conf(text: str) -> ResolvConf:
    """Read resolv.conf text; lines that are not understood are returned in ``rejects``."""
    servers: list[str] = []
    search: list[str] = []
    options: list[str] = []
    rejects: list[str] = []
    managed = ""
    for raw in str(text).splitlines():
        line = raw.strip()
        if "generated by networkmanager" in line.lower():
            managed = "NetworkManager"
        if not line or line[0] in "#;":
            continue
        key, *values = line.split()
        if key == "nameserver" and len(values) == 1:
            try:
                servers.append(ip_address(values[0], "nameserver"))
            except ParameterError:
                rejects.append(raw)
        elif key in {"search", "domain"} and values:
            search = values
        elif key == "options":
            options += values
        else:
            rejects.append(raw)
    return ResolvConf(tuple(servers), tuple(search), tuple(options), managed, tuple(rejects))


def set_resolv_conf(text: str | None, servers: Sequence[str], options: Sequence[str]) -> str:
    """resolv.conf with ``servers`` (at most three) and ``options``; other lines kept in place."""
    if not 1 <= len(servers) <= GLIBC_MAXNS:
        raise ParameterError(f"resolv.conf takes 1-{GLIBC_MAXNS} nameservers, got {len(servers)}")
    kept: list[str] = []
    placed = False
    for raw in (text or "").splitlines():
        key = raw.split()[0] if raw.split() else ""
        if key in {"nameserver", "options"}:
            if not placed:
                kept += [f"nameserver {s}" for s in servers]
                placed = True
            continue
        kept.append(raw)
    if not placed:
        kept += [f"nameserver {s}" for s in servers]
    if options:
        kept.append("options " + " ".join(options))
    return "\n".join(kept) + "\n"


def set_nmconnection_dns(text: str | None, servers: Sequence[str]) -> str:
    """NetworkManager keyfile with ``[ipv4] dns=a;b;`` and ``ignore-auto-dns=true``."""
    if text is None:
        raise ParameterError("the NetworkManager connection file does not exist on the node")
    lines = text.splitlines()
    try:
        start = next(i for i, ln in enumerate(lines) if ln.strip() == "[ipv4]")
    except StopIteration:
        raise ParameterError("the NetworkManager connection file has no [ipv4] section") from None
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i].strip().startswith("[")), len(lines)
    )
    wanted = {"dns": "".join(f"{s};" for s in servers), "ignore-auto-dns": "true"}
    body: list[str] = []
    for ln in lines[start + 1 : end]:
        key = ln.split("=", 1)[0].strip()
        if key in wanted:
            if wanted[key] is not None:
                body.append(f"{key}={wanted[key]}")
                wanted[key] = None  # type: ignore[assignment]
            continue
        body.append(ln)
    missing = [f"{k}={v}" for k, v in wanted.items() if v is not None]
    while missing and body and not body[-1].strip():
        body.pop()
    tail = lines[end:]
    sep = [""] if tail and missing else []
    return "\n".join([*lines[: start + 1], *body, *missing, *sep, *tail]) + "\n"


def render_lines(servers: Sequence[str], connection: str = "eth0") -> dict[str, str]:
    """The same servers as resolv.conf, ifcfg-*, keyfile and nmcli lines."""
    return {
        "resolv.conf": "".join(f"nameserver {s}\n" for s in servers[:GLIBC_MAXNS]),
        "ifcfg": "".join(f"DNS{i}={s}\n" for i, s in enumerate(servers, 1)) + "PEERDNS=no\n",
        "nmconnection": "[ipv4]\ndns=" + "".join(f"{s};" for s in servers) + "\n"
        "ignore-auto-dns=true\n",
        "nmcli": f"nmcli connection modify {connection} ipv4.dns '{' '.join(servers)}' "
        "ipv4.ignore-auto-dns yes\n",
    }
