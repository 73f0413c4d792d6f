"""The CDR report: parameters in, every table and finding out (what the notebook shows).

Two engines compute the same tables. ``sql`` (:mod:`mirtalib.cdr.engine`, any source) reads the
rows once into DuckDB, groups the legs into calls and builds every table there; only the tables
reach pandas, so the call-level findings that need every call (sequential dialing, failure
bursts, off-hours international, minute spikes, gaps between legs) are skipped and the report
says so. ``pandas`` (the readable reference) loads the legs, builds calls and computes
everything, including those findings and the drill-downs (``calls``, ``legs``). ``auto`` picks
``sql`` above ``sql_threshold`` CDR rows (Master.csv: estimated from the files' size). Legs
without linkedid are joined by the time-bounded rules of :mod:`mirtalib.cdr.calls` in both.

The pandas engine also checks every call for a gap between its legs longer than
:data:`mirtalib.cdr.calls.LINK_TOLERANCE_S` (finding "call longer than its legs", listing the
call's legs). Billable time is the same in both: the union of the ANSWERED legs' ``[end -
billsec, end]`` (billsec > 0).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
from sqlalchemy import and_, func, inspect, or_, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from mirtalib.cdr import cube as C
from mirtalib.cdr import engine as E
from mirtalib.cdr.callcache import check_mode as check_cache_mode
from mirtalib.cdr.callcache import read_calls
from mirtalib.cdr.calls import (
    GAP_KIND,
    calls_and_legs,
    gap_findings,
    grouping_note,
    grouping_sentence,
)
from mirtalib.cdr.concurrency import concurrency
from mirtalib.cdr.dbsource import cdr_filter
from mirtalib.cdr.destinations import (
    check_region,
    classify_calls,
    international_share,
    top_destinations,
)
from mirtalib.cdr.findings import BusinessHours, empty_findings
from mirtalib.cdr.fraud import minute_spikes, off_hours_international, sequential_dialing
from mirtalib.cdr.legs import empty_rejects, reject_counts
from mirtalib.cdr.load import _as_datetime, load_legs, normalize_tenants
from mirtalib.cdr.mastercsv import estimate_csv_rows, normalize_columns
from mirtalib.cdr.quality import asr_drops, failure_bursts
from mirtalib.data.availability import no_data_note
from mirtalib.data.db import Database, open_database
from mirtalib.errors import ParameterError
from mirtalib.secrets import resolve_secret

log = logging.getLogger(__name__)
ENGINES = ("auto", "pandas", "sql")


@dataclass
class ReportParams:
    """Everything the CDR report depends on (the notebook's parameters).

    Attributes:
        source: "" = the configured database (MIRTA_DB_URL, else the demo PBX); ``env:NAME`` =
            the database URL held by environment variable NAME (a secret: never shown); else
            Master.csv files (path, folder or glob).
        start, end: the period [start, end) in PBX-local time.
        tenants: "all", or tenant codes separated by commas.
        timezone: the PBX's time zone.
        business_hours: e.g. "Mon-Fri 08:00-19:00; Sat 09:00-13:00".
        home_region: the PBX's country (two letters) for reading dialed numbers.
        short_call_s: answered calls shorter than this are "short".
        top_n: rows of the top-destination tables.
        burst_gap_s, burst_min_failures: failure bursts per trunk.
        asr_min_attempts, asr_z, asr_min_drop: ASR-drop findings.
        spike_factor, spike_min_minutes: outbound-minute spikes.
        seq_min_run: sequential dialing.
        engine: "auto", "pandas" or "sql".
        sql_threshold: CDR rows above which ``auto`` uses ``sql``.
        sql_tmp_mb: ``sql``: MB of memory DuckDB may use (beyond it, it spills to disk).
        columns: ``cdr_custom`` files whose fields are not in a Master.csv order: their field
            names in file order, separated by commas ("" = a Master.csv layout).
        cache: ``sql`` engine on a database: "off"; "on" keeps the calls in a file under
            MIRTA_HOME and reads only the rows added since the last run of the same source,
            start, tenants and time zone (:mod:`mirtalib.cdr.callcache`); "verify" also counts
            the older rows; "rebuild" reads everything and rewrites the file.
    """

    source: str = ""
    start: str = "2026-10-01"
    end: str = "2026-11-01"
    tenants: str = "all"
    timezone: str = "Europe/Rome"
    business_hours: str = "Mon-Fri 08:00-19:00"
    home_region: str = "IT"
    short_call_s: int = 6
    top_n: int = 10
    burst_gap_s: float = 120
    burst_min_failures: int = 5
    asr_min_attempts: int = 20
    asr_z: float = 3.0
    asr_min_drop: float = 0.15
    spike_factor: float = 5.0
    spike_min_minutes: float = 30.0
    seq_min_run: int = 5
    engine: str = "auto"
    sql_threshold: int = 2_000_000
    sql_tmp_mb: int = 512
    columns: str = ""
    cache: str = "off"


@dataclass
class CdrReport:
    """What :func:`build_report` computed.

    Attributes:
        params: the parameters used.
        source: where the data came from (no secrets).
        engine: "pandas" or "sql".
        tables: name -> table (see :func:`build_report`).
        findings: quality and toll-fraud findings (:mod:`mirtalib.cdr.findings`).
        rejects: the unusable CDR rows (``line, reason, raw``; on the sql engine they are
            counted in ``tables["rejects"]`` and this is empty).
        calls: the calls frame (pandas engine only), for drill-downs.
        legs: the legs (pandas engine only), for :func:`mirtalib.cdr.calls.call_legs`.
        notes: sentences on what was skipped and why.
        no_data: when the period and tenants have no call: that sentence and the tenants and
            days the source has data for (:func:`mirtalib.data.availability.no_data_note`);
            "" otherwise.
    """

    params: ReportParams
    source: str
    engine: str
    tables: dict[str, pd.DataFrame]
    findings: pd.DataFrame
    rejects: pd.DataFrame
    calls: pd.DataFrame | None = None
    legs: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    no_data: str = ""

    @property
    def tenants(self) -> list[str]:
        """Tenants present in the report."""
        kp = self.tables["kpis_tenant"]
        return [t for t in kp["tenant"].tolist() if t]

    def reject_counts(self) -> pd.DataFrame:
        """Rejected CDR rows per reason."""
        return reject_counts(self.rejects)


def resolve_source(source: str) -> Database | str:
    """Turn the ``source`` parameter into an open Database or a Master.csv path/glob."""
    text = (source or "").strip()
    if not text:
        return open_database()
    if text.startswith("env:"):
        url = resolve_secret(text[4:])
        return open_database(url)
    if "://" in text:
        try:
            url = make_url(text)
        except ArgumentError:
            raise ParameterError("source: not a valid database URL") from None
        if url.password:
            raise ParameterError(
                "source: a database URL with a password must not be a parameter; put it in an "
                "environment variable and pass source='env:NAME'"
            )
        return open_database(text)
    return text


def _check(params: ReportParams) -> tuple[datetime | None, datetime | None, list[str] | None]:
    if params.engine not in ENGINES:
        raise ParameterError(f"engine={params.engine!r}: use one of {list(ENGINES)}")
    if not 256 <= params.sql_tmp_mb <= 1_048_576:
        raise ParameterError(
            f"sql_tmp_mb={params.sql_tmp_mb}: use 256 MB or more (with less, DuckDB runs out of "
            "memory grouping a million CDR rows)"
        )
    if check_cache_mode(params.cache) != "off" and params.engine == "pandas":
        raise ParameterError(
            f"cache={params.cache!r} keeps the calls of the sql engine: use engine='sql' or "
            "'auto', or cache='off'"
        )
    check_region(params.home_region)
    BusinessHours.parse(params.business_hours)
    start, end = (
        _as_datetime(params.start or None, "start"),
        _as_datetime(params.end or None, "end"),
    )
    if start and end and end <= start:
        raise ParameterError(f"end={params.end!r} is not after start={params.start!r}")
    return start, end, normalize_tenants(params.tenants)


def rows_without_linkedid(db: Database, start, end, tenants) -> int:
    """CDR rows of the period (and tenants) whose linkedid is empty or absent (all of them when
    the table has no linkedid column, as in old cdr_mysql tables): the sql engines can group
    only legs that carry one."""
    table = db.schema.table("cdr")
    physical = {c["name"].lower() for c in inspect(db.engine).get_columns(table.name)}
    terms = cdr_filter(db, start, end, tenants)
    if "linkedid" not in table.c or table.c["linkedid"].name.lower() not in physical:
        return count_rows(db, start, end, tenants)
    linkedid = table.c["linkedid"]
    query = select(func.count()).select_from(table)
    query = query.where(and_(*terms, or_(linkedid.is_(None), linkedid == "")))
    with db.connect() as conn:
        return int(conn.execute(query).scalar_one())


def count_rows(db: Database, start, end, tenants) -> int:
    """CDR rows of the period (and tenants) in ``db``, counted in SQL."""
    terms = cdr_filter(db, start, end, tenants)
    query = select(func.count()).select_from(db.schema.table("cdr"))
    if terms:
        query = query.where(and_(*terms))
    with db.connect() as conn:
        return int(conn.execute(query).scalar_one())


def build_report(params: ReportParams | None = None) -> CdrReport:
    """Compute the report's tables and findings.

    Tables: ``kpis_tenant``, ``kpis_day`` (tenant x day), ``kpis_trunk``, ``kpis_node``,
    ``kpis_direction``, ``volume_hour`` (tenant x hour), ``heatmap`` (weekday x hour),
    ``dispositions`` (share per tenant), ``short_calls``, ``concurrency`` (dim, group, peak,
    peak_at, p50, p95, mean), ``top_destinations``, ``international`` (per tenant),
    ``rejects`` (per reason).
    """
    params = params or ReportParams()
    start, end, tenants = _check(params)
    source = resolve_source(params.source)
    engine = params.engine
    if isinstance(source, Database) and params.columns:
        raise ParameterError(
            f"columns={params.columns!r} names the fields of cdr_custom files: the source is a "
            "database, whose columns come from its table"
        )
    if params.cache != "off":  # the cache is the sql engine's (checked in _check)
        engine = "sql"
    if engine == "auto":
        if isinstance(source, Database):
            rows = count_rows(source, start, end, tenants)
        else:
            rows = estimate_csv_rows(source)
        engine = "sql" if rows > params.sql_threshold else "pandas"
    if engine == "sql":
        try:
            report = _sql_report(params, source, start, end, tenants)
        except duckdb.OutOfMemoryException as exc:
            raise ParameterError(
                f"sql_tmp_mb={params.sql_tmp_mb}: the sql engine needed more memory than that "
                "(DuckDB spills to disk what it can, but not everything): raise sql_tmp_mb, or "
                "narrow the period or tenants"
            ) from exc
        return _with_no_data(report, source)
    return _with_no_data(_pandas_report(params, source, start, end, tenants), source)


def _with_no_data(report: CdrReport, source: Database | str) -> CdrReport:
    """Fill ``report.no_data`` when the period and tenants have no call."""
    if len(report.tables["kpis_tenant"]):
        return report
    from mirtalib.cdr.available import cdr_availability

    start, end, tenants = _check(report.params)
    report.no_data = no_data_note("calls", start, end, tenants, cdr_availability(source))
    return report


def describe_source(source: Database | str, fallback: str) -> str:
    """Where the data came from, without secrets or absolute paths (SQLite: the file name)."""
    if isinstance(source, Database) and source.url.get_backend_name() == "sqlite":
        return f"SQLite database {Path(source.url.database or ':memory:').name}"
    return fallback


def _pandas_report(params, source, start, end, tenants) -> CdrReport:
    load = load_legs(source, start, end, tenants, columns=params.columns or None)
    calls, grouped_legs = calls_and_legs(load.legs, params.timezone)
    calls = classify_calls(calls, params.home_region)
    cube = C.cube_from_calls(calls, params.short_call_s)
    tables = _cube_tables(cube)
    frames = [
        concurrency(calls, by=None, period=_period(start, end), tz=params.timezone).assign(
            dim="all", group=""
        )
    ]
    for dim in ("tenant", "node", "trunk"):
        part = concurrency(calls, by=dim, period=_period(start, end), tz=params.timezone)
        frames.append(part.rename(columns={dim: "group"}).assign(dim=dim))
    tables["concurrency"] = _conc_table(pd.concat(frames, ignore_index=True))
    tables["top_destinations"] = top_destinations(calls, n=params.top_n, by="tenant")
    tables["international"] = international_share(calls)
    hours = BusinessHours.parse(params.business_hours)
    findings = pd.concat(
        [
            failure_bursts(calls, params.burst_gap_s, params.burst_min_failures),
            asr_drops(calls, "D", params.asr_min_attempts, params.asr_z, params.asr_min_drop),
            off_hours_international(calls, hours),
            minute_spikes(calls, params.spike_factor, params.spike_min_minutes),
            sequential_dialing(calls, params.seq_min_run),
            gap_findings(calls, grouped_legs),
        ],
        ignore_index=True,
    )
    tables["rejects"] = reject_counts(load.rejects, by_field=True)
    notes = [grouping_note(load.legs, grouped_legs.attrs.get("links"))]
    notes.append(flag_note(getattr(load, "flags", None)))
    notes = [n for n in notes if n]
    return CdrReport(
        params,
        describe_source(source, load.source),
        "pandas",
        tables,
        _order(findings),
        load.rejects,
        calls=calls,
        legs=load.legs,
        notes=notes,
    )


def flag_note(flags: pd.DataFrame | None) -> str:
    """A sentence counting the legs kept with a doubtful value (``LegLoad.flags``: one boolean
    column per flag, one row per leg), or "" when there are none (or no flags)."""
    if flags is None or flags.empty:
        return ""
    counts = {str(c): int(flags[c].sum()) for c in flags.columns if flags[c].dtype == bool}
    counts = {c: n for c, n in counts.items() if n}
    if not counts:
        return ""
    flagged = int(flags[list(counts)].any(axis=1).sum())
    parts = ", ".join(f"{c} ({n:,})" for c, n in sorted(counts.items(), key=lambda x: -x[1]))
    rows = "CDR row was" if flagged == 1 else "CDR rows were"
    return f"{flagged:,} {rows} kept with a doubtful value: {parts}"


def _sql_report(params, source, start, end, tenants) -> CdrReport:
    columns = normalize_columns(params.columns) if not isinstance(source, Database) else None
    minutes, cache_notes = None, []
    if params.cache != "off" and isinstance(source, Database):
        run = read_calls(
            source, start, end, tenants, params.timezone, params.sql_tmp_mb, params.cache
        )
        legs, minutes, cache_notes = run.legs, run.minutes, run.notes
        legs.rejects = run.rejects
    else:
        legs = E.open_legs(
            source, start, end, tenants, columns=columns, memory_mb=params.sql_tmp_mb
        )
        E.build_calls(legs, params.timezone)
        if params.cache != "off":
            cache_notes = ["cache not used: it keeps the calls of a database; files are read whole"]
    cube = E.cube(legs.con, params.short_call_s)
    tables = _cube_tables(cube)
    tables["concurrency"] = _conc_table(
        E.concurrency(legs.con, _period(start, end), params.timezone, minutes)
    )
    top, intl = E.destinations(legs.con, params.home_region, params.top_n)
    tables["top_destinations"] = top
    tables["international"] = intl
    tables["rejects"] = legs.rejects
    findings = _cube_asr_drops(cube, params)
    notes = [
        "engine sql: per-call findings (failure bursts, off-hours international, minute "
        "spikes, sequential dialing) need the pandas engine (narrow the period or tenants)",
        f"engine sql: calls are not checked for gaps between their legs ('{GAP_KIND}': a "
        "linkedid written twice); the pandas engine checks every call",
    ]
    grouping = grouping_sentence(legs.without_linkedid, legs.total, legs.links)
    if grouping:
        notes.insert(0, grouping)
    notes += cache_notes
    legs.con.close()
    return CdrReport(
        params,
        describe_source(source, legs.description),
        "sql",
        tables,
        _order(findings),
        empty_rejects(),
        notes=notes,
    )


def _period(start, end):
    return (
        (pd.Timestamp(start), pd.Timestamp(end)) if start is not None and end is not None else None
    )


def _cube_tables(cube: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {
        "kpis_tenant": C.cube_kpis(cube, ["tenant"]),
        "kpis_day": C.cube_kpis(cube, ["tenant", "day"]),
        "kpis_trunk": C.cube_kpis(cube[cube["trunk"].ne("")], ["trunk"]),
        "kpis_node": C.cube_kpis(cube, ["node"]),
        "kpis_direction": C.cube_kpis(cube, ["tenant", "direction"]),
        "volume_hour": C.cube_volume(cube, ["tenant", "hour"]),
        "heatmap": C.cube_heatmap(cube),
        "dispositions": C.cube_disposition_mix(cube, ["tenant"]),
        "short_calls": C.cube_short_calls(cube, "tenant"),
    }


def _conc_table(frame: pd.DataFrame) -> pd.DataFrame:
    order = {"all": 0, "tenant": 1, "node": 2, "trunk": 3}
    frame = frame.assign(_o=frame["dim"].map(order)).sort_values(["_o", "group"])
    cols = ["dim", "group", "peak", "peak_at", "p50", "p95", "max_per_minute_mean"]
    return frame[cols].reset_index(drop=True)


def _cube_asr_drops(cube: pd.DataFrame, params: ReportParams) -> pd.DataFrame:
    """ASR drops per tenant and day from the cube (same rule as :func:`asr_drops`)."""
    from mirtalib.cdr.findings import make_findings, severity

    daily = C.cube_kpis(cube, ["tenant", "day"])
    base = C.cube_kpis(cube, ["tenant"]).set_index("tenant")["asr"]
    rows = []
    for _, r in daily.iterrows():
        b = base.get(r["tenant"])
        if b is None or not 0 < b < 1 or r["attempts"] < params.asr_min_attempts:
            continue
        z = (r["asr"] - b) / (b * (1 - b) / r["attempts"]) ** 0.5
        if r["asr"] <= b - params.asr_min_drop and z <= -params.asr_z:
            rows.append(
                {
                    "kind": "ASR drop",
                    "tenant": r["tenant"],
                    "subject": f"day {r['day']:%Y-%m-%d} 00:00",
                    "start": r["day"],
                    "end": r["day"] + pd.Timedelta(days=1),
                    "calls": int(r["attempts"]),
                    "call_ids": [],
                    "strength": -z,
                    "severity": severity(-z, params.asr_z * 1.5, params.asr_z * 2),
                    "reason": f"ASR {r['asr']:.0%} on {int(r['attempts'])} calls vs the "
                    f"tenant's {b:.0%} baseline (z = {z:.1f})",
                }
            )
    return make_findings(rows) if rows else empty_findings()


def _order(findings: pd.DataFrame) -> pd.DataFrame:
    if findings.empty:
        return empty_findings()
    rank = findings["severity"].map({"high": 0, "medium": 1, "low": 2})
    ordered = findings.assign(_r=rank).sort_values(
        ["_r", "kind", "strength", "tenant", "start"],
        ascending=[True, True, False, True, True],
        kind="stable",
    )
    return ordered.drop(columns="_r").reset_index(drop=True)


def tenant_tables(report: CdrReport, tenant: str) -> dict[str, pd.DataFrame]:
    """The report's tables restricted to one tenant (tables without a tenant are left out)."""
    out = {}
    for name, table in report.tables.items():
        if "tenant" in table.columns:
            out[name] = table[table["tenant"] == tenant].reset_index(drop=True)
        elif name == "concurrency":
            out[name] = table[(table["dim"] == "tenant") & (table["group"] == tenant)]
    mine = report.findings["tenant"].str.split(",").apply(lambda ts: tenant in ts)
    out["findings"] = report.findings[mine.astype(bool)].reset_index(drop=True)  # also when empty
    return out


def as_text(frame: pd.DataFrame, index: bool = False, max_rows: int = 60) -> str:
    """A table as fixed-width text for notebooks and logs: shares as percentages (columns named
    asr, ner, *_share or dispositions), other floats with 1 decimal, times to the second."""
    out = frame.copy()
    pct = {
        "asr",
        "ner",
        "call_share",
        "minute_share",
        "short_share",
        "ANSWERED",
        "NO ANSWER",
        "BUSY",
        "CONGESTION",
        "FAILED",
    }
    for col in out.columns:
        series = out[col]
        if col in pct and pd.api.types.is_float_dtype(series):
            out[col] = series.map(lambda v: "" if pd.isna(v) else f"{v:.1%}")
        elif pd.api.types.is_float_dtype(series):
            out[col] = series.map(lambda v: "" if pd.isna(v) else f"{v:,.1f}")
        elif pd.api.types.is_datetime64_any_dtype(series):
            fmt = (
                "%Y-%m-%d"
                if (series.dropna().dt.normalize() == series.dropna()).all()
                else "%Y-%m-%d %H:%M:%S"
            )
            out[col] = series.dt.strftime(fmt).fillna("")
    if len(out) > max_rows:
        out = out.head(max_rows)
        return out.to_string(index=index) + f"\n... {len(frame) - max_rows} more rows"
    return out.to_string(index=index)
