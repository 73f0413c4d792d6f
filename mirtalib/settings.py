"""One settings object for the whole library.

Values come from the environment, else from a `.env` file in the working directory (or the file
named by ``MIRTA_DOTENV``), else from defaults. The demo PBX is used only when asked for
(``MIRTA_DB_URL=demo``, or a runbook run whose targets are all ``replay:`` demo nodes): with
``MIRTA_DB_URL`` unset no database is configured, and whatever needs one says so
(:data:`mirtalib.data.db.NO_DATABASE`) instead of reading the demo's rows as a real server's.

==================  =============================================================================
variable            meaning
==================  =============================================================================
MIRTA_DB_URL        SQLAlchemy URL of the MiRTA database, e.g. ``mysql+pymysql://ro@db1/asterisk``
                    (a password in it is a secret: it is never shown, and scrubbed from outputs).
                    ``demo``: the demo PBX in SQLite, built on first use. Unset: none.
MIRTA_HOME          folder for the demo PBX and caches (default: the user cache dir).
MIRTA_REPORTS       folder for headless runs and journals (default: ``reports`` in the project).
MIRTA_SCHEMA_MAP    YAML file overriding table/column names (see :mod:`mirtalib.data.schema`).
MIRTA_TIMEZONE      time zone the PBX writes its local timestamps in (default ``Europe/Rome``).
MIRTA_BACKUP_DIR    folder on the runbook targets for the backups apply takes, one sub-folder per
                    run id (default ``/var/backups/mirta-ops``; never a configuration folder).
MIRTA_SERIAL        nodes a runbook apply changes at a time, each verified before the next
                    (default 1, as Ansible's ``serial``).
MIRTA_DB_STATEMENT_ seconds one database statement may run or wait for a lock, set per session
TIMEOUT             (MariaDB ``max_statement_time``, MySQL ``max_execution_time``, both
                    ``lock_wait_timeout`` and ``innodb_lock_wait_timeout``). Default 600;
                    ``0``: the server's own limits (a lock wait: one day).
==================  =============================================================================
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values
from platformdirs import user_cache_dir
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from mirtalib.errors import ConfigurationError
from mirtalib.secrets import SCRUBBER, _dotenv_path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BACKUP_DIR = "/var/backups/mirta-ops"
#: the value of MIRTA_DB_URL that selects the embedded demo PBX
DEMO = "demo"


def _env(name: str) -> str | None:
    value = os.environ.get(name)
    if value is None:
        path = _dotenv_path()
        if path.is_file():
            value = dotenv_values(path).get(name)
    return value or None


def _serial(raw: str | None) -> int:
    if raw is None:
        return 1
    if not raw.strip().isdigit() or not 1 <= int(raw) <= 1000:
        raise ConfigurationError(f"MIRTA_SERIAL={raw!r} is not a number of nodes from 1 to 1000")
    return int(raw)


DEFAULT_DB_STATEMENT_TIMEOUT = 600.0


def _seconds(name: str, default: float = DEFAULT_DB_STATEMENT_TIMEOUT) -> float:
    """A number of seconds (0 to one year) from the environment; ConfigurationError naming it."""
    raw = _env(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 31_536_000:
        raise ConfigurationError(f"{name}={raw!r} must be a number of seconds (0: no limit)")
    return value


def db_statement_timeout() -> float:
    """MIRTA_DB_STATEMENT_TIMEOUT: seconds a database statement may run or wait for a lock."""
    return _seconds("MIRTA_DB_STATEMENT_TIMEOUT")


def default_home() -> Path:
    """Folder holding the demo PBX and caches."""
    return Path(_env("MIRTA_HOME") or user_cache_dir("mirta-ops"))


def default_reports_dir() -> Path:
    """Folder of headless runs, journals and the report index."""
    return Path(_env("MIRTA_REPORTS") or PROJECT_ROOT / "reports")


@dataclass(frozen=True)
class Settings:
    """Resolved settings; build with :meth:`Settings.load`.

    Attributes:
        db_url: the database URL (``None``: the demo PBX when ``demo``, else none configured).
        demo: ``MIRTA_DB_URL=demo`` (the embedded demo PBX was asked for).
        home: folder for the demo PBX and caches.
        reports_dir: where headless runs and journals go.
        schema_map: optional YAML file with table/column name overrides.
        timezone: IANA name of the zone of the PBX's local timestamps.
        backup_dir: folder on runbook targets for apply's backups (``<backup_dir>/<run id>/...``).
        serial: nodes a runbook apply changes at a time (rolling apply).
        db_statement_timeout: seconds a database statement may run or wait for a lock (0: none).
    """

    db_url: URL | None = None
    demo: bool = False
    home: Path = field(default_factory=default_home)
    reports_dir: Path = field(default_factory=default_reports_dir)
    schema_map: Path | None = None
    timezone: str = "Europe/Rome"
    backup_dir: str = DEFAULT_BACKUP_DIR
    serial: int = 1
    db_statement_timeout: float = DEFAULT_DB_STATEMENT_TIMEOUT

    @classmethod
    def load(cls, db_url: str | None = None) -> Settings:
        """Read settings from the environment / `.env`; ``db_url`` overrides MIRTA_DB_URL."""
        raw = db_url or _env("MIRTA_DB_URL")
        demo = bool(raw) and raw.strip().lower() == DEMO
        url = parse_db_url(raw) if raw and not demo else None
        schema_map = _env("MIRTA_SCHEMA_MAP")
        return cls(
            db_url=url,
            demo=demo,
            home=default_home(),
            reports_dir=default_reports_dir(),
            schema_map=Path(schema_map) if schema_map else None,
            timezone=_env("MIRTA_TIMEZONE") or "Europe/Rome",
            backup_dir=_env("MIRTA_BACKUP_DIR") or DEFAULT_BACKUP_DIR,
            serial=_serial(_env("MIRTA_SERIAL")),
            db_statement_timeout=db_statement_timeout(),
        )

    @property
    def is_demo(self) -> bool:
        """True when the demo PBX was asked for (``MIRTA_DB_URL=demo``)."""
        return self.demo

    @property
    def configured(self) -> bool:
        """True when a database is configured (a URL, or ``demo``)."""
        return self.demo or self.db_url is not None

    @property
    def safe_db_url(self) -> str:
        """The database URL with its password masked, for display."""
        if self.demo:
            return "demo PBX (embedded SQLite)"
        if self.db_url is None:
            return "no database configured (set MIRTA_DB_URL)"
        return self.db_url.render_as_string(hide_password=True)

    def __repr__(self) -> str:
        return (
            f"Settings(db={self.safe_db_url!r}, home=<{self.home.name}>, "
            f"reports=<{self.reports_dir.name}>, timezone={self.timezone!r})"
        )


def parse_db_url(raw: str) -> URL:
    """Parse a database URL, registering its password as a secret.

    Raises:
        ConfigurationError: when the URL is invalid or uses an unsupported backend.
    """
    try:
        url = make_url(raw)
    except ArgumentError:
        # never echo the raw string: it may hold a password
        raise ConfigurationError(
            "MIRTA_DB_URL is not a valid database URL "
            "(expected e.g. mysql+pymysql://user@host/dbname or sqlite:///path.sqlite)"
        ) from None
    if url.password:
        SCRUBBER.add(str(url.password))
    backend = url.get_backend_name()
    if backend not in {"sqlite", "mysql", "mariadb"}:
        raise ConfigurationError(
            f"database backend {backend!r} is not supported (use mysql+pymysql:// or sqlite://)"
        )
    named = "+" in url.drivername  # plain mysql:// means mysqlclient to SQLAlchemy
    if backend in {"mysql", "mariadb"} and not (named and url.get_driver_name() in MYSQL_DRIVERS):
        url = url.set(drivername=f"{backend}+{preferred_mysql_driver()}")
    return url


MYSQL_DRIVERS = ("mysqldb", "pymysql")


def preferred_mysql_driver() -> str:
    """``mysqldb`` (mysqlclient, C: several times faster at streaming rows) when it is
    installed (``pip install 'mirta-ops[mysql]'``), else ``pymysql`` (pure Python). A URL naming
    one of the two (``mysql+pymysql://``) keeps it."""
    return "mysqldb" if importlib.util.find_spec("MySQLdb") else "pymysql"
