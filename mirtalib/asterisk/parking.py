"""Parser for ``parkedcalls show`` (Asterisk features.c parking, the command seed page 42 uses).

The output lists every parking lot and the calls parked in it::

    Num                   Channel (Context         Extension    Pri ) Timeout
    *** Parking lot: parkinglot_DEVEL_default (3)
    801        SIP/101-DEVEL-0000001a    (authenticated   104-DEVEL       1)     38s
       1 parked call in parking lot parkinglot_DEVEL_default
    ---
    1 parked call in total.

The ``Channel`` is the parked caller's channel; ``Timeout`` is what is left before the call goes
back to the extension that parked it (negative when overdue). MiRTA names lots
``parkinglot_<TENANT>_<name>``, so each call is attributed to a tenant. Plain CLI or AMI text.

That is the parking of features.c (Asterisk up to 11). From Asterisk 12, res_parking replaced it
with ``parking show <lot>`` (the lot's settings, then ``Parked Calls`` with ``Space :``,
``Channel :``, ``Parker Dial String :`` lines per call); :func:`parse_parking_show` reads that one
into the same :class:`ParkedCalls` (``timeout_s`` is None: the command does not print it). Each
parser refuses the other's output with ParseError instead of returning an empty list.
"""

from __future__ import annotations

import dataclasses
import logging
import re

from mirtalib.asterisk._common import Reject, as_text, parser, reject
from mirtalib.errors import ParseError

log = logging.getLogger(__name__)

_HEADER = re.compile(r"^\s*Num\s+Channel\s+\(Context\s+Extension\s+Pri\s*\)\s+Timeout\s*$")
_LOT = re.compile(r"^\s*\*\*\* Parking lot: (?P<lot>\S+)(?: \((?P<refs>-?\d+)\))?\s*$", re.A)
_CALL = re.compile(
    r"^\s*(?P<space>[0-9*#]+)\s+(?P<channel>\S+/\S+)\s+\(\s*(?P<context>\S*)\s+"
    r"(?P<exten>\S*)\s+(?P<pri>-?\d+)\s*\)\s+(?P<timeout>-?\d+)s\s*$",
    re.A,
)
_LOT_COUNT = re.compile(r"^\s*(?P<n>\d+) parked calls? in parking lot (?P<lot>\S+)\s*$", re.A)
_TOTAL = re.compile(r"^\s*(?P<n>\d+) parked calls? in total\.?\s*$", re.A)
_MIRTA_LOT = re.compile(r"^parkinglot_(?P<tenant>[A-Z0-9_]+?)_(?P<name>[A-Za-z0-9]+)$")


@dataclasses.dataclass(frozen=True)
class ParkedCall:
    """One parked call.

    Attributes:
        lot: parking lot name; tenant: from a MiRTA lot name (``parkinglot_DEVEL_default``), ''
            otherwise; space: the parking position dialed to retrieve it (``801``); channel: the
            parked caller's channel; context, exten, priority: where it returns on timeout;
            timeout_s: seconds left before it returns (negative when overdue).
    """

    lot: str
    tenant: str
    space: str
    channel: str
    context: str
    exten: str
    priority: int
    timeout_s: int | None

    @property
    def monitor(self) -> str:
        """The BLF name of the position (``801-DEVEL``), '' when the tenant is unknown."""
        return f"{self.space}-{self.tenant}" if self.tenant else ""


@dataclasses.dataclass
class ParkedCalls:
    """``parkedcalls show``: calls, lots seen (name -> calls the footer counts), the total line.

    Attributes:
        calls: parked calls in order; lots: every lot printed (value: its 'N parked calls in
            parking lot' count, 0 when no such line); total: the 'N parked calls in total' number
            (None when absent); rejects: lines not understood.
    """

    calls: list[ParkedCall]
    lots: dict[str, int]
    total: int | None
    rejects: list[Reject]

    def __repr__(self) -> str:
        calls = ", ".join(
            f"{c.space}@{c.lot}" + ("" if c.timeout_s is None else f" ({c.timeout_s}s)")
            for c in self.calls
        )
        return f"{len(self.calls)} parked: {calls or 'none'}; {len(self.rejects)} rejected lines"

    @property
    def consistent(self) -> bool:
        """True when the footer counts agree with the calls read."""
        per_lot = {lot: sum(c.lot == lot for c in self.calls) for lot in self.lots}
        total_ok = self.total is None or self.total == len(self.calls)
        return total_ok and all(per_lot[lot] == n for lot, n in self.lots.items())


def tenant_of_lot(lot: str) -> str:
    """``parkinglot_DEVEL_default`` -> ``DEVEL`` ('' for other names)."""
    m = _MIRTA_LOT.match(lot)
    return m.group("tenant") if m else ""


@parser
def parse_parkedcalls(text: str | bytes) -> ParkedCalls:
    """Parse ``parkedcalls show``.

    Raises:
        ParseError: when no line of the text belongs to this command's output;
            :class:`~mirtalib.asterisk.ami.CommandNotFound` on Asterisk 12 and later, which
            answer ``No such command 'parkedcalls show'`` (read ``parking show <lot>`` there).
    """
    body = as_text(text, what="parkedcalls show")
    calls: list[ParkedCall] = []
    lots: dict[str, int] = {}
    rejects: list[Reject] = []
    total: int | None = None
    lot = ""
    seen = False
    for lineno, line in enumerate(body.split("\n"), start=1):
        if not line.strip() or line.strip() == "---":
            continue
        if _HEADER.match(line):
            seen = True
        elif m := _LOT.match(line):
            seen, lot = True, m.group("lot")
            lots.setdefault(lot, 0)
        elif m := _CALL.match(line):
            seen = True
            if not lot:
                rejects.append(reject(lineno, "parked call before any 'Parking lot' line", line))
                continue
            calls.append(
                ParkedCall(
                    lot,
                    tenant_of_lot(lot),
                    m.group("space"),
                    m.group("channel"),
                    m.group("context"),
                    m.group("exten"),
                    int(m.group("pri")),
                    int(m.group("timeout")),
                )
            )
        elif m := _LOT_COUNT.match(line):
            seen = True
            lots[m.group("lot")] = int(m.group("n"))
        elif m := _TOTAL.match(line):
            seen, total = True, int(m.group("n"))
        else:
            rejects.append(reject(lineno, "not a parkedcalls show line", line))
    if not seen:
        first = rejects[0].raw[:80] if rejects else ""
        raise ParseError(f"parkedcalls show: not the output of this command (first line {first!r})")
    result = ParkedCalls(calls, lots, total, rejects)
    if not result.consistent:
        log.warning("parkedcalls show: footer counts disagree with the %d calls read", len(calls))
    return result


_PS_LOT = re.compile(r"^Parking Lot: (?P<lot>\S+)\s*$")
_PS_SETTING = re.compile(r"^(?P<key>[A-Z][A-Za-z ]+?)\s*:\s*(?P<value>.*?)\s*$")
_PS_CALL = re.compile(r"^\s+(?P<key>Space|Channel|Parker Dial String)\s*:\s*(?P<value>.*?)\s*$")
_PS_CHROME = re.compile(r"^(Parked Calls|\s*\(none\)|Parking General Options)\s*$")


@parser
def parse_parking_show(text: str | bytes) -> ParkedCalls:
    """Parse Asterisk 12+ ``parking show <lot>`` (or ``parking show``: lots without calls).

    Returns:
        :class:`ParkedCalls` (``lots``: lot name -> calls listed; ``total`` None;
        ``timeout_s`` None). ``Could not find parking lot`` gives no lot and no call.

    Raises:
        ParseError: when no line of the text belongs to this command's output.
    """
    body = as_text(text, what="parking show")
    calls: list[ParkedCall] = []
    lots: dict[str, int] = {}
    rejects: list[Reject] = []
    lot, seen, call = "", False, {}

    def flush() -> None:
        if call:
            if "Space" not in call or "Channel" not in call:
                rejects.append(reject(call["line"], "parked call without Space or Channel", ""))
            else:
                calls.append(
                    ParkedCall(
                        lot,
                        tenant_of_lot(lot),
                        call["Space"],
                        call["Channel"],
                        "",
                        call.get("Parker Dial String", ""),
                        0,
                        None,
                    )
                )
                lots[lot] = lots.get(lot, 0) + 1
            call.clear()

    for lineno, line in enumerate(body.split("\n"), start=1):
        if not line.strip():
            flush()
            continue
        if m := _PS_LOT.match(line):
            flush()
            seen, lot = True, m.group("lot")
            lots.setdefault(lot, 0)
        elif (m := _PS_CALL.match(line)) and lot:
            if m.group("key") == "Space" and "Space" in call:
                flush()
            call.setdefault("line", lineno)
            call[m.group("key")] = m.group("value")
        elif set(line.strip()) == {"-"}:
            continue  # underlines
        elif _PS_CHROME.match(line) or line.startswith("Could not find parking lot"):
            seen = True
        elif _PS_SETTING.match(line) and (lot or line.startswith("Dynamic Parking")):
            seen = True  # a lot setting (Parking Extension, Parking Spaces ...)
        else:
            rejects.append(reject(lineno, "not a parking show line", line))
    flush()
    if not seen:
        first = rejects[0].raw[:80] if rejects else ""
        raise ParseError(f"parking show: not the output of this command (first line {first!r})")
    return ParkedCalls(calls, lots, None, rejects)
