"""Header matching and cell cleaning shared by the VMware readers.

RVTools renamed columns between versions (``# CPU`` / ``Num CPU``, ``Powerstate`` / ``Power State``)
and exports from other tools differ in case and spacing. Headers are therefore compared after
:func:`norm_header`: lower case, ``#`` read as ``num``, every character that is not a letter or a
digit removed. Each reader declares the canonical columns it needs and the spellings it accepts.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from mirtalib.errors import SchemaError

log = logging.getLogger(__name__)

_NON_ALNUM = re.compile(r"[^a-z0-9]")


def norm_header(name: object) -> str:
    """Return the comparison key of a column header (``'# Cores'`` -> ``'numcores'``)."""
    text = str(name).strip().lower().replace("#", "num")
    return _NON_ALNUM.sub("", text)


def pick_columns(
    frame: pd.DataFrame,
    wanted: Mapping[str, Sequence[str]],
    *,
    required: Sequence[str],
    what: str,
) -> pd.DataFrame:
    """Select and rename columns of ``frame`` by accepted spellings.

    Args:
        frame: the table as read (headers as the tool wrote them).
        wanted: canonical name -> accepted header spellings (compared with :func:`norm_header`).
        required: canonical names that must be present.
        what: name of the table for messages (``'RVTools vInfo'``).

    Returns:
        A frame with the canonical names of the columns found (optional ones may be missing).

    Raises:
        SchemaError: a required column is missing; the message lists the headers that were found.
    """
    by_key: dict[str, str] = {}
    for col in frame.columns:
        by_key.setdefault(norm_header(col), col)
    chosen: dict[str, str] = {}
    for canon, spellings in wanted.items():
        for spelling in (canon, *spellings):
            key = norm_header(spelling)
            if key in by_key:
                chosen[canon] = by_key[key]
                break
    missing = [c for c in required if c not in chosen]
    if missing:
        accepted = {c: [wanted[c][0] if wanted[c] else c] for c in missing}
        raise SchemaError(
            f"{what}: missing column(s) {', '.join(repr(accepted[c][0]) for c in missing)}; "
            f"headers found: {', '.join(map(repr, map(str, frame.columns)))}"
        )
    out = frame[[chosen[c] for c in chosen]].copy()
    out.columns = list(chosen)
    return out


def to_number(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Convert cells to float; return the values and a mask of cells that were not numbers.

    Empty cells become NaN and are *not* flagged; ``'1,5'`` (decimal comma) is read as 1.5 and
    ``'1.024,5'`` / ``'1,024.5'`` thousands separators are removed.
    """
    text = series.astype("string").str.strip()
    empty = text.isna() | (text == "")
    cleaned = text.str.replace("\u00a0", "", regex=False).str.replace(" ", "", regex=False)
    both = cleaned.str.contains(",", regex=False) & cleaned.str.contains(".", regex=False)
    last_comma = cleaned.str.rfind(",") > cleaned.str.rfind(".")
    cleaned = cleaned.mask(both & last_comma, cleaned.str.replace(".", "", regex=False))
    cleaned = cleaned.mask(both & ~last_comma, cleaned.str.replace(",", "", regex=False))
    cleaned = cleaned.str.replace(",", ".", regex=False)
    values = pd.to_numeric(cleaned.mask(empty), errors="coerce").astype(float)
    bad = values.isna() & ~empty
    return values, bad.fillna(False).astype(bool)


def to_bool(series: pd.Series) -> pd.Series:
    """Read ``True/False/yes/no/1/0/on/off`` cells as a nullable boolean."""
    text = series.astype("string").str.strip().str.lower()
    mapping = {
        "true": True,
        "yes": True,
        "1": True,
        "on": True,
        "false": False,
        "no": False,
        "0": False,
        "off": False,
    }
    return text.map(mapping).astype("boolean")


def norm_power(series: pd.Series) -> pd.Series:
    """Normalize power states to ``on`` / ``off`` / ``suspended`` (others kept lower-case)."""
    text = series.astype("string").fillna("").str.strip().str.lower()
    text = text.str.replace("powered", "", regex=False).str.replace(" ", "", regex=False)
    return text.replace(
        {
            "poweredon": "on",
            "true": "on",
            "running": "on",
            "up": "on",
            "poweredoff": "off",
            "false": "off",
            "stopped": "off",
            "down": "off",
        }
    )


def empty_exclusions() -> pd.DataFrame:
    """An empty exclusions table (``kind``, ``name``, ``reason``)."""
    return pd.DataFrame(
        {
            "kind": pd.Series(dtype="string"),
            "name": pd.Series(dtype="string"),
            "reason": pd.Series(dtype="string"),
        }
    )


def exclusions(
    kind: str, names: Sequence[str] | pd.Series, reason: str | Sequence[str]
) -> pd.DataFrame:
    """Build exclusion rows for ``names`` (one reason for all, or one per name)."""
    names = list(names)
    reasons = [reason] * len(names) if isinstance(reason, str) else list(reason)
    return pd.DataFrame(
        {
            "kind": pd.Series([kind] * len(names), dtype="string"),
            "name": pd.Series([str(n) for n in names], dtype="string"),
            "reason": pd.Series(reasons, dtype="string"),
        }
    )


def finite_or_nan(value: float) -> float:
    """Return ``value`` as float, NaN when it is not finite."""
    value = float(value)
    return value if np.isfinite(value) else float("nan")
