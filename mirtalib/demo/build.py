"""Build the demo PBX: configuration, CDR, Master.csv, then the plug-ins.

The core (nodes, tenants, extensions, DIDs, queues, members, parking lots, ``cdr``) is written
through :class:`mirtalib.data.schema.Schema` (logical keys, so a schema map or the legacy CDR
layout is honoured), in bulk (executemany per chunk of calls), inside one transaction; then each
plug-in module that exists is called as ``generate(model, rng, paths, conn, schema)`` with its own
random generator ``default_rng([seed, k])``.
"""

from __future__ import annotations

import importlib
import logging
import time

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Table, create_engine, event, inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.schema import CreateIndex, CreateTable

from mirtalib.data.db import describe_url
from mirtalib.data.schema import CdrLayout, Schema, SchemaMap
from mirtalib.demo.calls import CallGenerator
from mirtalib.demo.config import build_config
from mirtalib.demo.mastercsv import write_master_csv
from mirtalib.demo.model import DemoModel
from mirtalib.demo.paths import DEMO_SEED, DemoPaths
from mirtalib.demo.schedule import iter_chunks
from mirtalib.demo.world import build_world
from mirtalib.errors import DataSourceError, ParameterError

log = logging.getLogger(__name__)

# Plug-in modules called after the core, in this order; k = index in the rng seed [seed, k].
PLUGINS = (
    "mirtalib.demo.recordings",
    "mirtalib.demo.events",
    "mirtalib.demo.vmware",
    "mirtalib.demo.queuelog",
)
# Above this scale the legs are not kept in memory and the plug-ins are skipped by default.
MAX_PLUGIN_SCALE = 5.0
_CDR_TIMES = ("start", "answer", "end")


def run_plugins(
    model: DemoModel, paths: DemoPaths, conn: Connection, schema: Schema, seed: int
) -> list[str]:
    """Call ``generate`` of every plug-in module that exists; return the names of those called."""
    called = []
    for k, name in enumerate(PLUGINS, start=1):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            log.info("demo plug-in %s not present: skipped", name)
            continue
        rng = np.random.default_rng([seed, k])
        began = time.monotonic()
        module.generate(model, rng, paths, conn, schema)
        log.info("demo plug-in %s: %.1f s", name, time.monotonic() - began)
        called.append(name)
    return called


def _column_values(values: pd.Series) -> list:
    """A column as a list of plain Python values (None for missing)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.to_numpy(dtype="datetime64[us]").astype(object).tolist()  # NaT -> None
    if pd.api.types.is_float_dtype(values):
        arr = values.to_numpy(dtype=object)
        arr[pd.isna(values).to_numpy()] = None
        return arr.tolist()
    if pd.api.types.is_integer_dtype(values):
        ints = values.to_numpy(dtype=object, na_value=None)
        return [None if v is None else int(v) for v in ints]
    return values.astype(object).where(values.notna(), None).tolist()


def _fast_datetimes(values: pd.Series, proc) -> list | None:
    """Datetimes as the dialect's bind processor would render them, vectorized, when it renders
    ISO text (SQLite); None when it does something else (then each value goes through ``proc``).
    """
    if not pd.api.types.is_datetime64_any_dtype(values) or values.notna().sum() == 0:
        return None
    arr = values.to_numpy(dtype="datetime64[us]")
    text = np.char.replace(np.datetime_as_string(arr, unit="us"), "T", " ").astype(object)
    text[np.isnat(arr)] = None
    probe = int(np.flatnonzero(~np.isnat(arr))[0])
    if proc(arr[probe].astype(object)) != text[probe]:
        return None
    return text.tolist()


def bulk_insert(conn: Connection, table: Table, frame: pd.DataFrame) -> int:
    """Insert the rows of ``frame`` (columns = logical keys of ``table``) with one executemany.

    The INSERT is compiled by SQLAlchemy Core for the connection's dialect and each column is run
    through its type's bind processor once, column by column, then handed to the driver's
    executemany (pymysql turns it into multi-row INSERTs): this avoids SQLAlchemy's per-row
    parameter processing, which dominates the load time of millions of CDR rows.
    """
    keys = [k for k in frame.columns if k in table.c]
    if frame.empty:
        return 0
    dialect = conn.dialect
    compiled = table.insert().compile(dialect=dialect, column_keys=keys)
    cols = {}
    for key in keys:
        proc = table.c[key].type.dialect_impl(dialect).bind_processor(dialect)
        fast = _fast_datetimes(frame[key], proc) if proc else None
        if fast is not None:
            cols[key] = fast
            continue
        values = _column_values(frame[key])
        cols[key] = [proc(v) for v in values] if proc else values
    if compiled.positional:
        params: list = list(zip(*(cols[name] for name in compiled.positiontup), strict=True))
    else:
        names = list(compiled.binds)
        params = [
            dict(zip(names, row, strict=True))
            for row in zip(*(cols[n] for n in names), strict=True)
        ]
    conn.exec_driver_sql(str(compiled), params)
    return len(params)


def cdr_frame(legs: pd.DataFrame, layout: CdrLayout) -> pd.DataFrame:
    """The legs as ``cdr`` rows (logical keys) of the given layout (legacy: calldate = start)."""
    frame = legs.drop(columns=["source_line"], errors="ignore")
    if layout == "legacy":
        frame = frame.drop(columns=["answer", "end"]).rename(columns={"start": "calldate"})
    return frame


def _reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).splitlines()
    return text[0] if text else type(orig).__name__


def _open(db_url: URL, replace: bool, schema: Schema):
    engine = create_engine(db_url)
    if db_url.get_backend_name() == "sqlite":

        @event.listens_for(engine, "connect")
        def _fast(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode = OFF")
            cur.execute("PRAGMA synchronous = OFF")
            cur.close()

    existing = set(inspect(engine).get_table_names())
    ours = {t.name for t in schema.metadata.sorted_tables}
    clash = sorted(existing & ours)
    if clash and not replace:
        engine.dispose()
        raise DataSourceError(
            f"{describe_url(db_url)} already has the tables {', '.join(clash)}; "
            "build the demo into an empty database (or pass replace=True)"
        )
    if clash:
        schema.metadata.drop_all(engine)
    # tables now, their indexes after the load (faster), by name: create_all would emit them in
    # set order, which changes from run to run (and so would the SQLite file)
    with engine.begin() as conn:
        for table in schema.metadata.sorted_tables:
            conn.execute(CreateTable(table))
    return engine


def _create_indexes(conn: Connection, schema: Schema) -> None:
    for table in schema.metadata.sorted_tables:
        for index in sorted(table.indexes, key=lambda ix: str(ix.name)):
            conn.execute(CreateIndex(index))


def build_demo(
    paths: DemoPaths,
    seed: int = DEMO_SEED,
    scale: float = 1.0,
    db_url: str | URL | None = None,
    *,
    cdr_layout: CdrLayout = "current",
    master_csv: bool = True,
    plugins: bool | None = None,
    replace: bool = False,
    mapping: SchemaMap | None = None,
) -> DemoModel:
    """Generate the demo PBX into ``paths`` (and the database at ``db_url``, SQLite by default).

    Args:
        paths: where the files go (``paths.db_path`` is the SQLite database unless ``db_url``).
        seed: the seed; the same seed gives byte-identical data.
        scale: multiplier of the number of calls (1.0 = about 20,000 calls in October 2026).
        db_url: SQLAlchemy URL of the database to write (the tables are created; it must not have
            them already unless ``replace``).
        cdr_layout: "current" (start/answer/end) or "legacy" (calldate) ``cdr`` table.
        master_csv: also write the 21-column ``Master.csv`` at ``paths.master_csv``.
        plugins: run the recordings/events/vmware plug-ins (default: when scale <= 5).
        replace: drop the demo's tables first when the database has them.
        mapping: physical table/column names to write (default: the standard names), so the
            demo can mimic an installation that needs ``MIRTA_SCHEMA_MAP``.

    Returns:
        The model of what was written (``legs`` complete when scale <= 5).

    Raises:
        ParameterError: bad scale or seed.
        DataSourceError: the database cannot be reached or written, or already has the tables.
    """
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise ParameterError(f"demo seed must be a non-negative integer, not {seed!r}")
    if not (isinstance(scale, int | float) and 0 < scale <= 10_000):
        raise ParameterError(f"demo scale must be a number in (0, 10000], not {scale!r}")
    began = time.monotonic()
    schema = Schema(mapping, cdr_layout=cdr_layout)
    paths.root.mkdir(parents=True, exist_ok=True)
    if db_url is None:
        paths.db_path.unlink(missing_ok=True)
        url = paths.db_url
    else:
        url = make_url(db_url) if isinstance(db_url, str) else db_url
    keep_legs = scale <= MAX_PLUGIN_SCALE
    run_plug = keep_legs if plugins is None else plugins
    if run_plug and not keep_legs:
        raise ParameterError(f"plug-ins need the legs in memory: use scale <= {MAX_PLUGIN_SCALE}")
    config = build_config()
    gen = CallGenerator(build_world(config, np.random.default_rng([int(seed), 0])))
    if master_csv:
        paths.master_csv.parent.mkdir(parents=True, exist_ok=True)
        paths.master_csv.unlink(missing_ok=True)
        paths.master_csv.touch()
    try:
        engine = _open(url, replace, schema)
    except SQLAlchemyError as exc:
        raise DataSourceError(
            f"cannot build the demo into {describe_url(url)}: {_reason(exc)}"
        ) from None
    kept: list[pd.DataFrame] = []
    n_legs = n_calls = 0
    try:
        with engine.begin() as conn:
            for key, frame in (
                ("no_nodes", config.nodes),
                ("te_tenants", config.tenants),
                ("ex_extensions", config.extensions),
                ("di_dids", config.dids),
                ("qu_queues", config.queues),
                ("qm_queuemembers", config.queue_members),
                ("pk_parkinglots", config.parking_lots),
            ):
                bulk_insert(conn, schema.table(key), frame)
            cdr = schema.table("cdr")
            for legs in iter_chunks(gen, int(seed), float(scale)):
                bulk_insert(conn, cdr, cdr_frame(legs, cdr_layout))
                if master_csv:
                    write_master_csv(legs, paths.master_csv, 21, append=True)
                n_legs += len(legs)
                n_calls += legs.linkedid.nunique()  # calls never span chunks
                if keep_legs or not kept:
                    kept.append(legs)
            _create_indexes(conn, schema)
            model = DemoModel(
                seed=int(seed),
                nodes=config.nodes,
                tenants=config.tenants,
                extensions=config.extensions,
                dids=config.dids,
                queues=config.queues,
                queue_members=config.queue_members,
                parking_lots=config.parking_lots,
                ring_groups=config.ring_groups,
                legs=pd.concat(kept, ignore_index=True),
                scale=float(scale),
                legs_complete=keep_legs,
                n_calls=n_calls,
                n_legs=n_legs,
            )
            if run_plug:
                model.extras["plugins"] = run_plugins(model, paths, conn, schema, int(seed))
    except SQLAlchemyError as exc:
        raise DataSourceError(
            f"writing the demo into {describe_url(url)}: {_reason(exc)}"
        ) from None
    finally:
        engine.dispose()
    log.info(
        "demo PBX built in %.1f s: %d calls, %d CDR rows into %s",
        time.monotonic() - began,
        n_calls,
        n_legs,
        describe_url(url),
    )
    return model
