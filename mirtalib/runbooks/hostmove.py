"""Shared by seed pages 35 and 36: find and replace a server's old name or IP, token by token.

A *token* is the whole value, never a piece of a longer one:

* an IP ``10.0.0.1`` matches in ``host=10.0.0.1``, ``10.0.0.1:5060`` and ``10.0.0.1/24`` but not
  in ``10.0.0.10``, ``110.0.0.1`` or ``10.0.0.1.5``;
* a name ``srv01`` matches in ``srv01``, ``srv01.pbx.example.net`` and ``sipregs_srv01`` (the
  ``_`` of the realtime table names is a separator) but not in ``srv010``, ``mysrv01`` or
  ``srv01-b`` (host name labels are letters, digits and dashes). Names are case-sensitive.

:func:`find_occurrences` shows every hit per file and line before anything changes;
:func:`replace_tokens` is the pure editor the file steps use (idempotent, every other byte kept);
:func:`grep_command` is the same rule as a ``grep -P`` over folders, to find files not listed.
The MiRTA node table (``no_nodes``, Admin/PBX Nodes) is read with :func:`node_rows`.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import logging
import re
from collections.abc import Sequence
from typing import Any

from mirtalib.errors import ParameterError
from mirtalib.runbook import Check, Verdict, text_edit
from mirtalib.runbook.checks import needs_database
from mirtalib.runbook.model import FileChange, Risk
from mirtalib.secrets import SCRUBBER
from mirtalib.validate import cmd, hostname, ip_address, path

log = logging.getLogger(__name__)

KINDS = ("name", "ip")
_SECRET_LINE = re.compile(
    r"""^\s*\$?[A-Za-z_]*(?:secret|pass)[A-Za-z_]*\s*(?:=>?|:)\s*['"]?([^'";\s]+)""",
    re.IGNORECASE | re.MULTILINE,
)


def register_file_secrets(text: str) -> None:
    """Register the values of ``secret=`` / ``password`` lines of a file with the scrubber.

    The engine scrubs diffs and outputs, so a secret standing next to a replaced line never
    shows in a plan (``secret=...`` in sip.conf, ``$db_pass = '...'`` in db.php).
    """
    for m in _SECRET_LINE.finditer(text):
        value = m.group(1)
        if not value.startswith(("getenv", "$")):
            SCRUBBER.add(value)


def _ip_bounds(value: str) -> tuple[str, str]:
    if ":" in value:  # IPv6: no hex digit, colon or dot around it
        return r"(?<![0-9A-Fa-f:.])", r"(?![0-9A-Fa-f:])"
    return r"(?<![0-9.])", r"(?![0-9])(?!\.[0-9])"


def token_regex(value: str, kind: str) -> str:
    """The regular expression (Python and PCRE) matching ``value`` as a whole token."""
    if kind == "ip":
        before, after = _ip_bounds(value)
    elif kind == "name":
        before, after = r"(?<![A-Za-z0-9-])", r"(?![A-Za-z0-9-])"
    else:
        raise ParameterError(f"kind={kind!r} is not one of {KINDS}")
    return before + re.escape(value) + after


def check_pair(old: str, new: str, kind: str) -> tuple[str, str]:
    """Validate an old/new pair (names: RFC 1123; IPs: same family) and normalize it.

    Raises:
        ParameterError: an invalid value, the same value twice, or a new value that contains the
            old one as a token (a second apply would replace it again).
    """
    if kind == "ip":
        o, n = ip_address(old, "old_ip"), ip_address(new, "new_ip")
        if ipaddress.ip_address(o).version != ipaddress.ip_address(n).version:
            raise ParameterError(f"old_ip={o} and new_ip={n} are not of the same IP version")
    else:
        o, n = hostname(old, "old_name"), hostname(new, "new_name")
    if o == n:
        raise ParameterError(f"old and new {kind} are both {o!r}: nothing to change")
    if re.search(token_regex(o, kind), n):
        raise ParameterError(
            f"the new {kind} {n!r} contains the old one {o!r} as a whole token: a second run "
            "would replace it again; choose another value or edit by hand"
        )
    return o, n


def file_list(value: str, name: str = "files") -> tuple[str, ...]:
    """Comma-separated absolute paths -> tuple of normalized paths (no duplicates)."""
    items = [path(p.strip(), name) for p in value.split(",") if p.strip()]
    if not items:
        raise ParameterError(f"{name} is empty: list at least one file")
    dupes = sorted({p for p in items if items.count(p) > 1})
    if dupes:
        raise ParameterError(f"{name} lists {dupes} twice")
    return tuple(items)


@dataclasses.dataclass(frozen=True)
class Occurrence:
    """One hit: file, 1-based line number, how many times on that line, the line itself.

    ``in_path`` counts hits that are part of a file path (``/etc/asterisk/keys/srv01.pem``):
    replacing them points the setting at a file that has to be renamed too.
    """

    file: str
    line: int
    count: int
    text: str
    in_path: int = 0


def find_occurrences(text: str, value: str, kind: str, file: str = "") -> list[Occurrence]:
    """Every line of ``text`` holding ``value`` as a token."""
    rx = re.compile(token_regex(value, kind))
    out = []
    for n, line in enumerate(text.splitlines(), start=1):
        spans = [m.start() for m in rx.finditer(line)]
        if spans:
            in_path = sum(1 for i in spans if i > 0 and line[i - 1] == "/")
            out.append(Occurrence(file, n, len(spans), line.strip()[:200], in_path))
    return out


def replace_tokens(text: str, old: str, new: str, kind: str) -> str:
    """``text`` with every token ``old`` replaced by ``new`` (other bytes unchanged)."""
    return re.sub(token_regex(old, kind), lambda _m: new, text)


def scan_text(target: Any, files: Sequence[str], value: str, kind: str) -> str:
    """Read ``files`` on a target and return the occurrences as JSON (a Check probe's text)."""
    found, missing = [], []
    for f in files:
        text = target.read_text(f)
        if text is None:
            missing.append(f)
            continue
        register_file_secrets(text)
        found += [dataclasses.asdict(o) for o in find_occurrences(text, value, kind, f)]
    return json.dumps({"value": value, "occurrences": found, "missing": missing})


def occurrences_table(data: dict[str, Any]) -> str:
    """The scan result as aligned text: file, line, count, content."""
    rows = data["occurrences"]
    lines = [
        f"{o['file']}:{o['line']} ({o['count']}x{', in a path' if o['in_path'] else ''})  "
        f"{o['text']}"
        for o in rows
    ]
    lines += [f"{m}: missing on this node" for m in data["missing"]]
    return "\n".join(lines) if lines else f"no occurrence of {data['value']}"


class Scan(dict):
    """A scan result (JSON of :func:`scan_text`) whose repr is the per file/line table."""

    def __repr__(self) -> str:
        return occurrences_table(self)


def parse_scan(text: str) -> Scan:
    """Parse :func:`scan_text` output."""
    return Scan(json.loads(text))


def occurrence_report(rb: Any, value: str, kind: str, files: Sequence[str]) -> str:
    """Every occurrence of ``value`` in ``files`` on each target of runbook ``rb``, per line."""
    parts = []
    for target in rb.targets:
        data = parse_scan(scan_text(target, files, value, kind))
        parts.append(f"== {target.name}\n{data!r}")
    return "\n".join(parts)


def occurrences_check(
    id: str, title: str, files: Sequence[str], value: str, kind: str, *, before: bool
) -> Check:
    """Check listing every occurrence of ``value``: informative before, a failure after."""
    from mirtalib.runbook import Phase

    def expect(data: dict[str, Any]) -> tuple[Verdict, str]:
        rows, missing = data["occurrences"], data["missing"]
        per_file: dict[str, int] = {}
        for o in rows:
            per_file[o["file"]] = per_file.get(o["file"], 0) + o["count"]
        where = ", ".join(f"{f} ({c})" for f, c in per_file.items()) or "none"
        gone = f"; missing file(s): {', '.join(missing)}" if missing else ""
        paths = sorted({f"{o['file']}:{o['line']}" for o in rows if o["in_path"]})
        if paths:
            gone += f"; part of a file path at {', '.join(paths)}: rename that file too"
        if before:
            verdict = Verdict.WARN if missing or paths else Verdict.PASS
            return verdict, f"{value} found {sum(per_file.values())} time(s): {where}{gone}"
        if rows:
            return Verdict.FAIL, f"{value} still in: {where}{gone}"
        return (Verdict.WARN if missing else Verdict.PASS), f"{value} left in no listed file{gone}"

    return Check(
        id=id,
        title=title,
        phase=Phase.BEFORE if before else Phase.VERIFICATION,
        probe=lambda target: scan_text(target, files, value, kind),
        parse=parse_scan,
        expect=expect,
    )


def grep_command(value: str, kind: str, folders: Sequence[str]) -> str:
    """``grep -rIlsP`` with the token rule over ``folders`` (lists files holding the token)."""
    return cmd("grep", "-rIlsP", token_regex(value, kind), "--", *folders)


def unlisted_files(files: Sequence[str]):
    """Parser for :func:`grep_command` output: files holding the value that are not in ``files``."""

    def parse(text: str) -> list[str]:
        found = [ln.strip() for ln in text.splitlines() if ln.strip()]
        return sorted(f for f in found if f not in files and ".mirta-bak" not in f)

    return parse


def unlisted_expect(value: str):
    """Warn on files that hold the value but are not edited by the runbook."""

    def expect(extra: list[str]) -> tuple[Verdict, str]:
        if extra:
            return Verdict.WARN, (
                f"{value} is also in {len(extra)} file(s) this runbook does not edit: "
                f"{', '.join(extra)} (add them to `files` or edit them by hand)"
            )
        return Verdict.PASS, f"no other file in the searched folders holds {value}"

    return expect


def edit_steps(
    files: Sequence[str],
    old: str,
    new: str,
    kind: str,
    *,
    service_affecting: Sequence[str] = (),
) -> list[FileChange]:
    """One file step per listed file: replace the token, backed up by the engine.

    A listed file missing on a node is an error (a typo, or the file of another OS release):
    the step fails with a message naming it instead of creating an empty file.
    """
    steps = []
    for i, f in enumerate(files, start=1):

        def render(current: str | None, f: str = f) -> str:
            if current is None:
                raise ParameterError(f"{f} does not exist on this node: remove it from `files`")
            register_file_secrets(current)
            return replace_tokens(current, old, new, kind)

        risky = f in service_affecting or any(f.startswith(p) for p in service_affecting)
        step = text_edit(
            f"edit-{i:02d}",
            f"Replace {old} with {new} in {f}",
            f,
            lambda t: t,
            risk=Risk.SERVICE_AFFECTING if risky else Risk.CHANGING,
            summary=f"replace every {old} token with {new}",
        )
        steps.append(dataclasses.replace(step, render=render))
    return steps


# -- the MiRTA node table (Admin/PBX Nodes) ---------------------------------------------------


def node_rows(value: str, kind: str, db: Any = None) -> list[dict[str, Any]]:
    """Rows of ``no_nodes`` whose name, FQDN (first label) or IP holds ``value`` as a token.

    Args:
        value: the name or IP.
        kind: ``name`` or ``ip``.
        db: a :class:`mirtalib.data.db.Database` (default: :func:`open_database`: MIRTA_DB_URL;
            the demo PBX only with ``MIRTA_DB_URL=demo`` or on replay targets).
    """
    import sqlalchemy as sa

    def read(db: Any) -> Any:
        table = db.schema.table("no_nodes")
        return db.read_sql(sa.select(table).order_by(table.c.no_id))

    if db is None:
        from mirtalib.data.db import open_database
        from mirtalib.data.shared import shared_read

        frame = shared_read("no_nodes", (), lambda: read(open_database()))  # once per fleet run
    else:
        frame = read(db)
    rx = re.compile(token_regex(value, kind))
    cols = ["no_ip"] if kind == "ip" else ["no_name", "no_fqdn"]
    hit = frame[cols].fillna("").astype(str).apply(lambda col: col.str.contains(rx)).any(axis=1)
    return frame[hit].astype(object).where(frame[hit].notna(), None).to_dict("records")


def node_table_check(
    id: str, title: str, old: str, new: str, kind: str, *, before: bool, db: Any = None
) -> Check:
    """Check of Admin/PBX Nodes: shows the row to change (before), or that it changed (after);
    with no database configured, a warning saying so (never the demo's rows)."""
    from mirtalib.runbook import Phase

    def probe(_target: Any) -> str:
        return json.dumps({"old": node_rows(old, kind, db), "new": node_rows(new, kind, db)})

    def expect(data: dict[str, Any]) -> tuple[Verdict, str]:
        def show(rows: list[dict[str, Any]]) -> str:
            return "; ".join(
                f"no_id {r['no_id']}: {r['no_name']} {r.get('no_ip') or ''} "
                f"{r.get('no_fqdn') or ''}".rstrip()
                for r in rows
            )

        if before:
            if not data["old"]:
                return Verdict.WARN, f"no row of Admin/PBX Nodes holds {old}: check the value"
            return Verdict.PASS, f"Admin/PBX Nodes row(s) to change: {show(data['old'])}"
        if data["old"]:
            return Verdict.FAIL, f"Admin/PBX Nodes still holds {old}: {show(data['old'])}"
        if not data["new"]:
            return Verdict.WARN, f"no row of Admin/PBX Nodes holds {new} yet"
        return Verdict.PASS, f"Admin/PBX Nodes: {show(data['new'])}"

    return needs_database(
        Check(
            id=id,
            title=title,
            phase=Phase.BEFORE if before else Phase.VERIFICATION,
            probe=probe,
            parse=json.loads,
            expect=expect,
        )
    )
