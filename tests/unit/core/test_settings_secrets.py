"""Settings, secrets by reference, and the scrubber."""

from __future__ import annotations

import importlib.util

import pytest

from mirtalib.errors import ConfigurationError, SecretError
from mirtalib.secrets import MASK, Scrubber, resolve_secret, scrub
from mirtalib.settings import Settings, parse_db_url, preferred_mysql_driver


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    for name in (
        "MIRTA_DB_URL",
        "MIRTA_HOME",
        "MIRTA_REPORTS",
        "MIRTA_SCHEMA_MAP",
        "MIRTA_TIMEZONE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MIRTA_DOTENV", str(tmp_path / ".env"))


def test_unset_is_no_database_not_the_demo(tmp_path):
    s = Settings.load()
    assert not s.is_demo and not s.configured
    assert s.db_url is None
    assert s.safe_db_url == "no database configured (set MIRTA_DB_URL)"


@pytest.mark.parametrize("value", ["demo", "DEMO", " demo "])
def test_demo_only_when_asked(monkeypatch, value):
    monkeypatch.setenv("MIRTA_DB_URL", value)
    s = Settings.load()
    assert s.is_demo and s.configured and s.db_url is None
    assert "demo" in s.safe_db_url


def test_db_url_from_env_masks_password(monkeypatch):
    monkeypatch.setenv("MIRTA_DB_URL", "mysql://ro:Sup3rS3cret@db1.example.com:3307/asterisk")
    s = Settings.load()
    assert not s.is_demo
    assert s.db_url.drivername == f"mysql+{preferred_mysql_driver()}"
    assert "Sup3rS3cret" not in s.safe_db_url
    assert "Sup3rS3cret" not in repr(s)
    assert "db1.example.com" in s.safe_db_url
    # the password is now known to the scrubber
    assert scrub("connect with Sup3rS3cret now") == f"connect with {MASK} now"


def test_db_url_from_dotenv(tmp_path):
    (tmp_path / ".env").write_text("MIRTA_DB_URL=sqlite:///pbx.sqlite\nMIRTA_TIMEZONE=UTC\n")
    s = Settings.load()
    assert s.db_url.get_backend_name() == "sqlite"
    assert s.timezone == "UTC"


def test_bad_url_does_not_echo_it():
    with pytest.raises(ConfigurationError) as err:
        parse_db_url("not a url with p4ssw0rd")
    assert "p4ssw0rd" not in str(err.value)
    assert "MIRTA_DB_URL" in str(err.value)


def test_unsupported_backend():
    with pytest.raises(ConfigurationError, match="postgresql"):
        parse_db_url("postgresql://u@h/db")


def test_resolve_secret_env_then_dotenv(monkeypatch, tmp_path):
    monkeypatch.setenv("MIRTA_TEST_SECRET_A", "alpha-secret-value")
    assert resolve_secret("MIRTA_TEST_SECRET_A") == "alpha-secret-value"
    (tmp_path / ".env").write_text("MIRTA_TEST_SECRET_B=bravo-secret-value\n")
    assert resolve_secret("MIRTA_TEST_SECRET_B") == "bravo-secret-value"
    assert scrub("x bravo-secret-value y alpha-secret-value") == f"x {MASK} y {MASK}"


def test_resolve_secret_missing_and_optional(monkeypatch):
    monkeypatch.delenv("MIRTA_TEST_MISSING", raising=False)
    with pytest.raises(SecretError, match="MIRTA_TEST_MISSING is not set"):
        resolve_secret("MIRTA_TEST_MISSING")
    assert resolve_secret("MIRTA_TEST_MISSING", required=False) is None


@pytest.mark.parametrize("bad", ["hunter2 password", "", "1ABC", "a-b", None, 42])
def test_resolve_secret_rejects_values_passed_as_names(bad):
    with pytest.raises(SecretError, match="not an environment variable name"):
        resolve_secret(bad)


def test_scrubber_longest_first_and_short_values_ignored():
    s = Scrubber()
    s.add("abc")  # too short to mask safely
    s.add("secret")
    s.add("secret-longer")
    assert s.scrub("abc secret-longer secret") == f"abc {MASK} {MASK}"
    assert s.scrub("") == ""


def test_refused_published_default_stays_visible(monkeypatch):
    from mirtalib.runbooks.secretfiles import refuse_weak

    monkeypatch.setenv("MIRTA_TEST_KEYSTORE", "tomcat")
    value = resolve_secret("MIRTA_TEST_KEYSTORE")
    with pytest.raises(SecretError, match="well-known default"):
        refuse_weak(value, "MIRTA_TEST_KEYSTORE", "keystore password")
    # the refused default is public: later diffs and findings may still name it
    assert scrub("key-store-password=tomcat") == "key-store-password=tomcat"


def test_scrubber_discard():
    s = Scrubber()
    s.add("long-secret-1")
    s.discard("long-secret-1")
    s.discard("never-added")
    assert s.scrub("long-secret-1") == "long-secret-1"


def test_mysql_driver_choice(monkeypatch):
    """No driver named: mysqlclient when installed, else PyMySQL; a named driver is kept."""
    assert parse_db_url("mysql+pymysql://ro@db/asterisk").drivername == "mysql+pymysql"
    assert parse_db_url("mysql+mysqldb://ro@db/asterisk").drivername == "mysql+mysqldb"
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert parse_db_url("mysql://ro@db/asterisk").drivername == "mysql+pymysql"
    assert parse_db_url("mariadb+mysqlconnector://ro@db/asterisk").drivername == "mariadb+pymysql"


def test_the_shells_working_folder_is_not_a_secret(monkeypatch, tmp_path):
    """PWD matches the secret-name rule ('pwd') but holds the current folder: masking it hid
    every path printed under it ("Open the reports: ********/reports/index.html")."""
    from mirtalib.secrets import environment_secrets, is_secret_env_name

    monkeypatch.setenv("MIRTA_DOTENV", str(tmp_path / "none.env"))
    monkeypatch.setenv("PWD", "/srv/mirta-ops-checkout")
    monkeypatch.setenv("OLDPWD", "/srv/elsewhere")
    monkeypatch.setenv("DB_PWD", "s3cr3t-value")
    assert not is_secret_env_name("PWD") and not is_secret_env_name("OLDPWD")
    found = environment_secrets()
    assert "/srv/mirta-ops-checkout" not in found and "/srv/elsewhere" not in found
    assert "s3cr3t-value" in found
