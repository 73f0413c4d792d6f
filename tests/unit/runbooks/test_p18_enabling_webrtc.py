"""Page 18 (WebRTC) on the recorded demo node: certificate judgement, conf lines, parsers."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))  # install_replays.py, next to this file
from install_replays import isolated, key_pem, make_cert, pem

from mirtalib.asterisk.http import parse_http_status
from mirtalib.errors import ParameterError, ParseError
from mirtalib.runbook import Status, Verdict, rehearse
from mirtalib.runbooks import get
from mirtalib.runbooks.installs import cert_expect, cert_probe, parse_cert_probe
from mirtalib.runbooks.p18_enabling_webrtc import RUNBOOK, http_values, sip_values

NAME = "srv01.pbx.example.net"
STATUS = """HTTP Server Status:
Prefix:
Server: Asterisk/16.30.0
Server Enabled and Bound to 127.0.0.1:8088

HTTPS Server Enabled and Bound to 0.0.0.0:8089

Enabled URI's:
/httpstatus => Asterisk HTTP General Status
/ws => Asterisk HTTP WebSocket

Enabled Redirects:
  None.
"""


@pytest.fixture
def rb(tmp_path):
    (tmp_path / "r").mkdir()
    runbook = RUNBOOK.open(
        "replay:srv01", journal=tmp_path / "j", target_options=isolated(tmp_path / "r")
    )
    yield runbook
    runbook.close()


def _steps(report):
    return {r.step_id: r for r in report.nodes[0].results}


def test_plan_and_rehearsal(rb):
    assert get(18) is RUNBOOK
    s = _steps(rb.plan())
    assert s["certificate"].status is Status.PASS and "in 46 days" in s["certificate"].reason
    assert s["private-key"].status is Status.PASS
    assert "+tlsbindaddr=0.0.0.0:8089" in s["http-conf"].diff
    assert "-bindaddr=0.0.0.0\n+bindaddr=127.0.0.1" in s["http-conf"].diff
    assert "+transport=udp,tcp,tls,ws,wss" in s["sip-conf"].diff
    r = rehearse(rb)
    assert r.idempotent
    rb.apply(confirm=True)
    checks = {x.step_id: x for x in rb.verify().nodes[0].results if x.kind == "check"}
    assert checks["http-status"].status is Status.PASS
    assert checks["tls-listener"].status is Status.PASS
    assert "TLSv1.3" in checks["tls-listener"].reason
    assert checks["ws-upgrade"].status is Status.PASS
    assert checks["wss-upgrade"].status is Status.PASS


def test_before_apply_the_wss_probe_fails(rb):
    checks = {x.step_id: x for x in rb.verify().nodes[0].results if x.kind == "check"}
    assert checks["wss-upgrade"].status is Status.FAIL
    assert "ConnectionRefusedError" in checks["wss-upgrade"].reason
    assert checks["tls-listener"].status is Status.FAIL
    assert checks["http-status"].status is Status.FAIL


class _Files:
    def __init__(self, files, now):
        self.files, self.clock = files, now

    def read_bytes(self, path):
        return self.files.get(path)

    def now(self):
        return self.clock


def _judge(data: bytes | None, names=(NAME,), need_key=False, now=datetime(2026, 11, 2)):
    target = _Files({} if data is None else {"/c.pem": data}, now)
    value = parse_cert_probe(cert_probe("/c.pem")(target))
    return cert_expect(list(names), 21, need_key=need_key)(value)


def test_certificate_judgement():
    ca = make_cert(["Test CA"], datetime(2025, 1, 1), datetime(2030, 1, 1), is_ca=True)
    good, key = make_cert([NAME], datetime(2026, 10, 1), datetime(2027, 1, 1), ca=ca)
    assert _judge(pem(good))[0] is Verdict.PASS
    assert _judge(pem(good) + key_pem(key), need_key=True)[0] is Verdict.PASS
    verdict, why = _judge(pem(good), need_key=True)
    assert verdict is Verdict.FAIL and "no private key" in why
    verdict, why = _judge(pem(good), names=("other.example.net",))
    assert verdict is Verdict.FAIL and "does not cover other.example.net" in why
    soon, _ = make_cert([NAME], datetime(2026, 8, 1), datetime(2026, 11, 12), ca=ca)
    assert _judge(pem(soon))[0] is Verdict.WARN
    old, _ = make_cert([NAME], datetime(2026, 1, 1), datetime(2026, 10, 1), ca=ca)
    verdict, why = _judge(pem(old))
    assert verdict is Verdict.FAIL and "expired" in why
    selfsigned, _ = make_cert([NAME], datetime(2026, 10, 1), datetime(2027, 10, 1))
    verdict, why = _judge(pem(selfsigned))
    assert verdict is Verdict.FAIL and "self-signed" in why
    wildcard, _ = make_cert(
        ["*.pbx.example.net"], datetime(2026, 10, 1), datetime(2027, 1, 1), ca=ca
    )
    assert _judge(pem(wildcard))[0] is Verdict.PASS
    assert _judge(None)[0] is Verdict.FAIL
    with pytest.raises(ParseError):
        _judge(b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")


def test_conf_values_follow_parameters():
    v = RUNBOOK.validate({"key_file": "", "dtls": False, "http_bindaddr": "0.0.0.0"})
    assert "tlsprivatekey" not in http_values(v)
    assert http_values(v)["bindaddr"] == "0.0.0.0"
    assert set(sip_values(v)) == {"transport", "realm"}


@pytest.mark.parametrize(
    ("name", "value", "match"),
    [
        ("sip_transports", "udp,tcp", "including wss"),
        ("sip_transports", "udp,wss,smtp", "sip_transports"),
        ("tls_port", 99999, "tls_port"),
        ("server_name", "not a name", "server_name"),
        ("http_bindaddr", "localhost:80", "http_bindaddr"),
    ],
)
def test_bad_parameters(name, value, match):
    with pytest.raises(ParameterError, match=match):
        RUNBOOK.validate({name: value})


def test_http_status_parser():
    s = parse_http_status(STATUS)
    assert (s.http, s.https, s.port_of("https")) == ("127.0.0.1:8088", "0.0.0.0:8089", 8089)
    assert s.uris["/ws"] == "Asterisk HTTP WebSocket"
    off = parse_http_status("HTTP Server Status:\nPrefix: \nServer Disabled\n\n")
    assert (off.http, off.https, off.port_of("http")) == ("", "", None)
    with pytest.raises(ParseError, match="HTTP Server Status"):
        parse_http_status("No such command 'http show status'")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200).map(lambda t: "HTTP Server Status:\n" + t))
def test_http_status_fuzz(text):
    try:
        assert parse_http_status(text).uris is not None
    except ParseError:
        pass
