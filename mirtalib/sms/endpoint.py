"""A synthetic provider request sent to a local endpoint that parses it like the DID would.

:class:`LocalEndpoint` is a real HTTP server on 127.0.0.1 (ephemeral port, its own thread) whose
handler reads the request with :func:`mirtalib.sms.mapping.parse_request` and answers with what
the DID sees, as JSON. :func:`try_provider` builds the request the provider would send
(:func:`synthetic_request`), sends it with ``urllib`` and returns the parsed message. Port and
times never appear in the result, so notebook outputs are deterministic.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode, urlsplit

from mirtalib.errors import DataSourceError, ParseError
from mirtalib.sms.mapping import InboundSms, Provider, parse_request

log = logging.getLogger(__name__)

FIXED_TIME = "2026-10-15T09:30:00.000Z"  # synthetic event time (deterministic)


@dataclass(frozen=True)
class SyntheticRequest:
    """One HTTP request as the provider would send it."""

    method: str
    query: str
    content_type: str
    body: bytes

    def describe(self) -> str:
        """Method, content type and body/query as text (for the notebook)."""
        shown = self.body.decode("utf-8") if self.body else f"?{self.query}"
        return f"{self.method} {self.content_type or '(no body)'}\n{shown}"


def synthetic_request(
    prov: Provider,
    sender: str,
    to: str,
    text: str,
    media_url: str = "",
    extra_to: tuple[str, ...] = (),
) -> SyntheticRequest:
    """The request ``prov`` sends for one inbound message (shapes of the public callback docs)."""
    if prov.key == "bandwidth-v1":
        fields = {
            "eventType": "sms",
            "direction": "in",
            "from": sender,
            "to": to,
            "text": text,
            "messageId": "m-synthetic-0001",
            "state": "received",
            "time": FIXED_TIME,
        }
        if media_url:
            fields["media"] = media_url
        return SyntheticRequest("GET", urlencode(fields), "", b"")
    if prov.key == "bandwidth-v2":
        message = {
            "id": "m-synthetic-0001",
            "owner": to,
            "applicationId": "app-synthetic",
            "time": FIXED_TIME,
            "segmentCount": 1,
            "direction": "in",
            "to": [to, *extra_to],
            "from": sender,
            "text": text,
            "media": [media_url] if media_url else [],
        }
        event = [
            {
                "type": "message-received",
                "time": FIXED_TIME,
                "description": "Incoming message received",
                "to": to,
                "message": message,
            }
        ]
        return SyntheticRequest("POST", "", "application/json", json.dumps(event).encode())
    if prov.key == "flowroute":
        doc: dict[str, Any] = {
            "data": {
                "type": "message",
                "id": "mdr2-synthetic-0001",
                "attributes": {
                    "from": sender,
                    "to": to,
                    "body": text,
                    "direction": "inbound",
                    "is_mms": bool(media_url),
                    "timestamp": FIXED_TIME,
                },
            }
        }
        if media_url:
            doc["included"] = [
                {
                    "type": "media",
                    "id": "media-0001",
                    "attributes": {"url": media_url, "mime_type": "image/jpeg"},
                }
            ]
        return SyntheticRequest("POST", "", "application/vnd.api+json", json.dumps(doc).encode())
    raise ParseError(f"no synthetic request shape for provider {prov.key!r}")


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        ctype = self.headers.get("Content-Type", "")
        try:
            sms = parse_request(
                self.server.provider, self.command, urlsplit(self.path).query, ctype, body
            )
            status, payload = 200, sms.as_dict()
        except ParseError as exc:
            status, payload = 400, {"error": str(exc)}
        self.server.seen.append(self.path.split("?")[0])
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = _answer
    do_POST = _answer

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("sms endpoint: " + format, *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, prov: Provider) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.provider = prov
        self.seen: list[str] = []


class LocalEndpoint:
    """The DID's inbound SMS page, simulated on loopback (``with LocalEndpoint(p) as ep:``)."""

    def __init__(self, prov: Provider, page: str = "sms") -> None:
        self.provider = prov
        self.page = "/" + page.lstrip("/")
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> LocalEndpoint:
        self._server = _Server(self.provider)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        """URL of the simulated page (holds the ephemeral port: never print it)."""
        assert self._server is not None, "endpoint not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{self.page}"

    @property
    def requests_seen(self) -> list[str]:
        """Paths of the requests received so far."""
        return list(self._server.seen) if self._server else []

    def send(self, request: SyntheticRequest, timeout: float = 10.0) -> dict[str, Any]:
        """Send ``request`` with urllib and return the endpoint's JSON answer."""
        url = self.url + (f"?{request.query}" if request.query else "")
        headers = {"Content-Type": request.content_type} if request.content_type else {}
        req = urllib.request.Request(  # noqa: S310 - our own loopback endpoint
            url, data=request.body or None, headers=headers, method=request.method
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - loopback
                return json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            return {"status": exc.code, **json.loads(exc.read() or b"{}")}
        except (OSError, ValueError) as exc:
            raise DataSourceError(f"local SMS endpoint did not answer: {exc}") from None


def try_provider(
    prov: Provider,
    sender: str,
    to: str,
    text: str,
    *,
    media_url: str = "",
    extra_to: tuple[str, ...] = (),
    page: str = "sms",
) -> tuple[SyntheticRequest, InboundSms]:
    """Send one synthetic ``prov`` request to a fresh local endpoint; return it and the parse."""
    request = synthetic_request(prov, sender, to, text, media_url, extra_to)
    with LocalEndpoint(prov, page) as ep:
        answer = ep.send(request)
    if "error" in answer:
        raise ParseError(answer["error"])
    sms = InboundSms(
        answer["provider"],
        answer["method"],
        answer["from"],
        answer["to"],
        answer["text"],
        answer["media"],
        tuple(x for x in answer["SMSALLDESTS"].split(",") if x),
        tuple(answer["problems"]),
    )
    return request, sms
