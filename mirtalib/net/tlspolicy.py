"""Certificates and the CentOS/RHEL 9 crypto policies, as data (seed page 04).

What the two policies let a client offer (and accept) in TLS, from the RHEL 9 *Security
hardening* guide (table of the system-wide policies) and the crypto-policies ``DEFAULT.pol`` /
``LEGACY.pol`` files as shipped with RHEL 9 (crypto-policies 2022+), written from that knowledge:

=========================================  ====================  ====================
property                                   DEFAULT               LEGACY
=========================================  ====================  ====================
protocols                                  TLS 1.2, TLS 1.3      TLS 1.2, TLS 1.3
key exchange                               ECDHE, DHE, RSA       ECDHE, DHE, RSA
TLS ciphers                                AES-GCM/CCM, ChaCha20, AES-CBC (128/256 bits)
no 3DES, RC4, DES, NULL, export, CAMELLIA, ARIA, SEED, CCM8, MD5 MACs, DSS
SHA-1 in signatures and certificates       refused               accepted
minimum RSA / DH size                      2048 bits             2048 bits
OpenSSL security level                     2                     1 (page 04's ``@SECLEVEL=1``)
=========================================  ====================  ====================

Note: RHEL/CentOS **8**'s LEGACY still allowed TLS 1.0/1.1 and 1024-bit keys; on 9 they are off in
every policy, so a peer that speaks only TLS 1.0/1.1 needs a custom policy module or, better, an
upgrade. These facts come from the vendor documentation as I know it, not from a live CentOS 9:
compare with ``update-crypto-policies --show`` and ``openssl ciphers -v`` on the node (the runbook
shows both).
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import NameOID

from mirtalib.errors import ParseError

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class CertInfo:
    """Facts of one certificate (times are naive UTC ISO strings, for stable JSON)."""

    subject: str
    issuer: str
    sans: tuple[str, ...]
    not_before: str
    not_after: str
    key: str
    key_bits: int
    signature_hash: str
    self_signed: bool

    def days_left(self, now: datetime) -> int:
        """Whole days from ``now`` (aware or naive UTC) to expiry (negative when expired)."""
        end = datetime.fromisoformat(self.not_after)
        now_utc = now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo else now
        return (end - now_utc).days


def chain_text(s, now: datetime) -> str:
    """One line per certificate: subject, issuer, names, expiry (days from ``now``), key, hash."""
    return (
        "\n".join(
            f"{i}: {c.subject} (issuer {c.issuer}; names {', '.join(c.sans) or '-'}); expires "
            f"{c.not_after[:10]} ({c.days_left(now)} days); {c.key} {c.key_bits}; "
            f"signed with {c.signature_hash}"
            for i, c in enumerate(s.chain)
        )
        or "no certificate"
    )


def _cn(name: x509.Name) -> str:
    cns = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(cns[0].value) if cns else name.rfc4514_string()


def cert_info(der: bytes) -> CertInfo:
    """Read a DER certificate; ParseError when it is not one."""
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError as exc:
        raise ParseError(f"not a DER certificate: {exc}") from None
    try:
        sans = tuple(
            cert.extensions.get_extension_for_class(
                x509.SubjectAlternativeName
            ).value.get_values_for_type(x509.DNSName)
        )
    except x509.ExtensionNotFound:
        sans = ()
    pub = cert.public_key()
    kind = {
        rsa.RSAPublicKey: "RSA",
        ec.EllipticCurvePublicKey: "EC",
        dsa.DSAPublicKey: "DSA",
        ed25519.Ed25519PublicKey: "Ed25519",
        ed448.Ed448PublicKey: "Ed448",
    }
    key = next((v for k, v in kind.items() if isinstance(pub, k)), type(pub).__name__)
    bits = int(getattr(pub, "key_size", 0))
    algo = cert.signature_hash_algorithm
    return CertInfo(
        subject=_cn(cert.subject),
        issuer=_cn(cert.issuer),
        sans=sans,
        not_before=cert.not_valid_before_utc.replace(tzinfo=None).isoformat(),
        not_after=cert.not_valid_after_utc.replace(tzinfo=None).isoformat(),
        key=key,
        key_bits=bits,
        signature_hash=algo.name if algo is not None else "none",
        self_signed=cert.subject == cert.issuer,
    )


@dataclasses.dataclass(frozen=True)
class ClientPolicy:
    """What a client under a crypto policy offers and accepts (see the module table)."""

    name: str
    protocols: frozenset[str]
    kx: frozenset[str]
    enc_prefixes: tuple[str, ...]
    macs: frozenset[str]
    sha1_signatures: bool
    min_rsa_bits: int
    seclevel: int

    def offers(self, protocol: str, kx: str, au: str, enc: str, mac: str) -> bool:
        """True when this client would offer that suite with that protocol."""
        if protocol not in self.protocols:
            return False
        if protocol == "TLSv1.3":
            return not enc.startswith("AESCCM8")
        if au in {"DSS", "None", "PSK"} or enc.startswith("AESCCM8"):
            return False
        return kx in self.kx and enc.startswith(self.enc_prefixes) and mac in self.macs


_ENC = ("AESGCM(", "AESCCM(", "CHACHA20/POLY1305(", "AES(")
POLICIES = {
    "DEFAULT": ClientPolicy(
        "DEFAULT",
        frozenset({"TLSv1.2", "TLSv1.3"}),
        frozenset({"ECDH", "DH", "RSA"}),
        _ENC,
        frozenset({"AEAD", "SHA256", "SHA384", "SHA1"}),
        sha1_signatures=False,
        min_rsa_bits=2048,
        seclevel=2,
    ),
    "LEGACY": ClientPolicy(
        "LEGACY",
        frozenset({"TLSv1.2", "TLSv1.3"}),
        frozenset({"ECDH", "DH", "RSA"}),
        _ENC,
        frozenset({"AEAD", "SHA256", "SHA384", "SHA1"}),
        sha1_signatures=True,
        min_rsa_bits=2048,
        seclevel=1,
    ),
}


@dataclasses.dataclass(frozen=True)
class PolicyFit:
    """How a client under one policy fares against a scanned server."""

    policy: str
    suites: tuple[str, ...]  # "TLSv1.2 ECDHE-RSA-AES256-GCM-SHA384", server order
    blockers: tuple[str, ...]  # certificate problems that make the handshake/verification fail

    @property
    def works(self) -> bool:
        """At least one common suite and no certificate blocker."""
        return bool(self.suites) and not self.blockers


def fit(scan, policy: ClientPolicy) -> PolicyFit:
    """Common suites and certificate blockers of ``scan`` (a TlsScan) for ``policy``."""
    suites = tuple(
        f"{s.protocol} {s.name}"
        for s in sorted(scan.suites, key=lambda s: -float(s.protocol.removeprefix("TLSv") or 0))
        if policy.offers(s.protocol, s.kx, s.au, s.enc, s.mac)
    )
    blockers = []
    for depth, c in enumerate(scan.chain):
        if c.signature_hash in {"sha1", "md5"} and not (c.self_signed and depth > 0):
            if c.signature_hash == "md5" or not policy.sha1_signatures:
                blockers.append(f"certificate {c.subject!r} is signed with {c.signature_hash}")
        if c.key in {"RSA", "DSA"} and c.key_bits < policy.min_rsa_bits:
            blockers.append(f"certificate {c.subject!r} has a {c.key_bits}-bit {c.key} key")
    return PolicyFit(policy.name, suites, tuple(blockers))


@dataclasses.dataclass(frozen=True)
class Advice:
    """The policy to run and the pjsip transport lines to write."""

    policy: str  # "DEFAULT", "LEGACY" or "" when neither works
    method: str
    cipher: str
    reasons: tuple[str, ...]

    def lines(self) -> str:
        """``method=``/``cipher=`` lines for the TLS transport ("" when there is none)."""
        if not self.policy:
            return ""
        return f"method={self.method}\n" + (f"cipher={self.cipher}\n" if self.cipher else "")


def _rank(name: str) -> tuple[int, int]:
    return (0 if name.startswith("ECDHE") else 1, 0 if "GCM" in name or "CHACHA" in name else 1)


def advise(scan) -> Advice:
    """Advice for a TlsScan: the policy to run and the pjsip transport lines.

    DEFAULT when it works; the cipher list then holds the common TLS 1.2 suites that are forward
    secret and without SHA-1 MAC (all common ones when there are none such), ECDHE and AEAD first.
    Else LEGACY with the page's ``cipher=DEFAULT,@SECLEVEL=1``; else nothing (upgrade the peer).
    """
    default, legacy = fit(scan, POLICIES["DEFAULT"]), fit(scan, POLICIES["LEGACY"])
    has13 = scan.protocols.get("TLSv1.3", False)
    if default.works:
        common = [
            s
            for s in scan.accepted("TLSv1.2")
            if POLICIES["DEFAULT"].offers(s.protocol, s.kx, s.au, s.enc, s.mac)
        ]
        strong = [s for s in common if s.kx != "RSA" and s.mac != "SHA1"]
        names = sorted((s.name for s in (strong or common)), key=_rank)
        return Advice(
            "DEFAULT",
            "tlsv1_2",
            ",".join(names[:6]),
            (
                "a CentOS 9 client under DEFAULT shares "
                f"{len(default.suites)} suite(s) with the server: keep the DEFAULT policy",
                *(["the server also speaks TLS 1.3"] if has13 else []),
            ),
        )
    if legacy.works:
        return Advice(
            "LEGACY",
            "tlsv1_2",
            "DEFAULT,@SECLEVEL=1",
            (
                "DEFAULT fails: " + "; ".join(default.blockers or ("no common suite",)),
                "LEGACY accepts it; better still, have the certificate re-issued with SHA-256 "
                "and a 2048-bit or larger key, then go back to DEFAULT",
            ),
        )
    only_old = [p for p, ok in scan.protocols.items() if ok]
    why = "; ".join(legacy.blockers) or (
        f"the server speaks only {', '.join(only_old)}" if only_old else "no handshake at all"
    )
    return Advice(
        "",
        "",
        "",
        (f"neither DEFAULT nor LEGACY works: {why}", "upgrade the peer (or a custom policy)"),
    )
