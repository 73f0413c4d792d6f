"""Seed page 44, *Configuring Yealink to receive the number from the parked call*.

Asterisk can tell a phone who it is talking to in three SIP places: the ``From`` header,
``P-Asserted-Identity`` (PAI) and ``Remote-Party-ID`` (RPID); RPID works best across devices.
When a call is picked up from a parking lot, the phone learns the parked caller's number only
when the extension has MiRTA's *Trust RPID* on and the phone reads RPID: on a Yealink, *Account >
Advanced > Caller ID Source* = ``RPID-PAI-FROM`` (RPID first, then PAI, then From).

What the runbook checks: the extension's settings as Asterisk runs them, read from
``sip show peer X`` or ``pjsip show endpoint X`` (the driver comes from ``ex_tech`` in the MiRTA
database): chan_sip *Trust RPID* / *Send RPID*, PJSIP ``trust_id_inbound`` / ``send_rpid`` (or
``send_pai``), see :mod:`mirtalib.phones.endpoint`. The phone side stays a checklist item.

A SIP (chan_sip) extension on a node without chan_sip (Asterisk 21 and later have none; found on
a real Asterisk 22.10.1 node) answers ``No such command 'sip show peer ...'``: the checks say
"chan_sip is not loaded on this node ..." and fail (the extension cannot work there at all; as a
PJSIP extension it is read with ``pjsip show endpoint``), instead of failing as "output not
understood" or reading the answer as a peer without Trust RPID.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from mirtalib.phones.endpoint import resolve_tech, settings_check
from mirtalib.runbook import Check, Manual, Param, RunbookDef, Step, Verdict, Verification
from mirtalib.runbooks.cli_answers import MissingCommand, chan_sip_missing, tolerant

WANTED = {"trust_rpid": True, "send_rpid": True}
WHY = "turn on 'Trust RPID' on the extension in MiRTA, or the phone never gets the parked caller ID"

PARAMS = (
    Param(
        "extension",
        "104-DEVEL",
        "extension (username) of the Yealink phone",
        kind="extension",
    ),
    Param(
        "tech",
        "auto",
        "channel driver: auto (from the MiRTA database), sip or pjsip",
        choices=("auto", "sip", "pjsip"),
    ),
)


def rpid_check(
    ext: str, tech: str, chosen: str, *, final: bool, check_id: str, title: str
) -> Check:
    """The Trust/Send RPID check of ``ext``; a node without the driver's command is a finding.

    ``chosen`` is the ``tech`` parameter (``auto``: the driver came from the MiRTA database).
    """
    check = settings_check(ext, tech, WANTED, final=final, check_id=check_id, title=title, why=WHY)
    judge = check.expect
    source = "the MiRTA database says it is a SIP extension" if chosen == "auto" else "tech=sip"

    def expect(value) -> tuple[Verdict, str]:
        if not isinstance(value, MissingCommand):
            return judge(value)  # type: ignore[return-value]
        if tech != "sip":
            return Verdict.FAIL, (
                f"'{value.command}' does not exist on this node (is res_pjsip loaded?): the "
                "endpoint's trust_id_inbound/send_rpid cannot be read"
            )
        return Verdict.FAIL, chan_sip_missing(
            f"'{value.command}' does not exist, so {ext}'s Trust RPID cannot be read as a chan_sip "
            f"peer ({source}) and the extension cannot work here; make it a PJSIP extension "
            "(tech=pjsip reads trust_id_inbound/send_rpid)"
        )

    return dataclasses.replace(check, parse=tolerant(check.parse), expect=expect)


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 44 for validated parameter values ``v``."""
    ext = v["extension"]
    tech = resolve_tech(ext, v["tech"])
    return [
        rpid_check(
            ext,
            tech,
            v["tech"],
            final=False,
            check_id="rpid-before",
            title=f"{ext}: Trust RPID now",
        ),
        Manual(
            id="trust-rpid",
            title="Enable Trust RPID on the extension",
            where=f"MiRTA extension {ext}, SIP settings",
            detail="set 'Trust RPID' to yes and save; the node reloads the extension "
            "(registered phones stay registered)",
        ),
        Manual(
            id="yealink-cid-source",
            title="Yealink: Caller ID Source = RPID-PAI-FROM",
            where="Yealink web page: Account > Advanced (or its provisioning file)",
            detail="'Caller ID Source' = RPID-PAI-FROM (provisioning key account.1.cid_source; "
            "check the value's number in your firmware's template), then Confirm",
        ),
        Manual(
            id="test-parked",
            title="Park a call and pick it up from the Yealink",
            where="another phone of the tenant and the Yealink",
            detail="the Yealink shows the parked caller's number, not the parking position",
        ),
        rpid_check(
            ext,
            tech,
            v["tech"],
            final=True,
            check_id="rpid-after",
            title=f"{ext}: Trust RPID is on",
        ),
    ]


RUNBOOK = RunbookDef(
    page=44,
    slug="configuring-yealink-to-receive-the-number-from-the-parked-call",
    title="Configuring Yealink to receive the number from the parked call",
    scope="tenant",
    roles=("pbx",),
    params=PARAMS,
    build=build,
    summary="Trust/Send RPID of the extension from sip show peer / pjsip show endpoint",
    verification=Verification(
        mirta_page="The extension's page shows Trust RPID = yes.",
        asterisk_log="With SIP debug on the phone's peer, the re-INVITE or UPDATE after the "
        "pickup carries a Remote-Party-ID header with the parked caller's number.",
        status_menu="Status menu: the extension is registered after the change.",
    ),
)
