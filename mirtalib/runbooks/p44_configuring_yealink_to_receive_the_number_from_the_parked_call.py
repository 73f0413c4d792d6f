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
"""

from __future__ import annotations

from typing import Any

from mirtalib.phones.endpoint import resolve_tech, settings_check
from mirtalib.runbook import Manual, Param, RunbookDef, Step, Verification
from mirtalib.validate import checker, extension

WANTED = {"trust_rpid": True, "send_rpid": True}
WHY = "turn on 'Trust RPID' on the extension in MiRTA, or the phone never gets the parked caller ID"

PARAMS = (
    Param(
        "extension",
        "104-DEVEL",
        "extension (username) of the Yealink phone",
        check=checker(extension, "extension"),
    ),
    Param(
        "tech",
        "auto",
        "channel driver: auto (from the database), sip or pjsip",
        choices=("auto", "sip", "pjsip"),
    ),
)


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 44 for validated parameter values ``v``."""
    ext = v["extension"]
    tech = resolve_tech(ext, v["tech"])
    return [
        settings_check(
            ext,
            tech,
            WANTED,
            final=False,
            check_id="rpid-before",
            title=f"{ext}: Trust RPID now",
            why=WHY,
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
        settings_check(
            ext,
            tech,
            WANTED,
            final=True,
            check_id="rpid-after",
            title=f"{ext}: Trust RPID is on",
            why=WHY,
        ),
    ]


RUNBOOK = RunbookDef(
    page=44,
    slug="configuring-yealink-to-receive-the-number-from-the-parked-call",
    title="Configuring Yealink to receive the number from the parked call",
    scope="tenant",
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
