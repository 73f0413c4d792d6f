"""Seed page 45, *Configuring Zoiper to use chat*: SIP SIMPLE messages and presence with Zoiper.

Zoiper (Windows, macOS, Linux, mobile) can chat over SIP SIMPLE: ``MESSAGE`` requests carry the
text and ``SUBSCRIBE``/``NOTIFY`` the presence, which Asterisk and MiRTA support, so Zoiper
chats with most desktop and soft phones like with SMS. The page's caveat: the latest Zoiper
releases use SIP message formats that break the compatibility with Asterisk, so test the version
you roll out.

Steps: an ordinary Zoiper account (username ``103-DEVEL``, domain the node, other options default);
the peer added as a Zoiper contact with presence; the extension configured for presence. The
runbook checks that last part in Asterisk: subscriptions accepted (chan_sip *Subscriptions*,
PJSIP ``allow_subscribe``) and a hint for the extension in ``core show hints`` (what a presence
subscription watches). A SIP (chan_sip) extension on a node without chan_sip (Asterisk 21 and
later) is reported as such: the node answers ``No such command 'sip show peer ...'``, which says
nothing about subscriptions.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from mirtalib.asterisk.states import parse_core_show_hints
from mirtalib.phones.endpoint import resolve_tech, settings_check
from mirtalib.runbook import Check, Manual, Param, Phase, RunbookDef, Step, Verdict, Verification
from mirtalib.runbooks.cli_answers import MissingCommand, chan_sip_missing, tolerant
from mirtalib.validate import cmd

WANTED = {"subscriptions": True}
WHY = "the extension must accept SUBSCRIBE for presence (MiRTA extension: presence/subscribe on)"


PARAMS = (
    Param(
        "extension",
        "103-DEVEL",
        "extension (username) Zoiper registers as",
        kind="extension",
    ),
    Param(
        "peers",
        "100-DEVEL,104-DEVEL",
        "extensions to chat with (Zoiper contacts), comma-separated",
        items="extension",
        optional=True,
    ),
    Param(
        "tech",
        "auto",
        "channel driver: auto (from the MiRTA database), sip or pjsip",
        choices=("auto", "sip", "pjsip"),
    ),
)


def _hint_expect(names: list[str]):
    def expect(hints) -> tuple[Verdict, str]:
        watched = {str(h).split("@", 1)[0] for h in hints["hint"]}
        missing = [n for n in names if n not in watched]
        if missing:
            return Verdict.WARN, "no hint (no presence) for " + ", ".join(missing)
        return Verdict.PASS, "hints exist for " + ", ".join(names)

    return expect


def presence_check(ext: str, tech: str, chosen: str, *, final: bool) -> Check:
    """The subscriptions check of ``ext``; a node without the driver's commands is a finding."""
    check = settings_check(
        ext,
        tech,
        WANTED,
        final=final,
        check_id="presence-after" if final else "presence-before",
        title=f"{ext}: subscriptions accepted" + ("" if final else " now"),
        why=WHY,
    )
    judge = check.expect
    source = "the MiRTA database says it is a SIP extension" if chosen == "auto" else "tech=sip"

    def expect(value) -> tuple[Verdict, str]:
        if isinstance(value, MissingCommand):
            what = (
                f"'{value.command}' does not exist, so {ext}'s subscriptions cannot be read as "
                f"a chan_sip peer ({source}); make it a PJSIP extension (tech=pjsip reads it so)"
            )
            if tech != "sip":
                what = f"'{value.command}' does not exist on this node"
                return Verdict.FAIL, what
            return Verdict.FAIL, chan_sip_missing(what)
        return judge(value)  # type: ignore[return-value]

    return dataclasses.replace(check, parse=tolerant(check.parse), expect=expect)


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 45 for validated parameter values ``v``."""
    ext = v["extension"]
    tech = resolve_tech(ext, v["tech"])
    peers = [p for p in v["peers"].split(",") if p]
    domain = "<node FQDN>"
    return [
        Manual(
            id="zoiper-version",
            title="Pin a Zoiper version known to work",
            phase=Phase.BEFORE,
            where="the Zoiper installer you roll out",
            detail="recent Zoiper releases send SIP message formats Asterisk does not accept: "
            "test chat and presence with the exact version first",
        ),
        presence_check(ext, tech, v["tech"], final=False),
        Manual(
            id="zoiper-account",
            title="Zoiper account",
            where="Zoiper > Settings > Accounts > Add (SIP)",
            detail=f"username {ext}, password from MiRTA, domain {domain}; every other option "
            "at its default",
        ),
        Manual(
            id="zoiper-contacts",
            title="Contacts with presence",
            where="Zoiper > Contacts > Add contact",
            detail="add " + ", ".join(peers) + " (their usernames) with presence/subscribe on; "
            "each shows Available when its phone is registered and idle",
        ),
        Manual(
            id="extension-presence",
            title="Presence on the extension",
            where=f"MiRTA extension {ext}",
            detail="enable presence (subscriptions) on the extension, as the page's screenshot "
            "shows; the peers need it too",
        ),
        presence_check(ext, tech, v["tech"], final=True),
        Check(
            id="peer-hints",
            title="Hints for the extension and its contacts",
            command=cmd("asterisk", "-rx", "core show hints"),
            parse=parse_core_show_hints,
            expect=_hint_expect([ext, *peers]),
        ),
    ]


RUNBOOK = RunbookDef(
    page=45,
    slug="configuring-zoiper-to-use-chat",
    title="Configuring Zoiper to use chat",
    scope="tenant",
    roles=("pbx",),
    params=PARAMS,
    build=build,
    summary="Zoiper SIP SIMPLE chat: account, contacts with presence, extension subscriptions",
    verification=Verification(
        mirta_page="The extension's page shows presence enabled; a message sent from Zoiper "
        "arrives on the contact's phone.",
        asterisk_log="The full log shows the MESSAGE request accepted (no 'Message not "
        "routed' / 405) and NOTIFYs for the contacts' presence.",
        status_menu="Status menu: the Zoiper extension is registered.",
    ),
)
