"""Parser for ``openssl s_client -connect host:port`` output (OpenSSL 1.0.2 to 3.x).

Seed page 04 (Debugging TLS problems) connects to the SIP TLS port with ``openssl s_client`` to see
whether a handshake happens at all, which protocol and cipher are negotiated, and what certificate
chain the server sends; page 03 needs the same for the Teams transport (port 5091). The parser keeps
the facts and drops session secrets (``Master-Key``, tickets) on purpose.
"""

from __future__ import annotations

import dataclasses
import logging
import re

from mirtalib.asterisk._common import as_text, parser
from mirtalib.errors import ParseError

log = logging.getLogger(__name__)

_CONNECTED = re.compile(r"^CONNECTED\((\w+)\)")
_CHAIN = re.compile(r"^\s*(\d+) s:\s?(.*)$", re.ASCII)
_NEW = re.compile(r"^(New|Reused), (\S+), Cipher is (\S+)")
_VERIFY = re.compile(r"^\s*Verify return code: (-?\d+) \((.*)\)\s*$", re.ASCII)
_ERROR = re.compile(r"^[0-9A-Fa-f]+:error:[0-9A-Fa-f]+:(.*)$")
_PEM = re.compile(r"-----BEGIN CERTIFICATE-----\n.*?\n-----END CERTIFICATE-----", re.DOTALL)


@dataclasses.dataclass(frozen=True)
class ChainCert:
    """One certificate of the chain the server sent (``Certificate chain`` section)."""

    depth: int
    subject: str
    issuer: str
    not_before: str = ""
    not_after: str = ""
    key: str = ""


@dataclasses.dataclass(frozen=True)
class TlsSession:
    """What ``openssl s_client`` saw.

    Attributes:
        connected: the TCP connection was made (``CONNECTED(...)``).
        handshake_ok: a cipher was negotiated (not ``(NONE)``).
        protocol: ``TLSv1.3``, ``TLSv1.2`` ... ("" when no handshake).
        cipher: ``TLS_AES_256_GCM_SHA384``, ``ECDHE-RSA-AES256-GCM-SHA384`` ... ("" when none).
        chain: certificates the server sent, depth 0 first.
        subject, issuer: of the server certificate ("" when none was sent).
        verify_code, verify_message: ``Verify return code`` (0 / ``ok``); None when not printed.
        errors: OpenSSL error lines (``sslv3 alert handshake failure``, ``Connection refused``).
        server_temp_key: ``X25519, 253 bits`` etc.; peer_signing_digest: ``SHA256`` etc.
        pem: the server certificate in PEM (for :mod:`cryptography`), "" when not shown.
        alpn: negotiated ALPN protocol, "" when none.
    """

    connected: bool
    handshake_ok: bool
    protocol: str
    cipher: str
    chain: tuple[ChainCert, ...]
    subject: str
    issuer: str
    verify_code: int | None
    verify_message: str
    errors: tuple[str, ...]
    server_temp_key: str
    peer_signing_digest: str
    pem: str
    alpn: str

    @property
    def verified(self) -> bool:
        """The chain verified against the trust store (``Verify return code: 0 (ok)``)."""
        return self.verify_code == 0


def _field(lines: list[str], prefix: str) -> str:
    for ln in lines:
        if ln.startswith(prefix):
            return ln[len(prefix) :].strip()
    return ""


def _chain(lines: list[str]) -> list[ChainCert]:
    certs: list[ChainCert] = []
    try:
        start = lines.index("Certificate chain") + 1
    except ValueError:
        return certs
    cur: dict[str, str] | None = None
    for ln in lines[start:]:
        if ln.startswith("---"):
            break
        m = _CHAIN.match(ln)
        if m:
            cur = {"depth": m.group(1), "s": m.group(2).strip()}
            certs.append(ChainCert(int(m.group(1)), cur["s"], ""))
            continue
        s = ln.strip()
        if cur is None or len(s) < 2 or s[1] != ":":
            continue
        cur[s[0]] = s[2:].strip()
        v = cur.get("v", "")
        nb = re.search(r"NotBefore: (.*?);", v)
        na = re.search(r"NotAfter: (.*)$", v)
        certs[-1] = ChainCert(
            int(cur["depth"]),
            cur["s"],
            cur.get("i", ""),
            nb.group(1).strip() if nb else "",
            na.group(1).strip() if na else "",
            cur.get("a", ""),
        )
    return certs


@parser
def parse_s_client(text: str | bytes) -> TlsSession:
    """Parse the combined stdout+stderr of ``openssl s_client -connect host:port </dev/null``.

    Raises:
        ParseError: when the text is not ``openssl s_client`` output at all.
    """
    text = as_text(text, what="openssl s_client", ami=False)
    lines = text.split("\n")
    stripped = [ln.strip() for ln in lines]
    connected = any(_CONNECTED.match(ln) for ln in lines) or "CONNECTION ESTABLISHED" in stripped
    errors = []
    for ln in lines:
        m = _ERROR.match(ln.strip())
        if m:
            errors.append(m.group(1).strip())
        elif ln.startswith("connect:errno=") or ln.startswith("connect: "):
            errors.append(ln.strip())
    new = next((m for m in map(_NEW.match, lines) if m), None)
    # the SSL-Session block is exact; OpenSSL 1.0.2's "New, TLSv1/SSLv3" line is not
    protocol = _field(stripped, "Protocol  :") or _field(stripped, "Protocol version:")
    cipher = _field(stripped, "Ciphersuite:")  # -brief output
    if new:
        cipher = "" if new.group(3) == "(NONE)" else new.group(3)
        if not protocol and new.group(2) != "TLSv1/SSLv3":
            protocol = new.group(2)
    verify = next((m for m in map(_VERIFY.match, lines) if m), None)
    if not connected and not errors and new is None and not cipher:
        raise ParseError("openssl s_client: neither CONNECTED(...) nor an error in the output")
    pem = _PEM.search(text)
    alpn = _field(lines, "ALPN protocol:")
    if not cipher or protocol == "(NONE)":
        protocol = ""
    session = TlsSession(
        connected=connected,
        handshake_ok=bool(cipher),
        protocol=protocol,
        cipher=cipher,
        chain=tuple(_chain(lines)),
        subject=_field(lines, "subject="),
        issuer=_field(lines, "issuer="),
        verify_code=int(verify.group(1)) if verify else None,
        verify_message=verify.group(2) if verify else "",
        errors=tuple(errors),
        server_temp_key=_field(lines, "Server Temp Key:"),
        peer_signing_digest=_field(lines, "Peer signing digest:"),
        pem=pem.group(0) + "\n" if pem else "",
        alpn=alpn,
    )
    log.debug("s_client: connected=%s cipher=%s", connected, cipher)
    return session


@dataclasses.dataclass(frozen=True)
class Cipher:
    """One line of ``openssl ciphers -v`` (``-V`` adds the two-byte ``id``)."""

    name: str
    protocol: str
    kx: str
    au: str
    enc: str
    mac: str
    export: bool = False
    id: str = ""


@parser
def parse_openssl_ciphers(text: str | bytes) -> list[Cipher]:
    """Parse ``openssl ciphers -v [LIST]`` or ``-V`` output (seed page 04).

    Raises:
        ParseError: on ``Error in cipher list`` or a line that is not a cipher description.
    """
    text = as_text(text, what="openssl ciphers", ami=False)
    out: list[Cipher] = []
    for lineno, line in enumerate(text.split("\n"), start=1):
        tokens = line.split()
        if not tokens:
            continue
        if "error" in line.lower():
            raise ParseError(f"openssl ciphers: {line.strip()[:200]}")
        cid = ""
        if tokens[0].startswith("0x") and len(tokens) > 1 and tokens[1] == "-":
            cid, tokens = tokens[0], tokens[2:]
        if len(tokens) < 6:
            raise ParseError(f"openssl ciphers line {lineno}: {line.strip()[:120]!r} is too short")
        fields = dict(t.split("=", 1) for t in tokens[2:] if "=" in t)
        if not {"Kx", "Au", "Enc", "Mac"} <= set(fields):
            raise ParseError(f"openssl ciphers line {lineno}: missing Kx=/Au=/Enc=/Mac=")
        out.append(
            Cipher(
                tokens[0],
                tokens[1],
                fields["Kx"],
                fields["Au"],
                fields["Enc"],
                fields["Mac"],
                export="export" in tokens[2:],
                id=cid,
            )
        )
    return out


def unknown_ciphers(cipher_option: str, available: list[Cipher]) -> list[str]:
    """Names in a pjsip ``cipher=`` list (comma-separated) that this OpenSSL does not offer.

    Keywords such as ``DEFAULT`` or ``@SECLEVEL=1`` (upper-case words, ``@``/``!``/``+``/``-``
    prefixes) are selectors, not names, and are skipped.
    """
    names = {c.name for c in available}
    wanted = [w.strip() for w in cipher_option.split(",") if w.strip()]
    return [
        w
        for w in wanted
        if w not in names and w[0] not in "@!+-" and not re.fullmatch(r"[A-Z0-9]+", w)
    ]
