"""CentOS 9 DEFAULT/LEGACY fit and advice on hand-made scans; scan JSON; certificate facts."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from mirtalib.errors import ParseError
from mirtalib.net.tls import Suite, TlsScan, scan_from_json
from mirtalib.net.tlspolicy import POLICIES, CertInfo, advise, cert_info, fit

GCM = Suite("TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384", "ECDH", "RSA", "AESGCM(256)", "AEAD", 256)
CBC_SHA = Suite("TLSv1.2", "AES256-SHA", "RSA", "RSA", "AES(256)", "SHA1", 256)
OLD = Suite("TLSv1", "AES256-SHA", "RSA", "RSA", "AES(256)", "SHA1", 256)
DES = Suite("TLSv1.2", "DES-CBC3-SHA", "RSA", "RSA", "3DES(168)", "SHA1", 112)


def cert(sig="sha256", bits=2048, subject="sip.example", not_after="2027-01-01T00:00:00"):
    return CertInfo(
        subject, "CA", (subject,), "2025-01-01T00:00:00", not_after, "RSA", bits, sig, False
    )


def scan(*suites, chain=(cert(),), protocols=None):
    protos = protocols or {
        p: any(s.protocol == p for s in suites) for p in ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
    }
    return TlsScan("sip.example", 5061, "sip.example", protos, tuple(suites), tuple(chain), "ok")


def test_modern_server_keeps_default_and_gets_a_strong_cipher_list():
    advice = advise(scan(CBC_SHA, GCM))
    assert advice.policy == "DEFAULT"
    assert advice.lines() == "method=tlsv1_2\ncipher=ECDHE-RSA-AES256-GCM-SHA384\n"


def test_only_rsa_kex_sha1_mac_suites_still_work_but_are_listed():
    advice = advise(scan(CBC_SHA))
    assert advice.policy == "DEFAULT" and advice.cipher == "AES256-SHA"


def test_sha1_certificate_needs_legacy_with_the_pages_lines():
    s = scan(GCM, chain=(cert(sig="sha1"),))
    assert not fit(s, POLICIES["DEFAULT"]).works
    assert fit(s, POLICIES["LEGACY"]).works
    advice = advise(s)
    assert advice.lines() == "method=tlsv1_2\ncipher=DEFAULT,@SECLEVEL=1\n"
    assert "re-issued with SHA-256" in advice.reasons[1]


def test_tls10_only_peer_has_no_fix_on_centos9():
    advice = advise(scan(OLD))
    assert advice.policy == "" and advice.lines() == ""
    assert "speaks only TLSv1" in advice.reasons[0]


def test_small_keys_and_3des_are_refused_by_both():
    assert not fit(scan(DES), POLICIES["LEGACY"]).suites
    s = scan(GCM, chain=(cert(bits=1024),))
    assert "1024-bit RSA key" in fit(s, POLICIES["LEGACY"]).blockers[0]


def test_scan_json_round_trip_and_errors():
    s = scan(GCM, OLD)
    assert scan_from_json(s.to_json()) == s
    with pytest.raises(ParseError, match="not understood"):
        scan_from_json('{"host": "x"}')
    with pytest.raises(ParseError, match="not understood"):
        scan_from_json("not json")


def test_days_left_uses_the_given_clock():
    c = cert(not_after="2026-11-30T00:00:00")
    assert c.days_left(datetime(2026, 11, 2, 9, 30, tzinfo=UTC)) == 27
    assert c.days_left(datetime(2026, 12, 1)) == -1


def test_cert_info_reads_names_key_and_hash():
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pbx.example")])
    der = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(datetime(2026, 1, 1))
        .not_valid_after(datetime(2027, 1, 1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("pbx.example"), x509.DNSName("voip1.example")]
            ),
            False,
        )
        .sign(key, hashes.SHA384())
        .public_bytes(serialization.Encoding.DER)
    )
    info = cert_info(der)
    assert dataclasses.astuple(info) == (
        "pbx.example",
        "pbx.example",
        ("pbx.example", "voip1.example"),
        "2026-01-01T00:00:00",
        "2027-01-01T00:00:00",
        "EC",
        256,
        "sha384",
        True,
    )
    with pytest.raises(ParseError, match="not a DER certificate"):
        cert_info(b"garbage")
