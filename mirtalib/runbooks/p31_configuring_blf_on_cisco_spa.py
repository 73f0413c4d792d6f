"""Seed page 31, *Configuring BLF on Cisco SPA*: attendant-console keys of a Cisco SPA50x/SPA9xx.

The Cisco SPA (the page uses an SPA504G with its sidecar) configures BLF in the phone's web page,
logged in as admin, *advanced* view, tab *Attendant Console*:

* *Server Type* must be ``Asterisk`` (otherwise the phone expects Broadsoft-style resource lists);
* each key (*Unit 1 Key N*) gets ``fnc=blf+sd+cp;sub=104-DEVEL@$PROXY``: BLF, speed dial and call
  pickup on one key, watching the extension's SIP username; ``$PROXY`` is the phone's own macro
  for the registrar, written as is;
* *Attendant Console Call Pickup Code* is the MiRTA *Direct Pickup Code* feature code followed by
  ``#``: with ``*56[EXT]`` in MiRTA, ``*56#``.

The runbook writes the key strings for the chosen numbers (from the tenant's extensions, queues and
parking lots in the database), and checks ``core show hints`` before and after: the watched names
exist, carry the dash, and a phone watches them (page 39's check,
:func:`~mirtalib.runbooks.p39_configuring_blf_on_a_phone.hints_step`).
"""

from __future__ import annotations

from typing import Any

from mirtalib.errors import ParameterError
from mirtalib.phones.blf import feature_code
from mirtalib.phones.blfsteps import key_lines, pick_monitors
from mirtalib.runbook import Manual, Param, Phase, RunbookDef, Step, Verification
from mirtalib.runbooks.p39_configuring_blf_on_a_phone import hints_step


def _numbers(value: str) -> str:
    items = [v.strip() for v in value.split(",") if v.strip()]
    if not items:
        raise ParameterError("monitors: give at least one number to watch (104 or 104,105)")
    return ",".join(items)


PARAMS = (
    Param("tenant", "DEVEL", "tenant code of the phone", kind="tenant"),
    Param(
        "monitors",
        "104,103,801",
        "numbers the keys watch: extensions, queues, parking lots; vm:N",
        check=_numbers,
    ),
    Param(
        "pickup_code",
        "*56",
        "MiRTA Direct Pickup Code feature code (the page: *56[EXT])",
        check=lambda v: feature_code(v, "pickup_code"),
    ),
    Param(
        "voicemail_prefix",
        "*97",
        "voicemail feature-code prefix, for vm:N keys",
        check=lambda v: feature_code(v, "voicemail_prefix"),
    ),
)


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 31 for validated parameter values ``v``."""
    chosen = pick_monitors(v["tenant"], v["monitors"], v["voicemail_prefix"])
    names = list(chosen["monitor"])
    return [
        Manual(
            id="pickup-feature-code",
            title="Know the Direct Pickup Code of the tenant",
            phase=Phase.BEFORE,
            where="MiRTA feature codes of the tenant",
            detail=f"Direct Pickup Code {v['pickup_code']}[EXT] must be defined: the phone "
            f"sends {v['pickup_code']}<extension> to pick up a ringing watched extension",
        ),
        hints_step(v["tenant"], v["voicemail_prefix"], names, final=False),
        Manual(
            id="open-admin",
            title="Open the phone's admin page, advanced view",
            where="http://<phone IP>/admin/advanced (log in as admin)",
            detail="tab 'Attendant Console'",
        ),
        Manual(
            id="server-type",
            title="Server Type: Asterisk",
            where="Attendant Console > General",
            detail="set 'Server Type' to Asterisk (other values expect another BLF protocol)",
        ),
        Manual(
            id="keys",
            title="Attendant console keys",
            where="Attendant Console > Unit 1 Key 1..N",
            detail=key_lines(chosen, "cisco-spa"),
        ),
        Manual(
            id="pickup-code",
            title=f"Attendant Console Call Pickup Code: {v['pickup_code']}#",
            where="Attendant Console > General",
            detail=f"'Attendant Console Call Pickup Code' = {v['pickup_code']}# (the MiRTA "
            "code followed by #), then Submit All Changes (the phone reboots)",
        ),
        hints_step(v["tenant"], v["voicemail_prefix"], names, final=True),
    ]


RUNBOOK = RunbookDef(
    page=31,
    demo_targets="replay:srv01,replay:srv02",
    slug="configuring-blf-on-cisco-spa",
    title="Configuring BLF on Cisco SPA",
    scope="tenant",
    roles=("pbx",),
    tenant_param="tenant",
    params=PARAMS,
    build=build,
    summary="Cisco SPA attendant-console BLF keys, pickup code, core show hints checks",
    verification=Verification(
        mirta_page="Call a watched extension: its key blinks on the SPA; pressing it picks the "
        "call up (Direct Pickup), and the extension's MiRTA status shows INUSE.",
        asterisk_log="The SPA's SUBSCRIBE for each watched name is answered 200 OK (sip set "
        "debug peer / pjsip set logger), no 404 for a name.",
        status_menu="Status menu: the SPA's extension is registered.",
        tenant_selection="Recheck the tenant selected in the web interface before testing.",
    ),
)
