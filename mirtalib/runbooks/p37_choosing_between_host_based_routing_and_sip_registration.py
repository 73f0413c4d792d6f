"""Seed page 37, *Choosing between Host Based Routing and SIP Registration*.

MiRTA's provider pages use host-based routing (the provider sends calls to the node's address,
authenticated by IP). A provider that needs a SIP *registration* is configured by hand in
sip.conf: a ``register =>`` line in ``[general]`` and, when the web form lacks a parameter, a
static peer that the Admin/Providers page then references by its section name.

What this runbook adds to the page:

* the secret is never a parameter: ``secret_env`` names the environment variable that holds it.
  Plan renders ``<secret from $NAME>`` (or keeps the secret already in the file, masked) and does
  not read the variable; only apply resolves it. Secrets already in sip.conf are masked in diffs.
* the register line and the peer are edited in place (idempotent, other lines untouched).
* ``sip reload`` re-reads sip.conf but also drops the registrations of the phones, which stay
  unreachable until they register again: the reload is **not** run by default
  (``reload_now=False``); do it in a quiet moment, or set ``reload_now=True`` knowingly.
* safer defaults than the page's example: ``type=peer`` (``friend`` also matches inbound
  requests by user name), ``directmedia=no`` (the page's ``canreinvite=yes`` is the old name; it
  sends media around the PBX and breaks behind NAT and for recordings), no GSM codec.

The page is about chan_sip. A node without chan_sip (Asterisk 21 and later have none; found on a
real Asterisk 22.10.1 node) answers ``No such command 'sip show registry'``: the registration
checks say "chan_sip is not loaded on this node ..." and fail, so apply stops before it writes a
``register =>`` line that nothing reads (such a node registers with a PJSIP ``registration``
object in pjsip.conf, outside this page).
"""

from __future__ import annotations

import re
from typing import Any

from mirtalib.asterisk.conf import ConfDocument
from mirtalib.asterisk.sipregistry import RegistryList, parse_sip_registry
from mirtalib.errors import ParameterError, ParseError
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
)
from mirtalib.runbooks.cli_answers import MissingCommand, chan_sip_missing, tolerant
from mirtalib.runbooks.sipconf import (
    Register,
    parse_register,
    register_value,
    secret_conf_edit,
)
from mirtalib.validate import cmd

_USER = re.compile(r"^[A-Za-z0-9_.+-]{1,64}$")
CODECS = {"ulaw", "alaw", "g722", "g729", "gsm", "opus"}


def _username(value: str) -> str:
    if not _USER.match(value):
        raise ParameterError(f"username={value!r}: letters, digits, _ . + - only")
    return value


def _codecs(value: str) -> str:
    names = [c.strip() for c in value.split(",") if c.strip()]
    bad = [c for c in names if c not in CODECS]
    if not names or bad:
        raise ParameterError(f"codecs={value!r}: use a comma list of {sorted(CODECS)}")
    return ",".join(names)


PARAMS = (
    Param("sip_conf", "/etc/asterisk/sip.conf", "chan_sip configuration", kind="path"),
    Param(
        "provider",
        "flowroute",
        ("section name of the static peer (referenced on Admin/Providers)"),
        kind="asterisk_name",
    ),
    Param("username", "49088751", "account at the provider", check=_username),
    Param(
        "secret_env",
        "MIRTA_FLOWROUTE_SECRET",
        "NAME of the environment variable holding the password",
        kind="env_var",
        secret_ref=True,
    ),
    Param(
        "provider_host",
        "sip.flowroute.com",
        "registrar and proxy of the provider",
        kind="host",
    ),
    Param(
        "context", "fromoutside", "context of the provider's inbound calls", kind="asterisk_name"
    ),
    Param(
        "codecs", "ulaw,alaw", "allowed codecs in order (the page also allows gsm)", check=_codecs
    ),
    Param(
        "dtmfmode",
        "rfc2833",
        "rfc2833, info, inband or auto",
        choices=("rfc2833", "info", "inband", "auto"),
    ),
    Param(
        "insecure",
        "port,invite",
        'accept the provider\'s INVITEs without a challenge ("no" to drop it)',
        choices=("port,invite", "invite", "port", "no"),
    ),
    Param(
        "directmedia",
        "no",
        ("no (media through the PBX), yes (the page's canreinvite yes) or nonat"),
        choices=("no", "yes", "nonat"),
    ),
    Param(
        "peer_type",
        "peer",
        ("peer, or friend as on the page (also matches inbound by user name)"),
        choices=("peer", "friend"),
    ),
    Param(
        "reload_now",
        False,
        ("run 'sip reload' (drops every phone registration) right after the change"),
    ),
)


def _peer_options(v: dict[str, Any], secret: str) -> list[tuple[str, str]]:
    opts = [
        ("type", v["peer_type"]),
        ("host", v["provider_host"]),
        ("defaultuser", v["username"]),
        ("fromuser", v["username"]),
        ("fromdomain", v["provider_host"]),
        ("secret", secret),
        ("context", v["context"]),
        ("dtmfmode", v["dtmfmode"]),
        ("directmedia", v["directmedia"]),
    ]
    if v["insecure"] != "no":
        opts.append(("insecure", v["insecure"]))
    return opts


def register_line(v: dict[str, Any], secret: str) -> str:
    """The ``register =>`` value for the parameters (``secret`` may be a placeholder)."""
    return register_value(Register(user=v["username"], host=v["provider_host"], secret=secret))


def _find_register(doc: ConfDocument, v: dict[str, Any]) -> tuple[int, Register] | None:
    general = doc.find("general")
    if not general:
        return None
    for i, value in enumerate(general[0].get_all("register")):
        try:
            reg = parse_register(value)
        except ParseError:  # a line we cannot read is not ours
            continue
        if reg.key == (v["username"], v["provider_host"].lower()):
            return i, reg
    return None


def live_secret(v: dict[str, Any]):
    """The secret the file already has for this provider (None when none)."""

    def find(doc: ConfDocument) -> str | None:
        found = _find_register(doc, v)
        if found and found[1].secret:
            return found[1].secret
        peers = doc.find(v["provider"])
        return peers[0].get("secret") if peers else None

    return find


def edit_sip_conf(v: dict[str, Any]):
    """``(doc, secret)`` -> None: register line in [general], static peer with its options."""

    def edit(doc: ConfDocument, secret: str) -> None:
        general = doc.find("general")
        if not general:
            raise ParameterError("sip.conf has no [general] section: is this a chan_sip node?")
        g = general[0]
        values = g.get_all("register")
        line = register_line(v, secret)
        found = _find_register(doc, v)
        if found is None:
            values.append(line)
        else:
            values[found[0]] = line
        g.set_all("register", values, op="=>")
        peer = doc.find(v["provider"])
        section = peer[0] if peer else doc.add_section(v["provider"])
        for key, value in _peer_options(v, secret):
            section.set(key, value, duplicates="all")
        if v["insecure"] == "no":
            section.remove("insecure")
        section.remove("canreinvite")  # old name of directmedia: one setting, one line
        section.set_all("disallow", ["all"])
        section.set_all("allow", v["codecs"].split(","))

    return edit


def _registered(v: dict[str, Any], *, observe: bool):
    def expect(reg: RegistryList | MissingCommand) -> tuple[Verdict, str]:
        if isinstance(reg, MissingCommand):
            return Verdict.FAIL, chan_sip_missing(
                f"'{reg.command}' does not exist, so a register => line in {v['sip_conf']} "
                f"would be read by nothing and {v['username']}@{v['provider_host']} would never "
                "register; register with PJSIP instead (a type=registration object in "
                "pjsip.conf). This page applies to nodes with chan_sip (Asterisk 20 and earlier)"
            )
        found = reg.find(v["username"], v["provider_host"])
        others = ", ".join(f"{r.username}@{r.host} {r.state}" for r in reg.registrations)
        if found is None:
            verdict = Verdict.PASS if observe else Verdict.FAIL
            return verdict, f"no registration of {v['username']}@{v['provider_host']} " + (
                f"(registrations: {others})" if others else "(none at all)"
            )
        if found.registered:
            return Verdict.PASS, f"{found.username}@{found.host}: Registered ({found.reg_time})"
        verdict = Verdict.WARN if observe else Verdict.FAIL
        return verdict, f"{found.username}@{found.host}: {found.state}"

    return expect


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 37 for validated parameter values ``v``."""
    registry = cmd("asterisk", "-rx", "sip show registry")
    reload = cmd("asterisk", "-rx", "sip reload")
    steps: list[Step] = [
        Manual(
            id="choose-registration",
            title="Choose registration only when host-based routing is not possible",
            phase=Phase.BEFORE,
            where="the provider's documentation",
            detail="Host-based routing (MiRTA's provider pages) needs no reload and no "
            "registration refresh; a static peer in sip.conf needs a reload for every change.",
        ),
        Check(
            id="registry-before",
            title="Outbound registrations now",
            phase=Phase.BEFORE,
            command=registry,
            parse=tolerant(parse_sip_registry),
            expect=_registered(v, observe=True),
        ),
        secret_conf_edit(
            "sip-register",
            f"Add the registration and the [{v['provider']}] peer to sip.conf",
            v["sip_conf"],
            edit_sip_conf(v),
            secret_env=v["secret_env"],
            live_value=live_secret(v),
            summary=f"register => {v['username']}@{v['provider_host']}, [{v['provider']}]",
        ),
    ]
    if v["reload_now"]:
        steps.append(
            Command(
                id="sip-reload",
                title="sip reload (phones lose their registration until they register again)",
                command=reload,
                risk=Risk.SERVICE_AFFECTING,
                when_changed=("sip-register",),
                undo=reload,
                failure=failure_lines(r"no such command", r"unable to connect", r"\bERROR\b"),
            )
        )
    else:
        steps.append(
            Manual(
                id="sip-reload-later",
                title="Run 'sip reload' in a quiet moment",
                where="asterisk -rx 'sip reload' on the node",
                detail="The reload drops every phone registration; phones are unreachable until "
                "they register again. Do it off-hours, or rerun with reload_now=True.",
            )
        )
    steps += [
        Manual(
            id="provider-page",
            title=f"Reference [{v['provider']}] on the Admin/Providers page",
            where="MiRTA web interface, Admin/Providers",
            detail=f"Use the section name {v['provider']} as the provider's host/peer.",
        ),
        Check(
            id="registered",
            title=f"{v['username']}@{v['provider_host']} is registered",
            command=registry,
            parse=tolerant(parse_sip_registry),
            expect=_registered(v, observe=False),
        ),
    ]
    return steps


RUNBOOK = RunbookDef(
    page=37,
    slug="choosing-between-host-based-routing-and-sip-registration",
    title="Choosing between Host Based Routing and SIP Registration",
    scope="node",
    roles=("pbx",),
    params=PARAMS,
    build=build,
    summary="register => line and static peer in sip.conf; secret by env-var name",
    verification=Verification(
        mirta_page="Admin/Providers: the provider referencing the static peer places and "
        "receives a test call.",
        asterisk_log="No 'Registration for ... failed' or 'Authentication failed' lines for the "
        "provider in /var/log/asterisk/full.",
        status_menu="Status menu: SIP registrations entry shows the provider Registered; phone "
        "registrations back to their usual count after the reload.",
    ),
)
