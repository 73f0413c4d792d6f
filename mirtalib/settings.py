"""One settings object for the whole library.

Values come from the environment, else from a `.env` file in the working directory (or the file
named by ``MIRTA_DOTENV``), else from defaults that point at the embedded demo PBX:

==================  =============================================================================
variable            meaning
==================  =============================================================================
MIRTA_DB_URL        SQLAlchemy URL of the MiRTA database, e.g. ``mysql+pymysql://ro@db1/asterisk``
                    (a password in it is a secret: it is never shown, and scrubbed from outputs).
                    Default: the demo PBX in SQLite, built on first use.
MIRTA_HOME          folder for the demo PBX and caches (default: the user cache dir).
MIRTA_REPORTS       folder for headless runs and journals (default: ``reports`` in the project).
MIRTA_SCHEMA_MAP    YAML file overriding table/column names (see :mod:`mirtalib.data.schema`).
MIRTA_TIMEZONE      time zone the PBX writes its local timestamps in (default ``Europe/Rome``).
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


def _env(name: str) -> str | None:
    value = os.environ.get(name)
    if value is None:
        path = _dotenv_path()
        if path.is_file():
            value = dotenv_values(path).get(name)
    return value or None


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
        db_url: the database URL (``None`` means the embedded demo PBX).
        home: folder for the demo PBX and caches.
        reports_dir: where headless runs and journals go.
        schema_map: optional YAML file with table/column name overrides.
        timezone: IANA name of the zone of the PBX's local timestamps.
    """

    db_url: URL | None = None
    home: Path = field(default_factory=default_home)
    reports_dir: Path = field(default_factory=default_reports_dir)
    schema_map: Path | None = None
    timezone: str = "Europe/Rome"

    @classmethod
    def load(cls, db_url: str | None = None) -> Settings:
        """Read settings from the environment / `.env`; ``db_url`` overrides MIRTA_DB_URL."""
        raw = db_url or _env("MIRTA_DB_URL")
        url = parse_db_url(raw) if raw else None
        schema_map = _env("MIRTA_SCHEMA_MAP")
        return cls(
            db_url=url,
            home=default_home(),
            reports_dir=default_reports_dir(),
            schema_map=Path(schema_map) if schema_map else None,
            timezone=_env("MIRTA_TIMEZONE") or "Europe/Rome",
        )

    @property
    def is_demo(self) -> bool:
        """True when no database URL is configured and the demo PBX is used."""
        return self.db_url is None

    @property
    def safe_db_url(self) -> str:
        """The database URL with its password masked, for display."""
        if self.db_url is None:
            return "demo PBX (embedded SQLite)"
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
