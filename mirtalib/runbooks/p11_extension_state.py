"""Seed page 11, *Debugging extension state problems*: the three copies of a state, side by side.

An extension's state (NOT INUSE / INUSE) is computed on each node by two daemons: the *event
reader* receives Asterisk events and sends them over port 19771 to the *state daemon*, which writes
table ``st_states`` and sets the custom device state ``Custom:<ext>``; queues follow the custom
device state for member status (and BLF hints watch it). The page collects the three copies by
hand (``select * from st_states where st_extension='100-DEVEL'``, ``asterisk -rx 'devstate list'
| grep 100-DEVEL``, ``asterisk -rx 'queue show' | grep 100-DEVEL``).

What this runbook does instead:

* collects the copies for a list of extensions or a whole tenant in one pass (plus
  ``core show hints`` and ``core show channels concise``, which tell a lost call event from a
  consistent state) and parses them, whether they come as plain CLI text or through AMI;
* shows one table (:func:`mirtalib.events.reconcile.reconcile`): per extension each copy, whether
  they agree, the stage of the chain a disagreement points at and the safe next step;
* keeps the page's advice as steps: note the server time to the second and the calls made just
  before; turn on *Log Extension Events* and *Device state logging*; restart the two daemons (a
  command only when ``restart_command`` is given, since the page does not name the processes);
  then the same table again in verify mode.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pandas as pd

from mirtalib.errors import ParameterError, ParseError
from mirtalib.events.collect import CLI_COMMANDS, PARSERS, collect, mysql_command, parse_mysql_batch
from mirtalib.events.eventlog import check_extensions, check_tenant
from mirtalib.events.reconcile import reconcile
from mirtalib.runbook import (
    Check,
    Command,
    Manual,
    Param,
    Phase,
    Risk,
    RunbookDef,
    Step,
    Verdict,
    Verification,
)

_DB_NAME = re.compile(r"^[A-Za-z0-9_]+$")


def _extensions(value: str) -> str:
    names = check_extensions(value) or []
    return ",".join(names)


def _tenant(value: str) -> str:
    return check_tenant(value) or ""


def _database(value: str) -> str:
    if not _DB_NAME.match(value):
        raise ParameterError(f"database={value!r} is not a plain database name")
    return value


def _client(value: str) -> str:
    if not value.startswith("mysql") or any(c in value for c in ";|&`$<>\n"):
        raise ParameterError(
            f"mysql_client={value!r}: give the mysql client and its options only "
            "(e.g. 'mysql --batch' or 'mysql --defaults-file=/root/.my.cnf --batch')"
        )
    return value


PARAMS = (
    Param("tenant", "DEVEL", "tenant code: all its extensions are checked", check=_tenant),
    Param(
        "extensions",
        "",
        "extension names, comma-separated (100-DEVEL,101-DEVEL); empty: the tenant",
        check=_extensions,
    ),
    Param(
        "reported_at",
        "2026-11-02 08:41:37",
        "server time of the report, to the second; empty: not given",
    ),
    Param("database", "asterisk", "MiRTA database name on the nodes", check=_database),
    Param(
        "mysql_client",
        "mysql --batch",
        "mysql client on the nodes (credentials from its option files)",
        check=_client,
    ),
    Param(
        "restart_command",
        "",
        "command restarting the two daemons; empty: a manual step",
    ),
)


def three_way(target, v: dict[str, Any]) -> tuple[pd.DataFrame, dict[str, str]]:
    """Collect on one target; the reconciliation table and the commands that failed (and why).

    When ``st_states`` could not be read (no mysql client on the node, no access ...), the
    database copy is unknown rather than missing: the other copies are compared with each other
    (custom device state, queue members, hint, live channels) and ``db_state`` reads
    ``(not read)``, instead of blaming the state daemon for rows nobody could read.
    """
    snap = collect(
        target,
        v["extensions"] or None,
        v["tenant"] or None,
        database=v["database"],
        mysql_client=v["mysql_client"],
    )
    db_states = snap.db_states
    unread = "db_states" in snap.errors
    if unread:
        db_states = _custom_as_db(snap.frame("devstates"))
    table = reconcile(
        snap.extensions,
        db_states,
        snap.frame("devstates"),
        snap.frame("queues"),
        snap.frame("hints"),
        snap.frame("channels"),
    )
    if unread:
        table["db_state"] = NOT_READ
        table["db_updated"] = ""
    return table, snap.errors


NOT_READ = "(not read)"


def _custom_as_db(devstates: pd.DataFrame | None) -> pd.DataFrame:
    """A stand-in for unread ``st_states``: each custom device state as its own DB copy, so the
    DB comparison is neutral and the other links of the chain are judged."""
    if devstates is None or devstates.empty:
        return pd.DataFrame(columns=["st_extension", "st_state"])
    custom = devstates[devstates["device"].str.lower().str.startswith("custom:")]
    return pd.DataFrame(
        {"st_extension": custom["extension"].to_numpy(), "st_state": custom["devstate"].to_numpy()}
    )


def next_steps(table: pd.DataFrame) -> pd.DataFrame:
    """One row per stage found: the extensions concerned and the safe next step."""
    bad = table[table["agree"].astype(str) != "True"]
    rows = [
        {
            "stage": stage,
            "extensions": ", ".join(group["extension"]),
            "next_step": group["next_step"].iloc[0],
        }
        for stage, group in bad.groupby("stage", sort=True)
    ]
    return pd.DataFrame(rows, columns=["stage", "extensions", "next_step"])


def snapshot_json(target, v: dict[str, Any]) -> str:
    """The probe of the three-way checks: :func:`three_way` as JSON text."""
    table, errors = three_way(target, v)
    return json.dumps({"rows": table.astype(str).to_dict("records"), "errors": errors})


def table_of(text: str) -> pd.DataFrame:
    """Parse the probe's JSON back into the table (ParseError when it is not that JSON)."""
    try:
        data = json.loads(text)
        frame = pd.DataFrame(data["rows"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ParseError(f"not a reconciliation snapshot: {exc}") from None
    frame.attrs["errors"] = data.get("errors", {})
    return frame


def _judge(fail: bool):
    def expect(table: pd.DataFrame) -> tuple[Verdict, str]:
        errors = table.attrs.get("errors") or {}
        note = f"; not collected: {', '.join(sorted(errors))}" if errors else ""
        if table.empty:
            return Verdict.WARN, "no extension to check (unknown tenant?)" + note
        unread = "db_states" in errors
        if unread:
            note += f" ({' '.join(errors['db_states'].split())})"
        bad = table[table["agree"] != "True"]
        if bad.empty:
            if unread:
                return Verdict.WARN, (
                    f"{len(table)} extensions: the copies read on the node agree; the database "
                    "copy (st_states) was not read" + note
                )
            return Verdict.PASS, f"{len(table)} extensions: the copies agree" + note
        items = ", ".join(f"{r.extension} ({r.stage})" for r in bad.itertuples())
        verdict = Verdict.FAIL if fail else Verdict.WARN
        return verdict, f"{len(bad)} of {len(table)} disagree: {items}" + note

    return expect


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 11 for validated parameter values ``v``."""
    if not v["tenant"] and not v["extensions"]:
        raise ParameterError("give a tenant or a list of extensions")
    tenants = sorted({e.rsplit("-", 1)[-1] for e in v["extensions"].split(",") if e}) or [
        v["tenant"]
    ]
    who = v["extensions"] or f"every extension of tenant {v['tenant']}"
    when = v["reported_at"] or "(not given)"
    steps: list[Step] = [
        Manual(
            id="note-time",
            title="Note the server time and the calls before it",
            phase=Phase.BEFORE,
            where="the customer's report",
            detail=f"reported at {when} (server time, to the second) for {who}; ask what calls "
            "were made or received just before",
        ),
        Manual(
            id="enable-logging",
            title="Turn on extension event logging",
            phase=Phase.BEFORE,
            where="MiRTA web page Admin/Settings",
            detail="enable 'Log Extension Events' and 'Device state logging'",
        ),
        Check(
            id="st-states",
            title="Database copy: st_states rows",
            phase=Phase.BEFORE,
            command=mysql_command(tenants, v["database"], v["mysql_client"]),
            parse=lambda text: len(parse_mysql_batch(text)),
            expect=lambda n: (Verdict.PASS, f"{n} st_states rows"),
        ),
        Check(
            id="devstate-list",
            title="Asterisk copy: custom device states",
            phase=Phase.BEFORE,
            command=CLI_COMMANDS["devstates"],
            parse=_count("devstates"),
            expect=lambda n: (Verdict.PASS, f"{n} custom states"),
        ),
        Check(
            id="three-way",
            title="The three copies agree (DB, custom device state, queue)",
            phase=Phase.BEFORE,
            probe=lambda t: snapshot_json(t, v),
            parse=table_of,
            expect=_judge(fail=False),
        ),
    ]
    restart = v["restart_command"].strip()
    if restart:
        steps.append(
            Command(
                id="restart-daemons",
                title="Restart the two state daemons",
                command=restart,
                risk=Risk.SERVICE_AFFECTING,
            )
        )
    else:
        steps.append(
            Manual(
                id="restart-daemons",
                title="Restart the two state daemons",
                where="a shell on the node",
                detail="kill the event-reader and the state daemon (port 19771); "
                "they are restarted automatically",
            )
        )
    steps.append(
        Check(
            id="three-way-after",
            title="The three copies agree after the restart",
            probe=lambda t: snapshot_json(t, v),
            parse=table_of,
            expect=_judge(fail=True),
        )
    )
    return steps


def _count(key: str):
    return lambda text: len(PARSERS[key](text))


RUNBOOK = RunbookDef(
    page=11,
    slug="debugging-extension-state-problems",
    title="Debugging extension state problems",
    scope="tenant",
    roles=("pbx",),
    tenant_param="tenant",
    params=PARAMS,
    build=build,
    summary="st_states vs custom device state vs queue member status, and where the chain broke",
    verification=Verification(
        mirta_page="Open the extension's status in MiRTA: it shows NOT INUSE when the phone is "
        "idle and INUSE during a test call.",
        asterisk_log="With Device state logging on, /var/log/asterisk/full shows 'Changing state "
        "for Custom:<ext>' at the start and the end of a test call.",
        status_menu="Status menu: the queue members of the tenant show the same state as the "
        "extensions.",
        tenant_selection="Recheck tenant selection before testing tenant-specific behaviour.",
    ),
)
