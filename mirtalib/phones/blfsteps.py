"""Runbook pieces shared by the BLF pages (31 Cisco SPA, 39 any phone, 42 parking lots).

* :func:`directory` caches the tenant's numbers read from the database for one process;
* :func:`pick_monitors` turns the operator's list (``104,500,801,vm:104``) into monitor rows;
* :func:`hints_check` is the ``core show hints`` check: missing-dash monitors (need an Asterisk
  restart once the phone is fixed), watched names that are not monitors of the tenant, and the
  chosen monitors without a hint or without a watcher.
"""

from __future__ import annotations

import dataclasses
import functools
import logging

import pandas as pd

from mirtalib.asterisk.states import parse_core_show_hints
from mirtalib.data.db import database_source, or_no_database
from mirtalib.errors import ParameterError
from mirtalib.phones.blf import brand_string, hint_findings
from mirtalib.phones.directory import TenantDirectory, load_directory, monitors
from mirtalib.runbook import Check, Phase, Verdict
from mirtalib.validate import cmd

log = logging.getLogger(__name__)

HINTS_COMMAND = cmd("asterisk", "-rx", "core show hints")


def directory(tenant: str) -> TenantDirectory:
    """The tenant's extensions, queues and parking lots (read once per process and database:
    the demo's, read for a replay run, is never the answer for a real target's).

    Raises:
        NoDatabaseConfigured: no MIRTA_DB_URL outside a replay run.
    """
    return _directory(tenant, database_source())


@functools.lru_cache(maxsize=16)
def _directory(tenant: str, source: str) -> TenantDirectory:
    return load_directory(tenant)


def all_monitors(tenant: str, voicemail_prefix: str) -> pd.DataFrame:
    """Every monitor of the tenant (see :func:`mirtalib.phones.directory.monitors`)."""
    return monitors(directory(tenant), voicemail_prefix=voicemail_prefix)


def pick_monitors(tenant: str, wanted: str, voicemail_prefix: str) -> pd.DataFrame:
    """The rows of ``wanted`` (``104,500,801,vm:104``; empty: every extension) in that order.

    Raises:
        ParameterError: naming an entry that is no extension, queue, parking lot or voicemail.
    """
    table = all_monitors(tenant, voicemail_prefix)
    items = [w.strip() for w in wanted.split(",") if w.strip()]
    if not items:
        return table[table["kind"] == "extension"].reset_index(drop=True)
    rows = []
    for item in items:
        kind, _, number = item.rpartition(":")
        hit = table[table["number"] == number]
        hit = hit[hit["kind"] == "voicemail"] if kind == "vm" else hit[hit["kind"] != "voicemail"]
        if kind not in {"", "vm"} or hit.empty:
            raise ParameterError(
                f"monitors: {item!r} is not an extension, queue or parking lot of {tenant} "
                "(write vm:104 for a voicemail box)"
            )
        rows.append(hit.iloc[0])
    return pd.DataFrame(rows).reset_index(drop=True)


def key_lines(chosen: pd.DataFrame, brand: str) -> str:
    """One line per key: its number, what it watches and the brand's configuration string."""
    return "; ".join(
        f"key {i}: {brand_string(brand, r.monitor, label=r.label, key=i)}"
        for i, r in enumerate(chosen.itertuples(), start=1)
    )


def keys_text(
    tenant: str,
    wanted: str,
    voicemail_prefix: str,
    brand: str,
    columns: list[str],
    *,
    counts: bool = False,
) -> str:
    """The notebook's key table: ``columns`` and the ``brand`` string of each chosen monitor
    (:func:`pick_monitors`), after the count of the tenant's monitors per kind (``counts``);
    or why it cannot be read ("no database configured (set MIRTA_DB_URL) ...")."""
    from mirtalib.phones.blf import key_table

    def text() -> str:
        keys = key_table(pick_monitors(tenant, wanted, voicemail_prefix), brand)
        table = keys[[*columns, brand]].to_string(index=False)
        if not counts:
            return table
        kinds = all_monitors(tenant, voicemail_prefix)["kind"].value_counts().sort_index()
        return kinds.to_string() + "\n" + table

    return or_no_database(text)


def hints_text(target, tenant: str, voicemail_prefix: str, *, why: bool = False) -> str:
    """The notebook's view of a node's ``core show hints`` for the tenant (other tenants' hints
    left out; ``why``: the reason of each missing-dash name), or why the node cannot answer
    (Asterisk not installed, no database configured)."""
    from mirtalib.runbook.checks import missing_program

    answer = target.run(HINTS_COMMAND)
    missing = missing_program(answer, target.name)
    if missing:
        return f"cannot read the hints: {missing}"

    def text() -> str:
        table = findings(answer.stdout, tenant, voicemail_prefix).table
        shown = table[table["status"] != "other-tenant"].drop(columns=["why"])
        lines = [shown.to_string(index=False)]
        if why:
            lines += [
                f"  {r.name}: {r.why}" for r in table[table["status"] == "no-dash"].itertuples()
            ]
        return "\n".join(lines)

    return or_no_database(text)


def findings(text: str, tenant: str, voicemail_prefix: str) -> HintReport:
    """``core show hints`` text -> :func:`mirtalib.phones.blf.hint_findings` for the tenant."""
    hints = parse_core_show_hints(text)
    known = set(all_monitors(tenant, voicemail_prefix)["monitor"])
    found = hint_findings(hints, tenant, directory(tenant).tenants, known)
    unparsed = [u for u in hints.attrs.get("unparsed", []) if set(u.strip()) != {"-"}]
    found.attrs["unparsed"] = unparsed  # the '-----' rule above the footer is not a finding
    return HintReport(found)


@dataclasses.dataclass
class HintReport:
    """The classified hints (``table``); its repr is the one-line list of problems (evidence)."""

    table: pd.DataFrame

    def __repr__(self) -> str:
        return self.table.attrs.get("summary") or "no problem found"


def _judge(tenant: str, chosen: list[str], *, final: bool):
    def expect(report: HintReport) -> tuple[Verdict, str]:
        table = report.table
        notes, verdict = [], Verdict.PASS
        bad = table[table["status"] == "no-dash"]
        if not bad.empty:
            verdict = Verdict.FAIL if final else Verdict.WARN
            notes.append(
                "watched without the dash (fix the phone, then restart Asterisk): "
                + ", ".join(bad["name"])
            )
        unknown = table[table["status"] == "unknown"]
        if not unknown.empty:
            verdict = Verdict.WARN if verdict is Verdict.PASS else verdict
            notes.append("watched but not a monitor of the tenant: " + ", ".join(unknown["name"]))
        names = dict(zip(table["name"], table["watchers"], strict=True))
        missing = [m for m in chosen if m not in names]
        idle = [m for m in chosen if m in names and names[m] == 0]
        if final and (missing or idle):
            verdict = Verdict.WARN if verdict is Verdict.PASS else verdict
        if missing:
            notes.append("no hint yet for " + ", ".join(missing))
        if idle:
            notes.append("no phone watches " + ", ".join(idle) + " yet")
        if table.attrs.get("unparsed"):
            notes.append(f"{len(table.attrs['unparsed'])} output lines not understood")
        ok = int((table["status"] == "ok").sum())
        head = f"{len(table)} hints, {ok} on monitors of {tenant}"
        return verdict, head + ("; " + "; ".join(notes) if notes else "")

    return expect


def hints_check(
    tenant: str, voicemail_prefix: str, chosen: list[str], *, final: bool, title: str = ""
) -> Check:
    """The ``core show hints`` check (before: warns; after, ``final``: fails on missing dashes)."""
    return Check(
        id="hints-after" if final else "hints-before",
        title=title or ("BLF hints are right" if final else "BLF hints now (core show hints)"),
        phase=Phase.VERIFICATION if final else Phase.BEFORE,
        command=HINTS_COMMAND,
        parse=lambda text: findings(text, tenant, voicemail_prefix),
        expect=_judge(tenant, chosen, final=final),
    )
