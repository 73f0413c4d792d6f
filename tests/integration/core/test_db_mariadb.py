"""Opening a real MariaDB: read-only sessions and clear connection errors."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import URL

from mirtalib.data.db import make_engine, open_database
from mirtalib.data.schema import Schema
from mirtalib.errors import DataSourceError

pytestmark = pytest.mark.integration


def test_analytics_sessions_are_read_only(mariadb_url):
    rw = create_engine(mariadb_url)
    schema = Schema()
    schema.metadata.create_all(rw)
    with rw.begin() as conn:
        conn.execute(insert(schema.table("te_tenants")).values(te_id=1, te_code="DEVEL"))
    db = open_database(mariadb_url)
    assert db.schema.cdr_layout == "current"
    tenants = db.read_sql(select(db.schema.table("te_tenants").c.te_code.label("te_code")))
    assert tenants["te_code"].tolist() == ["DEVEL"]
    with pytest.raises(DataSourceError, match="READ ONLY|read only|read-only"):
        with db.connect() as conn:
            conn.execute(text("INSERT INTO te_tenants (te_id, te_code) VALUES (2, 'X')"))
    rw.dispose()


def test_legacy_layout_detected(mariadb_url):
    rw = create_engine(mariadb_url)
    Schema(cdr_layout="legacy").metadata.create_all(rw)
    assert open_database(mariadb_url).schema.cdr_layout == "legacy"


def test_wrong_credentials_one_clear_error_without_password():
    url = URL.create(
        "mysql+pymysql",
        username="nobody_here",
        password="CanaryPw-91827",
        host="127.0.0.1",
        port=3306,
        database="test",
    )
    import socket

    try:
        socket.create_connection(("127.0.0.1", 3306), timeout=2).close()
    except OSError:
        pytest.skip("no MariaDB server on 127.0.0.1:3306")
    with pytest.raises(DataSourceError) as err:
        make_engine(url)
    msg = str(err.value)
    assert "CanaryPw-91827" not in msg
    assert "'test' on 127.0.0.1:3306" in msg
    assert "nobody_here" in msg
    assert err.value.__cause__ is None and err.value.__suppress_context__


def test_unreachable_server_names_host_and_database():
    # port 9 on loopback: nothing listens there, so the connection is refused at once
    url = URL.create(
        "mysql+pymysql",
        username="ro",
        password="CanaryPw-55",
        host="127.0.0.1",
        port=9,
        database="asterisk",
    )
    with pytest.raises(DataSourceError) as err:
        make_engine(url)
    assert "'asterisk' on 127.0.0.1:9" in str(err.value)
    assert "CanaryPw-55" not in str(err.value)
