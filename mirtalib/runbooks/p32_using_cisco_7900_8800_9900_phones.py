"""Seed page 32, *Using Cisco 7900/8800/9900 phones*: these phones need a patched chan_sip.

Cisco 7900/8800/9900 phones speak a dialect of SIP that stock Asterisk supports only in part; the
page sends to the *usecallmanager* patches (http://usecallmanager.nz/sip-conf.html), which add the
missing parts to chan_sip and are enabled per peer. Concise checklist:

* Asterisk rebuilt with the patches (a rebuild and restart of every node: a maintenance window);
* the extension is a chan_sip peer (``ex_tech`` SIP: the patches are for chan_sip) with
  ``cisco_usecallmanager=yes``; these phones never SUBSCRIBE for BLF, so the names they watch are
  listed on the peer (``subscribe=104-DEVEL,...``); the patch's sample also sets ``dndbusy=yes``;
* the phone provisioned from its XML configuration (TFTP/HTTP) as the patch site describes.

Checks: the peer exists on the node, is registered, and its user agent is a Cisco phone
(``sip show peer X``, :mod:`mirtalib.asterisk.sippeer`). ``sip show peer`` does not show whether
chan_sip carries the patches, so that is a warning to confirm by hand, never a silent pass.

The page is about chan_sip. A node without chan_sip (Asterisk 21 and later have none; found on a
real Asterisk 22.10.1 node) answers ``No such command 'sip show peer ...'``: the peer checks say
"chan_sip is not loaded on this node ..." and fail, instead of "output not understood".
"""

from __future__ import annotations

from typing import Any

from mirtalib.errors import ParameterError
from mirtalib.phones.endpoint import EndpointSettings, parse_settings, resolve_tech, show_command
from mirtalib.runbook import Check, Manual, Param, Phase, RunbookDef, Step, Verdict, Verification
from mirtalib.runbooks.cli_answers import MissingCommand, chan_sip_missing, tolerant

PATCH_URL = "http://usecallmanager.nz/sip-conf.html"

PARAMS = (
    Param(
        "extension",
        "107-DEVEL",
        "extension (username) of the Cisco phone",
        kind="extension",
    ),
    Param(
        "tech",
        "auto",
        "channel driver: auto (from the MiRTA database) or sip",
        choices=("auto", "sip", "pjsip"),
    ),
)


def _judge(ext: str, *, final: bool, chosen: str):
    source = "the MiRTA database says it is a SIP extension" if chosen == "auto" else "tech=sip"

    def expect(s: EndpointSettings | MissingCommand) -> tuple[Verdict, str]:
        if isinstance(s, MissingCommand):
            return Verdict.FAIL, chan_sip_missing(
                f"'{s.command}' does not exist, so {ext} cannot be a chan_sip peer here "
                f"({source}); the usecallmanager patches this page needs are for chan_sip: "
                "Cisco 7900/8800/9900 phones on them need a node that runs chan_sip (Asterisk 20 "
                "and earlier)"
            )
        if not s.found:
            return Verdict.FAIL, f"{ext} is not a chan_sip peer on this node"
        notes = [f"registered={s.registered}", f"useragent={s.useragent or '?'}"]
        verdict = Verdict.PASS
        if not s.registered:
            verdict = Verdict.FAIL if final else Verdict.WARN
            notes.append("the phone is not registered")
        if "cisco" not in s.useragent.lower():
            verdict = Verdict.WARN if verdict is Verdict.PASS else verdict
            notes.append("the registered device is not a Cisco phone")
        patched = any("callmanager" in k.lower() for k in s.raw)
        if not patched:
            verdict = Verdict.WARN if verdict is Verdict.PASS else verdict
            notes.append(
                "sip show peer does not show the usecallmanager option: confirm the "
                "patched chan_sip and cisco_usecallmanager=yes by hand"
            )
        return verdict, f"{ext}: " + "; ".join(notes)

    return expect


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 32 for validated parameter values ``v``."""
    ext = v["extension"]
    tech = resolve_tech(ext, v["tech"])
    if tech != "sip":
        raise ParameterError(
            f"{ext} is a PJSIP extension: the usecallmanager patches are for chan_sip, make the "
            "Cisco phone's extension a SIP one"
        )
    return [
        Check(
            id="peer-before",
            title=f"{ext}: the chan_sip peer now",
            phase=Phase.BEFORE,
            command=show_command(ext, tech),
            parse=tolerant(lambda text: parse_settings(text, ext, tech)),
            expect=_judge(ext, final=False, chosen=v["tech"]),
        ),
        Manual(
            id="patches",
            title="Asterisk with the usecallmanager chan_sip patches",
            where=f"every node (rebuild; maintenance window); {PATCH_URL}",
            detail="apply the patch set matching the Asterisk version, rebuild, restart one node "
            "at a time",
        ),
        Manual(
            id="peer-options",
            title="Peer options for the Cisco phone",
            where=f"the chan_sip peer {ext} (MiRTA extension, custom SIP options)",
            detail="cisco_usecallmanager=yes; subscribe=<the names its BLF keys watch, e.g. "
            "104-DEVEL>; dndbusy=yes",
        ),
        Manual(
            id="provisioning",
            title="Provision the phone",
            where="the phone's XML configuration (TFTP/HTTP)",
            detail=f"as described on {PATCH_URL}; the SIP username is {ext}",
        ),
        Check(
            id="peer-after",
            title=f"{ext}: a registered Cisco phone on chan_sip",
            command=show_command(ext, tech),
            parse=tolerant(lambda text: parse_settings(text, ext, tech)),
            expect=_judge(ext, final=True, chosen=v["tech"]),
        ),
    ]


RUNBOOK = RunbookDef(
    page=32,
    slug="using-cisco-7900-8800-9900-phones",
    title="Using Cisco 7900/8800/9900 phones",
    scope="tenant",
    roles=("pbx",),
    params=PARAMS,
    build=build,
    summary="Cisco phones on patched chan_sip: checklist and peer checks",
    verification=Verification(
        mirta_page="The extension's page shows it registered; a test call in both directions "
        "works, with hold and transfer from the phone's soft keys.",
        asterisk_log="No 'Unsupported' / 420 Bad Extension answers to the phone's requests in "
        "the SIP debug of its peer.",
        status_menu="Status menu: the Cisco extension is registered.",
    ),
)
