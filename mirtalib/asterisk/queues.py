"""Parser of ``queue show [queue]`` (app_queue): members, their status, the callers waiting.

What Asterisk prints (app_queue.c ``print_queue``; Asterisk 22 shown, colour codes removed)::

    support-DEVEL has 1 calls (max unlimited) in 'ringall' strategy (2s holdtime, 4s talktime),
      W:0, C:1, A:0, SL:0.0%, SL2:0.0% within 0s                       (one line)
       Members:
          100-DEVEL (Local/AG-000-NF-1@fromotherpbx from Custom:100-DEVEL) (ringinuse disabled)
            (Ringing) has taken 1 calls (last was 1 secs ago) (login was 9 secs ago)   (one line)
          AgentSmith (Local/999@fromotherpbx from Custom:105-DEVEL) with penalty 2
            (ringinuse disabled) (dynamic) (paused:lunch was 0 secs ago) (Not in use)
            has taken no calls yet (login was 0 secs ago)                               (one line)
       Callers:
          1. Local/700@DEVEL-00000010;2 (wait: 0:01, prio: 0)

``No Members`` / ``No Callers`` replace the lists; ``No queues.`` is the whole answer of a node
without queues, ``No such queue: X.`` of ``queue show X`` for a missing queue (both give an empty
frame, the latter with ``attrs["not_found"]``). ``asterisk -rx`` colours the status, the flags and
the login part (``ESC[1;32;40mNot in use ESC[0m``); they are removed before reading. Older
versions print no ``(login was ...)``, no ``(ringinuse ...)`` and ``(paused)`` without a time.
"""

from __future__ import annotations

import re

import pandas as pd

from mirtalib.asterisk.extstate import command_lines, extension_of, finish, normalize_state

COMMAND = "queue show"
MEMBER_COLUMNS = [
    "queue",
    "member",
    "interface",
    "state_interface",
    "extension",
    "status",
    "member_state",
    "paused",
    "ringinuse",
    "calls_taken",
    "last_call_secs",
    "penalty",
    "dynamic",
    "realtime",
    "in_call",
    "paused_reason",
    "paused_secs",
    "login_secs",
]
QUEUE_COLUMNS = [
    "queue",
    "calls",
    "max_calls",
    "strategy",
    "holdtime_s",
    "talktime_s",
    "weight",
    "completed",
    "abandoned",
    "service_level",
    "service_level2",
    "sl_within_s",
    "members",
    "callers",
]
CALLER_COLUMNS = ["queue", "position", "channel", "wait_secs", "priority"]

_HEAD = re.compile(
    r"^(?P<queue>\S+) has (?P<calls>\d+) calls? \(max (?P<max>[^)]*)\) in '(?P<strategy>[^']*)'"
    r" strategy(?P<stats>.*)$"
)
_STATS = {
    "holdtime_s": re.compile(r"\((\d+)s holdtime"),
    "talktime_s": re.compile(r"(\d+)s talktime"),
    "weight": re.compile(r"\bW:(\d+)"),
    "completed": re.compile(r"\bC:(\d+)"),
    "abandoned": re.compile(r"\bA:(\d+)"),
    "service_level": re.compile(r"\bSL:([\d.]+)%"),
    "service_level2": re.compile(r"\bSL2:([\d.]+)%"),
    "sl_within_s": re.compile(r"within (\d+)s"),
}
_MEMBER = re.compile(
    r"^\s+(?P<name>\S.*?)"
    r"(?: \((?P<interface>[^()\s]*/[^()\s]*)(?: from (?P<stateif>[^()\s]+))?\))?"
    r"(?: with penalty (?P<penalty>-?\d+))?"
    r"(?P<flags>(?: \([^()]*\))*?)"
    r" \((?P<status>[^()]*)\)"
    r" has taken (?:(?P<taken>\d+) calls? \(last was (?P<last>-?\d+) secs? ago\)|no calls yet)"
    r"(?: \(login was (?P<login>-?\d+) secs? ago\))?\s*$"
)
_FLAG = re.compile(
    r"\((?:ringinuse (?P<ring>enabled|disabled)|(?P<dynamic>dynamic)|(?P<realtime>realtime)"
    r"|(?P<incall>in call)|paused(?::(?P<reason>[^()]*?))?(?: was (?P<psecs>-?\d+) secs? ago)?)\)"
)
_CALLER = re.compile(
    r"^\s+(?P<pos>\d+)\. (?P<channel>\S+) "
    r"\(wait: (?P<min>\d+):(?P<sec>\d+), prio: (?P<prio>-?\d+)\)\s*$"
)
_NOT_FOUND = re.compile(r"^No such queue:? ?(?P<queue>.*?)\.?\s*$")
_CHROME = {"Members:", "No Members", "Callers:", "No Callers", "No queues."}


def _flags(text: str) -> dict | None:
    """The member flags, or None when one of them is not a known flag."""
    out = {"ringinuse": None, "dynamic": False, "realtime": False, "in_call": False}
    out.update({"paused": False, "paused_reason": "", "paused_secs": None})
    rest = _FLAG.sub("", text)
    if rest.strip():
        return None
    for m in _FLAG.finditer(text):
        if m.group("ring"):
            out["ringinuse"] = m.group("ring") == "enabled"
        elif m.group("dynamic"):
            out["dynamic"] = True
        elif m.group("realtime"):
            out["realtime"] = True
        elif m.group("incall"):
            out["in_call"] = True
        else:
            out["paused"] = True
            out["paused_reason"] = m.group("reason") or ""
            out["paused_secs"] = int(m.group("psecs")) if m.group("psecs") else None
    return out


def _member(queue: str, m: re.Match[str], flags: dict) -> dict:
    interface = m.group("interface") or m.group("name")
    stateif = m.group("stateif") or interface
    return {
        "queue": queue,
        "member": m.group("name"),
        "interface": interface,
        "state_interface": stateif,
        "extension": extension_of(stateif) or extension_of(m.group("name")),
        "status": m.group("status"),
        "member_state": normalize_state(m.group("status")),
        "calls_taken": int(m.group("taken") or 0),
        "last_call_secs": int(m.group("last")) if m.group("last") else None,
        "penalty": int(m.group("penalty") or 0),
        "login_secs": int(m.group("login")) if m.group("login") else None,
        **flags,
    }


def _queue(m: re.Match[str]) -> dict:
    row: dict = {
        "queue": m.group("queue"),
        "calls": int(m.group("calls")),
        "max_calls": int(m.group("max")) if m.group("max").isdigit() else None,
        "strategy": m.group("strategy"),
    }
    for key, pattern in _STATS.items():
        found = pattern.search(m.group("stats"))
        value = found.group(1) if found else None
        row[key] = None if value is None else (float(value) if "." in value else int(value))
    row["members"] = row["callers"] = 0
    return row


def _caller(queue: str, m: re.Match[str]) -> dict:
    return {
        "queue": queue,
        "position": int(m.group("pos")),
        "channel": m.group("channel"),
        "wait_secs": int(m.group("min")) * 60 + int(m.group("sec")),
        "priority": int(m.group("prio")),
    }


def parse_queue_show(text: str | bytes) -> pd.DataFrame:
    """Parse ``queue show`` / ``queue show <queue>`` (plain CLI with colour codes, or AMI).

    Returns:
        DataFrame of :data:`MEMBER_COLUMNS`, one row per member: ``status`` as printed,
        ``member_state`` normalized, ``ringinuse`` bool or None (not printed),
        ``last_call_secs``/``paused_secs``/``login_secs`` Int64 (NA when not printed),
        ``paused_reason`` '' when none. ``attrs``: ``unparsed`` (lines not understood),
        ``queues`` (one dict per queue, :data:`QUEUE_COLUMNS`), ``callers`` (one dict per
        waiting caller, :data:`CALLER_COLUMNS`), ``not_found`` (the queue of a ``No such
        queue`` answer, '' when it names none, else None). :func:`queue_summary` and
        :func:`queue_callers` give those as frames.

    Raises:
        ParseError: not the output of ``queue show``, or Asterisk refused the command.
    """
    rows: list[dict] = []
    queues: list[dict] = []
    callers: list[dict] = []
    unparsed: list[str] = []
    seen, not_found = False, None
    for line in command_lines(text, COMMAND):
        stripped = line.strip()
        if not stripped:
            continue
        if head := _HEAD.match(line):
            seen = True
            queues.append(_queue(head))
        elif stripped in _CHROME:
            seen = True
        elif nf := _NOT_FOUND.match(stripped):
            seen, not_found = True, nf.group("queue")
        elif queues and (m := _MEMBER.match(line)) and (flags := _flags(m.group("flags"))):
            rows.append(_member(queues[-1]["queue"], m, flags))
            queues[-1]["members"] += 1
        elif queues and (c := _CALLER.match(line)):
            callers.append(_caller(queues[-1]["queue"], c))
            queues[-1]["callers"] += 1
        else:
            unparsed.append(line)
    df = finish(rows, MEMBER_COLUMNS, unparsed, seen, COMMAND)
    for col in ("last_call_secs", "paused_secs", "login_secs"):
        df[col] = df[col].astype("Int64")
    for col in ("calls_taken", "penalty"):
        df[col] = df[col].astype("int64")
    for col in ("paused", "dynamic", "realtime", "in_call"):
        df[col] = df[col].astype(bool)
    df.attrs.update(queues=queues, callers=callers, not_found=not_found)
    return df


def queue_summary(members: pd.DataFrame) -> pd.DataFrame:
    """The queues of a :func:`parse_queue_show` result, one row each (:data:`QUEUE_COLUMNS`)."""
    return pd.DataFrame(members.attrs.get("queues", []), columns=QUEUE_COLUMNS)


def queue_callers(members: pd.DataFrame) -> pd.DataFrame:
    """The callers waiting in a :func:`parse_queue_show` result (:data:`CALLER_COLUMNS`)."""
    return pd.DataFrame(members.attrs.get("callers", []), columns=CALLER_COLUMNS)
