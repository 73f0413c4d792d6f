"""TLS enumeration against real `openssl s_server` instances on loopback."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes

from mirtalib.errors import TargetError
from mirtalib.net.tls import scan, scan_from_json
from mirtalib.net.tlspolicy import advise

pytestmark = pytest.mark.integration
HOST = "sip.carrier.test"


def test_restricted_server_exact_suites_in_server_order(make_chain, s_server):
    files = make_chain(HOST)
    srv = s_server(
        files,
        "-cipher",
        "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384",
        "-ciphersuites",
        "TLS_AES_256_GCM_SHA384",
        "-serverpref",
        "-no_tls1",
        "-no_tls1_1",
    )
    found = scan("127.0.0.1", srv.port, server_name=HOST, ca_file=str(files["ca"]))
    assert found.protocols == {"TLSv1": False, "TLSv1.1": False, "TLSv1.2": True, "TLSv1.3": True}
    assert [s.name for s in found.accepted("TLSv1.2")] == [
        "ECDHE-RSA-AES128-GCM-SHA256",  # the server's preference, not ours
        "ECDHE-RSA-AES256-GCM-SHA384",
    ]
    assert [s.name for s in found.accepted("TLSv1.3")] == ["TLS_AES_256_GCM_SHA384"]
    assert [(c.subject, c.signature_hash) for c in found.chain] == [
        (HOST, "sha256"),
        ("Test Carrier CA", "sha256"),
    ]
    assert found.chain[0].sans == (HOST,) and found.chain[0].not_after == "2036-01-01T00:00:00"
    assert found.verify == "ok"
    assert scan_from_json(found.to_json()) == found
    advice = advise(found)
    assert advice.policy == "DEFAULT"
    assert advice.cipher == "ECDHE-RSA-AES128-GCM-SHA256,ECDHE-RSA-AES256-GCM-SHA384"


def test_wrong_name_and_unknown_ca_fail_verification(make_chain, s_server):
    files = make_chain(HOST)
    srv = s_server(files, "-no_tls1_3")
    assert (
        "Hostname mismatch"
        in scan("127.0.0.1", srv.port, server_name="other.test", ca_file=str(files["ca"])).verify
    )
    assert (
        "self-signed certificate in certificate chain"
        == scan("127.0.0.1", srv.port, server_name=HOST).verify
    )


def test_sha1_certificate_old_protocols_legacy_advice(make_chain, s_server):
    files = make_chain(HOST, leaf_hash=hashes.SHA1)
    srv = s_server(files, "-cipher", "ECDHE-RSA-AES128-SHA:AES256-SHA:@SECLEVEL=0", "-no_tls1_3")
    found = scan("127.0.0.1", srv.port, server_name=HOST, ca_file=str(files["ca"]))
    assert found.protocols["TLSv1"] and found.protocols["TLSv1.2"]
    assert not found.protocols["TLSv1.3"]
    assert found.chain[0].signature_hash == "sha1"
    assert found.verify == "CA signature digest algorithm too weak"
    advice = advise(found)
    assert (advice.policy, advice.cipher) == ("LEGACY", "DEFAULT,@SECLEVEL=1")


def test_tls10_only_server_has_no_centos9_fix(make_chain, s_server):
    srv = s_server(make_chain(HOST), "-tls1", "-cipher", "AES128-SHA:@SECLEVEL=0")
    found = scan("127.0.0.1", srv.port, server_name=HOST)
    assert found.protocols == {"TLSv1": True, "TLSv1.1": False, "TLSv1.2": False, "TLSv1.3": False}
    assert [s.name for s in found.suites] == ["AES128-SHA"]
    assert advise(found).policy == ""


def test_nothing_listening_is_a_target_error(closed_port):
    with pytest.raises(TargetError, match="cannot connect"):
        scan("127.0.0.1", closed_port, timeout=2)
