"""Real TLS servers for tests: cryptography-made certificates, `openssl s_server` on loopback."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

OPENSSL = shutil.which("openssl")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_chain(
    folder: Path,
    host: str,
    *,
    leaf_hash=hashes.SHA256,
    not_before: datetime = datetime(2024, 11, 20),
    not_after: datetime = datetime(2036, 1, 1),
    key_bits: int = 2048,
    ca_name: str = "Test Carrier CA",
) -> dict[str, Path]:
    """A CA and a leaf for ``host`` signed by it (leaf signature hash chosen); PEM files."""
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name(ca_name))
        .issuer_name(_name(ca_name))
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(datetime(2024, 1, 1))
        .not_valid_after(datetime(2034, 1, 1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_bits)
    pem = serialization.Encoding.PEM
    if leaf_hash is hashes.SHA1:  # cryptography refuses SHA-1 signatures: let `openssl ca` sign
        leaf = _openssl_ca_sign(folder, ca, ca_key, key, host, not_before, not_after)
    else:
        leaf = (
            x509.CertificateBuilder()
            .subject_name(_name(host))
            .issuer_name(ca.subject)
            .public_key(key.public_key())
            .serial_number(2)
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .sign(ca_key, leaf_hash())
        )
    files = {"ca": folder / "ca.pem", "cert": folder / "cert.pem", "key": folder / "key.pem"}
    files["ca"].write_bytes(ca.public_bytes(pem))
    files["cert"].write_bytes(leaf.public_bytes(pem))
    files["key"].write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return files


def _openssl_ca_sign(folder, ca, ca_key, key, host, not_before, not_after) -> x509.Certificate:
    pem = serialization.Encoding.PEM
    work = folder / "ca-work"
    work.mkdir()
    (work / "index.txt").write_text("")
    (work / "serial").write_text("02\n")
    (work / "ca.pem").write_bytes(ca.public_bytes(pem))
    (work / "ca.key").write_bytes(
        ca_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    csr = (
        x509.CertificateSigningRequestBuilder().subject_name(_name(host)).sign(key, hashes.SHA256())
    )
    (work / "leaf.csr").write_bytes(csr.public_bytes(pem))
    (work / "ca.cnf").write_text(
        "[ca]\ndefault_ca=x\n[x]\ndir=.\ndatabase=index.txt\nserial=serial\n"
        "new_certs_dir=.\npolicy=p\nunique_subject=no\ncopy_extensions=none\n"
        "[p]\ncommonName=supplied\n[ext]\nsubjectAltName=DNS:" + host + "\n"
    )
    subprocess.run(
        [
            OPENSSL,
            "ca",
            "-batch",
            "-notext",
            "-config",
            "ca.cnf",
            "-md",
            "sha1",
            "-cert",
            "ca.pem",
            "-keyfile",
            "ca.key",
            "-in",
            "leaf.csr",
            "-out",
            "leaf.pem",
            "-extensions",
            "ext",
            "-startdate",
            not_before.strftime("%Y%m%d%H%M%SZ"),
            "-enddate",
            not_after.strftime("%Y%m%d%H%M%SZ"),
        ],
        cwd=work,
        check=True,
        capture_output=True,
    )
    return x509.load_pem_x509_certificate((work / "leaf.pem").read_bytes())


class SServer:
    """``openssl s_server`` on 127.0.0.1 with the given options; stop() ends it (by its pid)."""

    def __init__(self, files: dict[str, Path], *options: str) -> None:
        self.port = free_port()
        argv = [
            OPENSSL,
            "s_server",
            "-accept",
            f"127.0.0.1:{self.port}",
            "-cert",
            str(files["cert"]),
            "-key",
            str(files["key"]),
            "-cert_chain",
            str(files["ca"]),
            "-quiet",
            "-naccept",
            "1000",
            *options,
        ]
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"s_server exited: {self.proc.stderr.read().decode()[:500]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("s_server did not start listening")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc.stderr:
            self.proc.stderr.close()
