"""The shape every quality and toll-fraud finding shares, and business hours.

A finding says *what* (``kind``), *whose* (``tenant``, ``subject``: an extension, trunk or
number), *when* (``start``, ``end``), *which calls* (``calls``: count, ``call_ids``), *why*
(``reason``: a sentence with the numbers) and *how strong* (``strength``: a number whose meaning
the reason states, and ``severity``: low / medium / high).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from mirtalib.errors import ParameterError

FINDING_COLUMNS = (
    "kind", "tenant", "subject", "start", "end", "calls", "call_ids", "reason", "strength",
    "severity",
)  # fmt: skip
MAX_IDS = 20
_DAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


def empty_findings() -> pd.DataFrame:
    """An empty findings frame."""
    types = {
        "start": "datetime64[ns]",
        "end": "datetime64[ns]",
        "calls": "int64",
        "strength": "float64",
    }
    return pd.DataFrame({c: pd.Series(dtype=types.get(c, "str")) for c in FINDING_COLUMNS})


def make_findings(rows: list[dict]) -> pd.DataFrame:
    """Build a findings frame from dicts; ``call_ids`` lists are joined (first 20, then '...')."""
    if not rows:
        return empty_findings()
    for row in rows:
        ids = list(row.get("call_ids", []))
        row["calls"] = int(row.get("calls", len(ids)))
        text = ", ".join(map(str, ids[:MAX_IDS]))
        row["call_ids"] = text + (f", ... (+{len(ids) - MAX_IDS})" if len(ids) > MAX_IDS else "")
    out = pd.DataFrame(rows, columns=list(FINDING_COLUMNS))
    out["start"] = pd.to_datetime(out["start"]).astype("datetime64[ns]")
    out["end"] = pd.to_datetime(out["end"]).astype("datetime64[ns]")
    out["strength"] = out["strength"].astype(float)
    for col in ("kind", "tenant", "subject", "call_ids", "reason", "severity"):
        out[col] = out[col].fillna("").astype("str")
    return out.sort_values(["kind", "tenant", "start", "subject"], ignore_index=True)


def severity(value: float, medium: float, high: float) -> str:
    """'high' from ``high`` up, 'medium' from ``medium`` up, else 'low'."""
    return "high" if value >= high else "medium" if value >= medium else "low"


@dataclass(frozen=True)
class BusinessHours:
    """Weekly business hours, e.g. ``BusinessHours.parse("Mon-Fri 08:00-19:00; Sat 09:00-13:00")``.

    Attributes:
        spans: (weekday 0=Mon, start minute, end minute) windows, end exclusive.
    """

    spans: tuple[tuple[int, int, int], ...]

    @classmethod
    def parse(cls, text: str) -> BusinessHours:
        """Parse ``"Mon-Fri 08:00-19:00; Sat 09:00-13:00"`` (days or ranges, then HH:MM-HH:MM).

        Raises:
            ParameterError: naming the part that cannot be read.
        """
        spans = []
        for part in filter(None, (p.strip() for p in str(text).split(";"))):
            m = re.fullmatch(
                r"(?P<d1>[A-Za-z]{3})(?:-(?P<d2>[A-Za-z]{3}))?\s+"
                r"(?P<h1>\d{1,2}):(?P<m1>\d\d)-(?P<h2>\d{1,2}):(?P<m2>\d\d)",
                part,
            )
            if not m or m["d1"].lower() not in _DAYS or (m["d2"] and m["d2"].lower() not in _DAYS):
                raise ParameterError(
                    f"business_hours: cannot read {part!r} (expected e.g. 'Mon-Fri 08:00-19:00')"
                )
            d1 = _DAYS[m["d1"].lower()]
            d2 = _DAYS[(m["d2"] or m["d1"]).lower()]
            lo = int(m["h1"]) * 60 + int(m["m1"])
            hi = int(m["h2"]) * 60 + int(m["m2"])
            if not (0 <= lo < hi <= 24 * 60) or d2 < d1:
                raise ParameterError(f"business_hours: {part!r} is not a forward day/time range")
            spans.extend((d, lo, hi) for d in range(d1, d2 + 1))
        return cls(tuple(spans))

    def contains(self, when: pd.Series) -> pd.Series:
        """True where a local timestamp falls inside business hours."""
        day = when.dt.day_of_week
        minute = when.dt.hour * 60 + when.dt.minute
        inside = pd.Series(False, index=when.index)
        for d, lo, hi in self.spans:
            inside |= day.eq(d) & minute.ge(lo) & minute.lt(hi)
        return inside
