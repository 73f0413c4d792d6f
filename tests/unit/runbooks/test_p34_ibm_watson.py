"""Page 34 (IBM Watson STT/TTS): URL validation, 'apikey' user, probe on a local server, no leak."""

from __future__ import annotations

import base64
import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mirtalib.errors import ParameterError, SecretError
from mirtalib.runbook import Status, Verdict
from mirtalib.runbooks import get
from mirtalib.runbooks import (
    p34_text_to_speech_and_speech_to_text_services_with_ibm_bluemix as p34,
)

from .https_loopback import make_ca
from .test_p27_upgrading_ioncube import isolated, steps_of

STT = (
    "https://api.us-east.speech-to-text.watson.cloud.ibm.com/instances/"
    "82baccdd-45ee-46ff-ba1a-3cd23425b3c1/v1/recognize"
)
TTS = (
    "https://api.eu-de.text-to-speech.watson.cloud.ibm.com/instances/"
    "7615166e-9aee-42db-71e8-52fd6fa5058f/v1/synthesize"
)
CANARY = "canary-WATSON-key-0c1d2e3f"


def test_valid_urls():
    w = p34.watson_url(STT, "speech-to-text", "stt_url")
    assert (w.location, w.offering, w.instance, w.method) == (
        "us-east",
        "speech-to-text",
        "82baccdd-45ee-46ff-ba1a-3cd23425b3c1",
        "recognize",
    )
    assert w.probe_url.endswith("/instances/82baccdd-45ee-46ff-ba1a-3cd23425b3c1/v1/models")
    t = p34.watson_url(TTS, "text-to-speech", "tts_url")
    assert t.location == "eu-de" and t.probe_url.endswith("/v1/voices")


@pytest.mark.parametrize(
    "url, offering, message",
    [
        ("https://stream.watsonplatform.net/speech-to-text/api", "speech-to-text", "shut down"),
        (STT.replace("https", "http"), "speech-to-text", "scheme"),
        (STT, "text-to-speech", "host is for 'speech-to-text'"),
        (STT.replace("/v1/recognize", ""), "speech-to-text", "full method URL"),
        (STT.replace("recognize", "synthesize"), "speech-to-text", "full method URL"),
        (STT.replace("3cd23425b3c1", "3cd23425b3c1f"), "speech-to-text", "not a UUID"),
        (STT.replace("api.us-east.", "api."), "speech-to-text", "api.<location>.<offering>"),
        (STT.replace("cloud.ibm.com", "cloud.ibm.com.evil.example"), "speech-to-text", "host"),
        (STT + "?x=1", "speech-to-text", "query"),
        (STT.replace("https://", "https://apikey:secret@"), "speech-to-text", "credentials"),
    ],
)
def test_bad_urls_are_refused_with_the_fix(url, offering, message):
    with pytest.raises(ParameterError, match=message):
        p34.watson_url(url, offering, "url")


def test_bad_parameters_of_the_runbook(tmp_path):
    opts = isolated(tmp_path, ("p34",))
    with pytest.raises(ParameterError, match="literal 'apikey'"):
        p34.RUNBOOK.open("replay:srv01", target_options=opts, api_user="admin").steps
    with pytest.raises(ParameterError, match="stt_key_env"):
        p34.RUNBOOK.open("replay:srv01", target_options=opts, stt_key_env="abc def!").steps
    with pytest.raises(ParameterError, match="timeout=0.5"):
        p34.RUNBOOK.open("replay:srv01", target_options=opts, timeout=0.5).steps
    with pytest.raises(ParameterError, match="tts_url"):
        p34.RUNBOOK.open("replay:srv01", target_options=opts, tts_url=STT).steps


class _Watson(BaseHTTPRequestHandler):
    """A stand-in Watson instance on loopback: checks basic auth, echoes it in error bodies."""

    key = CANARY

    def do_GET(self):
        auth = self.headers.get("Authorization", "")
        good = "Basic " + base64.b64encode(f"apikey:{self.key}".encode()).decode()
        if not self.path.startswith("/instances/82baccdd-45ee-46ff-ba1a-3cd23425b3c1/"):
            self._send(404, {"error": "Not Found", "echo": auth})
        elif auth != good:
            self._send(401, {"error": "Unauthorized", "echo": auth})
        elif self.path.endswith("/v1/models"):
            self._send(200, {"models": [{"name": "en-US"}, {"name": "it-IT"}], "echo": auth})
        else:
            self._send(200, {"voices": [{"name": "it-IT_FrancescaV3Voice"}]})

    def _send(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
    """A real HTTPS server on loopback (certificate from a CA the test makes and trusts)."""
    pki = make_ca(tmp_path)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Watson)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(pki["cert"], pki["key"])
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    _CA[0] = str(pki["ca"])
    yield f"https://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


_CA = [None]  # the CA bundle of the running test server


def _probe(base, path, env="MIRTA_TEST_WATSON_KEY"):
    return p34.http_probe(f"{base}{path}", env, timeout=5, cafile=_CA[0])


INSTANCE = "/instances/82baccdd-45ee-46ff-ba1a-3cd23425b3c1/v1/models"


def test_probe_with_the_right_key(server, monkeypatch):
    monkeypatch.setenv("MIRTA_TEST_WATSON_KEY", CANARY)
    out = _probe(server, INSTANCE)
    data = p34.parse_probe(out)
    assert data == {"items": 2, "reason": "listing read", "status": 200}
    assert p34.probe_expect("speech-to-text")(data)[0] is Verdict.PASS
    token = base64.b64encode(f"apikey:{CANARY}".encode()).decode()
    assert CANARY not in out and token not in out  # the server echoed it; the probe drops bodies


def test_probe_with_a_wrong_key_and_instance(server, monkeypatch):
    monkeypatch.setenv("MIRTA_TEST_WATSON_KEY", "not-the-key-123")
    out = _probe(server, INSTANCE)
    verdict, reason = p34.probe_expect("speech-to-text")(p34.parse_probe(out))
    assert verdict is Verdict.FAIL and "user must be 'apikey'" in reason
    assert "not-the-key-123" not in out
    monkeypatch.setenv("MIRTA_TEST_WATSON_KEY", CANARY)
    out = _probe(server, "/instances/00000000-0000-0000-0000-000000000000/v1/models")
    verdict, reason = p34.probe_expect("speech-to-text")(p34.parse_probe(out))
    assert verdict is Verdict.FAIL and "no such instance" in reason


def test_probe_without_server_or_secret(server, monkeypatch):
    monkeypatch.setenv("MIRTA_TEST_WATSON_KEY", CANARY)
    base = server
    port = int(base.rsplit(":", 1)[1])
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    assert closed != port
    out = _probe(f"https://127.0.0.1:{closed}", INSTANCE)
    verdict, reason = p34.probe_expect("speech-to-text")(p34.parse_probe(out))
    assert verdict is Verdict.FAIL and "no answer" in reason
    monkeypatch.delenv("MIRTA_TEST_WATSON_KEY")
    monkeypatch.setenv("MIRTA_DOTENV", "/nonexistent/.env")
    with pytest.raises(SecretError, match="MIRTA_TEST_WATSON_KEY is not set"):
        _probe(server, INSTANCE)


def test_registry_finds_page_34():
    assert get(34) is p34.RUNBOOK


def test_runbook_on_the_replay_never_shows_the_keys(tmp_path, monkeypatch):
    monkeypatch.setenv("MIRTA_WATSON_STT_APIKEY", CANARY)
    monkeypatch.setenv("MIRTA_WATSON_TTS_APIKEY", CANARY + "-tts")
    rb = p34.RUNBOOK.open(
        "replay:srv01", target_options=isolated(tmp_path, ("p34",)), journal=tmp_path / "j"
    )
    plan, verify = rb.plan(), rb.verify()
    s = steps_of(verify)
    assert s["probe-stt"].status is Status.PASS and "64 item(s)" in s["probe-stt"].reason
    assert s["probe-tts"].status is Status.PASS
    assert steps_of(plan)["key-mirta-watson-stt-apikey"].status is Status.PASS
    texts = [str(plan), str(verify)] + [
        p.read_text() for p in (tmp_path / "j").rglob("*") if p.is_file()
    ]
    assert texts[2:], "the runs were journaled"
    assert not any(CANARY in t for t in texts)
    assert any("MIRTA_WATSON_STT_APIKEY" in t for t in texts)


def test_probe_is_optional(tmp_path):
    rb = p34.RUNBOOK.open(
        "replay:srv01",
        target_options=isolated(tmp_path, ()),
        journal=tmp_path / "j",
        probe_api=False,
    )
    assert "probe-stt" not in {s.id for s in rb.steps}
    assert not rb.verify().failed
