"""Write CDR legs as Asterisk's cdr_csv ``Master.csv`` (the 16/17/18/19/21-column variants).

cdr_csv writes, without a header line, per record: accountcode, src, dst, dcontext, clid, channel,
dstchannel, lastapp, lastdata, start, answer, end, duration, billsec, disposition, amaflags, then
``uniqueid`` when ``loguniqueid=yes``, ``userfield`` when ``loguserfield=yes``, and peeraccount,
linkedid, sequence when ``newcdrcolumns=yes``. Strings (amaflags included: cdr_csv writes its name,
e.g. ``"DOCUMENTATION"``) are double-quoted with ``""`` escapes; duration, billsec and sequence are
bare integers; a timestamp is a quoted ``YYYY-MM-DD HH:MM:SS`` string, or a bare empty field when
not set (an unanswered call's ``answer``).

Column variants written here:

=====  ===================================================================================
16     the base fields
17     base + uniqueid (loguniqueid)
18     base + uniqueid + userfield (loguniqueid, loguserfield: Asterisk's default)
19     base + peeraccount, linkedid, sequence (newcdrcolumns only)
21     base + uniqueid + userfield + peeraccount, linkedid, sequence
=====  ===================================================================================
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from mirtalib.errors import ParameterError

log = logging.getLogger(__name__)

BASE_FIELDS = (
    "accountcode",
    "src",
    "dst",
    "dcontext",
    "clid",
    "channel",
    "dstchannel",
    "lastapp",
    "lastdata",
    "start",
    "answer",
    "end",
    "duration",
    "billsec",
    "disposition",
    "amaflags",
)
VARIANTS: dict[int, tuple[str, ...]] = {
    16: BASE_FIELDS,
    17: (*BASE_FIELDS, "uniqueid"),
    18: (*BASE_FIELDS, "uniqueid", "userfield"),
    19: (*BASE_FIELDS, "peeraccount", "linkedid", "sequence"),
    21: (*BASE_FIELDS, "uniqueid", "userfield", "peeraccount", "linkedid", "sequence"),
}
_TIMES = {"start", "answer", "end"}
_INTS = {"duration", "billsec", "sequence"}
# ast_channel_amaflags2string
AMAFLAGS_NAMES = {1: "OMIT", 2: "BILLING", 3: "DOCUMENTATION"}


def _quoted(values: pd.Series) -> list[str]:
    text = values.astype(object).fillna("").astype(str).tolist()
    if '"' in "\x00".join(text):
        text = [v.replace('"', '""') for v in text]
    return [f'"{v}"' for v in text]


def _field(legs: pd.DataFrame, name: str) -> list[str]:
    col = legs[name]
    if name in _TIMES:
        stamps = pd.to_datetime(col).to_numpy(dtype="datetime64[s]")
        text = np.char.replace(stamps.astype(str), "T", " ").astype(object)
        text[np.isnat(stamps)] = None
        return ["" if t is None else f'"{t}"' for t in text.tolist()]
    if name in _INTS:
        ints = pd.array(col, dtype="Int64")
        return ["" if v is None else str(v) for v in ints.to_numpy(dtype=object, na_value=None)]
    if name == "amaflags":
        flags = pd.array(col, dtype="Int64").to_numpy(dtype=object, na_value=None)
        return _quoted(pd.Series([AMAFLAGS_NAMES.get(v, "Unknown") for v in flags]))
    return _quoted(col)


def format_master_csv(legs: pd.DataFrame, columns: int = 21) -> str:
    """Return the cdr_csv text of ``legs`` (one line per row) in the ``columns`` variant.

    Raises:
        ParameterError: unknown variant, or a column the variant needs is missing from ``legs``.
    """
    if columns not in VARIANTS:
        raise ParameterError(
            f"Master.csv columns={columns!r}: use one of {', '.join(map(str, VARIANTS))}"
        )
    fields = VARIANTS[columns]
    missing = [f for f in fields if f not in legs.columns]
    if missing:
        raise ParameterError(f"legs lack the columns {', '.join(missing)} needed by Master.csv")
    if legs.empty:
        return ""
    parts = [_field(legs, f) for f in fields]
    return "\n".join(map(",".join, zip(*parts, strict=True))) + "\n"


def write_master_csv(
    legs: pd.DataFrame, path: Path | str, columns: int = 21, *, append: bool = False
) -> int:
    """Write ``legs`` as a cdr_csv ``Master.csv`` at ``path``; return the number of lines written.

    Args:
        legs: CDR legs with the normalized legs columns (see docs/ARCHITECTURE.md).
        path: the file; its folder is created.
        columns: 16, 17, 18, 19 or 21 (see the module docstring).
        append: add to an existing file (chunked writing) instead of replacing it.
    """
    text = format_master_csv(legs, columns)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a" if append else "w", encoding="utf-8", newline="") as fh:
        fh.write(text)
    log.debug("wrote %d CDR lines to %s", len(legs), path)
    return len(legs)
