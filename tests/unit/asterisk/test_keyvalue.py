"""KEY=value files (.properties, .env): in-place edits keep every other byte; fuzzed."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mirtalib.asterisk.keyvalue import parse_keyvalue, set_keyvalues
from mirtalib.errors import ParameterError, ParseError

PROPS = (
    "# amirouter\nserver.port=8080\n! old style comment\n"
    "spring.shell.command.quit.enabled = true\nserver.port=8081\nbroken line\n"
)


def test_parse_last_wins_and_rejects_are_counted():
    kv = parse_keyvalue(PROPS)
    assert kv.values["server.port"] == "8081"
    assert kv.values["spring.shell.command.quit.enabled"] == "true"
    assert [r.line for r in kv.rejects] == [6]


def test_set_edits_in_place_removes_duplicates_appends_missing():
    out = set_keyvalues(PROPS, {"server.port": "8443", "server.ssl.enabled": "true"})
    assert out == (
        "# amirouter\nserver.port=8443\n! old style comment\n"
        "spring.shell.command.quit.enabled = true\nbroken line\nserver.ssl.enabled=true\n"
    )
    assert set_keyvalues(out, {"server.port": "8443", "server.ssl.enabled": "true"}) == out
    spaced = set_keyvalues(out, {"spring.shell.command.quit.enabled": "false"})
    assert "spring.shell.command.quit.enabled = false\n" in spaced


def test_dotenv_quotes_and_unquotes():
    text = 'export DB_HOST=localhost\nDB_PASS="a b"\n'
    kv = parse_keyvalue(text, dotenv=True)
    assert kv.values == {"DB_HOST": "localhost", "DB_PASS": "a b"}
    out = set_keyvalues(text, {"DB_PASS": 'x "y" z', "DB_HOST": "127.0.0.1"}, dotenv=True)
    assert out == 'export DB_HOST=127.0.0.1\nDB_PASS="x \\"y\\" z"\n'
    assert parse_keyvalue(out, dotenv=True).values["DB_PASS"] == 'x "y" z'
    assert set_keyvalues(out, {"DB_PASS": 'x "y" z'}, dotenv=True) == out


def test_bad_keys_and_values_are_refused():
    with pytest.raises(ParameterError, match="key"):
        set_keyvalues("", {"a b": "1"})
    with pytest.raises(ParameterError, match="newline"):
        set_keyvalues("", {"a": "1\n2"})


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300), st.booleans())
def test_any_text_parses_or_parse_error(text, dotenv):
    try:
        parse_keyvalue(text, dotenv=dotenv)
    except ParseError:
        pass


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("ab=:#! \n\r\tx.\"'")), max_size=120),
    st.dictionaries(
        st.sampled_from(["a", "b", "x.y"]),
        st.text(alphabet=st.sampled_from(list('ab1 "#=')), max_size=8),
        max_size=3,
    ),
    st.booleans(),
)
def test_set_then_parse_gives_the_values_and_is_idempotent(text, wanted, dotenv):
    out = set_keyvalues(text, wanted, dotenv=dotenv)
    values = parse_keyvalue(out, dotenv=dotenv).values
    for key, value in wanted.items():
        assert values[key] == (value if dotenv else value.strip())
    assert set_keyvalues(out, wanted, dotenv=dotenv) == out
