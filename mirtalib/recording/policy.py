"""Recording rules as data: which leg of a call should be recorded, from whose setting.

MiRTA records a call from the recording setting of the party the call *starts from*: an extension's
setting (its "Outbound Recording" section) for calls the extension places, a DID's setting (its
"Voice" section) for calls arriving on that DID. The recording follows the originating channel, so a
transfer keeps the recording when the *called* party transfers (the caller stays on the call) and
ends it when the *caller* transfers (its channel leaves). The runbook page "Understanding call
recording" states five cases; :data:`RULES` holds them and the few combinations the page does not
state (marked ``assumed``), so an operator can read and check every rule in the notebook.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

from mirtalib.data.schema import (
    RECORDING_NO,
    RECORDING_POLICIES,
    RECORDING_YES_STOP_CALLED,
    RECORDING_YES_STOP_CALLER,
)
from mirtalib.errors import DataSourceError

ORIGINS = ("internal", "outbound", "inbound")
SEGMENTS = ("direct", "transfer_by_caller", "transfer_by_called", "consultation")
POLICY_FROM = ("caller_extension", "did", "own_caller", "none")
MIN_SUFFIX_DIGITS = 6
"""A dialed number and a DID match when equal or when one ends with the other (>= 6 digits)."""


@dataclass(frozen=True)
class Rule:
    """One row of the recording rules.

    Attributes:
        origin: how the call started: internal (extension to extension), outbound (extension to
            an external number) or inbound (external number via a DID).
        segment: which part of the call the leg is: the direct conversation, the conversation
            left after the caller transferred, after the called transferred, or a consultation
            call placed during an attended transfer.
        policy_from: whose recording setting decides: the extension that placed the call, the
            DID the call came in on, the extension placing this (consultation) leg, or nobody.
        example: the situation in words (A, B are extensions, C the transfer target).
        source: "page 14" when the runbook page states the case, "assumed" otherwise.
    """

    origin: str
    segment: str
    policy_from: str
    example: str
    source: str


RULES: tuple[Rule, ...] = (
    Rule("internal", "direct", "caller_extension", "A calls B: A-B recorded", "page 14"),
    Rule(
        "internal",
        "transfer_by_caller",
        "none",
        "A calls B, A transfers to C: B-C not recorded",
        "page 14",
    ),
    Rule(
        "internal",
        "transfer_by_called",
        "caller_extension",
        "A calls B, B transfers to C: A-C recorded",
        "page 14",
    ),
    Rule("inbound", "direct", "did", "external calls A on a DID: external-A recorded", "page 14"),
    Rule(
        "inbound",
        "transfer_by_called",
        "did",
        "external calls A, A transfers to B: external-B recorded",
        "page 14",
    ),
    Rule(
        "inbound",
        "transfer_by_caller",
        "none",
        "external calls A, the external side transfers: not recorded",
        "assumed",
    ),
    Rule("outbound", "direct", "caller_extension", "A calls an external number", "assumed"),
    Rule(
        "outbound",
        "transfer_by_caller",
        "none",
        "A calls external, A transfers external to C: external-C not recorded",
        "assumed",
    ),
    Rule(
        "outbound",
        "transfer_by_called",
        "caller_extension",
        "A calls external, external transfers A on: recorded",
        "assumed",
    ),
    Rule(
        "internal",
        "consultation",
        "own_caller",
        "A consults C during an attended transfer: A's own setting",
        "assumed",
    ),
    Rule(
        "outbound",
        "consultation",
        "own_caller",
        "consultation call to an external number: the consulting extension's setting",
        "assumed",
    ),
    Rule(
        "inbound",
        "consultation",
        "own_caller",
        "A consults C while holding an inbound call: A's own setting",
        "assumed",
    ),
)


def rules_frame(rules: tuple[Rule, ...] = RULES) -> pd.DataFrame:
    """The rules as a table, in the order above (what the notebook shows)."""
    return pd.DataFrame([asdict(r) for r in rules], columns=list(Rule.__dataclass_fields__))


def rule_for(origin: str, segment: str, rules: tuple[Rule, ...] = RULES) -> Rule | None:
    """The rule for an origin/segment pair (None when no rule applies, e.g. unanswered legs)."""
    for rule in rules:
        if rule.origin == origin and rule.segment == segment:
            return rule
    return None


def normalize_policy(value: object, what: str) -> str:
    """Return a recording policy constant; empty/NULL means NO.

    Raises:
        DataSourceError: naming ``what`` (e.g. ``extension 100-DEVEL``) when the value is unknown.
    """
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return RECORDING_NO
    text = str(value).strip().upper()
    if text == "":
        return RECORDING_NO
    if text not in RECORDING_POLICIES:
        raise DataSourceError(
            f"{what}: recording setting {value!r} is not one of {', '.join(RECORDING_POLICIES)} "
            "(the codes are assumed: map your installation's values before the audit)"
        )
    return text


def stop_allowed_by(policy: str) -> str:
    """Who may stop the recording under ``policy``: "caller", "called" or ""."""
    if policy == RECORDING_YES_STOP_CALLER:
        return "caller"
    if policy == RECORDING_YES_STOP_CALLED:
        return "called"
    return ""


@dataclass(frozen=True)
class Setting:
    """The recording setting of one extension or DID."""

    policy: str
    stereo: bool
    transcript: bool


def _flag(value: object) -> bool:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return False
    return bool(int(value)) if not isinstance(value, str) else value.strip() in {"1", "Y", "YES"}


class PolicyBook:
    """Recording settings of extensions (by name ``100-DEVEL``) and DIDs (by tenant and digits).

    Args:
        extensions: rows with ex_id, ex_number, ex_recording, ex_recording_stereo, ex_transcript,
            ex_trunk and te_code (or a ``name`` column holding ``<number>-<TENANT>``).
        dids: rows with di_number, di_recording, di_recording_stereo, di_transcript, te_code.
    """

    def __init__(self, extensions: pd.DataFrame, dids: pd.DataFrame):
        self.extensions: dict[str, Setting] = {}
        self.trunks: set[str] = set()
        self.ext_by_id: dict[int, str] = {}
        for row in extensions.to_dict("records"):
            name = row.get("name") or f"{row['ex_number']}-{row['te_code']}"
            what = f"extension {name}"
            self.extensions[name] = Setting(
                normalize_policy(row.get("ex_recording"), what),
                _flag(row.get("ex_recording_stereo")),
                _flag(row.get("ex_transcript")),
            )
            if _flag(row.get("ex_trunk")):
                self.trunks.add(name)
            if row.get("ex_id") is not None:
                self.ext_by_id[int(row["ex_id"])] = name
        self.dids: dict[str, list[tuple[str, Setting]]] = {}
        for row in dids.to_dict("records"):
            digits = "".join(ch for ch in str(row["di_number"]) if ch.isdigit())
            what = f"DID {row['di_number']} of {row['te_code']}"
            setting = Setting(
                normalize_policy(row.get("di_recording"), what),
                _flag(row.get("di_recording_stereo")),
                _flag(row.get("di_transcript")),
            )
            self.dids.setdefault(str(row["te_code"]), []).append((digits, setting))

    def extension(self, name: str) -> Setting | None:
        """The setting of an extension (None when unknown)."""
        return self.extensions.get(name)

    def did(self, tenant: str, number: str) -> tuple[str, Setting] | None:
        """The DID of ``tenant`` matching a dialed number (longest suffix match) and its setting."""
        digits = "".join(ch for ch in str(number) if ch.isdigit())
        if not digits:
            return None
        best = None
        for did_digits, setting in self.dids.get(tenant, []):
            if did_digits == digits or (
                min(len(did_digits), len(digits)) >= MIN_SUFFIX_DIGITS
                and (digits.endswith(did_digits) or did_digits.endswith(digits))
            ):
                if best is None or len(did_digits) > len(best[0]):
                    best = (did_digits, setting)
        return best
