"""A real MariaDB on 127.0.0.1:3306 (root, no password): required in CI, skipped elsewhere."""

from __future__ import annotations

import os
import socket
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL


def _mariadb_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 3306), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture
def mariadb_url():
    """A fresh, empty database on the local MariaDB, dropped afterwards."""
    if not _mariadb_up():
        if os.environ.get("CI"):
            pytest.fail("MariaDB is not listening on 127.0.0.1:3306 (required in CI)")
        pytest.skip("no MariaDB server on 127.0.0.1:3306")
    name = f"mirta_core_{uuid.uuid4().hex[:10]}"
    admin = create_engine(URL.create("mysql+pymysql", username="root", host="127.0.0.1", port=3306))
    with admin.begin() as conn:
        conn.execute(text(f"CREATE DATABASE `{name}`"))
    try:
        yield URL.create(
            "mysql+pymysql", username="root", host="127.0.0.1", port=3306, database=name
        )
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin.dispose()
