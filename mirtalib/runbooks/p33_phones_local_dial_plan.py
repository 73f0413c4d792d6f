"""Seed page 33, *Phones local dial plan*: a Grandstream dial plan, parsed and tried on numbers.

Most phones filter what is typed on the keypad with a local dial plan: it places the call as soon
as a complete number is dialed, and refuses what does not match; a too strict plan stops users
from dialing what they need. The page recommends for Grandstream phones::

    { x+\\-X+ | \\#x+\\-X+ | x+ | \\+x+ | *x+ | *xx*x+ }

``x`` a digit, ``X`` a digit or letter, ``+`` repeats what precedes it, ``\\`` makes the next
character literal. So: digits, ``+`` and digits, feature codes (``*97104``, ``*21*333...``) and
usernames (``104-DEVEL``, ``#104-DEVEL``) are all accepted.

The runbook parses the plan with :mod:`mirtalib.phones.dialplan` (a mistake gives an error naming
the rule and position), tries it on realistic Italian, international, emergency, internal and
feature-code numbers plus the operator's own, and fails when a number that must be dialable is
not. Operator note: with ``x+`` every number also matches longer ones, so the phone waits for the
dial key or its timeout before placing a call, emergency numbers included; that is the price of
accepting any length, and the table says so per number.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd

from mirtalib.errors import ParameterError, ParseError
from mirtalib.phones.dialplan import PAGE_PLAN, parse_plan
from mirtalib.phones.dialtables import evaluate_many
from mirtalib.runbook import Check, Manual, Param, Phase, RunbookDef, Step, Verdict, Verification

# (label, dialed): numbers a MiRTA phone in Italy must be able to dial
REALISTIC = (
    ("landline Empoli", "0571509644"),
    ("landline Rome", "0612345678"),
    ("mobile", "3331234567"),
    ("E.164 from the keypad", "+390571509644"),
    ("international via 00", "00442071234567"),
    ("emergency 112", "112"),
    ("police 113", "113"),
    ("fire brigade 115", "115"),
    ("ambulance 118", "118"),
    ("toll free", "800123456"),
    ("extension", "104"),
    ("queue", "500"),
    ("parking position", "801"),
    ("voicemail of 104", "*97104"),
    ("direct pickup of 104", "*56104"),
    ("call forward to a mobile", "*21*3331234567"),
    ("username", "104-DEVEL"),
)


def _plan(value: str) -> str:
    try:
        parse_plan(value)
    except ParseError as exc:
        raise ParameterError(f"dial_plan: {exc}") from None
    return value


def parse_numbers(value: str) -> tuple[tuple[str, str], ...]:
    """``"boss mobile:3391234567, fax:055123456"`` -> ((label, number), ...)."""
    out = []
    for item in (i.strip() for i in value.split(",")):
        if not item:
            continue
        label, sep, number = item.rpartition(":")
        if not sep or not label.strip() or not number.strip():
            raise ParameterError(f"numbers: {item!r} is not 'label:number'")
        out.append((label.strip(), number.strip()))
    return tuple(out)


def _numbers(value: str) -> str:
    parse_numbers(value)
    return value


PARAMS = (
    Param(
        "dial_plan",
        PAGE_PLAN,
        "x+\\-X+ | x+ | \\+x+ | *x+ | *xx*x+ }\"  # Grandstream plan (the page's)",
        check=_plan,
    ),
    Param(
        "numbers",
        "customer service:0558123456,sales mobile:3471234567",
        "more label:number pairs that must dial",
        check=_numbers,
    ),
)


def dial_table(plan: str, numbers: str) -> pd.DataFrame:
    """Every realistic and given number with what the phone does with it."""
    return evaluate_many(plan, REALISTIC + parse_numbers(numbers))


@dataclasses.dataclass
class DialReport:
    """The evaluated numbers (``table``); its repr lists the numbers that are not dialable."""

    table: pd.DataFrame

    def __repr__(self) -> str:
        bad = self.table[~self.table["outcome"].isin(["dial", "dial-after-timeout"])]
        return "not dialable: " + (", ".join(bad["dialed"]) or "none")


def _judge(report: DialReport) -> tuple[Verdict, str]:
    table = report.table
    refused = table[~table["outcome"].isin(["dial", "dial-after-timeout"])]
    waiting = table[table["outcome"] == "dial-after-timeout"]
    note = f"{len(table) - len(refused)} of {len(table)} numbers dialable"
    if len(waiting):
        note += f" ({len(waiting)} only after the dial key or the timeout)"
    if not refused.empty:
        items = ", ".join(f"{r.label} {r.dialed} ({r.outcome})" for r in refused.itertuples())
        return Verdict.FAIL, note + "; not dialable: " + items
    return Verdict.PASS, note


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 33 for validated parameter values ``v``."""

    def check(check_id: str, title: str, phase: Phase) -> Check:
        return Check(
            id=check_id,
            title=title,
            phase=phase,
            probe=lambda _target: v["dial_plan"],
            parse=lambda text: DialReport(dial_table(text, v["numbers"])),
            expect=_judge,
        )

    return [
        check("plan-before", "The plan accepts every number users must dial", Phase.BEFORE),
        Manual(
            id="set-plan",
            title="Set the dial plan on the phones",
            where="Grandstream web page: Accounts > Account N > Call Settings > Dial Plan "
            "(or the same setting in the provisioning template)",
            detail=f"Dial Plan = {v['dial_plan']}",
        ),
        Manual(
            id="try-numbers",
            title="Dial a few numbers from one phone",
            where="one phone of a test tenant",
            detail="an extension, a mobile, a feature code (*97 + extension) and an "
            "E.164 number with '+': each is placed (after the dial key or the timeout)",
        ),
        check("plan-after", "The plan on the phones accepts every number", Phase.VERIFICATION),
    ]


RUNBOOK = RunbookDef(
    page=33,
    slug="phones-local-dial-plan",
    title="Phones local dial plan",
    scope="node",
    roles=("pbx",),
    params=PARAMS,
    build=build,
    summary="Grandstream dial plan parsed and tried on realistic numbers",
    verification=Verification(
        mirta_page="The CDR page of the tenant shows the test calls with the dialed numbers "
        "unchanged (or changed as the plan's <..=..> substitutions say).",
        asterisk_log="The full log shows each test call entering the dial plan with the number "
        "as dialed.",
        status_menu="Status menu: the test phone is registered.",
    ),
)
