"""Parsers for the ``pjsip show ...`` listings (plain or AMI): ``endpoints``, ``endpoint X``,
``aors``, ``aor X``, ``auths``, ``auth X``, ``contacts``, ``transports``, ``transport X``,
``identifies``, ``channels``, ``registrations``.

All these commands print the same line grammar: a header block of ``<Template....>`` lines closed
by ``=====``, then object lines ``Endpoint:``, ``InAuth:``/``OutAuth:``, ``Auth:``, ``Aor:``,
``Contact:``, ``Transport:``, ``Identify:``, ``Match:``, ``Channel:``, ``Exten:`` (nested in an
endpoint block, or at top level in ``show auths|identifies|channels``); ``show registrations``
prints ``name/server_uri  auth  status (exp. Ns)`` lines without a label; ``show X <name>`` adds a
``ParameterName : ParameterValue`` table; lists end with ``Objects found: N``, an empty list is
``No objects found.``, a missing object ``Unable to find object X.``. One parser
(:func:`parse_pjsip_show`) reads them all into a :class:`PjsipReport`; the wrappers
(:func:`parse_pjsip_transports`, :func:`parse_pjsip_endpoint` ...) pick what a command prints.
Seed page 03 verifies the Teams transport on 5091, endpoint and AOR this way.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re

from mirtalib.asterisk._common import as_text, parser, reject
from mirtalib.asterisk.pjsipobjects import (
    PjsipAor,
    PjsipAuth,
    PjsipChannel,
    PjsipContact,
    PjsipEndpoint,
    PjsipIdentify,
    PjsipRegistration,
    PjsipReport,
    PjsipTransport,
)
from mirtalib.errors import ParseError

__all__ = [
    "PjsipAor",
    "PjsipAuth",
    "PjsipChannel",
    "PjsipContact",
    "PjsipEndpoint",
    "PjsipIdentify",
    "PjsipRegistration",
    "PjsipReport",
    "PjsipTransport",
    "parse_pjsip_aor",
    "parse_pjsip_endpoint",
    "parse_pjsip_endpoints",
    "parse_pjsip_registrations",
    "parse_pjsip_show",
    "parse_pjsip_transports",
]

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
# res_pjsip_outbound_registration.c: " %-s/%-*.*s  %-26s  %-16s %s%d%s" (id/uri, auth, status,
# "(exp. Ns)", "(exp. Ns ago)" or, without state, a bare 0)
_REGISTRATION = re.compile(
    r"^\s*(?P<id>[^/\s]+)/(?P<uri>\S+)\s+(?P<auth>\S+)\s+(?P<status>Registered|Unregistered|Rejected)"
    r"\s*(?:\(exp\. (?P<exp>\d+)s(?P<ago> ago)?\)|(?P<zero>-?\d+))?\s*$",
    re.A,
)


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
    name, app = t[0], ""
    if name.count("/") >= 2:  # channel/application
        name, _, app = name.rpartition("/")
    return PjsipChannel(name, " ".join(t[1:-1]), t[-1], application=app)


def _registration(m: re.Match[str]) -> PjsipRegistration:
    expires = None
    if m.group("exp"):
        expires = -int(m.group("exp")) if m.group("ago") else int(m.group("exp"))
    return PjsipRegistration(
        m.group("id"), m.group("uri"), m.group("auth"), m.group("status"), expires
    )


class _Builder:
    def __init__(self) -> None:
        self.report = PjsipReport()
        self.endpoint: PjsipEndpoint | None = None
        self.aor: PjsipAor | None = None
        self.identify: PjsipIdentify | None = None
        self.in_params = False
        self.registrations = False  # the header announced ``show registrations`` lines

    def _channels(self) -> list[PjsipChannel]:
        return self.endpoint.channels if self.endpoint is not None else self.report.channels

    def add(self, kind: str, rest: str) -> None:
        r, ep = self.report, self.endpoint
        if kind == "Endpoint":
            self.endpoint, self.aor = _endpoint(rest), None
            r.endpoints.append(self.endpoint)
        elif kind == "Auth" and ep is None:
            name, _, user = rest.strip().partition("/")
            if not name or " " in name:
                raise ParseError(f"auth line {rest!r} is not 'id/username'")
            r.auths.append(PjsipAuth(name, user.strip()))
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
            name, _, endpoint = rest.strip().partition("/")
            if ep is not None:
                ep.identifies.append(name)
            else:
                self.identify = PjsipIdentify(name, endpoint)
                r.identifies.append(self.identify)
        elif kind == "Match":
            if ep is not None:
                ep.matches.append(rest.strip())
            elif self.identify is not None:
                self.identify.matches.append(rest.strip())
            else:
                raise ParseError("Match: line outside an Endpoint or Identify block")
        elif kind == "Channel":
            self._channels().append(_channel(rest))
        elif kind == "Exten":
            channels = self._channels()
            if not channels:
                raise ParseError("Exten: line without a Channel line before it")
            exten, _, clcid = rest.partition("CLCID:")
            channels[-1] = dataclasses.replace(
                channels[-1], exten=exten.strip(), clcid=clcid.strip()
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
            b.registrations = b.registrations or "<Registration/" in stripped
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
        if not om and b.registrations and (rm := _REGISTRATION.match(line)):
            b.report.registrations.append(_registration(rm))
            continue
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
def parse_pjsip_registrations(text: str | bytes) -> list[PjsipRegistration]:
    """``pjsip show registrations`` -> outbound registrations in order."""
    return parse_pjsip_show(text).registrations


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
