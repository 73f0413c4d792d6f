"""BLF (busy lamp field) keys: what to monitor, the string each phone brand wants, and hint checks.

On MiRTA PBX a BLF key monitors the SIP *username* of what it watches, number + ``-`` + tenant
code (seed pages 31, 39, 42):

* an extension: ``104-DEVEL``; a queue (its callers): ``500-DEVEL``; a parking lot: ``800-DEVEL``;
* a voicemail box: the voicemail feature-code prefix (set as *Enable Voicemail MWI with prefix* in
  Configuration/Settings) before the name, ``*97104-DEVEL``.

A monitor written without the dash (``100DEVEL``) still creates a hint from the ``_X.`` pattern,
which never changes state; Asterisk then keeps that subscription even after the phone is fixed,
until Asterisk restarts (page 39). :func:`hint_findings` finds those in ``core show hints``.

Brand strings (:data:`BRANDS`): Cisco SPA attendant console ``fnc=blf+sd+cp;sub=104-DEVEL@$PROXY``,
Yealink DSS/line keys (type 16 = BLF), Grandstream multi-purpose keys (mode BLF), Snom function
keys ``blf <sip:104-DEVEL@host>``.
"""

from __future__ import annotations

import logging
import re

import pandas as pd

from mirtalib.errors import ParameterError

log = logging.getLogger(__name__)

KINDS = ("extension", "queue", "parking", "voicemail")
BRANDS = ("cisco-spa", "yealink", "grandstream", "snom")
_FEATURE = re.compile(r"^\*[0-9]{1,4}$")
_NUMBER = re.compile(r"^[0-9]{1,10}$")
_TENANT = re.compile(r"^[A-Z0-9_]{1,32}$")
# a monitor name: optional feature-code prefix, number, dash, tenant
MONITOR_RE = re.compile(r"^(?P<prefix>\*[0-9]{1,4})?(?P<number>[0-9]+)-(?P<tenant>[A-Z0-9_]+)$")
# the page's mistake: number glued to the tenant code
_NO_DASH = re.compile(
    r"^(?P<prefix>\*[0-9]{1,4})?(?P<number>[0-9]+)(?P<tenant>[A-Za-z][A-Za-z0-9_]*)$"
)


def monitor_name(number: str, tenant: str, *, prefix: str = "") -> str:
    """``monitor_name("104", "DEVEL", prefix="*97")`` -> ``*97104-DEVEL``."""
    number, tenant = str(number).strip(), str(tenant).strip()
    if not _NUMBER.match(number):
        raise ParameterError(f"{number!r} is not an extension/queue/parking number (digits only)")
    if not _TENANT.match(tenant):
        raise ParameterError(f"{tenant!r} is not a tenant code (capitals, digits, _)")
    if prefix and not _FEATURE.match(prefix):
        raise ParameterError(f"voicemail prefix {prefix!r} must look like *97")
    return f"{prefix}{number}-{tenant}"


def feature_code(value: str, name: str = "feature code") -> str:
    """Validate a feature-code prefix such as ``*97`` or ``*56`` (ParameterError otherwise)."""
    text = str(value).strip()
    if not _FEATURE.match(text):
        raise ParameterError(f"{name} {value!r} must be '*' and 1-4 digits, e.g. *97")
    return text


def brand_string(brand: str, monitor: str, *, label: str = "", key: int = 1, host: str = "") -> str:
    """The configuration a phone of ``brand`` needs for one BLF key watching ``monitor``.

    Args:
        brand: one of :data:`BRANDS`.
        monitor: the name to watch (``104-DEVEL``, ``*97104-DEVEL``).
        label: key label (Yealink, Grandstream).
        key: key number (Yealink ``linekey.N``, Snom ``fkeyN``; Grandstream MPK N).
        host: SIP domain for Snom's URI (default: the phone's registrar, written ``$PROXY``).
    """
    if brand not in BRANDS:
        raise ParameterError(f"phone brand {brand!r}: use one of {list(BRANDS)}")
    if not MONITOR_RE.match(monitor):
        raise ParameterError(f"{monitor!r} is not a monitor name like 104-DEVEL or *97104-DEVEL")
    label = label or monitor
    if brand == "cisco-spa":
        return f"fnc=blf+sd+cp;sub={monitor}@$PROXY"
    if brand == "yealink":
        return (
            f"linekey.{key}.type = 16; linekey.{key}.value = {monitor}; "
            f"linekey.{key}.label = {label}; linekey.{key}.line = 1"
        )
    if brand == "grandstream":
        return (
            f"MPK {key}: Mode = Busy Lamp Field (BLF), Account = 1, Value = {monitor}, "
            f"Description = {label}"
        )
    return f"fkey{key - 1}: blf <sip:{monitor}@{host or '$PROXY'}>"


def key_table(monitors: pd.DataFrame, brand: str, *, host: str = "") -> pd.DataFrame:
    """One row per monitor (from :func:`mirtalib.phones.directory.monitors`) with its key string."""
    out = monitors.copy()
    out["key"] = range(1, len(out) + 1)
    out[brand] = [
        brand_string(brand, m, label=lbl, key=k, host=host)
        for m, lbl, k in zip(out["monitor"], out["label"], out["key"], strict=True)
    ]
    return out


def classify_monitor(name: str, tenant: str, tenants: set[str], known: set[str]) -> tuple[str, str]:
    """Classify a watched name for ``tenant``: (status, explanation).

    status: ``ok`` (a monitor of the tenant), ``no-dash`` (number glued to a tenant code: needs an
    Asterisk restart once the phone is fixed; found for every tenant), ``unknown`` (well formed,
    the tenant's code, but no such number), ``other-tenant`` (another tenant's monitor),
    ``pattern`` (a dial-plan pattern hint such as ``_X.``), ``other``.
    """
    if name.startswith("_"):
        return "pattern", "pattern hint: creates a hint for whatever a phone subscribes to"
    if name in known:
        return "ok", "monitors an existing extension, queue, parking lot or voicemail"
    m = _NO_DASH.match(name)
    if m and m.group("tenant").upper() in tenants:
        fixed = f"{m.group('prefix') or ''}{m.group('number')}-{m.group('tenant').upper()}"
        return "no-dash", (
            f"missing dash: the phone watches {name}, it should watch {fixed}; this hint never "
            "changes state and Asterisk keeps it after the phone is corrected: fix the phone, "
            "then restart Asterisk in a maintenance window"
        )
    mm = MONITOR_RE.match(name)
    if mm and mm.group("tenant") == tenant:
        return "unknown", "well formed, but no such extension, queue, parking lot or voicemail"
    if mm and mm.group("tenant") in tenants:
        return "other-tenant", f"a monitor of tenant {mm.group('tenant')}"
    if mm:
        return "unknown", f"tenant {mm.group('tenant')} is not a tenant of this PBX"
    return "other", "not a MiRTA monitor name"


def _watched_name(hint: str, device: str) -> str:
    """The watched name: from a lone ``Custom:`` device (60 columns wide), else the hint's
    extension (Asterisk cuts the hint column at 20 or 30 characters)."""
    if device.startswith("Custom:") and "&" not in device and "$" not in device:
        return device.removeprefix("Custom:")
    return hint.split("@", 1)[0].strip()


def hint_findings(
    hints: pd.DataFrame, tenant: str, tenants: set[str], known: set[str]
) -> pd.DataFrame:
    """Classify every hint of ``core show hints`` (parsed by ``parse_core_show_hints``).

    Returns:
        DataFrame ``name`` (what is watched, before ``@``), ``device``, ``state``, ``watchers``,
        ``status`` and ``why`` (see :func:`classify_monitor`), problems first.
        ``attrs["summary"]``: the problems in one line.
    """
    rows = []
    for h in hints.itertuples():
        name = _watched_name(str(h.hint), str(h.device))
        status, why = classify_monitor(name, tenant, tenants, known)
        rows.append(
            {
                "name": name,
                "device": h.device,
                "state": h.state,
                "watchers": int(h.watchers),
                "status": status,
                "why": why,
            }
        )
    order = {"no-dash": 0, "unknown": 1, "other": 2, "pattern": 3, "ok": 4, "other-tenant": 5}
    df = pd.DataFrame(rows, columns=["name", "device", "state", "watchers", "status", "why"])
    if not df.empty:
        df = df.sort_values(
            ["status", "name"], key=lambda s: s.map(order) if s.name == "status" else s
        ).reset_index(drop=True)
    problems = df[df["status"].isin(["no-dash", "unknown", "other"])]
    df.attrs["summary"] = "; ".join(f"{r.name}: {r.status}" for r in problems.itertuples())
    return df
