"""SQLite sources are opened read-only too."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from mirtalib.data.db import open_database
from mirtalib.data.schema import Schema
from mirtalib.errors import DataSourceError, SchemaError


def test_sqlite_read_only_and_require_table(tmp_path):
    path = tmp_path / "pbx.sqlite"
    url = URL.create("sqlite", database=str(path))
    Schema().metadata.create_all(create_engine(url))
    db = open_database(url)
    assert db.has_table("cdr")
    db.require_table("st_states")
    with pytest.raises(DataSourceError, match="readonly|read-only|query_only|attempt to write"):
        with db.connect() as conn:
            conn.execute(text("INSERT INTO te_tenants (te_id, te_code) VALUES (1, 'A')"))
    with create_engine(url).begin() as conn:
        conn.execute(text("DROP TABLE st_states"))
    with pytest.raises(SchemaError, match="no table 'st_states'"):
        db.require_table("st_states")
