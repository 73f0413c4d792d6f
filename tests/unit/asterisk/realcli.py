"""Checks that a CLI parser read a real Asterisk answer whole (used by the unit tests on recorded
answers and by the real-PBX integration test on live ones).

Every check counts what the answer holds with its own simple patterns on the text an operator
sees (colour codes removed, AMI ``Output:`` values taken), independently of the parser, and
asserts the parser's result has exactly that: every member, hint, channel, endpoint, AOR,
transport, module and parked call, in order, with nothing rejected.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from mirtalib.asterisk.ami import AsteriskRefused, CommandNotFound
from mirtalib.asterisk.chansip import parse_sip_peers
from mirtalib.asterisk.cli import parse_channels_concise as cli_channels
from mirtalib.asterisk.cli import parse_module_show
from mirtalib.asterisk.parking import parse_parkedcalls, parse_parking_show
from mirtalib.asterisk.pjsip import parse_pjsip_show
from mirtalib.asterisk.sippeer import parse_sip_show_peer
from mirtalib.asterisk.sipregistry import parse_sip_registry
from mirtalib.asterisk.software import parse_asterisk_version
from mirtalib.asterisk.states import (
    parse_channels_concise,
    parse_core_show_hints,
    parse_devstate_list,
    parse_queue_show,
    queue_callers,
)

COLOUR = re.compile("\x1b\\[[0-9;]*m")


def operator_lines(raw: str) -> list[str]:
    """The lines an operator reads: AMI ``Output:`` values, or the CLI text; no colour codes."""
    text = raw.replace("\r\n", "\n")
    if text.startswith("Response:"):
        lines = [ln[7:].removeprefix(" ") for ln in text.split("\n") if ln.startswith("Output:")]
    else:
        lines = text.split("\n")
    return [COLOUR.sub("", ln).rstrip() for ln in lines]


def forms(cli: str, ami: str | None) -> dict[str, str]:
    """The three forms a parser must read: CLI with colour codes, AMI, CLI without colours."""
    out = {"cli": cli, "plain": COLOUR.sub("", cli)}
    if ami:
        out["ami"] = ami
    return out


def _check_queue(text: str, ref: list[str]) -> object:
    df = parse_queue_show(text)
    queue, want = "", []
    heads, callers = [], []
    for line in ref:
        if m := re.match(r"^(\S+) has (\d+) calls \(max ", line):
            queue = m.group(1)
            heads.append((queue, int(m.group(2))))
        elif m := re.search(r"\(([^()]*)\) has taken (\d+|no) calls?", line):
            name = line.split()[0]
            taken = 0 if m.group(2) == "no" else int(m.group(2))
            want.append((queue, name, m.group(1), taken, "(login was " in line))
        elif m := re.match(r"^\s+\d+\. (\S+) \(wait: ", line):
            callers.append((queue, m.group(1)))
    got = list(zip(df["queue"], df["member"], df["status"], df["calls_taken"], strict=True))
    assert got == [w[:4] for w in want]
    assert df["login_secs"].notna().tolist() == [w[4] for w in want]
    assert [(q["queue"], q["calls"]) for q in df.attrs["queues"]] == heads
    waiting = queue_callers(df)[["queue", "channel"]]
    assert list(waiting.itertuples(index=False, name=None)) == callers
    for q in df.attrs["queues"]:  # the count in the head line is the callers listed
        assert q["calls"] == q["callers"] == sum(c[0] == q["queue"] for c in callers)
        assert q["members"] == sum(w[0] == q["queue"] for w in want)
    if [ln for ln in ref if ln] == ["No queues."]:
        assert df.empty and df.attrs["queues"] == []
    assert df.attrs["unparsed"] == []
    return df


def _check_hints(text: str, ref: list[str]) -> object:
    df = parse_core_show_hints(text)
    rows = [ln for ln in ref if re.search(r"State:\S+ .*Watchers +\d+$", ln)]
    assert df["hint"].tolist() == [ln.split(":")[0].strip() for ln in rows]
    assert df["device"].tolist() == [ln.split(":", 1)[1].split("State:")[0].strip() for ln in rows]
    assert df["state"].tolist() == [re.search(r"State:(\S+)", ln).group(1) for ln in rows]
    footer = [re.match(r"^(?:- )?(\d+) hints? (?:registered|matching)", ln) for ln in ref]
    counts = [int(m.group(1)) for m in footer if m]
    assert df.attrs["count"] == (counts[0] if counts else (0 if any(ref) else None))
    assert df.attrs["count"] == len(df)
    assert df.attrs["unparsed"] == []
    return df


def _check_devstates(text: str, ref: list[str]) -> object:
    df = parse_devstate_list(text)
    rows = [re.search(r"Name: '([^']*)'  State: '([^']*)'", ln) for ln in ref]
    assert list(zip(df["device"], df["state"], strict=True)) == [m.groups() for m in rows if m]
    assert df.attrs["unparsed"] == []
    return df


def _check_channels(text: str, ref: list[str]) -> object:
    rows = [ln.split("!") for ln in ref if ln]
    df = parse_channels_concise(text)
    listing = cli_channels(text)
    assert df["channel"].tolist() == [r[0] for r in rows]
    assert df["uniqueid"].tolist() == [r[-1] for r in rows]
    assert [c.channel for c in listing.channels] == [r[0] for r in rows]
    assert [c.application for c in listing.channels] == [r[5] for r in rows]
    assert [c.bridge for c in listing.channels] == [r[12] for r in rows]
    assert df.attrs["unparsed"] == [] and listing.rejects == []
    return df


def _check_version(text: str, ref: list[str]) -> object:
    line = next(ln for ln in ref if ln.startswith("Asterisk "))
    v = parse_asterisk_version(text)
    assert v.version == line.split()[1]
    numbers = re.match(r"(\d+)\.(\d+)\.(\d+)", v.version)
    assert v.version_tuple[:3] == tuple(int(n) for n in numbers.groups())
    assert f"built by {v.built_by} @ {v.host} on a {v.arch} running {v.os} on " in line
    return v


def _check_modules(text: str, ref: list[str]) -> object:
    mods = parse_module_show(text)
    rows = [ln for ln in ref if ln and not ln.startswith("Module ") and "modules loaded" not in ln]
    footer = next(int(ln.split()[0]) for ln in ref if ln.endswith("modules loaded"))
    assert [m.name for m in mods.modules] == [ln.split()[0] for ln in rows]
    assert [m.support_level for m in mods.modules] == [ln.split()[-1] for ln in rows]
    assert [m.status for m in mods.modules] == [
        "Not Running" if " Not Running " in ln else "Running" for ln in rows
    ]
    assert [m.use_count for m in mods.modules] == [
        int(re.search(r" (-?\d+) +(?:Not )?Running ", ln).group(1)) for ln in rows
    ]
    assert mods.loaded == footer == len(mods.modules)
    assert mods.rejects == []
    return mods


def _check_parking(text: str, ref: list[str]) -> object:
    parked = parse_parking_show(text)
    lots = [ln.split(": ", 1)[1] for ln in ref if ln.startswith("Parking Lot: ")]
    spaces = [re.match(r"^\s+Space\s+:\s+(\S+)", ln) for ln in ref]
    channels = [re.match(r"^\s+Channel\s+:\s+(\S+)", ln) for ln in ref]
    assert list(parked.lots) == lots
    assert [c.space for c in parked.calls] == [m.group(1) for m in spaces if m]
    assert [c.channel for c in parked.calls] == [m.group(1) for m in channels if m]
    assert parked.rejects == []
    return parked


_PJSIP_LABEL = re.compile(
    r"^\s*(Endpoint|InAuth|OutAuth|Auth|Aor|Contact|Transport|Identify|Match|Channel|Exten):\s*(\S+)"
)


def _check_pjsip(text: str, ref: list[str]) -> object:
    r = parse_pjsip_show(text)
    rule = next((i for i, ln in enumerate(ref) if set(ln.strip()) == {"="}), -1)
    body = ref[rule + 1 :]
    labels = [
        m.groups() for m in map(_PJSIP_LABEL.match, body) if m and not m.group(2).startswith("<")
    ]
    names = {k: [v for kind, v in labels if kind == k] for k in dict.fromkeys(k for k, _ in labels)}

    def ids(kind: str) -> list[str]:
        return [v.split("/")[0] for v in names.get(kind, [])]

    eps = r.endpoints
    aors = r.aors + [a for e in eps for a in e.aors]
    assert [f"{e.name}/{e.callerid}".rstrip("/") for e in eps] == names.get("Endpoint", [])
    assert sorted(a.name for a in aors) == sorted(names.get("Aor", []))
    contacts = r.contacts + [c for a in aors for c in a.contacts]
    assert sorted(f"{c.aor}/{c.uri}" for c in contacts) == sorted(names.get("Contact", []))
    transports = r.transports + [t for e in eps for t in e.transports]
    assert [t.name for t in transports] == names.get("Transport", [])
    auths = [f"{a.name}/{a.username}" for a in r.auths]
    assert auths == names.get("Auth", [])
    assert [a for e in eps for a in e.in_auths] == ids("InAuth")
    assert [a for e in eps for a in e.out_auths] == ids("OutAuth")
    idents = [i.name for i in r.identifies] + [i for e in eps for i in e.identifies]
    assert idents == ids("Identify")
    matches = [m for i in r.identifies for m in i.matches] + [m for e in eps for m in e.matches]
    assert matches == names.get("Match", [])
    channels = r.channels + [c for e in eps for c in e.channels]
    assert [f"{c.channel}/{c.application}" for c in channels] == names.get("Channel", [])
    assert [c.exten for c in channels] == names.get("Exten", [])
    regs = [ln.split()[0] for ln in body if re.search(r" (Registered|Unregistered|Rejected)\b", ln)]
    assert [f"{g.name}/{g.server_uri}" for g in r.registrations] == regs
    found = [int(ln.split(":")[1]) for ln in ref if ln.startswith("Objects found:")]
    top = len(r.endpoints) + len(r.aors) + len(r.contacts) + len(r.transports) + len(r.auths)
    top += len(r.identifies) + len(r.channels) + len(r.registrations)
    assert r.objects_found == (found[0] if found else None)
    if found:
        assert found[0] == top
    if "ParameterName" in "\n".join(ref):
        head = next(i for i, ln in enumerate(ref) if ln.strip().startswith("ParameterName"))
        table = [ln for ln in ref[head + 2 :] if re.match(r"^ \S+ *:( |$)", ln)]
        params = [ln.split(":")[0].strip() for ln in table]
        assert list(r.params) == params
    missing = [ln for ln in ref if ln.startswith(("Unable to find object", "No objects found"))]
    assert (r.not_found is not None) == bool(missing)
    assert r.rejects == []
    return r


def _no_such_command(parser: Callable) -> Callable[[str, list[str]], object]:
    def check(text: str, ref: list[str]) -> object:
        answer = next(ln for ln in ref if ln)
        asked = re.match(r"^No such command '([^']*)'", answer).group(1)
        try:
            parser(text)
        except CommandNotFound as exc:
            assert exc.command == asked and "does not exist on this Asterisk" in str(exc)
            return exc
        raise AssertionError(f"{parser.__name__} did not refuse {answer!r}")

    return check


CHECKS: dict[str, Callable[[str, list[str]], object]] = {
    "queue show": _check_queue,
    "core show hint": _check_hints,
    "devstate list": _check_devstates,
    "core show channels concise": _check_channels,
    "core show version": _check_version,
    "module show": _check_modules,
    "parking show": _check_parking,
    "pjsip show": _check_pjsip,
}
PARSERS: dict[str, Callable] = {
    "queue show": parse_queue_show,
    "core show hint": parse_core_show_hints,
    "devstate list": parse_devstate_list,
    "core show channels concise": parse_channels_concise,
    "core show version": parse_asterisk_version,
    "module show": parse_module_show,
    "parking show": parse_parking_show,
    "pjsip show": parse_pjsip_show,
    "parkedcalls show": parse_parkedcalls,
    "sip show peers": parse_sip_peers,
    "sip show peer ": parse_sip_show_peer,
    "sip show registry": parse_sip_registry,
}


def parser_for(command: str) -> Callable | None:
    """The library parser of ``command`` (None when it has none)."""
    return next((p for k, p in PARSERS.items() if command.startswith(k)), None)


def check_answer(command: str, text: str, ref: list[str]) -> object:
    """Run the parser of ``command`` on ``text`` and check it against the operator's ``ref``.

    Refusals are checked too: ``No such command`` must raise CommandNotFound naming the command,
    a usage text or a failure AsteriskRefused.
    """
    parser = parser_for(command)
    assert parser is not None, f"no parser for {command!r}"
    first = next((ln for ln in ref if ln), "")
    if first.startswith("No such command"):
        return _no_such_command(parser)(text, ref)
    if first.startswith(("Usage: ", "Unable to connect")) or any(
        re.match(r"^Command '.*' failed\.$", ln) for ln in ref
    ):
        try:
            parser(text)
        except AsteriskRefused as exc:
            assert not isinstance(exc, CommandNotFound)
            return exc
        raise AssertionError(f"{parser.__name__} did not refuse {first!r}")
    check = next(c for k, c in CHECKS.items() if command.startswith(k))
    return check(text, ref)
