"""The outside world of the demo PBX: a pool of valid external phone numbers with rating data.

Numbers are made from the ``phonenumbers`` metadata (example number of a region and type, last
digits randomized, kept only when ``phonenumbers`` says the result is valid and of the wanted
type), so the country, number type and mobile carrier the analytics derive from them are right.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType, carrier, geocoder

_T = PhoneNumberType
# group, region, type, share of the pool draws, sell price per minute (EUR)
DESTINATIONS = [
    ("national", "IT", _T.FIXED_LINE, 0.46, 0.012),
    ("mobile", "IT", _T.MOBILE, 0.40, 0.045),
    ("tollfree", "IT", _T.TOLL_FREE, 0.025, 0.0),
    ("premium", "IT", _T.PREMIUM_RATE, 0.005, 1.20),
    ("international", "DE", _T.FIXED_LINE, 0.02, 0.03),
    ("international", "FR", _T.FIXED_LINE, 0.015, 0.03),
    ("international", "GB", _T.MOBILE, 0.01, 0.09),
    ("international", "ES", _T.FIXED_LINE, 0.01, 0.03),
    ("international", "CH", _T.FIXED_LINE, 0.01, 0.06),
    ("international", "US", _T.FIXED_LINE_OR_MOBILE, 0.005, 0.02),
]
# Destinations of toll fraud (international / premium numbers called at night by a hacked phone).
FRAUD_DESTINATIONS = [
    ("fraud", "LV", _T.PREMIUM_RATE, 0.3, 2.40),
    ("fraud", "CU", _T.FIXED_LINE, 0.25, 1.10),
    ("fraud", "GM", _T.MOBILE, 0.2, 0.85),
    ("fraud", "GB", _T.PREMIUM_RATE, 0.15, 1.90),
    ("fraud", "SO", _T.MOBILE, 0.1, 1.60),
]
# Leading digits (national significant number) to vary the numbers; others use the example's.
PREFIXES = {
    ("IT", _T.FIXED_LINE): ["02", "06", "011", "051", "055", "081", "049", "045", "0571", "010"],
    ("IT", _T.MOBILE): [
        "320",
        "328",
        "333",
        "335",
        "338",
        "339",
        "340",
        "347",
        "348",
        "349",
        "366",
        "380",
        "388",
        "392",
    ],
    ("DE", _T.FIXED_LINE): ["30", "89", "40", "69"],
    ("FR", _T.FIXED_LINE): ["1", "4", "3"],
}
_TYPE_LABEL = {
    _T.FIXED_LINE: "Fixed",
    _T.MOBILE: "Mobile",
    _T.FIXED_LINE_OR_MOBILE: "Fixed or mobile",
    _T.TOLL_FREE: "Toll free",
    _T.PREMIUM_RATE: "Premium rate",
}
POOL_COLUMNS = ("dialed", "e164", "group", "region", "country", "network", "rate", "buy_rate")


def _country(region: str) -> str:
    number = phonenumbers.example_number(region)
    name = geocoder.country_name_for_number(number, "en") if number else ""
    return name or region


def _make_number(rng: np.random.Generator, region: str, ntype: int) -> phonenumbers.PhoneNumber:
    example = phonenumbers.example_number_for_type(region, ntype)
    national = phonenumbers.national_significant_number(example)
    prefixes = PREFIXES.get((region, ntype), [national[: max(2, len(national) - 6)]])
    for _ in range(200):
        prefix = prefixes[rng.integers(len(prefixes))]
        digits = rng.integers(0, 10, max(1, len(national) - len(prefix)))
        tail = "".join(str(d) for d in digits)
        candidate = phonenumbers.parse(f"+{example.country_code}{prefix}{tail}")
        if phonenumbers.is_valid_number(candidate) and phonenumbers.number_type(candidate) == ntype:
            return candidate
    return example  # the metadata's own example is always valid


def dialed_form(number: phonenumbers.PhoneNumber) -> str:
    """How an Italian user dials a number: national format for Italy, ``00`` + E.164 otherwise."""
    if number.country_code == 39:
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL).replace(" ", "")
    return "00" + phonenumbers.format_number(number, PhoneNumberFormat.E164)[1:]


def build_pool(rng: np.random.Generator, size: int, destinations=DESTINATIONS) -> pd.DataFrame:
    """Draw up to ``size`` distinct valid numbers from ``destinations``.

    ``destinations`` rows are (group, region, number type, share, sell rate per minute).

    Returns:
        DataFrame with :data:`POOL_COLUMNS`: ``dialed`` as dialled from Italy, ``e164``, the
        destination ``group`` (national, mobile, tollfree, premium, international, fraud),
        ``region``, ``country`` name, ``network`` (carrier for mobiles when known, else the number
        type), sell ``rate`` and ``buy_rate`` per minute.
    """
    shares = np.array([d[3] for d in destinations], dtype=float)
    picks = rng.choice(len(destinations), size=size, p=shares / shares.sum())
    rows: list[tuple] = []
    seen: set[str] = set()
    countries: dict[str, str] = {}
    for k in picks:
        group, region, ntype, _share, rate = destinations[k]
        number = _make_number(rng, region, ntype)
        e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
        if e164 in seen:
            continue
        seen.add(e164)
        ntype_real = phonenumbers.number_type(number)
        network = carrier.name_for_number(number, "en") if ntype_real == _T.MOBILE else ""
        if region not in countries:
            countries[region] = _country(region)
        rows.append(
            (
                dialed_form(number),
                e164,
                group,
                region,
                countries[region],
                network or _TYPE_LABEL.get(ntype_real, "Other"),
                rate,
                round(rate * 0.6, 5),
            )
        )
    return pd.DataFrame(rows, columns=list(POOL_COLUMNS))


def popularity(rng: np.random.Generator, n: int) -> np.ndarray:
    """Zipf-like call probabilities over ``n`` numbers (a few numbers are called very often)."""
    weights = 1.0 / np.arange(1, n + 1) ** 0.9
    weights = weights[rng.permutation(n)]
    return weights / weights.sum()
