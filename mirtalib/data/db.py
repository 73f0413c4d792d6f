"""Database engines: the demo PBX or a real MiRTA database, opened read-only for analytics.

>>> from mirtalib.data.db import open_database
>>> db = open_database()            # MIRTA_DB_URL (``demo``: the embedded demo PBX)
>>> legs = db.read_sql(select(...))  # tidy pandas DataFrame

The demo is a demo: it is opened only when asked for (``MIRTA_DB_URL=demo``) or inside
:func:`demo_scope` (a runbook run whose targets are all ``replay:`` demo nodes). Otherwise, with
no MIRTA_DB_URL, :func:`open_database` raises :class:`NoDatabaseConfigured`
(:data:`NO_DATABASE`), which runbook steps show as a finding.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import event, inspect
from sqlalchemy.engine import URL, Connection, Engine, create_engine
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.sql import Executable

from mirtalib.data.schema import CdrLayout, Schema, SchemaMap
from mirtalib.errors import DataSourceError, SchemaError
from mirtalib.settings import Settings, db_statement_timeout

log = logging.getLogger(__name__)

#: what a step that needs the MiRTA database says when none is configured
NO_DATABASE = "no database configured (set MIRTA_DB_URL)"

_DEMO_SCOPE: ContextVar[bool] = ContextVar("mirta_demo_scope", default=False)


class NoDatabaseConfigured(DataSourceError):
    """No MIRTA_DB_URL (nor ``demo``): nothing to read, and the demo is not shown in its place."""


@contextmanager
def demo_scope(on: bool = True) -> Iterator[None]:
    """Inside, an unconfigured database means the demo PBX (``on``: the run's targets are all
    ``replay:`` demo nodes, whose database is the demo's). Per thread (a context variable)."""
    token = _DEMO_SCOPE.set(on)
    try:
        yield
    finally:
        _DEMO_SCOPE.reset(token)


def enter_demo_scope(on: bool) -> None:
    """Make ``on`` the demo rule of the current context until it is set again, with no block
    to leave: a runbook notebook's kernel (:func:`mirtalib.runbook.page.open_page`), whose later
    cells run in the same context, reads the database as its runbook does."""
    _DEMO_SCOPE.set(on)


def demo_selected(settings: Settings | None = None) -> bool:
    """True when the demo PBX stands for the database: ``MIRTA_DB_URL=demo`` or a demo scope."""
    return _DEMO_SCOPE.get() or (settings or Settings.load()).is_demo


def or_no_database(make: Callable[[], str]) -> str:
    """``make()``, or the one-line reason when no database is configured ("no database
    configured (set MIRTA_DB_URL) ..."): what a notebook cell prints instead of raising."""
    try:
        return make()
    except NoDatabaseConfigured as exc:
        return str(exc)


def database_source(settings: Settings | None = None) -> str:
    """What :func:`open_database` would read now (``demo``, the URL without password, or ``""``
    when none is configured): the key of a per-process cache of database rows, so the demo's
    rows cached for a replay run are never served to a real target's."""
    settings = settings or Settings.load()
    if settings.db_url is not None:
        return settings.db_url.render_as_string(hide_password=True)
    return "demo" if demo_selected(settings) else ""


def describe_url(url: URL) -> str:
    """Host and database of a URL, for messages (never the password)."""
    if url.get_backend_name() == "sqlite":
        return f"SQLite database {url.database or ':memory:'}"
    port = f":{url.port}" if url.port else ""
    return f"database {url.database!r} on {url.host or 'localhost'}{port}"


#: MariaDB/MySQL errors of a statement stopped by a limit: 1969 max_statement_time (MariaDB),
#: 3024 max_execution_time (MySQL), 1205 lock_wait_timeout / innodb_lock_wait_timeout
TIMEOUT_ERRORS = (1969, 3024, 1205)
_TABLES = re.compile(
    r"\b(?:FROM|JOIN|UPDATE|INTO)\s+[`\"]?([A-Za-z_][A-Za-z0-9_$]*)", re.IGNORECASE
)


def statement_tables(sql: str | None) -> list[str]:
    """The tables a SQL statement names after FROM / JOIN / UPDATE / INTO, in order."""
    return list(dict.fromkeys(_TABLES.findall(sql or "")))


def driver_reason(exc: BaseException, sql: str | None = None) -> str:
    """The driver's message and code; for a statement stopped by a time or lock-wait limit, what
    it waited on (the tables of ``sql`` or of the SQLAlchemy error's statement)."""
    orig = getattr(exc, "orig", None) or exc
    args = getattr(orig, "args", ())
    if len(args) >= 2 and isinstance(args[0], int):  # pymysql / mysqlclient: (code, message)
        reason = f"{args[1]} (error {args[0]})"
        if args[0] in TIMEOUT_ERRORS:
            tables = statement_tables(sql or getattr(exc, "statement", None)) or ["?"]
            reason = (
                f"gave up waiting on table {', '.join(tables)}: {reason}; a lock held by "
                "another session (LOCK TABLES, a long write) or a statement over the limit "
                "(MIRTA_DB_STATEMENT_TIMEOUT)"
            )
        return reason
    return str(orig).splitlines()[0] if str(orig) else type(orig).__name__


def session_limits(dbapi_conn: Any, seconds: float) -> list[str]:
    """The ``SET SESSION`` statements that stop a statement (or a lock wait) after ``seconds``."""
    if seconds <= 0:
        return []
    waits = max(1, math.ceil(seconds))
    info = str(getattr(dbapi_conn, "get_server_info", lambda: "")())
    limit = (
        f"max_statement_time = {seconds:g}"  # MariaDB 10.1+
        if "mariadb" in info.lower()
        else f"max_execution_time = {math.ceil(seconds * 1000)}"  # MySQL 5.7.8+: ms, SELECT
    )
    return [f"SET SESSION {limit}, lock_wait_timeout = {waits}, innodb_lock_wait_timeout = {waits}"]


def make_engine(
    url: URL, *, read_only: bool = True, statement_timeout: float | None = None
) -> Engine:
    """Create an engine; for MySQL/MariaDB, every session is made read-only when asked, and its
    statements and lock waits are limited to ``statement_timeout`` seconds (None:
    ``MIRTA_DB_STATEMENT_TIMEOUT``, default 600; 0: the server's own limits).

    Raises:
        DataSourceError: naming host and database when the server cannot be reached or refuses.
    """
    kwargs: dict = {"pool_pre_ping": True}
    if url.get_backend_name() in {"mysql", "mariadb"}:
        kwargs["connect_args"] = {"connect_timeout": 10, "charset": "utf8mb4"}
    engine = create_engine(url, **kwargs)
    if url.get_backend_name() in {"mysql", "mariadb"}:
        if statement_timeout is None:
            statement_timeout = db_statement_timeout()
        limit = statement_timeout

        @event.listens_for(engine, "connect")
        def _session(dbapi_conn, _record):  # pragma: no cover - exercised with MariaDB
            cur = dbapi_conn.cursor()
            if read_only:
                cur.execute("SET SESSION TRANSACTION READ ONLY")
            for statement in session_limits(dbapi_conn, limit):
                cur.execute(statement)
            cur.close()

    if read_only and url.get_backend_name() == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_ro(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA query_only = ON")
            cur.close()

    try:
        with engine.connect():
            pass
    except (OperationalError, DBAPIError) as exc:
        engine.dispose()
        raise DataSourceError(
            f"cannot open {describe_url(url)} as user {url.username or '(none)'}: "
            f"{driver_reason(exc)}"
        ) from None
    return engine


@dataclass
class Database:
    """An open MiRTA database: engine + schema (with the detected CDR layout)."""

    engine: Engine
    schema: Schema
    url: URL

    @property
    def description(self) -> str:
        """Where this database is, without secrets."""
        return describe_url(self.url)

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection; driver errors become DataSourceError naming the database."""
        try:
            with self.engine.connect() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise DataSourceError(f"{self.description}: {driver_reason(exc)}") from None
        except pd.errors.DatabaseError as exc:  # pd.read_sql wraps the SQLAlchemy error
            cause = exc.__cause__ if isinstance(exc.__cause__, SQLAlchemyError) else exc
            raise DataSourceError(f"{self.description}: {driver_reason(cause)}") from None

    def read_sql(self, query: Executable, **kwargs) -> pd.DataFrame:
        """Run a SELECT and return a DataFrame (columns = the query's labels)."""
        with self.connect() as conn:
            return pd.read_sql(query, conn, **kwargs)

    def has_table(self, logical: str) -> bool:
        """True when the table behind a logical name exists."""
        return inspect(self.engine).has_table(self.schema.table(logical).name)

    def require_table(self, logical: str) -> None:
        """Raise SchemaError naming the table when it is missing."""
        if not self.has_table(logical):
            phys = self.schema.table(logical).name
            raise SchemaError(
                f"{self.description} has no table {phys!r} (logical {logical!r}); "
                "set MIRTA_SCHEMA_MAP if your installation names it differently"
            )


def detect_cdr_layout(engine: Engine, schema: Schema | None = None) -> CdrLayout:
    """Tell the CDR layout of the ``cdr`` table: 'legacy' when it has calldate, else 'current'."""
    name = (schema or Schema()).table("cdr").name
    insp = inspect(engine)
    if not insp.has_table(name):
        return "current"
    cols = {c["name"].lower() for c in insp.get_columns(name)}
    calldate = schema.mapping.columns.get("cdr.calldate", "calldate") if schema else "calldate"
    if calldate.lower() in cols:
        return "legacy"
    if "start" in cols or (schema and schema.mapping.columns.get("cdr.start", "").lower() in cols):
        return "current"
    raise SchemaError(f"table {name!r} has neither calldate nor start: not an Asterisk CDR table")


def configured_schema(settings: Settings | None = None) -> Schema:
    """The schema with the overrides of MIRTA_SCHEMA_MAP (for SQL run elsewhere, e.g. by the
    node's mysql client: the physical names the installation uses)."""
    settings = settings or Settings.load()
    return Schema(SchemaMap.from_yaml(settings.schema_map) if settings.schema_map else None)


def open_database(url: str | URL | None = None, settings: Settings | None = None) -> Database:
    """Open the configured MiRTA database read-only.

    Args:
        url: overrides MIRTA_DB_URL (a string or a SQLAlchemy URL; ``demo``: the demo PBX).
        settings: settings to use (default: :meth:`Settings.load`).

    Raises:
        NoDatabaseConfigured: no URL and no MIRTA_DB_URL, outside a :func:`demo_scope`.
    """
    settings = settings or Settings.load(url if isinstance(url, str) else None)
    db_url = url if isinstance(url, URL) else settings.db_url
    if db_url is None:
        if not demo_selected(settings):
            raise NoDatabaseConfigured(
                f"{NO_DATABASE}: give a database URL, or MIRTA_DB_URL=demo for the demo PBX"
            )
        from mirtalib.demo import ensure_demo  # local import: the demo is optional

        db_url = ensure_demo(settings).db_url
    mapping = SchemaMap.from_yaml(settings.schema_map) if settings.schema_map else None
    engine = make_engine(db_url, statement_timeout=settings.db_statement_timeout)
    layout = detect_cdr_layout(engine, Schema(mapping))
    return Database(engine=engine, schema=Schema(mapping, cdr_layout=layout), url=db_url)
