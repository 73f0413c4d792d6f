"""Provider field mappings for inbound SMS and the parsing a MiRTA DID applies to a request.

A DID receiving SMS over *HTTP GET/POST* is told which request field carries the sender, the
destination and the text. Field names use the bracket notation of PHP request arrays, which also
reaches into JSON bodies: ``0[message][from]`` is ``body[0]["message"]["from"]``. A segment
``${n:A:B}`` stands for every index from A to B-1 (the page uses ``0[message][to][${n:0:10}]``
to collect all destinations of a group message into ``${SMSALLDESTS}``; that reading of the
range syntax is *assumed*).

Payload shapes follow the providers' public callback documentation: Bandwidth v1 (messaging
callback, query string of a GET), Bandwidth v2 (``message-received`` callback, a JSON array
POSTed), Flowroute v2 (JSON:API document POSTed, MMS media under ``included``).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import pandas as pd

from mirtalib import validate
from mirtalib.errors import ParameterError, ParseError

log = logging.getLogger(__name__)

ROLES = ("from", "to", "text")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
_RANGE = re.compile(r"^\$\{n:(\d+):(\d+)\}$")
MAX_RANGE = 100


@dataclass(frozen=True)
class Provider:
    """How one provider delivers an inbound SMS, and what to type in the DID.

    Attributes:
        key: short id used by parameters (``bandwidth-v2``).
        name: display name.
        method: HTTP method the provider uses (the DID's protocol choice).
        body: ``query`` (fields in the URL), ``form`` or ``json``.
        fields: role (from, to, text, media) -> field name in the DID's notation.
        all_dests: field name that collects every destination (``${SMSALLDESTS}``), "" if none.
        credentials: role -> example env-var NAME for the provider account (outbound sending).
        notes: what the operator should know.
    """

    key: str
    name: str
    method: str
    body: str
    fields: dict[str, str]
    all_dests: str = ""
    credentials: dict[str, str] = field(default_factory=dict)
    notes: str = ""


PROVIDERS: dict[str, Provider] = {
    p.key: p
    for p in (
        Provider(
            key="bandwidth-v1",
            name="Bandwidth (API v1)",
            method="GET",
            body="query",
            fields={"from": "from", "to": "to", "text": "text", "media": "media"},
            credentials={
                "user_id": "MIRTA_BANDWIDTH_USER_ID",
                "token": "MIRTA_BANDWIDTH_TOKEN",
                "secret": "MIRTA_BANDWIDTH_SECRET",
            },
            notes="application with callback method GET; assign the application to every number",
        ),
        Provider(
            key="bandwidth-v2",
            name="Bandwidth (API v2)",
            method="POST",
            body="json",
            fields={
                "from": "0[message][from]",
                "to": "0[message][to][0]",
                "text": "0[message][text]",
                "media": "0[message][media][0]",
            },
            all_dests="0[message][to][${n:0:10}]",
            credentials={
                "account_id": "MIRTA_BANDWIDTH_ACCOUNT_ID",
                "api_user": "MIRTA_BANDWIDTH_API_USER",
                "api_password": "MIRTA_BANDWIDTH_API_PASSWORD",
            },
            notes="callbacks are a JSON array of events; group messages list every recipient",
        ),
        Provider(
            key="flowroute",
            name="Flowroute (API v2)",
            method="POST",
            body="json",
            fields={
                "from": "data[attributes][from]",
                "to": "data[attributes][to]",
                "text": "data[attributes][body]",
                "media": "included[0][attributes][url]",
            },
            credentials={
                "access_key": "MIRTA_FLOWROUTE_ACCESS_KEY",
                "secret_key": "MIRTA_FLOWROUTE_SECRET_KEY",
            },
            notes="SMS and MMS; numbers arrive as 11 digits without '+'",
        ),
    )
}


def provider(key: str) -> Provider:
    """The provider called ``key`` (ParameterError listing the known ones)."""
    try:
        return PROVIDERS[key]
    except KeyError:
        raise ParameterError(f"provider={key!r} is not one of {sorted(PROVIDERS)}") from None


def split_path(path: str) -> list[str]:
    """``0[message][to][0]`` -> ``['0', 'message', 'to', '0']`` (ParseError when malformed)."""
    head, sep, rest = path.partition("[")
    rest = sep + rest
    segments = _SEGMENT.findall(rest)
    if not head or "]" in head or "".join(f"[{s}]" for s in segments) != rest:
        raise ParseError(f"field name {path!r} is not NAME or NAME[key][key]...")
    return [head, *segments]


def _step(node: Any, key: str) -> Any:
    if isinstance(node, dict):
        return node.get(key)
    if isinstance(node, list) and key.isascii() and key.isdigit() and int(key) < len(node):
        return node[int(key)]
    return None


def extract(document: Any, path: str) -> Any:
    """Value at ``path`` in a nested request (None when absent; a list for a ``${n:A:B}`` range)."""
    segments = split_path(path)
    nodes: list[Any] = [document]
    ranged = False
    for seg in segments:
        m = _RANGE.match(seg)
        if m:
            lo, hi = int(m.group(1)), min(int(m.group(2)), int(m.group(1)) + MAX_RANGE)
            ranged = True
            nodes = [_step(n, str(i)) for n in nodes for i in range(lo, hi)]
        else:
            nodes = [_step(n, seg) for n in nodes]
        nodes = [n for n in nodes if n is not None]
    if ranged:
        return [str(n) for n in nodes if not isinstance(n, dict | list)]
    return nodes[0] if nodes else None


def nest_pairs(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Query/form pairs -> nested mapping, as PHP builds ``$_REQUEST`` (``a[b][]=1``)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        try:
            segments = split_path(key)
        except ParseError:
            segments = [key]
        node: Any = out
        for i, seg in enumerate(segments):
            last = i == len(segments) - 1
            if not isinstance(node, dict):
                break
            if seg == "":
                seg = str(sum(1 for k in node if k.isdigit()))
            if last:
                node[seg] = value
            else:
                node = node.setdefault(seg, {})
    return out


@dataclass(frozen=True)
class InboundSms:
    """What the DID sees in one request."""

    provider: str
    method: str
    sender: str | None
    to: str | None
    text: str | None
    media: str | None
    all_dests: tuple[str, ...]
    problems: tuple[str, ...]

    @property
    def did(self) -> str:
        """Digits of the destination: what is matched against the DID number."""
        return re.sub(r"\D", "", self.to or "")

    def as_dict(self) -> dict[str, Any]:
        """Plain mapping (JSON answer of the test endpoint, tables)."""
        return {
            "provider": self.provider,
            "method": self.method,
            "from": self.sender,
            "to": self.to,
            "did": self.did,
            "text": self.text,
            "media": self.media,
            "SMSALLDESTS": ",".join(self.all_dests),
            "problems": list(self.problems),
        }


def parse_request(
    prov: Provider, method: str, query: str, content_type: str, body: bytes
) -> InboundSms:
    """Read one provider request with the DID's field names.

    Missing fields and a method other than the configured one are listed in ``problems``
    (the DID would drop or mis-route the message); an unreadable body raises ParseError.
    """
    pairs = parse_qsl(query, keep_blank_values=True)
    ctype = content_type.split(";")[0].strip().lower()
    document: Any
    if ctype == "application/json" or ctype.endswith("+json"):
        try:
            document = json.loads(body.decode("utf-8") or "null")
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ParseError(f"{prov.name}: request body is not JSON ({exc})") from None
    else:
        if ctype == "application/x-www-form-urlencoded":
            pairs += parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        document = nest_pairs(pairs)
    problems = []
    if method.upper() != prov.method:
        problems.append(f"method {method.upper()} but the DID is set for {prov.method}")
    values = {}
    for role, path in prov.fields.items():
        value = extract(document, path)
        values[role] = None if value is None else str(value)
        if value is None and role in ROLES:
            problems.append(f"field {path!r} ({role}) is missing")
    dests = tuple(extract(document, prov.all_dests)) if prov.all_dests else ()
    return InboundSms(
        prov.key,
        method.upper(),
        values["from"],
        values["to"],
        values["text"],
        values.get("media"),
        dests,
        tuple(problems),
    )


@dataclass(frozen=True)
class InboundUrl:
    """The URL to give the provider, and what to watch out for."""

    url: str
    advice: tuple[str, ...]


def build_inbound_url(web_base: str, page: str) -> InboundUrl:
    """The provider's callback URL: the PBX web interface plus the inbound SMS page.

    Args:
        web_base: public base URL of the web interface (``https://pbx.example.net/pbx``).
        page: the application page that receives SMS, relative to ``web_base``.

    Raises:
        ParameterError: naming ``web_base`` or ``sms_page`` when they are not usable.
    """
    base = validate.url(web_base, "web_base")
    parts = urlsplit(base)
    if parts.query or parts.fragment:
        raise ParameterError(f"web_base={web_base!r} must not carry a query or fragment")
    if not re.fullmatch(r"[A-Za-z0-9_.\-/]+", page or "") or ".." in page:
        raise ParameterError(f"sms_page={page!r} must be a relative page name like 'sms.php'")
    path = parts.path.rstrip("/") + "/" + page.lstrip("/")
    url = urlunsplit((parts.scheme, parts.netloc, path, "", ""))
    advice = []
    if parts.scheme == "http":
        advice.append("http:// sends every message in clear text: use https://")
    host = parts.hostname or ""
    if re.fullmatch(r"[\d.]+", host) or ":" in host:
        advice.append("an IP address cannot carry a valid certificate: use the PBX's DNS name")
    if host in {"localhost", "127.0.0.1", "::1"}:
        advice.append("the provider cannot reach localhost: use the public name")
    return InboundUrl(url, tuple(advice))


def did_settings(prov: Provider, inbound_url: str = "") -> pd.DataFrame:
    """What to enter in the DID's SMS section (and at the provider) for ``prov``."""
    rows = [
        ("Protocol", f"HTTP {prov.method}", "DID > SMS"),
        *((f"{role} field", path, "DID > SMS") for role, path in prov.fields.items()),
    ]
    if prov.all_dests:
        rows.append(
            ("to field (every destination)", prov.all_dests, "DID > SMS; list in ${SMSALLDESTS}")
        )
    if inbound_url:
        rows.append(("Callback URL", inbound_url, f"{prov.name} application"))
    return pd.DataFrame(rows, columns=["setting", "value", "where"])


def mapping_frame() -> pd.DataFrame:
    """Every provider's field names side by side (one row per role)."""
    roles = ["from", "to", "text", "media"]
    data = {p.name: [p.fields.get(r, "") for r in roles] for p in PROVIDERS.values()}
    frame = pd.DataFrame(data, index=pd.Index(roles, name="role"))
    frame.loc["method"] = [p.method for p in PROVIDERS.values()]
    frame.loc["all destinations"] = [p.all_dests or "-" for p in PROVIDERS.values()]
    return frame
