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
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import event, inspect
from sqlalchemy.engine import URL, Connection, Engine, create_engine
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.sql import Executable

from mirtalib.data.schema import CdrLayout, Schema, SchemaMap
from mirtalib.errors import DataSourceError, SchemaError
from mirtalib.settings import Settings

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


def demo_selected(settings: Settings | None = None) -> bool:
    """True when the demo PBX stands for the database: ``MIRTA_DB_URL=demo`` or a demo scope."""
    return _DEMO_SCOPE.get() or (settings or Settings.load()).is_demo


def describe_url(url: URL) -> str:
    """Host and database of a URL, for messages (never the password)."""
    if url.get_backend_name() == "sqlite":
        return f"SQLite database {url.database or ':memory:'}"
    port = f":{url.port}" if url.port else ""
    return f"database {url.database!r} on {url.host or 'localhost'}{port}"


def _driver_reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    args = getattr(orig, "args", ())
    if len(args) >= 2 and isinstance(args[0], int):  # pymysql: (code, message)
        return f"{args[1]} (error {args[0]})"
    return str(orig).splitlines()[0] if str(orig) else type(orig).__name__


def make_engine(url: URL, *, read_only: bool = True) -> Engine:
    """Create an engine; for MySQL/MariaDB, every session is made read-only when asked.

    Raises:
        DataSourceError: naming host and database when the server cannot be reached or refuses.
    """
    kwargs: dict = {"pool_pre_ping": True}
    if url.get_backend_name() in {"mysql", "mariadb"}:
        kwargs["connect_args"] = {"connect_timeout": 10, "charset": "utf8mb4"}
    engine = create_engine(url, **kwargs)
    if read_only and url.get_backend_name() in {"mysql", "mariadb"}:

        @event.listens_for(engine, "connect")
        def _read_only(dbapi_conn, _record):  # pragma: no cover - exercised with MariaDB
            cur = dbapi_conn.cursor()
            cur.execute("SET SESSION TRANSACTION READ ONLY")
            cur.close()

    elif read_only and url.get_backend_name() == "sqlite":

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
            f"{_driver_reason(exc)}"
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
            raise DataSourceError(f"{self.description}: {_driver_reason(exc)}") from None

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
    engine = make_engine(db_url)
    layout = detect_cdr_layout(engine, Schema(mapping))
    return Database(engine=engine, schema=Schema(mapping, cdr_layout=layout), url=db_url)
