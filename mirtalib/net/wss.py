"""WebSocket opening handshake over TLS (``wss://``), from this machine or from a node (page 18).

:mod:`mirtalib.net.websocket` probes plain ``ws://``; a WebRTC client talks to Asterisk's TLS
listener (``https``/``wss`` on 8089). This module sends the same RFC 6455 request inside a TLS
session and judges the answer with :func:`mirtalib.net.websocket.parse_response`. The certificate
is *not* verified here (a self-signed or expiring certificate is judged by the certificate
checks, with a clearer message); the SNI name is sent so a server with several names picks the
right one. Same two forms as the plain probe: :func:`handshake` from here, and
:func:`node_command` + :func:`parse_node_output` from a node (Python 2.7.9+ or 3, standard library).
"""

from __future__ import annotations

import base64
import dataclasses
import logging
import os
import socket
import ssl
from collections.abc import Sequence

from mirtalib.errors import ParseError
from mirtalib.net.websocket import (
    HEAD_LIMIT,
    Handshake,
    parse_response,
    request_bytes,
    stable_key,
)
from mirtalib.net.websocket import (
    parse_node_output as _parse_plain,
)
from mirtalib.validate import cmd, hostname

log = logging.getLogger(__name__)

# argv: host port request-hex timeout sni; prints "ok <hex of answer head>" or "error <Name>".
RUNNER = (
    "import binascii as b, socket as s, ssl, sys\n"
    "try:\n"
    "    x = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT if hasattr(ssl, 'PROTOCOL_TLS_CLIENT')"
    " else ssl.PROTOCOL_SSLv23)\n"
    "    x.check_hostname = False; x.verify_mode = ssl.CERT_NONE\n"
    "    c = x.wrap_socket(s.create_connection((sys.argv[1], int(sys.argv[2])),"
    " float(sys.argv[4])), server_hostname=sys.argv[5])\n"
    "    c.sendall(b.unhexlify(sys.argv[3])); r = b''\n"
    "    while b'\\r\\n\\r\\n' not in r and len(r) < 16384:\n"
    "        d = c.recv(4096)\n"
    "        if not d: break\n"
    "        r += d\n"
    "    sys.stdout.write('ok %s\\n' % b.hexlify(r).decode())\n"
    "except Exception as e:\n"
    "    sys.stdout.write('error %s\\n' % type(e).__name__)\n"
)


def wss_url(host_name: str, port_number: int, path: str = "/") -> str:
    """``wss://host:port/path``."""
    authority = f"[{host_name}]" if ":" in host_name else host_name
    return f"wss://{authority}:{port_number}{path}"


def _context() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def handshake(
    host_name: str,
    port_number: int,
    path: str = "/",
    protocols: Sequence[str] = (),
    *,
    server_name: str = "",
    timeout: float = 3.0,
) -> Handshake:
    """TLS connection from this machine, Upgrade request inside it, answer judged."""
    key = base64.b64encode(os.urandom(16)).decode("ascii")
    data = request_bytes(host_name, port_number, path, key, protocols)
    url = wss_url(host_name, port_number, path)
    sni = hostname(server_name, "server_name") if server_name else None
    head = b""
    try:
        with socket.create_connection((host_name, port_number), timeout=timeout) as raw:
            with _context().wrap_socket(raw, server_hostname=sni) as conn:
                conn.sendall(data)
                while b"\r\n\r\n" not in head and len(head) < HEAD_LIMIT:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    head += chunk
    except (OSError, ssl.SSLError) as exc:
        log.debug("wss probe %s: %s", url, exc)
        return Handshake(url, 0, type(exc).__name__, problems=(f"no TLS connection ({exc})",))
    if not head:
        return Handshake(url, 0, "closed", problems=("connection closed without an answer",))
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
    server_name: str = "",
    timeout: float = 3.0,
) -> str:
    """Shell command doing the wss handshake from the node (see :func:`parse_node_output`)."""
    key = stable_key(host_name, port_number, path)
    data = request_bytes(host_name, port_number, path, key, protocols)
    sni = hostname(server_name, "server_name") if server_name else host_name
    runner = cmd("-c", RUNNER, host_name, str(port_number), data.hex(), f"{timeout:g}", sni)
    return f'"$(command -v python3 || command -v python)" {runner}'


def parse_node_output(
    text: str, host_name: str, port_number: int, path: str = "/", protocols: Sequence[str] = ()
) -> Handshake:
    """Judge the output of :func:`node_command` (ParseError when it is not the script's)."""
    plain = _parse_plain(text, host_name, port_number, path, protocols)
    url = wss_url(host_name, port_number, path)
    problems = tuple(p.replace("no connection (", "no TLS connection (") for p in plain.problems)
    return dataclasses.replace(plain, url=url, problems=problems)
