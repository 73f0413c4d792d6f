"""Seed page 39, *Configuring BLF on a phone*: what a BLF key must watch, per brand, and the hints.

A BLF (busy lamp field) key lights up with the state of what it watches. On MiRTA PBX it watches
the SIP *username*: number, dash, tenant code (``100-DEVEL``), never the bare number. Queues
(their callers) and parking lots are watched the same way (``500-DEVEL``, ``801-DEVEL``); a
voicemail box with the voicemail feature-code prefix, ``*97104-DEVEL``, once that prefix is set as
*Enable Voicemail MWI with prefix* in Configuration/Settings.

What this runbook adds to the page:

* the list of monitors comes from the tenant's extensions, queues and parking lots in the MiRTA
  database, and the key strings are written for the chosen brand (Yealink, Cisco SPA, Grandstream,
  Snom) by :mod:`mirtalib.phones.blf`;
* ``core show hints`` is parsed (:func:`mirtalib.asterisk.states.parse_core_show_hints`) and every
  watched name is classified (:func:`hints_step`):

  - a hint named without the dash (``100DEVEL``) is the page's trap: the page says Asterisk keeps
    watching it after the phone is corrected, until Asterisk restarts. The restart drops every
    call of the node, so it stays a manual step for a maintenance window;
  - a hint of the tenant's code that matches no extension, queue, parking lot or voicemail of the
    tenant (``150-DEVEL``): with MiRTA's pattern hint ``_X.`` Asterisk makes a hint for whatever
    name a phone subscribes to, so such a hint with watchers is a key watching a wrong number;
  - the chosen monitors without a hint or without a watcher.

What the recorded Asterisk 22.10.1 node (demo srv02, ``srv02.d/p39.yaml``) shows instead of the
page's trap: a phone subscribed to ``100DEVEL`` gets no hint of its own. Asterisk ignores the dash
when it matches extensions, so that subscription is one of the watchers of ``100-DEVEL``'s hint,
which ``core show hints`` cannot tell apart from the others, and there is no stale hint to clear.
The check still reports a dash-less hint, the page's case, wherever one is listed; it cannot see a
key that watches a dash-less name on such a node (look at the keys themselves).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from mirtalib.phones.blf import BRANDS, feature_code
from mirtalib.phones.blfsteps import HintReport, hints_check, key_lines, pick_monitors
from mirtalib.runbook import Check, Manual, Param, Phase, RunbookDef, Step, Verdict, Verification

PARAMS = (
    Param("tenant", "DEVEL", "tenant code whose phones get BLF keys", kind="tenant"),
    Param("brand", "yealink", "yealink, cisco-spa, grandstream or snom", choices=BRANDS),
    Param(
        "monitors",
        "100,101,500,801,vm:104",
        "numbers to watch (extensions, queues, parking); vm:N",
    ),
    Param(
        "voicemail_prefix",
        "*97",
        "Configuration/Settings: Enable Voicemail MWI with prefix",
        check=lambda v: feature_code(v, "voicemail_prefix"),
    ),
)


def pattern_made(report: HintReport, tenant: str) -> tuple[list[str], list[str]]:
    """``(names, patterns)``: watched names of ``tenant``'s code that are no monitor of the
    tenant, when a pattern hint (``_X.``) is listed (the pattern made their hints for the phones
    that subscribed to them), and the pattern hints; both empty when there is no pattern hint."""
    table = report.table
    patterns = list(table.loc[table["status"] == "pattern", "name"])
    if not patterns:
        return [], []
    made = table[
        (table["status"] == "unknown")
        & (table["watchers"] > 0)
        & table["name"].str.endswith(f"-{tenant}")
    ]
    return list(made["name"]), patterns


def hints_step(
    tenant: str, voicemail_prefix: str, chosen: list[str], *, final: bool, title: str = ""
) -> Check:
    """The ``core show hints`` check of pages 31 and 39: the shared classification
    (:func:`mirtalib.phones.blfsteps.hints_check`) and, for a watched name the tenant does not
    have, where its hint comes from."""
    base = hints_check(tenant, voicemail_prefix, chosen, final=final, title=title)
    judge = base.expect

    def expect(report: HintReport) -> tuple[Verdict, str]:
        verdict, reason = judge(report)  # type: ignore[misc]
        made, patterns = pattern_made(report, tenant)
        if made:
            reason += (
                f"; {', '.join(made)}: hint made by the pattern hint {', '.join(patterns)} for a "
                f"phone that subscribed to it (a key watches a number {tenant} does not have: "
                "correct the key)"
            )
        return verdict, reason

    return dataclasses.replace(base, expect=expect)


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 39 for validated parameter values ``v``."""
    chosen = pick_monitors(v["tenant"], v["monitors"], v["voicemail_prefix"])
    names = list(chosen["monitor"])
    return [
        Manual(
            id="username-not-number",
            title="Watch the username (number-TENANT), never the bare number",
            phase=Phase.BEFORE,
            where="the phone's BLF / DSS key settings",
            detail=f"extension 100 of {v['tenant']} is watched as 100-{v['tenant']}. The page: a "
            f"name without the dash (100{v['tenant']}) makes a hint that only an Asterisk restart "
            f"clears. On Asterisk 22 (the recorded demo nodes) no such hint appears: Asterisk "
            f"ignores the dash when matching, so a key watching 100{v['tenant']} counts as a "
            f"watcher of 100-{v['tenant']} and core show hints cannot show it: check the keys",
        ),
        Manual(
            id="voicemail-prefix",
            title="Voicemail keys need the MWI prefix",
            phase=Phase.BEFORE,
            where="MiRTA Configuration/Settings",
            detail=f"feature code to listen to a voicemail {v['voicemail_prefix']}[NUM]; set "
            f"'Enable Voicemail MWI with prefix' to {v['voicemail_prefix']}; a voicemail key "
            f"watches {v['voicemail_prefix']}104-{v['tenant']}; the phone's own voicemail "
            f"button dials {v['voicemail_prefix']}104",
        ),
        hints_step(v["tenant"], v["voicemail_prefix"], names, final=False),
        Manual(
            id="program-keys",
            title=f"Program the keys ({v['brand']})",
            where="the phone's web page or its provisioning file",
            detail=key_lines(chosen, v["brand"]),
        ),
        Manual(
            id="restart-if-no-dash",
            title="Only if a hint named without the dash is listed: restart Asterisk",
            where="maintenance window, on the node the phone registers to",
            detail="first correct every phone watching a name without the dash (see the hints "
            "check), then restart Asterisk ('core restart when convenient' waits for calls to "
            "end); reloading is not enough. Where the hints check lists no such hint (as on "
            "the recorded Asterisk 22 nodes) there is nothing to clear: correct the key only",
        ),
        hints_step(v["tenant"], v["voicemail_prefix"], names, final=True),
    ]


RUNBOOK = RunbookDef(
    page=39,
    demo_targets="replay:srv01,replay:srv02",
    slug="configuring-blf-on-a-phone",
    title="Configuring BLF on a phone",
    scope="tenant",
    roles=("pbx",),
    tenant_param="tenant",
    params=PARAMS,
    build=build,
    summary="BLF key strings per brand from the tenant's numbers; core show hints without traps",
    verification=Verification(
        mirta_page="In the extension's status page, the watched extension changes state during a "
        "test call, and so does the key on the watching phone.",
        asterisk_log="With 'core set verbose 3', the phone's SUBSCRIBE for the watched name is "
        "accepted (no 'Extension ... not found' for it).",
        status_menu="Status menu: the watched extension is registered.",
        tenant_selection="Recheck the tenant selected in the web interface: the monitor names "
        "carry the tenant code.",
    ),
)
