"""Seed page 34, *Text to Speech and Speech to Text with IBM Bluemix* (IBM Watson, IBM Cloud).

MiRTA's Voice Synthesizer section (Admin/Settings and Configuration/Settings) takes, per service,
the endpoint URL, a user name and a password. IBM now issues only an API key: the user name is
the literal ``apikey`` and the key is the password (the page warns not to swap them). The old
shared host ``stream.watsonplatform.net`` is gone; each service instance has its own URL
``https://api.{location}.{offering}.watson.cloud.ibm.com/instances/{id}`` and MiRTA wants the
full method URL (``/v1/recognize`` for Speech to Text, ``/v1/synthesize`` for Text to Speech).

This runbook validates both URLs (:func:`watson_url`: urllib.parse + a regex; a wrong offering,
the old host, a missing instance id or method are refused with the fix), keeps each API key in an
environment variable *named* by a parameter, and optionally (``probe_api``) asks each instance a
read-only question with HTTP basic auth ``apikey:<key>``: ``GET .../v1/models`` (STT) or
``.../v1/voices`` (TTS), from this machine. The probe reports only the status and a count, never
the key, headers or body.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import re
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from mirtalib import validate
from mirtalib.errors import ParameterError, ParseError
from mirtalib.net import here_or_recorded
from mirtalib.net.credhttp import RedirectRefused, open_with_credentials
from mirtalib.runbook import Check, Manual, Param, Phase, RunbookDef, Step, Verdict, Verification
from mirtalib.secrets import resolve_secret, scrub

USER = "apikey"  # the user name IBM expects with an API key
OLD_HOST = "stream.watsonplatform.net"
SERVICES = {
    "speech-to-text": ("recognize", "models"),
    "text-to-speech": ("synthesize", "voices"),
}
_HOST = re.compile(
    r"^api\.(?P<location>[a-z]+(?:-[a-z]+)*(?:-\d+)?)\.(?P<offering>[a-z-]+)"
    r"\.watson\.cloud\.ibm\.com$"
)
_PATH = re.compile(r"^/instances/(?P<instance>[^/]+)(?P<rest>/v1/(?P<method>[a-z]+))?$")

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)


@dataclasses.dataclass(frozen=True)
class WatsonUrl:
    """A validated Watson endpoint.

    Attributes:
        url: as given; location (``us-east``); offering (``speech-to-text``); instance: its id.
        method: ``recognize`` / ``synthesize``.
    """

    url: str
    location: str
    offering: str
    instance: str
    method: str

    @property
    def instance_url(self) -> str:
        """``https://api.LOC.OFFERING.watson.cloud.ibm.com/instances/ID``."""
        return self.url.split("/v1/", 1)[0]

    @property
    def probe_url(self) -> str:
        """The read-only listing of the service (``/v1/models`` or ``/v1/voices``)."""
        return f"{self.instance_url}/v1/{SERVICES[self.offering][1]}"


def watson_url(value: Any, offering: str, name: str) -> WatsonUrl:
    """Validate a MiRTA Watson endpoint for ``offering`` (ParameterError naming ``name``)."""
    text = validate.url(value, name, schemes=("https",))
    parts = urlsplit(text)
    host = (parts.hostname or "").lower()
    method = SERVICES[offering][0]
    example = f"https://api.us-east.{offering}.watson.cloud.ibm.com/instances/<id>/v1/{method}"
    if host.endswith(OLD_HOST) or host.endswith("watsonplatform.net"):
        raise ParameterError(
            f"{name}: {host} was shut down by IBM; use the instance URL from cloud.ibm.com "
            f"(like {example})"
        )
    m = _HOST.match(host)
    if not m:
        raise ParameterError(
            f"{name}={value!r}: the host must be api.<location>.<offering>.watson.cloud.ibm.com"
        )
    if m.group("offering") != offering:
        raise ParameterError(
            f"{name}: host is for {m.group('offering')!r}, this field needs {offering!r}"
        )
    if parts.port not in (None, 443) or parts.query or parts.fragment:
        raise ParameterError(f"{name}={value!r}: no port, query or fragment expected")
    p = _PATH.match(parts.path.rstrip("/"))
    if not p:
        raise ParameterError(f"{name}={value!r}: the path must be /instances/<id>/v1/{method}")
    if not _UUID.match(p.group("instance")):
        raise ParameterError(
            f"{name}: instance id {p.group('instance')!r} is not a UUID (8-4-4-4-12 hex digits); "
            "copy the URL again from the service's credentials"
        )
    if p.group("method") != method:
        raise ParameterError(
            f"{name}={value!r}: MiRTA needs the full method URL ending /v1/{method} ({example})"
        )
    return WatsonUrl(text, m.group("location"), offering, p.group("instance"), method)


def _stt(value: Any) -> str:
    return watson_url(value, "speech-to-text", "stt_url").url


def _tts(value: Any) -> str:
    return watson_url(value, "text-to-speech", "tts_url").url


def _user(value: str) -> str:
    if value != USER:
        raise ParameterError(
            f"api_user={value!r}: with an IBM API key the user name is the literal {USER!r} "
            "and the key is the password (do not swap them)"
        )
    return value


def http_probe(
    url: str, secret_env: str, *, timeout: float = 10.0, cafile: str | None = None
) -> str:
    """GET ``url`` with basic auth ``apikey:<secret>``; JSON ``{status, reason, items}`` only.

    The secret is resolved here (registered with the scrubber) and never returned: the result
    carries the HTTP status, a short reason and how many items the listing had. The key goes only
    over https with the certificate verified (``cafile``: CA bundle, else the system store), never
    to another host on a redirect (:func:`mirtalib.net.credhttp.open_with_credentials`).
    """
    url = validate.url(url, "probe_url", schemes=("https",))
    key = resolve_secret(secret_env)
    token = base64.b64encode(f"{USER}:{key}".encode()).decode()
    headers = {"Authorization": f"Basic {token}"}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - https only
    out: dict[str, Any] = {"status": 0, "reason": "", "items": None}
    try:
        with open_with_credentials(
            request, name="probe_url", timeout=timeout, cafile=cafile
        ) as resp:
            out["status"] = resp.status
            body = resp.read(1_000_000)
        try:
            data = json.loads(body)
            lists = (
                [v for v in data.values() if isinstance(v, list)] if isinstance(data, dict) else []
            )
            out["items"] = len(lists[0]) if lists else None
            out["reason"] = "listing read"
        except (ValueError, UnicodeDecodeError):
            out["reason"] = "answer is not JSON"
    except RedirectRefused:
        out["reason"] = "redirected to another host: not followed, the key stays unsent"
    except urllib.error.HTTPError as exc:
        out["status"], out["reason"] = exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        out["reason"] = f"no connection: {type(reason).__name__}"
    return scrub(json.dumps(out, sort_keys=True))


def parse_probe(text: str) -> dict[str, Any]:
    """Inverse of :func:`http_probe` (ParseError on anything else)."""
    try:
        data = json.loads(text)
        int(data["status"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ParseError(f"Watson probe output not understood: {exc}") from None
    return data


def probe_expect(what: str):
    """200: pass; 401/403: the key is wrong or swapped; 404: wrong instance; else fail."""

    def expect(data: dict[str, Any]) -> tuple[Verdict, str]:
        status = int(data["status"])
        if status == 200:
            return Verdict.PASS, f"{what}: HTTP 200, {data.get('items')} item(s) listed"
        hints = {
            401: "the API key is refused (user must be 'apikey', the key the password)",
            403: "the key has no access to this instance",
            404: "no such instance at this URL (copy it again from cloud.ibm.com/resources)",
            0: f"no answer ({data.get('reason')})",
        }
        return Verdict.FAIL, f"{what}: {hints.get(status, data.get('reason') or status)}"

    return expect


PARAMS = (
    Param(
        "stt_url",
        "https://api.us-east.speech-to-text.watson.cloud.ibm.com/instances/"
        "82baccdd-45ee-46ff-ba1a-3cd23425b3c1/v1/recognize",
        "Speech to Text endpoint",
        check=_stt,
    ),
    Param(
        "tts_url",
        "https://api.us-east.text-to-speech.watson.cloud.ibm.com/instances/"
        "7615166e-9aee-42db-71e8-52fd6fa5058f/v1/synthesize",
        "Text to Speech endpoint",
        check=_tts,
    ),
    Param("api_user", USER, "user name field in MiRTA: always apikey", check=_user),
    Param(
        "stt_key_env",
        "MIRTA_WATSON_STT_APIKEY",
        "NAME of the env var with the Speech to Text key",
        kind="env_var",
        secret_ref=True,
    ),
    Param(
        "tts_key_env",
        "MIRTA_WATSON_TTS_APIKEY",
        "NAME of the env var with the Text to Speech key",
        kind="env_var",
        secret_ref=True,
    ),
    Param("probe_api", True, "verify: GET models/voices with the key, from this machine"),
    Param("timeout", 10.0, "probe timeout in seconds", between=(1.0, 60.0)),
)


def _key_set(env: str) -> Check:
    return Check(
        id=f"key-{env.lower().replace('_', '-')}"[:60],
        title=f"API key available in {env}",
        phase=Phase.BEFORE,
        probe=lambda _t: "set" if resolve_secret(env, required=False) else "unset",
        expect=lambda s: (
            (Verdict.PASS, f"{env} is set (value never shown)")
            if s == "set"
            else (Verdict.WARN, f"{env} is not set here: export it before pasting into MiRTA")
        ),
    )


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 34 for validated parameter values ``v``."""
    stt = watson_url(v["stt_url"], "speech-to-text", "stt_url")
    tts = watson_url(v["tts_url"], "text-to-speech", "tts_url")
    steps: list[Step] = [
        Manual(
            id="services",
            title="Both services exist in IBM Cloud",
            phase=Phase.BEFORE,
            where="https://cloud.ibm.com/resources",
            detail="Speech to Text and Text to Speech instances; for each, Manage > Credentials "
            "gives the API key and the URL (location "
            f"{stt.location} / {tts.location}). Put each key in its env var, never in a notebook.",
        ),
        _key_set(v["stt_key_env"]),
        _key_set(v["tts_key_env"]),
    ]
    for key, w, env in (("stt", stt, v["stt_key_env"]), ("tts", tts, v["tts_key_env"])):
        steps.append(
            Manual(
                id=f"mirta-{key}",
                title=f"Enter the {w.offering} credentials in MiRTA",
                where="MiRTA Admin/Settings and Configuration/Settings > Voice Synthesizer",
                detail=f"endpoint {w.url}; user name {v['api_user']}; password: the key in ${env}",
            )
        )
    if v["probe_api"]:
        for key, w, env in (("stt", stt, v["stt_key_env"]), ("tts", tts, v["tts_key_env"])):
            steps.append(
                Check(
                    id=f"probe-{key}",
                    title=f"{w.offering} answers the key (GET {w.probe_url.rsplit('/', 1)[1]})",
                    probe=here_or_recorded(
                        f"p34-{key}",
                        lambda w=w, env=env: http_probe(w.probe_url, env, timeout=v["timeout"]),
                    ),
                    parse=parse_probe,
                    expect=probe_expect(w.offering),
                )
            )
    return steps


RUNBOOK = RunbookDef(
    page=34,
    slug="text-to-speech-and-speech-to-text-services-with-ibm-bluemix",
    title="Text to Speech and Speech to Text services with IBM Bluemix",
    scope="node",
    roles=("pbx",),
    params=PARAMS,
    build=build,
    summary="Watson endpoint URLs validated, 'apikey' user, keys by env-var name, read-only probe",
    verification=Verification(
        mirta_page="Voice Synthesizer: play a text-to-speech sample; leave a voicemail with "
        "transcription on a test extension and read the text.",
        asterisk_log="/var/log/asterisk/full: no HTTP 401/404 from watson.cloud.ibm.com in the "
        "TTS/STT AGI lines.",
        status_menu="Status menu: the node is up.",
    ),
)
