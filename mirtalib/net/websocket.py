"""WebSocket opening handshake probe (RFC 6455 section 4), from this machine or from a node.

Seed page 01 has Asterisk's ``websocket_client.conf`` connect to the OpenAIGateway on
``ws://127.0.0.1:9088`` with the sub-protocol ``media``. A TCP connect only proves that something
listens; this probe sends the real HTTP/1.1 ``Upgrade: websocket`` request with a
``Sec-WebSocket-Key`` and checks the server's answer the way a client must:

* status ``101 Switching Protocols``;
* ``Upgrade: websocket`` and ``Connection: Upgrade``;
* ``Sec-WebSocket-Accept`` equal to base64(SHA-1(key + the RFC's GUID));
* when sub-protocols were offered, the one the server picked is among them (a server that picks
  none is reported: Asterisk's client then refuses the connection).

Two ways to run it, same result type (as :mod:`mirtalib.net.dns` does for DNS):

* :func:`handshake`: from this machine (tests, the operator's own view), random key;
* :func:`node_command` + :func:`parse_node_output`: the request bytes are built here, sent from the
  node by a short Python script (Python 2.7 or 3, standard library only) which prints the raw
  answer head as hex; the check of that answer is done here. The key is derived from the URL so
  the command line is stable (a replay can record it); it is a nonce for the server, not a secret.

The probe closes the TCP connection right after the answer head: no WebSocket frame is sent.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import logging
import os
import socket
from collections.abc import Sequence

from mirtalib.errors import ParameterError, ParseError
from mirtalib.validate import cmd, host, port

log = logging.getLogger(__name__)

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
HEAD_LIMIT = 16384

# Sends argv[3] (hex) to argv[1]:argv[2], prints "ok <hex of the answer head>" or "error <Name>".
RUNNER = (
    "import binascii as b, socket as s, sys\n"
    "try:\n"
    "    c = s.create_connection((sys.argv[1], int(sys.argv[2])), float(sys.argv[4]))\n"
    "    c.sendall(b.unhexlify(sys.argv[3])); r = b''\n"
    "    while b'\\r\\n\\r\\n' not in r and len(r) < 16384:\n"
    "        d = c.recv(4096)\n"
    "        if not d: break\n"
    "        r += d\n"
    "    sys.stdout.write('ok %s\\n' % b.hexlify(r).decode())\n"
    "except Exception as e:\n"
    "    sys.stdout.write('error %s\\n' % type(e).__name__)\n"
)


@dataclasses.dataclass(frozen=True)
class Handshake:
    """Outcome of one opening handshake.

    Attributes:
        url: ``ws://host:port/path`` probed.
        status: HTTP status code (0 when no HTTP answer came).
        reason: the status line's reason phrase, or the connection error (``ConnectionRefused``).
        accept_ok: ``Sec-WebSocket-Accept`` matches the key.
        protocol: the sub-protocol the server chose ("" when none).
        headers: response headers, names lower-case (last value wins).
        problems: what is wrong, in the operator's words (empty when the handshake succeeded).
    """

    url: str
    status: int
    reason: str
    accept_ok: bool = False
    protocol: str = ""
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the server upgraded the connection correctly."""
        return self.status == 101 and not self.problems

    def summary(self) -> str:
        """One line for a check's reason."""
        if self.ok:
            chosen = f", sub-protocol {self.protocol!r}" if self.protocol else ""
            return f"{self.url}: 101 Switching Protocols, Sec-WebSocket-Accept valid{chosen}"
        return f"{self.url}: " + "; ".join(self.problems)


def accept_for(key: str) -> str:
    """The ``Sec-WebSocket-Accept`` value a server must return for ``key``."""
    digest = hashlib.sha1((key + GUID).encode("ascii")).digest()  # noqa: S324 - RFC 6455
    return base64.b64encode(digest).decode("ascii")


def stable_key(host_name: str, port_number: int, path: str) -> str:
    """A 16-byte base64 nonce derived from the URL (stable command lines for replays)."""
    seed = f"mirta-ws|{host_name}|{port_number}|{path}".encode()
    return base64.b64encode(hashlib.sha256(seed).digest()[:16]).decode("ascii")


def _check_path(path: str) -> str:
    if not path.startswith("/") or any(c.isspace() or ord(c) < 33 for c in path):
        raise ParameterError(f"websocket path {path!r} must start with '/' and have no spaces")
    return path


def _check_protocols(protocols: Sequence[str]) -> tuple[str, ...]:
    out = tuple(protocols)
    for p in out:
        if not p or any(c in p for c in ' ,;"\r\n\t()<>@:/[]?={}\\'):
            raise ParameterError(f"websocket sub-protocol {p!r} is not an HTTP token")
    return out


def request_bytes(
    host_name: str, port_number: int, path: str, key: str, protocols: Sequence[str] = ()
) -> bytes:
    """The HTTP/1.1 Upgrade request of the opening handshake."""
    h = host(host_name, "websocket host")
    p = port(port_number, "websocket port")
    authority = f"[{h}]" if ":" in h else h
    lines = [
        f"GET {_check_path(path)} HTTP/1.1",
        f"Host: {authority}:{p}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        "User-Agent: mirta-ops websocket probe",
    ]
    chosen = _check_protocols(protocols)
    if chosen:
        lines.append(f"Sec-WebSocket-Protocol: {', '.join(chosen)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


def parse_response(
    head: str | bytes, key: str, protocols: Sequence[str] = (), *, url: str = ""
) -> Handshake:
    """Judge a server's answer head against ``key`` and the offered ``protocols``.

    Raises:
        ParseError: when the text is not an HTTP response at all.
    """
    text = head.decode("iso-8859-1") if isinstance(head, bytes | bytearray) else str(head)
    text = text.split("\r\n\r\n", 1)[0]
    lines = text.replace("\r\n", "\n").split("\n")
    status_line = lines[0].strip() if lines else ""
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise ParseError(f"websocket handshake: not an HTTP answer: {status_line[:80]!r}")
    status, reason = int(parts[1]), parts[2] if len(parts) > 2 else ""
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep and name.strip():
            headers[name.strip().lower()] = value.strip()
    problems: list[str] = []
    if status != 101:
        problems.append(f"HTTP {status} {reason}".strip() + " instead of 101 Switching Protocols")
    if headers.get("upgrade", "").lower() != "websocket":
        problems.append("no 'Upgrade: websocket' header")
    if "upgrade" not in [t.strip().lower() for t in headers.get("connection", "").split(",")]:
        problems.append("no 'Connection: Upgrade' header")
    accept = headers.get("sec-websocket-accept", "")
    accept_ok = accept == accept_for(key)
    if not accept_ok:
        problems.append(
            "Sec-WebSocket-Accept is missing" if not accept else "Sec-WebSocket-Accept is wrong"
        )
    chosen = headers.get("sec-websocket-protocol", "")
    if protocols and chosen not in protocols:
        problems.append(
            f"server chose sub-protocol {chosen!r}, not one of {list(protocols)}"
            if chosen
            else f"server accepted none of the sub-protocols {list(protocols)}"
        )
    if status == 101 and not protocols and chosen:
        problems.append(f"server chose sub-protocol {chosen!r} that was not offered")
    return Handshake(url, status, reason, accept_ok, chosen, headers, tuple(problems))


def ws_url(host_name: str, port_number: int, path: str = "/") -> str:
    """``ws://host:port/path`` (IPv6 in brackets)."""
    authority = f"[{host_name}]" if ":" in host_name else host_name
    return f"ws://{authority}:{port_number}{path}"


def _failed(url: str, error: str) -> Handshake:
    return Handshake(url, 0, error, problems=(f"no connection ({error})",))


def handshake(
    host_name: str,
    port_number: int,
    path: str = "/",
    protocols: Sequence[str] = (),
    *,
    timeout: float = 3.0,
) -> Handshake:
    """Open a TCP connection from this machine, send the Upgrade request, judge the answer."""
    key = base64.b64encode(os.urandom(16)).decode("ascii")
    data = request_bytes(host_name, port_number, path, key, protocols)
    url = ws_url(host_name, port_number, path)
    head = b""
    try:
        with socket.create_connection((host_name, port_number), timeout=timeout) as conn:
            conn.sendall(data)
            while b"\r\n\r\n" not in head and len(head) < HEAD_LIMIT:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                head += chunk
    except OSError as exc:
        log.debug("websocket probe %s: %s", url, exc)
        return _failed(url, type(exc).__name__)
    if not head:
        return _failed(url, "connection closed without an answer")
    try:
        return parse_response(head, key, protocols, url=url)
    except ParseError as exc:
        return Handshake(url, 0, "not HTTP", problems=(str(exc),))


def node_command(
    host_name: str,
    port_number: int,
    path: str = "/",
    protocols: Sequence[str] = (),
    *,
    timeout: float = 3.0,
) -> str:
    """Shell command that performs the handshake from the node (see :func:`parse_node_output`)."""
    key = stable_key(host_name, port_number, path)
    data = request_bytes(host_name, port_number, path, key, protocols)
    runner = cmd("-c", RUNNER, host_name, str(port_number), data.hex(), f"{timeout:g}")
    return f'"$(command -v python3 || command -v python)" {runner}'


def parse_node_output(
    text: str, host_name: str, port_number: int, path: str = "/", protocols: Sequence[str] = ()
) -> Handshake:
    """Judge the output of :func:`node_command` (ParseError when it is not the script's)."""
    url = ws_url(host_name, port_number, path)
    lines = [ln.strip() for ln in str(text).splitlines() if ln.strip()]
    if len(lines) != 1:
        raise ParseError(f"websocket probe: expected one output line, got {len(lines)}")
    status, _, rest = lines[0].partition(" ")
    if status == "error":
        return _failed(url, rest or "error")
    if status != "ok":
        raise ParseError(f"websocket probe: unexpected output {lines[0][:80]!r}")
    try:
        head = bytes.fromhex(rest)
    except ValueError:
        raise ParseError("websocket probe: the answer is not hex") from None
    if not head:
        return _failed(url, "connection closed without an answer")
    key = stable_key(host_name, port_number, path)
    try:
        return parse_response(head, key, protocols, url=url)
    except ParseError as exc:
        return Handshake(url, 0, "not HTTP", problems=(str(exc),))
