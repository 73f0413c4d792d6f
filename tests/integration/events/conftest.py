"""A real MariaDB on 127.0.0.1:3306 (root, no password): required in CI, skipped elsewhere."""

from __future__ import annotations

import os
import socket
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL


@pytest.fixture
def mariadb_db():
    """(URL, database name) of a fresh empty database, dropped afterwards."""
    try:
        with socket.create_connection(("127.0.0.1", 3306), timeout=2):
            pass
    except OSError:
        if os.environ.get("CI"):
            pytest.fail("MariaDB is not listening on 127.0.0.1:3306 (required in CI)")
        pytest.skip("no MariaDB server on 127.0.0.1:3306")
    name = f"mirta_events_{uuid.uuid4().hex[:10]}"
    admin = create_engine(URL.create("mysql+pymysql", username="root", host="127.0.0.1", port=3306))
    with admin.begin() as conn:
        conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    try:
        yield (
            URL.create(
                "mysql+pymysql", username="root", host="127.0.0.1", port=3306, database=name
            ),
            name,
        )
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin.dispose()
