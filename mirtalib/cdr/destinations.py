"""Destinations of outbound calls: country, number type, top destinations, international share.

Numbers are read with the ``phonenumbers`` library (Google's libphonenumber metadata), relative
to the PBX's home region (``home_region``, e.g. "IT"): national numbers are read as such, and the
region's international prefix (00 in Italy) or a leading ``+`` makes a number international.
"""

from __future__ import annotations

import logging
from functools import lru_cache

import pandas as pd
import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

from mirtalib.errors import ParameterError

log = logging.getLogger(__name__)

PREMIUM_TYPES = {PhoneNumberType.PREMIUM_RATE, PhoneNumberType.SHARED_COST}
_TYPE_NAMES = {v: k.lower() for k, v in vars(PhoneNumberType).items() if k.isupper()}


def check_region(region: str) -> str:
    """Validate a two-letter region code known to phonenumbers (raises ParameterError)."""
    code = str(region).strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ParameterError(f"home_region={region!r} is not a known region code (e.g. 'IT')")
    return code


@lru_cache(maxsize=200_000)
def classify_number(number: str, home_region: str = "IT") -> tuple[str, str, bool, str]:
    """Read one dialed number.

    Returns:
        (country region code or "" when not a phone number, number type name such as
        "fixed_line", "mobile", "premium_rate" or "" , is_international, E.164 or "").
    """
    digits = "".join(ch for ch in str(number) if ch.isdigit() or ch == "+")
    if len(digits.lstrip("+")) < 5:
        return "", "", False, ""  # extensions, feature codes, short numbers
    try:
        parsed = phonenumbers.parse(digits, home_region)
    except NumberParseException:
        return "", "", False, ""
    region = phonenumbers.region_code_for_number(parsed) or ""
    kind = _TYPE_NAMES.get(phonenumbers.number_type(parsed), "unknown")
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    international = bool(region) and region != home_region
    return region, kind, international, e164


def classify_calls(calls: pd.DataFrame, home_region: str = "IT") -> pd.DataFrame:
    """Calls plus ``country``, ``number_type``, ``international``, ``premium``, ``e164`` of their
    ``dst`` (only outbound calls are classified; others get "" / False)."""
    region = check_region(home_region)
    out = calls.copy()
    outbound = out["direction"].eq("OUT")
    unique = pd.Series(out.loc[outbound, "dst"].unique())
    info = pd.DataFrame(
        [classify_number(d, region) for d in unique],
        columns=["country", "number_type", "international", "e164"],
        index=unique,
    )
    joined = info.reindex(out["dst"].where(outbound))
    out["country"] = joined["country"].fillna("").to_numpy().astype("str")
    out["number_type"] = joined["number_type"].fillna("").to_numpy().astype("str")
    out["international"] = joined["international"].fillna(False).to_numpy().astype(bool)
    out["e164"] = joined["e164"].fillna("").to_numpy().astype("str")
    out["premium"] = out["number_type"].isin(["premium_rate", "shared_cost"])
    return out


def top_destinations(classified: pd.DataFrame, n: int = 10, by: str | None = None) -> pd.DataFrame:
    """The ``n`` most called outbound numbers (per ``by`` group when given).

    Returns:
        ``[by,] dst, country, number_type, calls, answered, minutes`` sorted by calls.
    """
    out = classified[classified["direction"].eq("OUT")]
    keys = ([by] if by else []) + ["dst", "country", "number_type"]
    agg = out.groupby(keys, observed=True).agg(
        calls=("call_id", "size"), answered=("answered", "sum"), seconds=("billable", "sum")
    )
    agg["minutes"] = agg.pop("seconds") / 60.0
    agg = agg.reset_index().sort_values(
        [*([by] if by else []), "calls", "minutes", "dst"],
        ascending=[*([True] if by else []), False, False, True],
    )
    if by:
        return agg.groupby(by, observed=True).head(n).reset_index(drop=True)
    return agg.head(n).reset_index(drop=True)


def countries(classified: pd.DataFrame, by: str | None = "tenant") -> pd.DataFrame:
    """Outbound calls and minutes per destination country (``""`` = not a phone number)."""
    out = classified[classified["direction"].eq("OUT")]
    keys = ([by] if by else []) + ["country"]
    agg = out.groupby(keys, observed=True).agg(
        calls=("call_id", "size"), seconds=("billable", "sum")
    )
    agg["minutes"] = agg.pop("seconds") / 60.0
    return agg.reset_index().sort_values(
        [*([by] if by else []), "calls"], ascending=[True] * bool(by) + [False], ignore_index=True
    )


def international_share(classified: pd.DataFrame, by: str = "tenant") -> pd.DataFrame:
    """Per group: outbound calls, international calls and minutes, and their shares."""
    out = classified[classified["direction"].eq("OUT")].copy()
    out["intl_sec"] = out["billable"].where(out["international"], 0)
    agg = out.groupby(by, observed=True).agg(
        outbound=("call_id", "size"),
        international=("international", "sum"),
        minutes=("billable", "sum"),
        intl_minutes=("intl_sec", "sum"),
    )
    agg["minutes"] = agg["minutes"] / 60.0
    agg["intl_minutes"] = agg["intl_minutes"] / 60.0
    agg["call_share"] = agg["international"] / agg["outbound"]
    agg["minute_share"] = (agg["intl_minutes"] / agg["minutes"]).where(agg["minutes"] > 0)
    return agg.reset_index()
