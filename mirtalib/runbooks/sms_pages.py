"""What the four SMS pages (19-22) share: parameters, the loopback rehearsal and the checks.

Inbound SMS reaches a DID through an HTTP request the provider makes to the PBX web interface.
Each page's runbook: the URL to give the provider (checked), the DID's field names for that
provider (from :mod:`mirtalib.sms.mapping`), a synthetic provider request sent to a local
endpoint and parsed the way the DID would (:mod:`mirtalib.sms.endpoint`), the node's web server
answering the inbound page, the provider account's credentials present (by env-var NAME only,
never shown), and the manual steps at the provider and in MiRTA.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from mirtalib.errors import ParameterError
from mirtalib.runbook import Check, Manual, Param, Phase, Step, Verdict, Verification
from mirtalib.secrets import resolve_secret
from mirtalib.sms import build_inbound_url, provider, try_provider
from mirtalib.validate import cmd

DEMO_WEB_BASE = "https://pbx.demo.mirta.example/pbx"
SMS_PAGE = "sms.php"  # assumed: the page name is lost in the seed; read it in the DID's SMS help


def _number(name: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        text = str(value).strip()
        if not re.fullmatch(r"\+?\d{6,15}", text):
            raise ParameterError(
                f"parameter {name}={value!r} is not a phone number (6-15 digits, optional +)"
            )
        return text

    return check


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 918:
        raise ParameterError("parameter text must be 1-918 characters (6 SMS segments at most)")
    return value


def _page(value: Any) -> str:
    build_inbound_url(DEMO_WEB_BASE, str(value))  # raises ParameterError naming sms_page
    return str(value)


def common_params(providers: tuple[str, ...], did: str, sender: str) -> tuple[Param, ...]:
    """Parameters every SMS page has (provider choice first)."""
    return (
        Param("provider", providers[0], "provider and API version", choices=providers),
        Param(
            "web_base",
            DEMO_WEB_BASE,
            "public base URL of the PBX web interface",
            check=lambda v: build_inbound_url(v, SMS_PAGE) and v,
        ),
        Param("sms_page", SMS_PAGE, "inbound SMS page under web_base (assumed name)", check=_page),
        Param(
            "did", did, "DID number receiving SMS (as the provider writes it)", check=_number("did")
        ),
        Param("sender", sender, "sender of the synthetic test message", check=_number("sender")),
        Param(
            "text", "Test message from the runbook", "text of the synthetic message", check=_text
        ),
    )


def credential_params(names: dict[str, str]) -> tuple[Param, ...]:
    """One ``<role>_env`` parameter per provider credential (the NAME of an env var)."""
    return tuple(
        Param(
            f"{role}_env",
            env,
            f"env var holding the provider's {role.replace('_', ' ')}",
            kind="env_var",
            secret_ref=True,
        )
        for role, env in names.items()
    )


def loopback_expect(did: str) -> Callable[[dict], tuple[Verdict, str]]:
    """Pass when the synthetic request parses without problems and lands on ``did``."""

    def expect(sms: dict) -> tuple[Verdict, str]:
        if sms["problems"]:
            return Verdict.FAIL, "; ".join(sms["problems"])
        want = re.sub(r"\D", "", did)
        if sms["did"] != want:
            return Verdict.FAIL, f"request addressed to {sms['did']}, DID is {want}"
        extra = f", all destinations: {sms['SMSALLDESTS']}" if sms["SMSALLDESTS"] else ""
        extra += f", media: {sms['media']}" if sms["media"] else ""
        return Verdict.PASS, (
            f"DID {sms['did']} sees from={sms['from']} text={sms['text']!r}{extra}"
        )

    return expect


def web_answers(code: str) -> tuple[Verdict, str]:
    """Expectation on ``curl -w %{http_code}``: 2xx pass, 401/403/405 warn, else fail."""
    text = code.strip()
    if text.startswith("2"):
        return Verdict.PASS, f"the inbound page answers HTTP {text}"
    if text in {"401", "403", "405"}:
        return Verdict.WARN, f"HTTP {text}: the page exists but refuses this probe"
    return Verdict.FAIL, f"HTTP {text or 'no answer'}: the provider's requests would fail"


def credential_check(v: dict[str, Any], roles: tuple[str, ...], name: str) -> Check:
    """A check that each credential env var is set (values never read into the output)."""

    def probe(_target: Any) -> str:
        states = []
        for role in roles:
            env = v[f"{role}_env"]
            states.append(f"{env}={'set' if resolve_secret(env, required=False) else 'unset'}")
        return " ".join(states)

    def expect(text: str) -> tuple[Verdict, str]:
        unset = [p.split("=")[0] for p in text.split() if p.endswith("=unset")]
        if unset:
            return Verdict.WARN, (
                f"not set here: {', '.join(unset)} (needed only to paste the {name} "
                "credentials into MiRTA from this machine)"
            )
        return Verdict.PASS, "every credential is available by name"

    return Check(
        id="credentials",
        title=f"{name} credentials available by env-var name",
        phase=Phase.BEFORE,
        probe=probe,
        expect=expect,
    )


def sms_steps(v: dict[str, Any], manual: list[Manual], media_url: str = "") -> list[Step]:
    """The shared checks around the page's own manual steps."""
    prov = provider(v["provider"])
    url = build_inbound_url(v["web_base"], v["sms_page"])
    extra = ("+15550000002",) if prov.all_dests else ()

    def loopback(_target: Any) -> str:
        _request, sms = try_provider(
            prov, v["sender"], v["did"], v["text"], extra_to=extra, media_url=media_url
        )
        return json.dumps(sms.as_dict())

    return [
        Manual(
            id="inbound-url",
            title="Callback URL for the provider",
            phase=Phase.BEFORE,
            where=f"{prov.name} application",
            detail=url.url + (" (" + "; ".join(url.advice) + ")" if url.advice else ""),
        ),
        Check(
            id="loopback-request",
            title=f"Synthetic {prov.name} request parsed like the DID",
            phase=Phase.BEFORE,
            probe=loopback,
            parse=json.loads,
            expect=loopback_expect(v["did"]),
        ),
        *manual,
        Check(
            id="inbound-page",
            title="The node's web server answers the inbound SMS page",
            command=cmd(
                "curl", "-sS", "-o", "/dev/null", "--max-time", "10", "-w", "%{http_code}", url.url
            ),
            expect=web_answers,
        ),
    ]


def did_manual(prov_key: str) -> Manual:
    """The DID's SMS section for ``prov_key``, field by field."""
    prov = provider(prov_key)
    fields = ", ".join(f"{role}={path}" for role, path in prov.fields.items())
    detail = f"protocol HTTP {prov.method}; fields {fields}"
    if prov.all_dests:
        detail += (
            f"; for group messages put {prov.all_dests} in the 'to' field: every "
            "destination is then in ${SMSALLDESTS}"
        )
    return Manual(
        id="did-sms", title="DID: receive SMS over HTTP", where="MiRTA DID > SMS", detail=detail
    )


VERIFICATION = Verification(
    mirta_page="Send a real SMS to the DID: it appears where the DID delivers SMS (extension, "
    "e-mail or flow), with the right sender.",
    asterisk_log="The web server's access log shows the provider's request with HTTP 200; the "
    "Asterisk log shows the message routed to the DID's destination.",
    status_menu="Status menu: the SMS/message log lists the inbound message.",
)
