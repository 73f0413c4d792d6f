"""Parsers for ``pjsip show endpoints|endpoint X|aors|aor X|transports|contacts`` (plain or AMI).

All these commands print the same line grammar: a header block of ``<Template....>`` lines closed
by ``=====``, then object lines ``Endpoint:``, ``InAuth:``/``OutAuth:``, ``Aor:``, ``Contact:``,
``Transport:``, ``Identify:``, ``Match:``, ``Channel:``, ``Exten:``; ``show endpoint X`` and ``show
aor X`` add a ``ParameterName : ParameterValue`` table; lists end with ``Objects found: N``. One
parser (:func:`parse_pjsip_show`) reads them all into a :class:`PjsipReport`; the wrappers
(:func:`parse_pjsip_transports`, :func:`parse_pjsip_endpoint` ...) pick what a command prints.
Seed page 03 verifies the Teams transport on 5091, endpoint and AOR this way.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re

from mirtalib.asterisk._common import Reject, as_text, parser, reject
from mirtalib.errors import ParseError

log = logging.getLogger(__name__)

_OBJ = re.compile(
    r"^\s*(Endpoint|InAuth|OutAuth|I/OAuth|Auth|Aor|Contact|Transport|Identify|Match|Channel|Exten)"
    r":\s*(.*)$"
)
_PARAM_HEAD = re.compile(r"^\s*ParameterName\s*:\s*ParameterValue\s*$")
_PARAM = re.compile(r"^\s*([A-Za-z0-9_.@/-]+)\s*:\s?(.*)$")
_ENDPOINT = re.compile(r"^(?P<id>\S+)\s+(?P<state>\S.*?)\s+(?P<used>\d+) of (?P<max>\S+)\s*$", re.A)
_TEMPLATE = re.compile(r"<[A-Za-z][A-Za-z/() ]*\.*>")
_FOUND = re.compile(r"^\s*Objects found:\s*(\d+)\s*$", re.A)
_NOT_FOUND = re.compile(r"^\s*(?:Unable to find object (.*?)\.?|No objects found\.?)\s*$")


@dataclasses.dataclass(frozen=True)
class PjsipTransport:
    """``Transport:  transporttls  tls  0  0  0.0.0.0:5091``."""

    name: str
    protocol: str
    cos: int
    tos: int
    bind: str

    @property
    def port(self) -> int | None:
        """Bound port (None when the bind address has none)."""
        _, _, port = self.bind.rpartition(":")
        return int(port) if port.isascii() and port.isdigit() else None


@dataclasses.dataclass(frozen=True)
class PjsipContact:
    """``Contact:  aor/sip:100-DEVEL@192.168.1.50:5060;ob  c3a9f2e1b4 Avail  12.345``.

    ``status`` is Avail, Unavail, NonQual, Unknown, Created or Removed; ``rtt_ms`` NaN when not
    qualified.
    """

    aor: str
    uri: str
    hash: str
    status: str
    rtt_ms: float


@dataclasses.dataclass
class PjsipAor:
    """``Aor:  name  max_contacts`` with its contacts (and parameters for ``show aor X``)."""

    name: str
    max_contacts: int
    contacts: list[PjsipContact] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class PjsipChannel:
    """``Channel:`` line of an endpoint (and its ``Exten:`` line when printed)."""

    channel: str
    state: str
    time: str
    exten: str = ""
    clcid: str = ""


@dataclasses.dataclass
class PjsipEndpoint:
    """An ``Endpoint:`` block.

    Attributes:
        name, callerid: from ``name/cid`` (callerid "" when not set).
        state: ``Not in use``, ``In use``, ``Unavailable`` ...; channels_in_use/max_channels
            (``inf`` -> None).
        in_auths, out_auths: auth ids; aors: AOR blocks; transports: the endpoint's transport lines;
        identifies: identify ids; matches: their ``Match:`` criteria; channels: active channels.
    """

    name: str
    callerid: str
    state: str
    channels_in_use: int
    max_channels: int | None
    in_auths: list[str] = dataclasses.field(default_factory=list)
    out_auths: list[str] = dataclasses.field(default_factory=list)
    aors: list[PjsipAor] = dataclasses.field(default_factory=list)
    transports: list[PjsipTransport] = dataclasses.field(default_factory=list)
    identifies: list[str] = dataclasses.field(default_factory=list)
    matches: list[str] = dataclasses.field(default_factory=list)
    channels: list[PjsipChannel] = dataclasses.field(default_factory=list)

    @property
    def contacts(self) -> list[PjsipContact]:
        """Contacts of all its AORs."""
        return [c for a in self.aors for c in a.contacts]

    @property
    def available(self) -> bool:
        """True when at least one contact answers qualify (Avail) or is not qualified (NonQual)."""
        return any(c.status in {"Avail", "NonQual"} for c in self.contacts)


@dataclasses.dataclass
class PjsipReport:
    """Everything a ``pjsip show ...`` output held.

    Attributes:
        endpoints, aors, transports, contacts: top-level objects in order (objects nested in an
            endpoint block are not repeated at top level).
        params: the ``ParameterName : ParameterValue`` table (``show endpoint X``/``show aor X``).
        objects_found: the ``Objects found: N`` footer, None when absent.
        not_found: the name in ``Unable to find object X.`` ("" for ``No objects found.``), None
            when the object was found.
        rejects: lines that could not be read.
    """

    endpoints: list[PjsipEndpoint] = dataclasses.field(default_factory=list)
    aors: list[PjsipAor] = dataclasses.field(default_factory=list)
    transports: list[PjsipTransport] = dataclasses.field(default_factory=list)
    contacts: list[PjsipContact] = dataclasses.field(default_factory=list)
    params: dict[str, str] = dataclasses.field(default_factory=dict)
    objects_found: int | None = None
    not_found: str | None = None
    rejects: list[Reject] = dataclasses.field(default_factory=list)


def _transport(rest: str) -> PjsipTransport:
    t = rest.split()
    if len(t) != 5 or not all(x.isascii() and x.isdigit() for x in t[2:4]):
        raise ParseError(f"transport line {rest!r} is not 'name type cos tos bind'")
    return PjsipTransport(t[0], t[1], int(t[2]), int(t[3]), t[4])


def _contact(rest: str) -> PjsipContact:
    t = rest.split()
    if len(t) == 3:
        t = [t[0], "", t[1], t[2]]
    if len(t) != 4 or "/" not in t[0]:
        raise ParseError(f"contact line {rest!r} is not 'aor/uri hash status rtt'")
    aor, _, uri = t[0].partition("/")
    try:
        rtt = float(t[3])
    except ValueError as exc:
        raise ParseError(f"contact RTT {t[3]!r} is not a number") from exc
    return PjsipContact(aor, uri, t[1], t[2], rtt if math.isfinite(rtt) else math.nan)


def _aor(rest: str) -> PjsipAor:
    t = rest.split()
    if len(t) != 2 or not (t[1].isascii() and t[1].isdigit()):
        raise ParseError(f"aor line {rest!r} is not 'name max_contacts'")
    return PjsipAor(t[0], int(t[1]))


def _endpoint(rest: str) -> PjsipEndpoint:
    m = _ENDPOINT.match(rest)
    if not m:
        raise ParseError(f"endpoint line {rest!r} is not 'name/cid state N of M'")
    name, _, cid = m.group("id").partition("/")
    mx = m.group("max")
    if mx != "inf" and not (mx.isascii() and mx.isdigit()):
        raise ParseError(f"endpoint line {rest!r}: max channels {mx!r} is not a number or inf")
    return PjsipEndpoint(
        name, cid, m.group("state"), int(m.group("used")), None if mx == "inf" else int(mx)
    )


def _channel(rest: str) -> PjsipChannel:
    t = rest.split()
    if len(t) < 3:
        raise ParseError(f"channel line {rest!r} is not 'channel state time'")
    return PjsipChannel(t[0], " ".join(t[1:-1]), t[-1])


class _Builder:
    def __init__(self) -> None:
        self.report = PjsipReport()
        self.endpoint: PjsipEndpoint | None = None
        self.aor: PjsipAor | None = None
        self.in_params = False

    def add(self, kind: str, rest: str) -> None:
        r, ep = self.report, self.endpoint
        if kind == "Endpoint":
            self.endpoint, self.aor = _endpoint(rest), None
            r.endpoints.append(self.endpoint)
        elif kind in {"InAuth", "OutAuth", "I/OAuth", "Auth"}:
            if ep is None:
                raise ParseError(f"{kind}: line outside an Endpoint block")
            auth = rest.split()[0].partition("/")[0] if rest.split() else ""  # AuthId/UserName
            (ep.out_auths if kind == "OutAuth" else ep.in_auths).append(auth)
        elif kind == "Aor":
            self.aor = _aor(rest)
            (ep.aors if ep is not None else r.aors).append(self.aor)
        elif kind == "Contact":
            c = _contact(rest)
            if self.aor is not None and self.aor.name == c.aor:
                self.aor.contacts.append(c)
            else:
                r.contacts.append(c)
        elif kind == "Transport":
            (ep.transports if ep is not None else r.transports).append(_transport(rest))
        elif kind == "Identify":
            if ep is None:
                raise ParseError("Identify: line outside an Endpoint block")
            ep.identifies.append(rest.strip().partition("/")[0])
        elif kind == "Match":
            if ep is None:
                raise ParseError("Match: line outside an Endpoint block")
            ep.matches.append(rest.strip())
        elif kind == "Channel":
            if ep is None:
                raise ParseError("Channel: line outside an Endpoint block")
            ep.channels.append(_channel(rest))
        elif kind == "Exten":
            if ep is None or not ep.channels:
                raise ParseError("Exten: line without a Channel line before it")
            exten, _, clcid = rest.partition("CLCID:")
            ep.channels[-1] = dataclasses.replace(
                ep.channels[-1], exten=exten.strip(), clcid=clcid.strip()
            )


@parser
def parse_pjsip_show(text: str | bytes) -> PjsipReport:
    """Parse the output of any ``pjsip show ...`` listing command into a :class:`PjsipReport`."""
    text = as_text(text, what="pjsip show")
    b = _Builder()
    ruled = False  # the header block of <Template....> lines ends at the first ===== rule
    for lineno, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if set(stripped) == {"="}:
            ruled = True
            continue
        if not ruled and _TEMPLATE.search(stripped):
            continue
        m = _FOUND.match(line)
        if m:
            b.report.objects_found = int(m.group(1))
            b.endpoint = b.aor = None
            continue
        m = _NOT_FOUND.match(line)
        if m:
            b.report.not_found = m.group(1) or ""
            continue
        if _PARAM_HEAD.match(line):
            b.in_params = True
            continue
        if b.in_params:
            pm = _PARAM.match(line)
            if pm:
                b.report.params[pm.group(1)] = pm.group(2).strip()
            else:
                b.report.rejects.append(reject(lineno, "not 'name : value'", line))
            continue
        om = _OBJ.match(line)
        if not om:
            b.report.rejects.append(reject(lineno, "unknown pjsip line", line))
            continue
        try:
            b.add(om.group(1), om.group(2))
        except ParseError as exc:
            b.report.rejects.append(reject(lineno, str(exc), line))
    r = b.report
    log.debug("pjsip show: %d endpoints, %d rejects", len(r.endpoints), len(r.rejects))
    return r


@parser
def parse_pjsip_transports(text: str | bytes) -> list[PjsipTransport]:
    """``pjsip show transports`` -> transports in order."""
    return parse_pjsip_show(text).transports


@parser
def parse_pjsip_endpoints(text: str | bytes) -> list[PjsipEndpoint]:
    """``pjsip show endpoints`` -> endpoints with their auths, AORs, contacts, transports."""
    return parse_pjsip_show(text).endpoints


@parser
def parse_pjsip_endpoint(text: str | bytes) -> tuple[PjsipEndpoint, dict[str, str]] | None:
    """``pjsip show endpoint X`` -> (endpoint, parameters), or None for ``Unable to find object``.

    Raises:
        ParseError: when the output holds no endpoint and is not a "not found" message.
    """
    r = parse_pjsip_show(text)
    if r.not_found is not None and not r.endpoints:
        return None
    if len(r.endpoints) != 1:
        raise ParseError(f"pjsip show endpoint: expected one endpoint, found {len(r.endpoints)}")
    return r.endpoints[0], r.params


@parser
def parse_pjsip_aor(text: str | bytes) -> tuple[PjsipAor, dict[str, str]] | None:
    """``pjsip show aor X`` -> (aor with contacts, parameters), or None when not found."""
    r = parse_pjsip_show(text)
    if r.not_found is not None and not r.aors:
        return None
    if len(r.aors) != 1:
        raise ParseError(f"pjsip show aor: expected one AOR, found {len(r.aors)}")
    return r.aors[0], r.params
