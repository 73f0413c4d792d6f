"""Shared pieces of the installation runbooks (pages 08, 09, 12, 15, 18).

* :func:`parse_tool_version`: ``node --version`` / ``npm --version`` / ``pm2 --version`` /
  ``gulp --version`` / ``certbot --version`` output -> the version found (None when the command
  printed nothing, i.e. the tool is missing: those checks accept exit code 127);
* :func:`version_at_least`: a check expectation on such a version;
* :func:`pem_certificates` / :func:`cert_probe` / :func:`cert_expect`: the certificates of a PEM
  file on the target read with :mod:`cryptography` (:func:`mirtalib.net.tlspolicy.cert_info`),
  judged on names, expiry (against the target's clock, so a replay is deterministic) and on being
  self-signed;
* :func:`os_probe`: ``/etc/os-release`` of the target (:mod:`mirtalib.asterisk.osrelease`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from mirtalib.asterisk.osrelease import OsRelease, parse_os_release
from mirtalib.errors import ParseError
from mirtalib.net.tlspolicy import CertInfo, cert_info
from mirtalib.runbook import Verdict

_VERSION = re.compile(r"v?(\d+(?:\.\d+)+)")
MISSING = 127  # exit code of a shell for a command that does not exist


def parse_tool_version(text: str) -> str | None:
    """First dotted version in the output (``v10.16.0`` -> ``10.16.0``); None on empty output.

    ``gulp --version`` prints ``CLI version: 2.3.0`` and ``Local version: 4.0.2``: the first (the
    CLI) is returned. ParseError when there is output but no version in it.
    """
    text = str(text).strip()
    if not text:
        return None
    m = _VERSION.search(text)
    if not m:
        raise ParseError(f"no version number in {text[:80]!r}")
    return m.group(1)


def _tuple(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def version_at_least(
    tool: str, minimum: str, *, missing: Verdict = Verdict.FAIL, hint: str = ""
) -> Callable[[str | None], tuple[Verdict, str]]:
    """Pass when the version is >= ``minimum``; ``missing`` verdict when the tool is absent."""

    def expect(version: str | None) -> tuple[Verdict, str]:
        if version is None:
            return missing, f"{tool} is not installed" + (f": {hint}" if hint else "")
        if _tuple(version) < _tuple(minimum):
            return Verdict.FAIL, f"{tool} {version} is older than {minimum}" + (
                f": {hint}" if hint else ""
            )
        return Verdict.PASS, f"{tool} {version} (>= {minimum})"

    return expect


def pem_certificates(data: bytes | str) -> list[CertInfo]:
    """Every certificate of a PEM bundle (leaf first, as written); ParseError when none."""
    raw = data.encode() if isinstance(data, str) else data
    try:
        certs = x509.load_pem_x509_certificates(raw)
    except ValueError as exc:
        raise ParseError(f"no PEM certificate: {exc}") from None
    return [cert_info(c.public_bytes(Encoding.DER)) for c in certs]


def has_private_key(data: bytes | str) -> bool:
    """True when a PEM text carries a private key block (never parsed, never shown)."""
    raw = data.encode() if isinstance(data, str) else data
    return b"PRIVATE KEY-----" in raw


def cert_probe(path: str) -> Callable[[Any], str]:
    """Probe: the PEM file's certificates and the target's clock as JSON (no key material)."""

    def probe(target: Any) -> str:
        data = target.read_bytes(path)
        out: dict[str, Any] = {"path": path, "now": target.now().isoformat(), "found": False}
        if data is not None:
            out.update(
                found=True,
                key=has_private_key(data),
                certs=[c.__dict__ for c in pem_certificates(data)]
                if b"CERTIFICATE" in data
                else [],
            )
        return json.dumps(out)

    return probe


class CertFile(dict):
    """A parsed :func:`cert_probe` (a dict) whose text form is one short line (evidence)."""

    def __repr__(self) -> str:
        certs = self.get("certs") or []
        if not self.get("found"):
            return f"{self['path']}: missing"
        names = ", ".join(f"{c.subject} until {c.not_after[:10]}" for c in certs)
        return f"{self['path']}: {len(certs)} certificate(s): {names or '-'}"

    __str__ = __repr__


def parse_cert_probe(text: str) -> CertFile:
    """Inverse of :func:`cert_probe`: certificates as :class:`CertInfo`, ``now`` as datetime."""
    try:
        data = json.loads(text)
        data["now"] = datetime.fromisoformat(data["now"])
        data["certs"] = [CertInfo(**{**c, "sans": tuple(c["sans"])}) for c in data.get("certs", [])]
    except (ValueError, KeyError, TypeError) as exc:
        raise ParseError(f"certificate probe output not understood: {exc}") from None
    return CertFile(data)


def name_matches(name: str, cert: CertInfo) -> bool:
    """True when ``name`` is covered by the certificate's DNS names (one-label wildcards)."""
    name = name.lower().rstrip(".")
    for san in cert.sans or (cert.subject,):
        san = san.lower().rstrip(".")
        if san == name:
            return True
        if san.startswith("*.") and "." in name and name.split(".", 1)[1] == san[2:]:
            return True
    return False


def cert_expect(
    names: Sequence[str],
    warn_days: int,
    fail_days: int = 0,
    *,
    need_key: bool = False,
    hint: str = "",
) -> Callable[[CertFile], tuple[Verdict, str]]:
    """Judge a parsed :func:`cert_probe`: present, names covered, not self-signed, days left."""

    def expect(value: CertFile) -> tuple[Verdict, str]:
        path = value["path"]
        if not value["found"]:
            return Verdict.FAIL, f"{path} does not exist" + (f": {hint}" if hint else "")
        if not value["certs"]:
            return Verdict.FAIL, f"{path} holds no certificate"
        leaf, now = value["certs"][0], value["now"]
        left = leaf.days_left(now)
        text = (
            f"{leaf.subject} (names {', '.join(leaf.sans) or '-'}; issuer {leaf.issuer}) "
            f"expires {leaf.not_after[:10]}, in {left} days"
        )
        problems = [f"does not cover {n}" for n in names if not name_matches(n, leaf)]
        if leaf.self_signed:
            problems.append("is self-signed (browsers and phones will refuse it)")
        if need_key and not value.get("key"):
            problems.append("has no private key in the same file (set the key file)")
        if left < fail_days or left < 0:
            return Verdict.FAIL, f"{text}; " + "; ".join(
                ["expired" if left < 0 else "expires too soon", *problems]
            )
        if problems:
            return Verdict.FAIL, f"{text}; " + "; ".join(problems)
        if left <= warn_days:
            return Verdict.WARN, f"{text}: renew soon (warning within {warn_days} days)"
        return Verdict.PASS, text

    return expect


def os_probe(target: Any) -> str:
    """Probe: the target's ``/etc/os-release`` ("" when missing)."""
    return target.read_text("/etc/os-release") or ""


def parse_os(text: str) -> OsRelease:
    """Parse the :func:`os_probe` text (ParseError when empty)."""
    return parse_os_release(text)
