"""Page 03's certificate, key and listener checks on this machine, with a certificate made by the
real openssl and a real listening socket read through the real `ss -lntp`."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess

import pytest

from mirtalib.runbook import Status
from mirtalib.runbooks.p03_integrating_with_microsoft_teams import RUNBOOK

pytestmark = pytest.mark.skipif(
    shutil.which("openssl") is None or shutil.which("ss") is None,
    reason="openssl and ss (iproute2) are needed",
)


def _cert(folder, names, days):
    key, crt = folder / "privkey.crt", folder / "cert.crt"
    san = ",".join(f"DNS:{n}" for n in names)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
         "-out", str(crt), "-days", str(days), "-subj", f"/CN={names[0]}",
         "-addext", f"subjectAltName={san}"],
        check=True, capture_output=True,
    )  # fmt: skip
    return crt, key


def _verify(tmp_path, crt, key, port, **values):
    rb = RUNBOOK.open(
        "local",
        journal=tmp_path / "journal",
        cert_file=str(crt),
        key_file=str(key),
        opensips_port=port,
        **values,
    )
    return {r.step_id: r for r in rb.verify().nodes[0].results}


@pytest.fixture
def listener():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_real_certificate_covering_every_name(tmp_path, listener):
    crt, key = _cert(tmp_path, ["asterisk.example.com", "*.example.com"], 90)
    os.chmod(key, 0o600)
    s = _verify(tmp_path, crt, key, listener)
    assert s["certificate"].status is Status.FAIL  # names fine, but Teams wants a public CA
    assert "covers all 2 names" in s["certificate"].reason
    assert "self-signed" in s["certificate"].reason
    assert s["key-private"].status is Status.PASS
    # a real listener owned by this Python process, not by opensips
    assert s["opensips-listens"].status is Status.FAIL
    assert "not ['opensips']" in s["opensips-listens"].reason


def test_real_certificate_missing_a_name_and_a_readable_key(tmp_path, listener):
    crt, key = _cert(tmp_path, ["asterisk.example.com"], 90)
    os.chmod(key, 0o644)
    s = _verify(
        tmp_path, crt, key, listener, certificate_names="asterisk.example.com,teams1.example.com"
    )
    assert s["certificate"].status is Status.FAIL
    assert "teams1.example.com" in s["certificate"].reason
    assert s["key-private"].status is Status.FAIL and "chmod 600" in s["key-private"].reason


def test_certificate_close_to_expiry_warns(tmp_path, listener):
    names = ["asterisk.example.com", "opensips.example.com", "teams1.example.com"]
    crt, key = _cert(tmp_path, names, 5)
    s = _verify(tmp_path, crt, key, listener)
    assert "(4 days)" in s["certificate"].reason
