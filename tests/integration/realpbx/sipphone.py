"""A minimal SIP phone for the real PBX: REGISTER over UDP with digest authentication.

Enough for a registration to show up in ``pjsip show contacts`` (and to go away again with
``Expires: 0``); no calls, no subscriptions. Asterisk challenges the first REGISTER with 401 and
a ``WWW-Authenticate: Digest`` header (MD5, ``qop="auth"``); the second one carries the answer.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import socket
import time
from dataclasses import dataclass

_STATUS = re.compile(r"^SIP/2\.0 (\d{3}) ")


class SipError(RuntimeError):
    """The PBX did not accept what the phone sent."""


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # SIP digest authentication is MD5


def _challenge(response: str) -> dict[str, str]:
    header = next(
        (ln for ln in response.split("\r\n") if ln.lower().startswith("www-authenticate:")), ""
    )
    if not header:
        raise SipError(f"401 without WWW-Authenticate: {response[:300]!r}")
    return dict(re.findall(r'(\w+)="?([^",]*)"?', header.split(":", 1)[1]))


@dataclass
class SipPhone:
    """A phone registering ``user`` (``100-DEVEL``) with ``password`` to 127.0.0.1:``port``."""

    port: int
    user: str
    password: str

    def __post_init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(5)
        self.local_port = self.sock.getsockname()[1]
        self.call_id = secrets.token_hex(8)
        self.tag = secrets.token_hex(4)
        self.cseq = 0

    @property
    def contact(self) -> str:
        return f"sip:{self.user}@127.0.0.1:{self.local_port}"

    def _request(self, expires: int, auth: str = "") -> str:
        self.cseq += 1
        uri = f"sip:127.0.0.1:{self.port}"
        lines = [
            f"REGISTER {uri} SIP/2.0",
            f"Via: SIP/2.0/UDP 127.0.0.1:{self.local_port};branch=z9hG4bK{secrets.token_hex(6)}"
            ";rport",
            "Max-Forwards: 70",
            f"From: <sip:{self.user}@127.0.0.1>;tag={self.tag}",
            f"To: <sip:{self.user}@127.0.0.1>",
            f"Call-ID: {self.call_id}",
            f"CSeq: {self.cseq} REGISTER",
            f"Contact: <{self.contact}>",
            f"Expires: {expires}",
            "User-Agent: mirta-test-phone",
        ]
        if auth:
            lines.append(auth)
        self.sock.sendto(
            ("\r\n".join([*lines, "Content-Length: 0", "", ""])).encode(),
            (
                "127.0.0.1",
                self.port,
            ),
        )
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            data = self.sock.recv(65535).decode(errors="replace")
            m = _STATUS.match(data)
            if m and f"CSeq: {self.cseq} REGISTER" in data and m.group(1) != "100":
                return data
        raise SipError("no final answer to REGISTER")

    def _authorization(self, challenge: dict[str, str]) -> str:
        uri = f"sip:127.0.0.1:{self.port}"
        ha1 = _md5(f"{self.user}:{challenge['realm']}:{self.password}")
        ha2 = _md5(f"REGISTER:{uri}")
        fields = {
            "username": self.user,
            "realm": challenge["realm"],
            "nonce": challenge["nonce"],
            "uri": uri,
            "algorithm": "MD5",
        }
        if "auth" in challenge.get("qop", "").split(","):
            cnonce, nc = secrets.token_hex(8), "00000001"
            fields["response"] = _md5(f"{ha1}:{challenge['nonce']}:{nc}:{cnonce}:auth:{ha2}")
            fields.update(qop="auth", nc=nc, cnonce=cnonce)
        else:
            fields["response"] = _md5(f"{ha1}:{challenge['nonce']}:{ha2}")
        if "opaque" in challenge:
            fields["opaque"] = challenge["opaque"]
        unquoted = {"algorithm", "qop", "nc"}
        parts = [f"{k}={v}" if k in unquoted else f'{k}="{v}"' for k, v in fields.items()]
        return "Authorization: Digest " + ", ".join(parts)

    def register(self, expires: int = 300) -> None:
        """REGISTER (``expires=0``: unregister); SipError unless the PBX answers 200."""
        answer = self._request(expires)
        if answer.startswith("SIP/2.0 401"):
            answer = self._request(expires, self._authorization(_challenge(answer)))
        if not answer.startswith("SIP/2.0 200"):
            raise SipError(f"REGISTER {self.user}: {answer.splitlines()[0]}")

    def close(self) -> None:
        try:
            self.register(0)
        finally:
            self.sock.close()
