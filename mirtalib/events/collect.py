"""Collect the three copies of extension state from a server (local, SSH or a recorded replay).

The commands are those of seed page 11, run on the node through any object with
``run(command) -> result`` (``result.exit_code``, ``result.stdout``, ``result.stderr``) and a
``name``: the runbook engine's targets (:func:`mirtalib.runbook.targets.open_target`) fit. The
``st_states`` rows come from the ``mysql`` client on the node (``mysql --batch`` output, parsed by
:func:`parse_mysql_batch`) or, with ``db=``, from the MiRTA database the library is configured for.
"""

from __future__ import annotations

import logging
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import pandas as pd
from sqlalchemy import or_, select
from sqlalchemy.dialects import mysql

from mirtalib.asterisk.states import (
    parse_channels_concise,
    parse_core_show_hints,
    parse_devstate_list,
    parse_queue_show,
)
from mirtalib.data.db import Database, configured_schema
from mirtalib.data.schema import Schema
from mirtalib.errors import CommandError, MirtaError, ParameterError, ParseError
from mirtalib.events.eventlog import check_extensions, check_tenant

log = logging.getLogger(__name__)

CLI_COMMANDS = {
    "devstates": "asterisk -rx 'devstate list'",
    "queues": "asterisk -rx 'queue show'",
    "hints": "asterisk -rx 'core show hints'",
    "channels": "asterisk -rx 'core show channels concise'",
}
PARSERS = {
    "devstates": parse_devstate_list,
    "queues": parse_queue_show,
    "hints": parse_core_show_hints,
    "channels": parse_channels_concise,
}
ST_COLUMNS = ("st_extension", "st_state", "st_lastupdate", "st_node")


class Runner(Protocol):
    """What collection needs from a target."""

    name: str

    def run(self, command: str, *, timeout: float = 120.0):  # -> CommandResult
        """Run a shell command on the node."""


def _unescape(value: str) -> str | None:
    if value in ("NULL", "\\N"):  # mysql --batch prints NULL; --raw / dumps use \N
        return None
    if "\\" not in value:
        return value
    out, i = [], 0
    table = {"t": "\t", "n": "\n", "\\": "\\", "0": "\0"}
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value):
            out.append(table.get(value[i + 1], value[i + 1]))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def parse_mysql_batch(text: str | bytes) -> pd.DataFrame:
    """Parse ``mysql --batch`` output: a header line, tab-separated rows, ``NULL`` (or ``\\N``)
    for NULL. A text column holding the word NULL cannot be told from NULL in this format.

    Raises:
        ParseError: when the text is empty of a header, or a row has the wrong number of fields.
    """
    if isinstance(text, bytes | bytearray):
        text = bytes(text).decode("utf-8", errors="replace")
    if not isinstance(text, str):
        raise ParseError(f"mysql output must be text, got {type(text).__name__}")
    lines = [ln for ln in text.replace("\r\n", "\n").split("\n") if ln != ""]
    if not lines:
        raise ParseError("mysql --batch output is empty (expected at least a header line)")
    header = lines[0].split("\t")
    if any(not h.strip() for h in header) or len(set(header)) != len(header):
        raise ParseError(f"mysql --batch header is not a list of column names: {lines[0][:80]!r}")
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split("\t")
        if len(fields) != len(header):
            raise ParseError(
                f"mysql --batch line {number}: {len(fields)} fields, header has {len(header)}"
            )
        rows.append([_unescape(f) for f in fields])
    return pd.DataFrame(rows, columns=header, dtype="object")


def st_states_sql(tenants: Sequence[str], schema: Schema | None = None) -> str:
    """The SELECT of ``st_states`` rows of some tenants, in MySQL syntax: the physical names of
    ``schema`` (default: MIRTA_SCHEMA_MAP's), each labelled with its logical name."""
    st = (schema or configured_schema()).table("st_states")
    query = select(*[st.c[k].label(k) for k in ST_COLUMNS])
    query = query.where(or_(*[st.c.st_extension.like(f"%-{check_tenant(t)}") for t in tenants]))
    query = query.order_by(st.c.st_extension)
    sql = query.compile(
        dialect=mysql.dialect(paramstyle="named"), compile_kwargs={"literal_binds": True}
    )
    return " ".join(str(sql).split())


def mysql_command(
    tenants: Sequence[str],
    database: str = "asterisk",
    client: str = "mysql --batch",
    schema: Schema | None = None,
) -> str:
    """The shell line reading ``st_states`` with the node's mysql client (credentials: the
    client's own option files, e.g. ``/root/.my.cnf``; never on the command line)."""
    if not database.replace("_", "").isalnum():
        raise ParameterError(f"database: {database!r} is not a plain database name")
    return f"{client} -e {shlex.quote(st_states_sql(tenants, schema))} {database}"


@dataclass
class Snapshot:
    """What one node said, parsed; ``errors`` names every command that failed and why."""

    node: str
    extensions: list[str]
    db_states: pd.DataFrame
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def frame(self, key: str) -> pd.DataFrame | None:
        """A parsed output (``devstates``, ``queues``, ``hints``, ``channels``) or None."""
        return self.frames.get(key)


def resolve_extensions(extensions, tenant, *frames: pd.DataFrame | None) -> list[str]:
    """The extensions to look at: the given names, else every extension of the tenant that any
    of the collected frames mentions (``extension`` or ``st_extension`` column)."""
    names = check_extensions(extensions)
    if names:
        return names
    code = check_tenant(tenant)
    if not code:
        raise ParameterError("give extensions (e.g. '100-DEVEL') or a tenant code")
    found: set[str] = set()
    for frame in frames:
        if frame is None or frame.empty:
            continue
        col = "extension" if "extension" in frame else "st_extension"
        if col in frame:
            found |= {str(x) for x in frame[col].dropna() if str(x).endswith(f"-{code}")}
    return sorted(found)


def collect(
    target: Runner,
    extensions: str | Sequence[str] | None = None,
    tenant: str | None = None,
    *,
    db: Database | None = None,
    database: str = "asterisk",
    mysql_client: str = "mysql --batch",
    include: Sequence[str] = ("devstates", "queues", "hints", "channels"),
) -> Snapshot:
    """Run the page's commands on one node and parse their outputs.

    A command that fails or whose output cannot be parsed is recorded in ``errors`` (and its
    frame is absent) so that the rest of the picture is still shown.
    """
    unknown = set(include) - set(CLI_COMMANDS)
    if unknown or "devstates" not in include:
        raise ParameterError(f"include: must contain 'devstates' and only {sorted(CLI_COMMANDS)}")
    names = check_extensions(extensions)
    code = check_tenant(tenant)
    if not names and not code:
        raise ParameterError("give extensions (e.g. '100-DEVEL') or a tenant code")
    tenants = sorted({e.rsplit("-", 1)[-1] for e in names}) if names else [code]
    snap = Snapshot(node=target.name, extensions=[], db_states=pd.DataFrame(columns=ST_COLUMNS))
    for key in include:
        try:
            res = target.run(CLI_COMMANDS[key])
            snap.raw[key] = res.stdout
            if res.exit_code != 0:
                raise CommandError(f"exit {res.exit_code}: {(res.stderr or res.stdout)[:200]}")
            snap.frames[key] = PARSERS[key](res.stdout)
        except MirtaError as exc:
            snap.errors[key] = f"{CLI_COMMANDS[key]}: {exc}"
    try:
        if db is not None:
            st = db.schema.table("st_states")
            query = select(*[st.c[k].label(k) for k in ST_COLUMNS]).where(
                or_(*[st.c.st_extension.like(f"%-{t}") for t in tenants])
            )
            snap.db_states = db.read_sql(query)
        else:
            command = mysql_command(tenants, database, mysql_client)
            res = target.run(command)
            snap.raw["db_states"] = res.stdout
            if res.exit_code != 0:
                raise CommandError(f"exit {res.exit_code}: {(res.stderr or res.stdout)[:200]}")
            rows = parse_mysql_batch(res.stdout)
            missing = {"st_extension", "st_state"} - set(rows.columns)
            if missing:
                raise ParseError(f"mysql output lacks the column(s) {sorted(missing)}")
            snap.db_states = rows
    except MirtaError as exc:
        snap.errors["db_states"] = f"st_states: {exc}"
    snap.extensions = resolve_extensions(names, code, snap.db_states, *snap.frames.values())
    return snap
