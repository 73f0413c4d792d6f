"""An extension's SIP settings as Asterisk runs them, whatever the channel driver.

MiRTA extensions are chan_sip peers (``ex_tech`` SIP) or PJSIP endpoints (PJSIP). The settings the
phone pages care about are read from ``sip show peer X`` (:mod:`mirtalib.asterisk.sippeer`) or
``pjsip show endpoint X`` (:mod:`mirtalib.asterisk.pjsip`) and mapped onto one vocabulary:

=================  ==========================  ===========================================
setting            chan_sip (sip show peer)    PJSIP (pjsip show endpoint)
=================  ==========================  ===========================================
trust_rpid         Trust RPID                  trust_id_inbound
send_rpid          Send RPID                   send_rpid or send_pai
subscriptions      Subscriptions               allow_subscribe
context            Context                     context
registered         Status OK / LAGGED          a contact Avail / NonQual
useragent          Useragent                   (not printed: '')
=================  ==========================  ===========================================

MiRTA's *Trust RPID* extension setting is what turns trust_rpid/send_rpid on (seed pages 42 and
44): with it the phone receives the caller ID of a call it picks up from a parking lot.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import pandas as pd

from mirtalib.asterisk.pjsip import parse_pjsip_endpoint
from mirtalib.asterisk.sippeer import parse_sip_show_peer
from mirtalib.errors import ParameterError, ParseError
from mirtalib.validate import cmd

log = logging.getLogger(__name__)

TECHS = ("sip", "pjsip")
_TRUE = {"yes", "true", "on", "1", "y"}


@dataclasses.dataclass(frozen=True)
class EndpointSettings:
    """Normalized settings of one extension (see the module table); ``found`` False when absent."""

    name: str
    tech: str
    found: bool
    trust_rpid: bool | None = None
    send_rpid: bool | None = None
    subscriptions: bool | None = None
    context: str = ""
    registered: bool | None = None
    useragent: str = ""
    raw: dict[str, str] = dataclasses.field(default_factory=dict, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """The normalized values (no raw table), for tables and checks."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "raw"}


def show_command(name: str, tech: str) -> str:
    """``asterisk -rx 'sip show peer 104-DEVEL'`` or ``... 'pjsip show endpoint 100-DEVEL'``."""
    if tech not in TECHS:
        raise ParameterError(f"tech {tech!r}: use one of {list(TECHS)}")
    what = "sip show peer" if tech == "sip" else "pjsip show endpoint"
    return cmd("asterisk", "-rx", f"{what} {name}")


def _bool(value: str | None) -> bool | None:
    if value is None or not value.strip():
        return None
    return value.strip().split()[0].lower() in _TRUE


def parse_settings(text: str, name: str, tech: str) -> EndpointSettings:
    """Parse the show command's output for ``name`` (ParseError when it is not that output)."""
    if tech == "sip":
        peer = parse_sip_show_peer(text)
        if peer.not_found is not None or not peer.name:
            return EndpointSettings(name, tech, False)
        if peer.name != name:
            raise ParseError(f"sip show peer: asked for {name}, the output is about {peer.name}")
        send = peer.get("Send RPID")
        return EndpointSettings(
            name,
            tech,
            True,
            trust_rpid=peer.flag("Trust RPID"),
            send_rpid=None if not send else send.split()[0].lower() not in {"no", "false"},
            subscriptions=peer.flag("Subscriptions"),
            context=peer.get("Context"),
            registered=peer.status in {"OK", "LAGGED"} if peer.status else None,
            useragent=peer.get("Useragent"),
            raw=dict(peer.settings),
        )
    parsed = parse_pjsip_endpoint(text)
    if parsed is None:
        return EndpointSettings(name, tech, False)
    endpoint, params = parsed
    if endpoint.name != name:
        raise ParseError(
            f"pjsip show endpoint: asked for {name}, the output is about {endpoint.name}"
        )
    send_rpid, send_pai = _bool(params.get("send_rpid")), _bool(params.get("send_pai"))
    return EndpointSettings(
        name,
        tech,
        True,
        trust_rpid=_bool(params.get("trust_id_inbound")),
        send_rpid=None if send_rpid is None and send_pai is None else bool(send_rpid or send_pai),
        subscriptions=_bool(params.get("allow_subscribe")),
        context=params.get("context", ""),
        registered=endpoint.available if endpoint.aors else None,
        useragent="",
        raw=dict(params),
    )


def differences(settings: EndpointSettings, wanted: dict[str, Any]) -> list[str]:
    """Human lines for every wanted value the extension does not have (empty: all match)."""
    if not settings.found:
        return [f"{settings.name} does not exist as a {settings.tech} extension on this node"]
    values = settings.as_dict()
    return [
        f"{key}={values.get(key)!r} (want {want!r})"
        for key, want in wanted.items()
        if values.get(key) != want
    ]


def resolve_tech(extension: str, tech: str, db=None) -> str:
    """The channel driver of ``extension`` (``100-DEVEL``): ``tech`` itself, or from the database.

    ``auto`` reads ``ex_tech`` of the extension in the MiRTA database (NoDatabaseConfigured when
    none is configured: the demo PBX's only with MIRTA_DB_URL=demo or on replay targets); CUSTOM
    and VIRTUAL extensions have no SIP endpoint to check (ParameterError).
    """
    if tech in TECHS:
        return tech
    if tech != "auto":
        raise ParameterError(f"tech {tech!r}: use auto, sip or pjsip")
    from mirtalib.phones.directory import load_directory

    number, _, tenant = extension.partition("-")
    row = load_directory(tenant, db).extension(number)
    found = row["tech"].strip().lower()
    if found not in TECHS:
        raise ParameterError(
            f"{extension} is a {row['tech']} extension in the database: it has no SIP endpoint "
            "(choose a phone extension, SIP or PJSIP)"
        )
    return found


def settings_check(
    extension: str,
    tech: str,
    wanted: dict[str, Any],
    *,
    final: bool,
    check_id: str,
    title: str,
    why: str = "",
):
    """A runbook Check reading the extension's settings and comparing them with ``wanted``.

    Before the change (``final`` False) a mismatch is a warning (what to change); after it, a
    failure. ``why`` is appended to a mismatch (what the values are for).
    """
    from mirtalib.runbook import Check, Phase, Verdict

    def expect(settings: EndpointSettings) -> tuple[Verdict, str]:
        wrong = differences(settings, wanted)
        if not settings.found:
            return Verdict.FAIL, wrong[0]
        shown = ", ".join(f"{k}={settings.as_dict()[k]!r}" for k in wanted)
        if wrong:
            verdict = Verdict.FAIL if final else Verdict.WARN
            return verdict, f"{extension} ({tech}): " + "; ".join(wrong) + (
                f" - {why}" if why else ""
            )
        return Verdict.PASS, f"{extension} ({tech}): {shown}"

    return Check(
        id=check_id,
        title=title,
        phase=Phase.VERIFICATION if final else Phase.BEFORE,
        command=show_command(extension, tech),
        parse=lambda text: parse_settings(text, extension, tech),
        expect=expect,
    )


def settings_on_nodes(
    targets,
    extension: str,
    tech: str,
    keys: list[str] | None = None,
    wanted: dict[str, Any] | None = None,
    extra: tuple[str, ...] = (),
) -> dict[str, pd.Series | str]:
    """Per node, the extension's settings as Asterisk runs them, for a notebook table.

    Args:
        targets: runbook targets (``rb.targets``).
        extension: the extension (``104-DEVEL``).
        tech: ``sip``, ``pjsip`` or ``auto`` (:func:`resolve_tech`).
        keys: raw fields to show (``Useragent``, ``Status`` ...); default the normalized values.
        wanted: values the page wants; adds a ``to change`` entry (:func:`differences`).
        extra: raw fields shown after the values (``(absent)`` where the node prints none).

    Returns:
        node name -> a Series of the values, or the reason they cannot be read there (the node's
        Asterisk has no such command, e.g. ``sip show peer`` without chan_sip on Asterisk 21+;
        Asterisk is not installed; its answer is not understood; ``auto`` without a database).

    Raises:
        ParameterError: a ``tech`` that is none of the three, or an extension with no SIP
            endpoint.
    """
    from mirtalib.asterisk.ami import CommandNotFound
    from mirtalib.data.db import NoDatabaseConfigured
    from mirtalib.runbook.checks import missing_program
    from mirtalib.runbooks.cli_answers import chan_sip_missing

    out: dict[str, pd.Series | str] = {}
    try:
        tech = resolve_tech(extension, tech)
    except NoDatabaseConfigured as exc:
        why = f"cannot tell {extension}'s channel driver (tech=auto reads it): {exc}"
        return {target.name: why for target in targets}
    for target in targets:
        answer = target.run(show_command(extension, tech))
        missing = missing_program(answer, target.name)
        if missing:  # not an Asterisk node: the reason, as the plan's finding says
            out[target.name] = f"cannot read {extension}'s settings: {missing}"
            continue
        try:
            found = parse_settings(answer.stdout, extension, tech)
        except CommandNotFound as err:
            what = f"cannot read {extension}'s settings ({err.answer.strip()})"
            out[target.name] = chan_sip_missing(what) if tech == "sip" else what
            continue
        except ParseError as err:
            out[target.name] = f"cannot read {extension}'s settings: {err}"
            continue
        if keys is None:
            values = found.as_dict()
        else:
            values = {k: found.raw.get(k, "(absent)") for k in keys}
        for key in extra:
            values[key] = found.raw.get(key, "(absent)")
        if wanted is not None:
            values["to change"] = "; ".join(differences(found, wanted)) or "nothing"
        out[target.name] = pd.Series(values)
    return out
