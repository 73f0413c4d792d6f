"""Call search, as CDR viewers offer it: filter the calls of a report, page through them, open one.

>>> search = CallSearch(report)                       # a pandas-engine CdrReport
>>> page = search.find(number="0815", disposition="ANSWERED", min_duration_s=60, page=1)
>>> page.rows                                          # one row per call, newest first
>>> search.legs(page.rows["call_id"].iloc[0])          # what the PBX wrote for that call
>>> search.recordings(call_id)                         # its recordings, where the coverage
...                                                    # audit (mirtalib.recording) knows them

Filters (all optional, combined with AND): ``number`` (digits found in the caller, the dialed
number, who answered or where the call landed; spaces, dashes and a leading ``+`` ignored),
``extension`` (``100-ACME``, or ``100`` in any tenant: the caller's or the answering extension),
``disposition`` (the call's outcome: ANSWERED, NO ANSWER, BUSY, FAILED, CONGESTION),
``min_duration_s``/``max_duration_s`` (the call's duration, ringing included), ``start``/``end``
(ISO times; calls starting in [start, end)) and ``tenants``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from mirtalib.cdr.calls import annotate_legs
from mirtalib.cdr.load import normalize_tenants
from mirtalib.errors import MirtaError, ParameterError
from mirtalib.validate import iso_date

DISPOSITIONS = ("ANSWERED", "NO ANSWER", "BUSY", "FAILED", "CONGESTION")
PAGE_SIZE = 25
RESULT_COLUMNS = [
    "call_id",
    "start",
    "tenant",
    "direction",
    "caller",
    "src",
    "dst",
    "landed",
    "disposition",
    "duration",
    "billable",
    "legs",
]
LEG_VIEW_COLUMNS = [
    "start",
    "answer",
    "end",
    "duration",
    "billsec",
    "disposition",
    "src",
    "dst",
    "channel",
    "dstchannel",
    "lastapp",
    "uniqueid",
    "userfield",
]
RECORDING_COLUMNS = ["uniqueid", "segment", "expected", "status", "relpath", "problem", "duration"]
_DIGITS = re.compile(r"[\s\-().]")


@dataclass
class CallPage:
    """One page of a search.

    Attributes:
        rows: the calls of the page (:data:`RESULT_COLUMNS`), newest first.
        total: calls matching the filters.
        page, pages, page_size: this page (from 1), how many there are, calls per page.
    """

    rows: pd.DataFrame
    total: int
    page: int
    pages: int
    page_size: int

    def describe(self) -> str:
        """``calls 26-50 of 312 (page 2 of 13)``, or ``no call matches``."""
        if not self.total:
            return "no call matches"
        first = (self.page - 1) * self.page_size + 1
        return (
            f"calls {first:,}-{first + len(self.rows) - 1:,} of {self.total:,} "
            f"(page {self.page} of {self.pages})"
        )


def _digits(text: str) -> str:
    return _DIGITS.sub("", text).lstrip("+")


def _disposition(value: str) -> str:
    text = value.strip().upper().replace("_", " ")
    if text and text not in DISPOSITIONS:
        from mirtalib.nbrun.suggest import did_you_mean

        close = did_you_mean(text, DISPOSITIONS)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise ParameterError(
            f"disposition={value!r}{hint}: use one of {', '.join(DISPOSITIONS)} or ''"
        )
    return text


def search_calls(
    calls: pd.DataFrame,
    *,
    number: str = "",
    extension: str = "",
    disposition: str = "",
    min_duration_s: float | None = None,
    max_duration_s: float | None = None,
    start: str | None = None,
    end: str | None = None,
    tenants: str | Sequence[str] | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> CallPage:
    """The calls matching every given filter, newest first, one page of them (see the module).

    Raises:
        ParameterError: a bad filter (unknown disposition, non-ISO time, a page past the last).
    """
    if page_size < 1 or page < 1:
        raise ParameterError("page and page_size start at 1")
    keep = pd.Series(True, index=calls.index)
    if number.strip():
        wanted = _digits(number.strip())
        if not wanted.isdigit():
            raise ParameterError(f"number={number!r}: give digits (spaces, -, + are ignored)")
        hit = pd.Series(False, index=calls.index)
        for col in ("src", "dst", "who_answered", "landed", "e164", "caller"):
            if col in calls:
                values = calls[col].astype(str).str.replace(_DIGITS.pattern, "", regex=True)
                hit |= values.str.contains(wanted, regex=False)
        keep &= hit
    if extension.strip():
        ext = extension.strip().upper()
        num, _, tenant = ext.partition("-")
        caller = calls["caller"].astype(str).str.upper()
        if tenant:
            own = calls["tenant"].eq(tenant)
            hit = caller.eq(ext)
        else:
            own = pd.Series(True, index=calls.index)
            hit = caller.str.partition("-")[0].eq(num) & caller.str.contains("-", regex=False)
        for col in ("who_answered", "landed", "dst", "src"):
            hit |= own & calls[col].astype(str).str.upper().isin([num, ext])
        keep &= hit
    state = _disposition(disposition)
    if state:
        keep &= calls["disposition"].eq(state)
    if min_duration_s is not None:
        keep &= calls["duration"] >= min_duration_s
    if max_duration_s is not None:
        keep &= calls["duration"] <= max_duration_s
    if start:
        keep &= calls["start"] >= pd.Timestamp(iso_date(start, "start"))
    if end:
        keep &= calls["start"] < pd.Timestamp(iso_date(end, "end"))
    codes = normalize_tenants(tenants)
    if codes:
        keep &= calls["tenant"].isin(codes)
    found = calls[keep].sort_values(["start", "call_id"], ascending=[False, True])
    total = len(found)
    pages = max(1, math.ceil(total / page_size))
    if page > pages:
        raise ParameterError(f"page {page}: the search has {pages} page(s)")
    rows = found.iloc[(page - 1) * page_size : page * page_size]
    rows = rows[[c for c in RESULT_COLUMNS if c in rows]].reset_index(drop=True)
    return CallPage(rows, total, page, pages, page_size)


class CallSearch:
    """Search the calls of a CDR report and open one: its legs and its recordings.

    Args:
        report: a :class:`~mirtalib.cdr.report.CdrReport` of the pandas engine (which keeps every
            call and leg in memory; the sql engine does not).
        coverage: the recording coverage audit of the same period
            (:class:`mirtalib.recording.coverage.CoverageAudit`), or a function returning it,
            called the first time a call's recordings are asked for; None: recordings unknown.
    """

    def __init__(self, report, coverage=None) -> None:
        if report.calls is None or report.legs is None:
            raise ParameterError(
                "the call search needs the pandas engine's calls (engine='pandas', or a "
                "narrower period or fewer tenants)"
            )
        self.report = report
        self.calls = report.calls
        self._coverage = coverage
        self._legs: pd.DataFrame | None = None

    def find(self, **filters) -> CallPage:
        """:func:`search_calls` on the report's calls."""
        return search_calls(self.calls, **filters)

    def legs(self, call_id: str) -> pd.DataFrame:
        """The call's legs (:data:`LEG_VIEW_COLUMNS`, in start order), as the PBX wrote them."""
        if self._legs is None:
            self._legs = annotate_legs(self.report.legs, self.report.params.timezone)
        legs = self._legs[self._legs["call_id"] == call_id]
        if legs.empty:
            raise ParameterError(f"call_id: no call {call_id!r} in this report")
        cols = [c for c in LEG_VIEW_COLUMNS if c in legs]
        return legs.sort_values(["start", "uniqueid"])[cols].reset_index(drop=True)

    def coverage(self):
        """The coverage audit (computed on first use when given as a function), or None."""
        if callable(self._coverage):
            self._coverage = self._coverage()
        return self._coverage

    def recordings(self, call_id: str) -> pd.DataFrame:
        """Per leg of the call known to the coverage audit: whether a recording was expected,
        its status (recorded, missing, broken, unexpected ...) and the recording files.

        Raises:
            ParameterError: unknown call; MirtaError from the audit when it cannot be computed.
        """
        legs = self.legs(call_id)
        audit = self.coverage()
        if audit is None:
            return pd.DataFrame(columns=RECORDING_COLUMNS)
        uids = set(legs["uniqueid"]) - {""}
        mine = audit.legs[audit.legs["uniqueid"].isin(uids)]
        recs = audit.recordings[audit.recordings["leg_id"].isin(mine["leg_id"])]
        recs = recs[["leg_id", "relpath", "problem", "duration"]]
        out = mine[["leg_id", "uniqueid", "segment", "expected", "status"]].merge(
            recs, on="leg_id", how="left"
        )
        out[["relpath", "problem"]] = out[["relpath", "problem"]].fillna("")
        return out[RECORDING_COLUMNS].reset_index(drop=True)


def coverage_for(start: str, end: str, tenants: str) -> Callable[[], object]:
    """A function computing the recording coverage audit of the period from the recording
    metadata table (``inventory_source='db'``), for :class:`CallSearch`; None when the database
    has none."""

    def compute():
        from mirtalib.recording.report import run_coverage

        try:
            return run_coverage(start, end, tenants, inventory_source="db").audit
        except MirtaError:
            return None

    return compute
