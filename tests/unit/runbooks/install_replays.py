"""Helpers of the installation page tests (pages 08, 09, 12, 15, 18): isolated replays, certs.

``isolated(dest)`` copies srv01/srv02 and only the fragments these pages read (their own, plus
p10's sip.conf and p37's shared ``sip reload`` answer), so another page's fragment cannot change
these tests. ``make_cert`` writes a real certificate (optionally CA-signed) with
:mod:`cryptography`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from mirtalib.runbook.replay import isolated_replays as copy_replays

PAGES = ("p08", "p09", "p10", "p12", "p15", "p18", "p37")


def isolated(dest: Path) -> dict:
    """``target_options`` for a copy of the replays with only :data:`PAGES` fragments."""
    return copy_replays(dest, PAGES)


def make_cert(
    names: list[str],
    not_before: datetime,
    not_after: datetime,
    *,
    ca: tuple | None = None,
    is_ca: bool = False,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A certificate for ``names`` (self-signed unless ``ca=(cert, key)``)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca[0].subject if ca else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    if is_ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), True)
    else:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), False
        )
    cert = builder.sign(ca[1] if ca else key, hashes.SHA256())
    return cert, key


def pem(cert: x509.Certificate) -> bytes:
    """PEM of a certificate."""
    return cert.public_bytes(serialization.Encoding.PEM)


def key_pem(key) -> bytes:
    """Unencrypted PKCS#8 PEM of a key."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
