"""What a TLS server accepts, and whether a CentOS/RHEL 9 client can talk to it (seed page 04).

:func:`scan` does in Python what ``nmap --script ssl-enum-ciphers`` does: for each protocol
version (TLS 1.0-1.2 through :mod:`ssl` with ``minimum_version = maximum_version``) it offers every
cipher suite this machine's OpenSSL knows (``@SECLEVEL=0``, so weak ones are tried too), notes the
one the server picks, removes it and offers the rest again until the server refuses: the accepted
suites come out in the server's order of preference, in N+1 handshakes. Python cannot restrict TLS
1.3 suites, so those are enumerated the same way with ``openssl s_client -ciphersuites`` (parsed by
:func:`mirtalib.asterisk.tls.parse_s_client`). The certificate chain the server sends is read with
:mod:`cryptography` (names, expiry, key, signature hash); the chain is also verified against a CA
file or the system store. Certificate facts, the policy model and the advice live in
:mod:`mirtalib.net.tlspolicy`.

A :class:`TlsScan` round-trips through JSON (:meth:`TlsScan.to_json`, :func:`scan_from_json`),
which is how a replay records a scan of the demo PBX.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
import socket
import ssl
import subprocess
import warnings
from typing import Any

from mirtalib.asterisk.tls import parse_openssl_ciphers, parse_s_client
from mirtalib.errors import ParseError, TargetError
from mirtalib.net.tlspolicy import CertInfo, cert_info

log = logging.getLogger(__name__)

PROTOCOLS = ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
_VERSIONS = {
    "TLSv1": "TLSv1",
    "TLSv1.1": "TLSv1_1",
    "TLSv1.2": "TLSv1_2",
    "TLSv1.3": "TLSv1_3",
}
TLS13_SUITES = (
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_128_CCM_SHA256",
    "TLS_AES_128_CCM_8_SHA256",
)
_TLS13_INFO = {
    "TLS_AES_256_GCM_SHA384": ("AESGCM(256)", 256),
    "TLS_CHACHA20_POLY1305_SHA256": ("CHACHA20/POLY1305(256)", 256),
    "TLS_AES_128_GCM_SHA256": ("AESGCM(128)", 128),
    "TLS_AES_128_CCM_SHA256": ("AESCCM(128)", 128),
    "TLS_AES_128_CCM_8_SHA256": ("AESCCM8(128)", 128),
}


@dataclasses.dataclass(frozen=True)
class Suite:
    """A cipher suite the server accepted with one protocol version (OpenSSL names)."""

    protocol: str
    name: str
    kx: str
    au: str
    enc: str
    mac: str
    bits: int


@dataclasses.dataclass(frozen=True)
class TlsScan:
    """Result of :func:`scan`.

    Attributes:
        host, port, server_name: what was scanned (SNI sent when server_name is not "").
        protocols: version -> accepted (TLSv1 ... TLSv1.3).
        suites: accepted suites, per protocol in the server's order of preference.
        chain: certificates the server sent, leaf first.
        verify: ``ok`` or the verification error (against ``ca_file`` or the system store).
        notes: what could not be tested (e.g. no ``openssl`` binary for TLS 1.3 suites).
    """

    host: str
    port: int
    server_name: str
    protocols: dict[str, bool]
    suites: tuple[Suite, ...]
    chain: tuple[CertInfo, ...]
    verify: str
    notes: tuple[str, ...] = ()

    def accepted(self, protocol: str) -> list[Suite]:
        """Suites accepted with ``protocol``."""
        return [s for s in self.suites if s.protocol == protocol]

    def to_json(self) -> str:
        """Stable JSON text (sorted keys, two-space indent)."""
        return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True) + "\n"


def scan_text(s: TlsScan) -> str:
    """Protocols and suites, one line each (server order)."""
    lines = []
    for proto in ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"):
        names = [x.name for x in s.accepted(proto)]
        lines.append(
            f"{proto:8} {'accepted' if s.protocols.get(proto) else 'refused':9}"
            + (f" {', '.join(names)}" if names else "")
        )
    return "\n".join(lines)


def scan_from_json(text: str) -> TlsScan:
    """Read :meth:`TlsScan.to_json` output back; ParseError when it is not a scan."""
    try:
        data: dict[str, Any] = json.loads(text)
        return TlsScan(
            host=str(data["host"]),
            port=int(data["port"]),
            server_name=str(data["server_name"]),
            protocols={str(k): bool(v) for k, v in data["protocols"].items()},
            suites=tuple(Suite(**s) for s in data["suites"]),
            chain=tuple(CertInfo(**{**c, "sans": tuple(c["sans"])}) for c in data["chain"]),
            verify=str(data["verify"]),
            notes=tuple(data.get("notes", ())),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ParseError(f"TLS scan JSON not understood: {type(exc).__name__}: {exc}") from None


def _context(protocol: str, ciphers: str) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.options |= getattr(ssl, "OP_LEGACY_SERVER_CONNECT", 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLSv1/1.1 are what we test for
        version = getattr(ssl.TLSVersion, _VERSIONS[protocol])
        ctx.minimum_version = version
        ctx.maximum_version = version
    if protocol != "TLSv1.3":
        ctx.set_ciphers(ciphers)
    return ctx


def _handshake(
    host: str, port: int, ctx: ssl.SSLContext, sni: str, timeout: float
) -> tuple[str, str, list[bytes]] | None:
    """(version, cipher, DER chain) or None when the server refuses the offer."""
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        raise TargetError(f"TLS scan: cannot connect to {host}:{port}: {exc}") from None
    try:
        with ctx.wrap_socket(sock, server_hostname=sni or None) as tls:
            version, cipher = tls.version() or "", (tls.cipher() or ("",))[0]
            chain = [
                c.public_bytes(ssl._ssl.ENCODING_DER)  # type: ignore[attr-defined]
                for c in (tls._sslobj.get_unverified_chain() or [])  # type: ignore[union-attr]
            ]
            return version, cipher, chain
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError, TimeoutError, EOFError):
        return None
    except OSError as exc:
        log.debug("handshake to %s:%s failed: %s", host, port, exc)
        return None
    finally:
        sock.close()


def _known_suites() -> dict[str, Suite]:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.set_ciphers("ALL:COMPLEMENTOFALL:@SECLEVEL=0")
    out = {}
    for c in parse_openssl_ciphers("\n".join(d["description"] for d in ctx.get_ciphers())):
        if c.protocol != "TLSv1.3":
            bits = int(c.enc.rsplit("(", 1)[-1].rstrip(")")) if "(" in c.enc else 0
            out[c.name] = Suite("", c.name, c.kx, c.au, c.enc, c.mac, bits)
    return out


def _tls13(host: str, port: int, sni: str, timeout: float) -> tuple[list[Suite], list[str]]:
    openssl = shutil.which("openssl")
    if openssl is None:
        return [], ["openssl binary missing: TLS 1.3 suites not enumerated"]
    left, found = list(TLS13_SUITES), []
    while left:
        argv = [openssl, "s_client", "-connect", f"{host}:{port}", "-tls1_3"]
        argv += ["-ciphersuites", ":".join(left)] + (["-servername", sni] if sni else [])
        try:
            proc = subprocess.run(
                argv, input=b"", capture_output=True, timeout=timeout + 5, check=False
            )
        except subprocess.TimeoutExpired:
            return found, [f"openssl s_client timed out against {host}:{port}"]
        session = parse_s_client(proc.stdout + b"\n" + proc.stderr)
        if not session.handshake_ok or session.cipher not in left:
            break
        enc, bits = _TLS13_INFO[session.cipher]
        found.append(Suite("TLSv1.3", session.cipher, "any", "any", enc, "AEAD", bits))
        left.remove(session.cipher)
    return found, []


def _verify(host: str, port: int, sni: str, ca_file: str, timeout: float) -> str:
    ctx = ssl.create_default_context(cafile=ca_file or None)
    ctx.set_ciphers("DEFAULT:@SECLEVEL=2")  # any usual suite: only the certificate is judged here
    ctx.check_hostname = bool(sni)
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        return f"cannot connect ({exc})"
    try:
        with ctx.wrap_socket(sock, server_hostname=sni or None):
            return "ok"
    except ssl.SSLCertVerificationError as exc:
        return exc.verify_message or str(exc)
    except (ssl.SSLError, OSError) as exc:
        return f"handshake failed ({type(exc).__name__})"
    finally:
        sock.close()


def scan(
    host: str,
    port: int,
    *,
    server_name: str = "",
    ca_file: str = "",
    timeout: float = 5.0,
) -> TlsScan:
    """Enumerate protocols, suites and the certificate chain of ``host:port``.

    Raises:
        TargetError: when no TCP connection can be made at all.
    """
    known = _known_suites()
    protocols: dict[str, bool] = {}
    suites: list[Suite] = []
    chain_der: list[bytes] = []
    notes: list[str] = []
    for proto in PROTOCOLS[:3]:
        left = list(known)
        while left:
            got = _handshake(
                host, port, _context(proto, ":".join(left) + ":@SECLEVEL=0"), server_name, timeout
            )
            if got is None or got[1] not in left:
                break
            base = known[got[1]]
            suites.append(dataclasses.replace(base, protocol=proto))
            left.remove(got[1])
            chain_der = got[2] or chain_der
        protocols[proto] = any(s.protocol == proto for s in suites)
    got13 = _handshake(host, port, _context("TLSv1.3", ""), server_name, timeout)
    protocols["TLSv1.3"] = got13 is not None
    if got13 is not None:
        chain_der = got13[2] or chain_der
        found, why = _tls13(host, port, server_name, timeout)
        suites += found
        notes += why
    chain = tuple(cert_info(der) for der in chain_der)
    verify = _verify(host, port, server_name, ca_file, timeout) if chain else "no certificate"
    log.info("TLS scan %s:%s: %d suites", host, port, len(suites))
    return TlsScan(host, port, server_name, protocols, tuple(suites), chain, verify, tuple(notes))
