"""Expected recordings: classify every CDR leg of a call and decide whether it should be recorded.

Works on the normalized legs DataFrame (``mirtalib.cdr.load_legs``), i.e. on what Asterisk writes:
the legs of one call share a ``linkedid``; each leg is the view of party A (``channel``) talking to
party B (``dstchannel``). The call's *originating channel* is the channel of its first leg. MiRTA's
recording is attached to that channel, so:

* an answered leg holding the originating channel and its first peer is the ``direct`` segment;
* a later leg holding the originating channel with another peer means the called party transferred
  the caller (``transfer_by_called``: the recording continues);
* a leg holding the first peer's channel but not the originating one means the caller transferred
  the called party away (``transfer_by_caller``: the recording ended with the caller);
* any other answered leg is a ``consultation`` call of an attended transfer (a new channel);
* an answered leg without ``dstchannel`` (parked, voicemail, IVR) is ``no_peer``: not recorded.

Endpoints come from channel names (``PJSIP/100-DEVEL-0000001a`` -> extension ``100-DEVEL``; queue
members ``Local/AG-000-NF-<ex_id>@fromotherpbx-...;1`` -> the extension with that id; trunks and
unknown peers -> external). Legs whose ``channel`` is a Local half are helper legs, never recorded.
A trunk extension (``ex_trunk`` = 1, e.g. a branch office PBX) counts as external; when its call
matches no DID, its own recording setting applies (it is an extension of the tenant after all).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import pandas as pd

from mirtalib.errors import SchemaError
from mirtalib.recording.policy import RULES, PolicyBook, Rule, rule_for, stop_allowed_by

log = logging.getLogger(__name__)

CHANNEL_RE = re.compile(
    r"^(?P<tech>[A-Za-z0-9_]+)/(?P<resource>.*?)(?:-(?P<seq>[0-9a-fA-F]{6,}))?(?:;(?P<half>[12]))?$"
)
LOCAL_MEMBER_RE = re.compile(r"^AG-\d+-NF-(?P<ex_id>\d+)@")
"""Queue member Local channels ``Local/AG-000-NF-<ex_id>@fromotherpbx`` (public MiRTA material)."""

NEEDED = (
    "start",
    "answer",
    "billsec",
    "disposition",
    "accountcode",
    "src",
    "dst",
    "channel",
    "dstchannel",
    "uniqueid",
    "linkedid",
)

EXPECTED_COLUMNS = (
    "leg_id",
    "tenant",
    "day",
    "start",
    "answer",
    "billsec",
    "disposition",
    "src",
    "dst",
    "uniqueid",
    "linkedid",
    "channel",
    "dstchannel",
    "origin",
    "segment",
    "parties",
    "policy_from",
    "policy_owner",
    "policy",
    "expected",
    "stop_allowed",
    "stereo_expected",
    "transcript_expected",
    "rule_source",
)


@dataclass(frozen=True)
class Endpoint:
    """Who is behind a channel: kind is "ext", "external", "local" or "" (no channel)."""

    kind: str
    name: str


def endpoint(channel: str, book: PolicyBook) -> Endpoint:
    """Resolve a channel name to the extension, trunk or Local channel behind it."""
    if not channel:
        return Endpoint("", "")
    match = CHANNEL_RE.match(channel)
    if not match:
        return Endpoint("external", channel)
    tech, resource = match["tech"], match["resource"]
    if tech.lower() == "local":
        member = LOCAL_MEMBER_RE.match(resource)
        if member and int(member["ex_id"]) in book.ext_by_id:
            return Endpoint("ext", book.ext_by_id[int(member["ex_id"])])
        return Endpoint("local", resource)
    if resource in book.extensions and resource not in book.trunks:
        return Endpoint("ext", resource)
    return Endpoint("external", resource)


def _is_helper(channel: str) -> bool:
    return channel.lower().startswith("local/")


def _segments(rows: list[dict]) -> list[str]:
    """Segment of each leg of one call (rows sorted by time); "unanswered"/"helper" if no talk."""
    out = []
    first = next((r for r in rows if not _is_helper(r["channel"])), None)
    origin_ch = first["channel"] if first else None
    first_peer = None
    peer = None
    for r in rows:
        if _is_helper(r["channel"]):
            out.append("helper")
            continue
        if not r["_answered"]:
            out.append("unanswered")
            continue
        chans = {r["channel"], r["dstchannel"]}
        if not r["dstchannel"]:
            out.append("no_peer")  # parked, voicemail, IVR: nobody to talk to
        elif origin_ch in chans:
            other = r["dstchannel"] if r["channel"] == origin_ch else r["channel"]
            if first_peer is None:
                first_peer = peer = other
                out.append("direct")
            elif other == peer:
                out.append("direct" if peer == first_peer else "transfer_by_called")
            else:
                peer = other
                out.append("transfer_by_called")
        elif first_peer is not None and first_peer in chans:
            out.append("transfer_by_caller")
        else:
            out.append("consultation")
    return out


def _origin(rows: list[dict], caller: Endpoint, book: PolicyBook) -> str:
    if caller.kind == "external":
        return "inbound"
    for r in rows:
        if r["_answered"] and not _is_helper(r["channel"]):
            return "outbound" if endpoint(r["dstchannel"], book).kind == "external" else "internal"
    return (
        "outbound"
        if rows and endpoint(rows[0]["dstchannel"], book).kind == "external"
        else "internal"
    )


def _decide(rule: Rule | None, r: dict, caller: Endpoint, first: dict, book: PolicyBook):
    """(owner, setting) for one leg under ``rule``."""
    if rule is None or rule.policy_from == "none":
        return "", None
    if rule.policy_from == "did":
        number = first.get("firstdst") or first["dst"]
        found = book.did(r["_tenant"], number)
        if found:
            return f"DID {found[0]}", found[1]
        if caller.name in book.trunks:  # a trunk extension (e.g. a branch PBX) dialing direct
            return caller.name, book.extension(caller.name)
        return f"no DID for {number}", None
    who = caller if rule.policy_from == "caller_extension" else endpoint(r["channel"], book)
    if who.kind != "ext" and who.name not in book.trunks:
        return who.name, None
    return who.name, book.extension(who.name)


def expected_recordings(
    legs: pd.DataFrame, book: PolicyBook, rules: tuple[Rule, ...] = RULES
) -> pd.DataFrame:
    """One row per CDR leg: its segment, the rule and setting that apply, and what is expected.

    Args:
        legs: normalized CDR legs (at least the columns in :data:`NEEDED`).
        book: recording settings of the extensions and DIDs.
        rules: the recording rules (default: :data:`mirtalib.recording.policy.RULES`).

    Returns:
        DataFrame with :data:`EXPECTED_COLUMNS`; ``leg_id`` is the leg's position in ``legs``.

    Raises:
        SchemaError: when a needed column is missing from ``legs``.
    """
    missing = [c for c in NEEDED if c not in legs.columns]
    if missing:
        raise SchemaError(f"legs lack the column(s) {', '.join(missing)} needed by the audit")
    frame = legs.reset_index(drop=True).copy()
    frame["leg_id"] = range(len(frame))
    frame["_answered"] = (frame["disposition"] == "ANSWERED") & (frame["billsec"] > 0)
    frame["_call"] = frame["linkedid"].where(frame["linkedid"] != "", frame["uniqueid"])
    sort_cols = ["_call", "start"] + (["sequence"] if "sequence" in frame else []) + ["leg_id"]
    frame = frame.sort_values(sort_cols, kind="stable")
    records = frame.to_dict("records")
    out: list[dict] = []
    i = 0
    while i < len(records):
        j = i
        while j < len(records) and records[j]["_call"] == records[i]["_call"]:
            j += 1
        out.extend(_classify_call(records[i:j], book, rules))
        i = j
    result = pd.DataFrame(out, columns=list(EXPECTED_COLUMNS))
    return result.sort_values("leg_id", kind="stable").reset_index(drop=True)


def _classify_call(rows: list[dict], book: PolicyBook, rules: tuple[Rule, ...]) -> list[dict]:
    first = next((r for r in rows if not _is_helper(r["channel"])), rows[0])
    caller = endpoint(first["channel"], book)
    origin = _origin(rows, caller, book)
    out = []
    for r, segment in zip(rows, _segments(rows), strict=True):
        a, b = endpoint(r["channel"], book), endpoint(r["dstchannel"], book)
        tenant = r["accountcode"] or next(
            (e.name.rsplit("-", 1)[1] for e in (a, b) if e.kind == "ext" and "-" in e.name), ""
        )
        r["_tenant"] = tenant
        rule = rule_for(origin, segment, rules)
        owner, setting = _decide(rule, r, caller, first, book)
        policy = setting.policy if setting else ""
        expected = bool(setting) and policy not in {"", "NO"}
        out.append(
            {
                "leg_id": r["leg_id"],
                "tenant": tenant,
                "day": pd.Timestamp(r["start"]).normalize(),
                "start": r["start"],
                "answer": r["answer"],
                "billsec": int(r["billsec"]),
                "disposition": r["disposition"],
                "src": r["src"],
                "dst": r["dst"],
                "uniqueid": r["uniqueid"],
                "linkedid": r["_call"],
                "channel": r["channel"],
                "dstchannel": r["dstchannel"],
                "origin": origin,
                "segment": segment,
                "parties": f"{a.name or '-'} <-> {b.name or '-'}",
                "policy_from": rule.policy_from if rule else "",
                "policy_owner": owner,
                "policy": policy,
                "expected": expected,
                "stop_allowed": stop_allowed_by(policy) if expected else "",
                "stereo_expected": bool(expected and setting.stereo),
                "transcript_expected": bool(expected and setting.transcript),
                "rule_source": rule.source if rule else "",
            }
        )
    return out
