"""Seed page 05, *Talking with ChatGPT*: speech to text over AEAP, the ChatGPT and Google keys.

The page needs three subscriptions (Google Speech-to-Text with a service account JSON file, an
OpenAI API key with credit, a Google Text-to-Speech API key) and prefers AEAP (the Asterisk
External Application Protocol, a websocket client of the speech service) over AGI:
``/etc/asterisk/aeap.conf`` gets a ``[my-speech-to-text]`` client with
``url=ws://127.0.0.1:9099`` and
``protocol=speech_to_text``; the page advises Asterisk 20.

What this runbook does:

* checks the Asterisk version (20 or later passes; AEAP speech exists from 18.x, so 18/19 warn;
  older fails) and that ``res_aeap`` and ``res_speech_aeap`` are running;
* renders ``aeap.conf`` (template ``templates/p05_aeap.conf.j2``) and reloads ``res_aeap`` only
  when it changed;
* writes the two API keys into the speech service's environment file from environment variables
  *named* by the parameters (apply only; plan and outputs show a mask), with the path of the
  service-account JSON, and checks that JSON file and the env file are private (mode 0600);
* verifies the speech service port and a websocket handshake with the ``speech_to_text``
  sub-protocol from the node.

Assumption stated: the key names in the env file (``OPENAI_API_KEY``, ``GOOGLE_TTS_API_KEY``,
``GOOGLE_APPLICATION_CREDENTIALS``) are the conventional ones of the OpenAI and Google client
libraries; compare them with the service's sample file. The page prints an example Google API key:
it is a format sample, never something to reuse.
"""

from __future__ import annotations

from typing import Any

from mirtalib.asterisk.cli import parse_module_show
from mirtalib.asterisk.software import parse_asterisk_version
from mirtalib.runbook import (
    Check,
    Command,
    Manual,
    Param,
    Phase,
    Risk,
    RunbookDef,
    Step,
    Verdict,
    Verification,
    failure_lines,
    template_file,
)
from mirtalib.runbooks.common_checks import file_mode_check, listener_check, websocket_check
from mirtalib.runbooks.secretfiles import keyvalue_file, template_text
from mirtalib.validate import cmd

MODULES = ("res_aeap.so", "res_speech_aeap.so")


def _codecs(value: str) -> str:
    from mirtalib.errors import ParameterError

    parts = value.split(",")
    if not value or not all(p and all(c.isalnum() or c in "!_" for c in p) for p in parts):
        raise ParameterError(f"codecs={value!r}: a list like '!all,ulaw'")
    return value


PARAMS = (
    Param("aeap_conf", "/etc/asterisk/aeap.conf", "AEAP file", kind="path"),
    Param(
        "client_name",
        "my-speech-to-text",
        "AEAP client section",
        kind="asterisk_name",
    ),
    Param("speech_port", 9099, "speech service port", kind="port"),
    Param("codecs", "!all,ulaw", "codecs offered to the speech service", check=_codecs),
    Param(
        "service_env_file",
        "/usr/local/openaigateway/.env",
        "environment file of the speech service",
        kind="path",
    ),
    Param(
        "openai_key_env",
        "MIRTA_OPENAI_API_KEY",
        "NAME of the env variable with the OpenAI API key",
        kind="env_var",
        secret_ref=True,
    ),
    Param(
        "google_tts_key_env",
        "MIRTA_GOOGLE_TTS_API_KEY",
        "NAME of the env variable with the Google TTS API key",
        kind="env_var",
        secret_ref=True,
    ),
    Param(
        "google_service_account_file",
        "/usr/local/openaigateway/google-stt-service-account.json",
        "service-account JSON on the node",
        kind="path",
    ),
)


def _version_expect(ver) -> tuple[Verdict, str]:
    major = ver.major
    if major is None:
        return Verdict.WARN, f"Asterisk {ver.version}: development build, check AEAP support"
    if major >= 20:
        return Verdict.PASS, f"Asterisk {ver.version}"
    if major >= 18:
        return Verdict.WARN, f"Asterisk {ver.version}: AEAP works but the page advises 20.x"
    return Verdict.FAIL, f"Asterisk {ver.version}: no AEAP speech before 18; upgrade to 20"


def _modules_expect(mods) -> tuple[Verdict, str]:
    running = set(mods.running())
    missing = [m for m in MODULES if m not in running]
    if missing:
        return (
            Verdict.FAIL,
            f"not running: {', '.join(missing)} (load them or build Asterisk with them)",
        )
    return Verdict.PASS, "running: " + ", ".join(MODULES)


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 05 for validated parameter values ``v``."""
    url = f"ws://127.0.0.1:{v['speech_port']}"
    env_private = file_mode_check(
        "env-private", "The service env file is private", v["service_env_file"]
    )
    return [
        Manual(
            id="subscriptions",
            title="Three subscriptions ready",
            phase=Phase.BEFORE,
            where="Google Cloud console and platform.openai.com",
            detail=(
                "Speech-to-Text API enabled with a service account (its JSON key downloads once: "
                "store it safely); Text-to-Speech API key (restrict it to the node's IP); an "
                "OpenAI API key with credit (check Usage in the organization settings). Put the "
                "keys in the environment variables named in the parameters, never in a notebook."
            ),
        ),
        Check(
            id="asterisk-version",
            title="Asterisk 20 or later",
            phase=Phase.BEFORE,
            command=cmd("asterisk", "-rx", "core show version"),
            parse=parse_asterisk_version,
            expect=_version_expect,
        ),
        Check(
            id="aeap-modules",
            title="AEAP modules loaded",
            phase=Phase.BEFORE,
            command=cmd("asterisk", "-rx", "module show like aeap"),
            parse=parse_module_show,
            expect=_modules_expect,
        ),
        file_mode_check(
            "credentials-json",
            "The service-account JSON is private",
            v["google_service_account_file"],
            phase=Phase.BEFORE,
        ),
        template_file(
            "aeap-conf",
            f"AEAP client [{v['client_name']}]",
            v["aeap_conf"],
            template_text("p05_aeap.conf.j2"),
            {"name": v["client_name"], "codecs": v["codecs"], "url": url},
            mode=0o640,
            summary=f"[{v['client_name']}] url={url} protocol=speech_to_text",
        ),
        keyvalue_file(
            "service-keys",
            "API keys of the speech service",
            v["service_env_file"],
            {"GOOGLE_APPLICATION_CREDENTIALS": v["google_service_account_file"]},
            {"OPENAI_API_KEY": v["openai_key_env"], "GOOGLE_TTS_API_KEY": v["google_tts_key_env"]},
            dotenv=True,
            summary="Google service-account path",
        ),
        Command(
            id="env-chmod",
            title="Make the service env file readable by its owner only",
            command=cmd("chmod", "600", v["service_env_file"]),
            risk=Risk.CHANGING,
            unless=env_private,
        ),
        Command(
            id="reload-aeap",
            title="Reload res_aeap",
            command=cmd("asterisk", "-rx", "module reload res_aeap.so"),
            risk=Risk.CHANGING,
            when_changed=("aeap-conf",),
            failure=failure_lines(r"unable to", r"not found", r"\berror\b"),
        ),
        Manual(
            id="restart-service",
            title="Restart the speech service so it reads the new keys",
            where="the node",
            detail="Restart only the speech/gateway service, outside calls that use it.",
        ),
        env_private,
        listener_check(
            "speech-port",
            f"Speech service listens on {v['speech_port']}",
            v["speech_port"],
            loopback_only=True,
        ),
        websocket_check(
            "speech-handshake",
            "AEAP websocket handshake from the node",
            "127.0.0.1",
            v["speech_port"],
            "/",
            ["speech_to_text"],
        ),
    ]


RUNBOOK = RunbookDef(
    page=5,
    slug="using-the-generative-artificial-intelligence-talking-with-chatgpt",
    title="Using the Generative Artificial Intelligence, talking with ChatGPT",
    scope="node",
    roles=("pbx",),
    params=PARAMS,
    build=build,
    summary="Asterisk >= 20, AEAP modules, aeap.conf, API keys by reference, speech port",
    verification=Verification(
        mirta_page="Call a destination that uses the ChatGPT assistant: it understands the request "
        "and the identified parameters appear as USR-<name> variables.",
        asterisk_log="In /var/log/asterisk/full, the AEAP client connects to ws://127.0.0.1:9099 "
        "with no 'speech' or 'aeap' errors.",
        status_menu="Status menu: the node and its services are up while the test call runs.",
    ),
)
