"""Credentials go only over https with a verified certificate, and never to another host on a
redirect: page 24 (RPS POST), page 34 (Watson probe) and the shared client, against real HTTPS
servers on loopback (a CA made by the test), each recording the Authorization header it got."""

from __future__ import annotations

import base64
import json
import urllib.request
import xmlrpc.client

import pytest

from mirtalib.errors import DataSourceError, ParameterError
from mirtalib.net.credhttp import RedirectRefused, open_with_credentials
from mirtalib.runbook.model import validate_values
from mirtalib.runbooks import (
    p24_integrating_with_yealink_redirection_and_provisioning_service_rps as p24,
)
from mirtalib.runbooks import (
    p34_text_to_speech_and_speech_to_text_services_with_ibm_bluemix as p34,
)

from .https_loopback import Recording, make_ca, serve

CANARY = "canary-cred-8d1e5b20"
ENV = "MIRTA_TEST_CRED_PASSWORD"


class _Answer(Recording):
    def answer(self):
        if self.command == "POST":
            body = xmlrpc.client.dumps(({"ret": True},), methodresponse=True).encode()
            self.send_body(200, body, "text/xml")
        else:
            self.send_body(200, json.dumps({"models": [{"name": "it-IT"}]}).encode())


def _redirecting(location: str, code: int = 302):
    class _Redirect(Recording):
        def answer(self):
            if self.path.startswith("/moved"):
                _Answer.answer(self)
            else:
                self.redirect(code, location)

    return _Redirect


@pytest.fixture
def pki(tmp_path):
    return make_ca(tmp_path)


@pytest.fixture(autouse=True)
def _secret(monkeypatch):
    monkeypatch.setenv(ENV, CANARY)


def _auths(server) -> list[str | None]:
    return [auth for _method, _path, auth in server.seen]


def test_rps_post_over_verified_https(pki):
    with serve(_Answer, pki) as rps:
        req = p24.register_request("805ec01a2b01", "srv", url=f"{rps.base}/xmlrpc")
        assert p24.send(req, "u", ENV, timeout=5, cafile=str(pki["ca"])) == {"ret": True}
    assert base64.b64decode(_auths(rps)[0].split()[1]).decode() == f"u:{CANARY}"


def test_rps_refuses_http_before_reading_the_password(pki, monkeypatch):
    monkeypatch.delenv(ENV)  # a SecretError would mean the password was looked up first
    with serve(_Answer, None) as plain:
        req = p24.register_request("805ec01a2b01", "srv", url=f"{plain.base}/xmlrpc")
        with pytest.raises(ParameterError, match=r"rps_url=.*only over https://"):
            p24.send(req, "u", ENV, timeout=5)
    assert plain.seen == []
    with pytest.raises(ParameterError, match="https"):
        validate_values(p24.PARAMS, {"rps_url": "http://rps.example.com/xmlrpc"})


def test_rps_refuses_an_unverified_certificate(pki):
    with serve(_Answer, pki) as rps:
        req = p24.register_request("805ec01a2b01", "srv", url=f"{rps.base}/xmlrpc")
        with pytest.raises(DataSourceError, match="CERTIFICATE_VERIFY_FAILED"):
            p24.send(req, "u", ENV, timeout=5)  # system store: the test CA is not in it
    assert rps.seen == []


@pytest.mark.parametrize("code", [301, 302, 307, 308])
def test_rps_redirect_to_another_host_is_not_followed(pki, code):
    with serve(_Answer, pki, host="127.0.0.1") as other:
        with serve(_redirecting(f"{other.base}/moved", code), pki, host="localhost") as rps:
            req = p24.register_request("805ec01a2b01", "srv", url=f"{rps.base}/xmlrpc")
            with pytest.raises(DataSourceError, match="another origin") as err:
                p24.send(req, "u", ENV, timeout=5, cafile=str(pki["ca"]))
    assert len(rps.seen) == 1 and _auths(rps)[0] is not None  # the named host got it ...
    assert other.seen == []  # ... the other one nothing at all
    assert CANARY not in str(err.value)


def test_probe_follows_a_same_origin_redirect_with_the_key(pki):
    with serve(_redirecting("/moved/v1/models"), pki, host="localhost") as watson:
        out = p34.parse_probe(
            p34.http_probe(f"{watson.base}/v1/models", ENV, timeout=5, cafile=str(pki["ca"]))
        )
    assert out == {"items": 1, "reason": "listing read", "status": 200}
    assert [path for _m, path, _a in watson.seen] == ["/v1/models", "/moved/v1/models"]
    assert all(auth and auth.startswith("Basic ") for auth in _auths(watson))


@pytest.mark.parametrize("target", ["other-host", "other-port", "plain-http"])
def test_probe_redirect_to_another_origin_sends_nothing_there(pki, target):
    with (
        serve(_Answer, None if target == "plain-http" else pki, host="127.0.0.1") as other,
        serve(_Answer, pki, host="localhost") as same_host,
    ):
        dest = {
            "other-host": f"{other.base}/moved",
            "other-port": f"{same_host.base}/moved",
            "plain-http": f"{other.base}/moved",
        }[target]
        with serve(_redirecting(dest), pki, host="localhost") as watson:
            out = p34.parse_probe(
                p34.http_probe(f"{watson.base}/v1/models", ENV, timeout=5, cafile=str(pki["ca"]))
            )
    assert out["status"] == 0 and "redirected to another host" in out["reason"]
    assert other.seen == [] and same_host.seen == []


def test_probe_refuses_http(pki):
    with serve(_Answer, None) as plain:
        with pytest.raises(ParameterError, match="probe_url"):
            p34.http_probe(f"{plain.base}/v1/models", ENV, timeout=5)
    assert plain.seen == []


def test_client_refuses_http_and_keeps_verification_on(pki):
    req = urllib.request.Request("http://127.0.0.1:9/x", headers={"Authorization": "Basic x"})
    with pytest.raises(ParameterError, match="only over https"):
        open_with_credentials(req, name="url", timeout=2)
    assert issubclass(RedirectRefused, DataSourceError)
