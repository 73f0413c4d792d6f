"""Seed page 42, *Using parking lots*: the tenant's parking range, its BLF keys and parked calls.

A parking lot is a range of numbers (700-720 by default; the demo tenant DEVEL has 800-820) where
calls are put on hold and picked up from any phone. Parking: transfer the call to a lot number, or
use the *Park the call* feature code (the number is announced, except on a blind transfer), or
*Park the call to [NUM]*; retrieving: dial the lot number; *Say the parked call extensions* lists
them. A BLF key watches a lot as ``801-DEVEL``. When the parking time runs out the call rings back
on the phone that parked it, showing the parked caller's ID.

Operator notes kept by this runbook:

* the range is fixed when the tenant is created, because changing it needs a restart of the
  parking module (the *parking* icon in Admin/PBX Nodes): that drops the calls parked on the node,
  so the runbook lists them first (:mod:`mirtalib.asterisk.parking`). The page's command,
  ``parkedcalls show``, exists only up to Asterisk 11: Asterisk 12 replaced that parking with
  res_parking, whose command is ``parking show <lot>`` (MiRTA installs Asterisk 20). With
  ``parking_cli="auto"`` (the default) the runbook asks ``parkedcalls show`` and, when Asterisk
  answers that it has no such command, ``parking show`` for each lot of the tenant; a command the
  node does not have is reported as such, never read as "nothing parked";
* the time left before a parked call returns: ``parkedcalls show`` prints it per call (the
  ``return_warn_s`` warning reads it); ``parking show <lot>`` does not (recorded on Asterisk
  22.10.1: per call only ``Space``, ``Channel`` and ``Parker Dial String``; per lot ``Parking
  Time : 45 sec``). Only AMI's ``ParkedCalls`` action gives it per call (``ParkingTimeout``,
  ``ParkingDuration``), and this page reads the CLI only: on Asterisk 12+ it shows each lot's
  parking time and says that the time left cannot be known from the CLI;
* the caller ID of a parked call reaches the phone that picks it up only with *Trust RPID* on the
  extension and the phone reading RPID (Yealink *Caller ID Source* RPID-PAI-FROM; page 44).
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pandas as pd

from mirtalib.asterisk.parking import ParkedCalls, parse_parkedcalls, parse_parking_show
from mirtalib.data.db import or_no_database
from mirtalib.errors import ParameterError, ParseError
from mirtalib.phones.blf import BRANDS, brand_string
from mirtalib.phones.blfsteps import directory
from mirtalib.phones.directory import monitors
from mirtalib.runbook import Check, Manual, Param, Phase, RunbookDef, Step, Verdict, Verification
from mirtalib.runbook.checks import missing_program
from mirtalib.runbooks.cli_answers import MissingCommand, missing_command
from mirtalib.validate import cmd

PARKED_COMMAND = cmd("asterisk", "-rx", "parkedcalls show")
CLI_CHOICES = ("auto", "parking", "parkedcalls")

PARAMS = (
    Param(
        "tenant",
        "DEVEL",
        "tenant code whose parking lots are shown",
        kind="tenant",
    ),
    Param(
        "brand",
        "yealink",
        "BLF strings for: yealink, cisco-spa, grandstream or snom",
        choices=BRANDS,
    ),
    Param(
        "parking_cli",
        "auto",
        ("auto: parkedcalls show, else parking show <lot>; parkedcalls (up to 11); parking (12+)"),
        choices=CLI_CHOICES,
    ),
    Param(
        "return_warn_s",
        15,
        "warn when a parked call returns within this many seconds (parkedcalls show only)",
        between=(0, 3600),
    ),
)


def lot_names(tenant_code: str) -> list[str]:
    """MiRTA's Asterisk names of the tenant's lots: ``parkinglot_<TENANT>_<name>``."""
    return [
        f"parkinglot_{tenant_code}_{r.name}" for r in directory(tenant_code).parking.itertuples()
    ]


def parking_commands(tenant_code: str) -> list[str]:
    """``asterisk -rx 'parking show <lot>'`` for each lot of the tenant (Asterisk 12+)."""
    return [cmd("asterisk", "-rx", f"parking show {lot}") for lot in lot_names(tenant_code)]


_LOT_LINE = re.compile(r"^Parking Lot: (?P<lot>\S+)\s*$")
_SETTING_LINE = re.compile(r"^(?P<key>[A-Z][A-Za-z ]+?)\s+:\s+(?P<value>.*?)\s*$")
_SECONDS = re.compile(r"^(?P<n>\d+) sec$")


def lot_settings(text: str) -> dict[str, dict[str, str]]:
    """The settings ``parking show`` prints for each lot (``Parking Extension``, ``Parking
    Spaces``, ``Parking Time``, ``Comeback to Origin`` ...): lot name -> setting -> value.

    Lines of the ``Parked Calls`` blocks are indented and so never read as settings.
    """
    settings: dict[str, dict[str, str]] = {}
    lot = ""
    for line in text.replace("\r", "").split("\n"):
        if m := _LOT_LINE.match(line):
            lot = m.group("lot")
            settings.setdefault(lot, {})
        elif lot and (m := _SETTING_LINE.match(line)):
            settings[lot][m.group("key")] = m.group("value")
    return settings


def parking_seconds(settings: dict[str, str]) -> int | None:
    """A lot's ``Parking Time : 45 sec`` in seconds (None when absent or not in seconds)."""
    m = _SECONDS.match(settings.get("Parking Time", ""))
    return int(m.group("n")) if m else None


@dataclasses.dataclass
class ParkedReading:
    """What the parked-calls reader found on one node.

    Attributes:
        command: the command read (``parkedcalls show`` or ``parking show``).
        parked: the parked calls (None when the node has no such command).
        missing: the node's "No such command" answer, when it has none.
        lots_asked: the lots ``parking show`` was asked for (empty for ``parkedcalls show``).
        settings: ``parking show`` only: each lot's settings (:func:`lot_settings`).
    """

    command: str
    parked: ParkedCalls | None
    missing: MissingCommand | None = None
    lots_asked: tuple[str, ...] = ()
    settings: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)

    @property
    def time_left_shown(self) -> bool:
        """True when the command prints the time left per call (``parkedcalls show``)."""
        return self.command == "parkedcalls show"

    def parking_time_s(self, lot: str) -> int | None:
        """The lot's parking time in seconds as ``parking show`` printed it (None: not read)."""
        return parking_seconds(self.settings.get(lot, {}))

    @property
    def lots_not_found(self) -> list[str]:
        """Lots asked with ``parking show`` that the node does not have."""
        seen = set(self.parked.lots) if self.parked is not None else set()
        return [lot for lot in self.lots_asked if lot not in seen]

    def __repr__(self) -> str:
        if self.missing is not None:
            return repr(self.missing)
        return f"{self.command}: {self.parked!r}"


def _missing_text(missing: MissingCommand, cli: str) -> str:
    if missing.command.startswith("parkedcalls"):
        return (
            f"this node's Asterisk has no '{missing.command}' command: Asterisk 12 and later park "
            "with res_parking ('parking show <lot>'); use parking_cli='auto' or 'parking'"
        )
    if missing.command.startswith("parking"):
        return (
            f"this node's Asterisk has no '{missing.command}' command: Asterisk 11 and older "
            "park with features.c ('parkedcalls show'); use parking_cli='auto' or 'parkedcalls'"
        )
    return f"this node's Asterisk has no '{missing.command}' command (parking_cli={cli!r})"


def read_parked(text: str, lots: tuple[str, ...] = ()) -> ParkedReading:
    """The parked-calls reading of a probe's text: ``parking show`` output (when ``lots`` were
    asked), ``parkedcalls show`` output, or the node's "No such command" answer."""
    missing = missing_command(text)
    if missing is not None:
        return ParkedReading(missing.command, None, missing, lots)
    if lots:
        parked = parse_parking_show(text)
        return ParkedReading("parking show", parked, None, lots, lot_settings(text))
    return ParkedReading("parkedcalls show", parse_parkedcalls(text))


_PARKING_MARK = "# parking show\n"  # first line of the probe's text when it read parking show


def parked_probe(tenant_code: str, cli: str):
    """The parked-calls reader of ``cli``: ``(command, probe, parse)`` (one of command/probe).

    ``parse`` gives :class:`~mirtalib.asterisk.parking.ParkedCalls` and raises ParseError naming
    the cause when the node has no such command (``parkedcalls show`` on Asterisk 12+).
    ``auto`` asks ``parkedcalls show`` and, when the node has no such command, ``parking show``
    for each lot of the tenant (:func:`reading_probe` gives the steps' fuller reading).
    """
    if cli not in CLI_CHOICES:
        raise ParameterError(f"parking_cli={cli!r} is not one of {list(CLI_CHOICES)}")
    probe, read = reading_probe(tenant_code, cli)

    def parse(text: str) -> ParkedCalls:
        reading = read(text)
        if reading.parked is None:
            raise ParseError(_missing_text(reading.missing, cli))  # type: ignore[arg-type]
        return reading.parked

    if cli == "parkedcalls":
        return PARKED_COMMAND, None, parse
    return None, probe, parse


def reading_probe(tenant_code: str, cli: str):
    """``(probe, read)``: the probe runs the command(s) of ``cli`` on a target and returns their
    text; ``read`` turns it into a :class:`ParkedReading`."""
    lots = tuple(lot_names(tenant_code))
    commands = parking_commands(tenant_code)

    def parking(target) -> str:
        return _PARKING_MARK + "\n".join(target.run(c).stdout for c in commands)

    def probe(target) -> str:
        if cli == "parking":
            return parking(target)
        first = target.run(PARKED_COMMAND).stdout
        if cli == "auto" and missing_command(first) is not None:
            return parking(target)
        return first

    def read(text: str) -> ParkedReading:
        if text.startswith(_PARKING_MARK):
            return read_parked(text.removeprefix(_PARKING_MARK), lots)
        return read_parked(text)

    return probe, read


def lot_keys(tenant_code: str, brand: str) -> pd.DataFrame:
    """One row per parking position of the tenant with the BLF string for ``brand``."""
    table = monitors(directory(tenant_code), voicemail_prefix="*97")
    lots = table[table["kind"] == "parking"].reset_index(drop=True)
    lots[brand] = [
        brand_string(brand, m, label=lbl, key=i)
        for i, (m, lbl) in enumerate(zip(lots["monitor"], lots["label"], strict=True), start=1)
    ]
    return lots


def parked_table(reading: ParkedReading, tenant_code: str = "") -> pd.DataFrame:
    """Parked calls as a table (of one tenant when given; empty when the command is missing).

    Columns ``lot, tenant, position, blf, parked_channel, returns_to`` (``parkedcalls show``: the
    extension it returns to; ``parking show``: the parker's dial string), then what the command
    tells about the return: ``returns_in_s`` (``parkedcalls show``: seconds left, negative when
    overdue) or ``lot_parking_time_s`` (``parking show``: the lot's parking time; the time left
    per call is not printed).
    """
    last = "returns_in_s" if reading.time_left_shown else "lot_parking_time_s"
    calls = reading.parked.calls if reading.parked is not None else []
    rows = [
        {
            "lot": c.lot,
            "tenant": c.tenant,
            "position": c.space,
            "blf": c.monitor,
            "parked_channel": c.channel,
            "returns_to": c.exten,
            last: c.timeout_s if reading.time_left_shown else reading.parking_time_s(c.lot),
        }
        for c in calls
        if not tenant_code or c.tenant == tenant_code
    ]
    cols = ["lot", "tenant", "position", "blf", "parked_channel", "returns_to", last]
    return pd.DataFrame(rows, columns=cols)


def lots_table(reading: ParkedReading) -> pd.DataFrame:
    """``parking show``: one row per lot read, with the settings it printed and the calls in it
    (empty for ``parkedcalls show``, which prints no lot settings)."""
    rows = []
    for lot, found in reading.settings.items():
        rows.append(
            {
                "lot": lot,
                "extension": found.get("Parking Extension", ""),
                "spaces": found.get("Parking Spaces", ""),
                "parking_time_s": parking_seconds(found),
                "comeback_to_origin": found.get("Comeback to Origin", ""),
                "parked": reading.parked.lots.get(lot, 0) if reading.parked is not None else 0,
            }
        )
    cols = ["lot", "extension", "spaces", "parking_time_s", "comeback_to_origin", "parked"]
    return pd.DataFrame(rows, columns=cols)


class _Answers:
    """A target whose answers are watched for a missing program (exit 127 "not found")."""

    def __init__(self, target) -> None:
        self.target, self.name, self.missing = target, target.name, ""

    def run(self, command: str, **kwargs):
        out = self.target.run(command, **kwargs)
        self.missing = self.missing or missing_program(out, self.target.name) or ""
        return out


def lots_text(tenant_code: str, brand: str) -> str:
    """The notebook's view of the tenant's parking lots and of their positions' BLF strings for
    ``brand`` (first and last five), or why they cannot be read (no database configured)."""

    def text() -> str:
        keys = lot_keys(tenant_code, brand)
        shown = pd.concat([keys.head(5), keys.tail(5)])[["number", "monitor", brand]]
        return "\n".join(
            [
                directory(tenant_code).parking.to_string(index=False),
                f"{len(keys)} positions",
                shown.to_string(index=False),
            ]
        )

    return or_no_database(text)


def parked_text(target, tenant_code: str, cli: str) -> str:
    """The notebook's view of the calls parked on one node (:func:`reading_probe`): the reading,
    the lots ``parking show`` printed and the parked calls; or why the node cannot answer
    (Asterisk not installed, no such command, no database configured)."""

    def text() -> str:
        probe, read = reading_probe(tenant_code, cli)
        watched = _Answers(target)
        answer = probe(watched)
        if watched.missing:
            return f"cannot read the parked calls: {watched.missing}"
        try:
            reading = read(answer)
        except ParseError as exc:
            return f"cannot read the parked calls: {exc}"
        if reading.parked is None:
            return _missing_text(reading.missing, cli)  # type: ignore[arg-type]
        lines = [repr(reading)]
        if reading.settings:
            lines.append(lots_table(reading).to_string(index=False))
        table = parked_table(reading)
        lines.append("no call parked" if table.empty else table.to_string(index=False))
        return "\n".join(lines)

    return or_no_database(text)


def _range_text(tenant_code: str) -> str:
    lots = directory(tenant_code).parking
    return ", ".join(f"{r.name} {r.start}-{r.end}" for r in lots.itertuples()) or "none"


def _judge(tenant_code: str, warn_s: int, cli: str, *, final: bool):
    def expect(reading: ParkedReading) -> tuple[Verdict, str]:
        if reading.missing is not None:
            return Verdict.FAIL, _missing_text(reading.missing, cli)
        parked = reading.parked
        assert parked is not None
        mine = [c for c in parked.calls if c.tenant == tenant_code]
        verdict = Verdict.PASS
        notes = [f"{len(parked.calls)} parked in the lots read, {len(mine)} of {tenant_code}"]
        if reading.command == "parking show" and cli == "auto":
            notes[0] += " (parking show: this Asterisk has no parkedcalls show)"
        absent = reading.lots_not_found
        if absent:
            verdict = Verdict.WARN
            notes.append("lot(s) not on this node: " + ", ".join(absent))
        positions = set(directory(tenant_code).parking_numbers())
        outside = [c.space for c in mine if c.space not in positions]
        if outside:
            verdict = Verdict.WARN
            notes.append("parked outside the tenant's range: " + ", ".join(outside))
        soon = [
            f"{c.space} ({c.timeout_s}s)"
            for c in parked.calls
            if c.timeout_s is not None and c.timeout_s <= warn_s
        ]
        if soon:
            verdict = Verdict.WARN
            notes.append("returning to the parker now or soon: " + ", ".join(soon))
        if parked.calls and not reading.time_left_shown:
            notes.append(_time_left_note(reading))
        if not parked.consistent:
            verdict = Verdict.WARN
            notes.append("the footer counts disagree with the calls listed")
        if parked.rejects:
            verdict = Verdict.WARN
            notes.append(f"{len(parked.rejects)} output lines not understood")
        if final and parked.calls:
            notes.append("do not restart the parking module while calls are parked")
        return verdict, "; ".join(notes)

    return expect


def _time_left_note(reading: ParkedReading) -> str:
    """``parking show`` prints no time left per call: say so, with the lots' parking time."""
    assert reading.parked is not None
    lots = sorted({c.lot for c in reading.parked.calls})
    times = {lot: reading.parking_time_s(lot) for lot in lots}
    if len(set(times.values())) == 1 and None not in times.values():
        shown = f"{next(iter(times.values()))} s"
    else:
        shown = ", ".join(
            f"{lot} {'not printed' if t is None else f'{t} s'}" for lot, t in times.items()
        )
    return (
        "time left per call unknown: parking show prints none (only AMI ParkedCalls has it); "
        f"parking time of the lot: {shown}"
    )


def _parked_check(v: dict[str, Any], *, final: bool) -> Check:
    t, cli = v["tenant"], v["parking_cli"]
    probe, read = reading_probe(t, cli)
    shown = {
        "auto": "parkedcalls show, or parking show on Asterisk 12+",
        "parking": "parking show",
        "parkedcalls": "parkedcalls show",
    }[cli]
    common = {"parse": read, "expect": _judge(t, v["return_warn_s"], cli, final=final)}
    if cli == "parkedcalls":  # one command: shown as such in the plan
        common["command"] = PARKED_COMMAND
        common["parse"] = read_parked
    else:
        common["probe"] = probe
    if final:
        return Check(id="parked-after", title="Parked calls are where they should be", **common)
    return Check(
        id="parked-before", title=f"Calls parked now ({shown})", phase=Phase.BEFORE, **common
    )


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 42 for validated parameter values ``v``."""
    t = v["tenant"]
    numbers = directory(t).parking_numbers()
    first, last = (numbers[0], numbers[-1]) if numbers else ("?", "?")
    return [
        Manual(
            id="range",
            title=f"Parking range of {t}: {_range_text(t)}",
            phase=Phase.BEFORE,
            where="MiRTA tenant definition (admins only)",
            detail="the range is set when the tenant is created; changing it needs a restart of "
            "the parking module ('parking' icon in Admin/PBX Nodes), which drops parked calls",
        ),
        _parked_check(v, final=False),
        Manual(
            id="timeout",
            title="Parking time before the call returns",
            where="MiRTA Configuration/Settings (tenant admin)",
            detail="how long a call stays parked before ringing back the phone that parked it; "
            "on Asterisk 12+ 'parking show <lot>' prints it as the lot's 'Parking Time'",
        ),
        Manual(
            id="blf-keys",
            title=f"BLF keys for the lots ({v['brand']})",
            where="the phones (see the key table in the notebook)",
            detail=f"one key per position, {first}-{t} .. {last}-{t}: "
            + brand_string(v["brand"], f"{first}-{t}", key=1),
        ),
        Manual(
            id="trust-rpid",
            title="Show the parked caller's ID on pickup",
            where="MiRTA extension settings + the phone",
            detail="enable 'Trust RPID' on the extensions that pick up parked calls, and let the "
            "phone use RPID (Yealink: Caller ID Source = RPID-PAI-FROM; see page 44)",
        ),
        Manual(
            id="test-park",
            title="Park and retrieve a test call",
            where="two phones of the tenant",
            detail=f"transfer a call to {first} (or use the Park feature code), watch the BLF key "
            f"of the position light up, retrieve it by dialing the position from another phone",
        ),
        _parked_check(v, final=True),
    ]


RUNBOOK = RunbookDef(
    page=42,
    demo_targets="replay:srv01,replay:srv02",
    slug="using-parking-lots",
    title="Using parking lots",
    scope="tenant",
    roles=("pbx",),
    tenant_param="tenant",
    params=PARAMS,
    build=build,
    summary="tenant parking range, BLF strings per position, parked calls per node",
    verification=Verification(
        mirta_page="The tenant's parking lot page shows the range; a parked test call appears "
        "on the watching phones' BLF keys.",
        asterisk_log="The full log shows the call parked on the expected position and, after "
        "the timeout, returning to the extension that parked it.",
        status_menu="Status menu: the parking entry of the node lists the parked test call.",
        tenant_selection="Recheck the tenant selected in the web interface: lot names carry "
        "the tenant code.",
    ),
)
