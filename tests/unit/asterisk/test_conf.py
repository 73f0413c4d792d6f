"""mirtalib.asterisk.conf: lossless round trip, edit API, problems, strict mode."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mirtalib.asterisk.conf import ConfDocument, parse_conf, read_conf
from mirtalib.errors import ParameterError, ParseError

PJSIP = """; pjsip.conf written by MiRTA PBX -- local additions below
#include pjsip_custom.conf

[global]
type=global
user_agent=MiRTA PBX

[transport-udp]
type=transport
protocol=udp
bind=0.0.0.0:5080

;-- Teams trunk: keep separate from phones
   (seed page 03) --;
[transporttls]
type=transport
protocol=tls
bind=0.0.0.0:5091 ; Teams-facing
cert_file=/etc/opensips/ssl/cert.crt
cipher=ECDHE-RSA-AES256-GCM-SHA384,AES128-GCM-SHA256
method=sslv23

[teams-endpoint](!)
type=endpoint
disallow=all
allow=ulaw
direct_media=no

[msteams_trunk_from_teams](teams-endpoint)
transport=transporttls
context=msteams
aors=aor_msteams_trunk_from_teams
media_encryption=sdes
sdp_session=FullysPBX

[aor_msteams_trunk_from_teams]
type=aor
qualify_frequency=60
contact=sip:sbc.example.com:5067

[msteams_trunk_from_teams]
type=identify
endpoint=msteams_trunk_from_teams
match=52.114.148.0/32
match=52.114.132.46/32
"""

EXTENSIONS = "[from-internal]\r\nexten => 100,1,Dial(PJSIP/100-DEVEL)\r\n same => n,Hangup()\r\n"


def test_round_trip_realistic_files() -> None:
    for text in (PJSIP, EXTENSIONS, PJSIP.rstrip("\n"), ""):
        doc = parse_conf(text)
        assert doc.render() == text
        assert doc.problems == []


def test_model_reads_sections_templates_and_duplicates() -> None:
    doc = parse_conf(PJSIP)
    names = [s.name for s in doc.sections]
    assert names.count("msteams_trunk_from_teams") == 2
    tpl = doc.section("teams-endpoint")
    assert tpl.is_template and tpl.templates == []
    ep = doc.section("msteams_trunk_from_teams", context="msteams")
    assert ep.templates == ["teams-endpoint"] and not ep.is_template
    ident = doc.section("msteams_trunk_from_teams", type="identify")
    assert ident.get_all("match") == ["52.114.148.0/32", "52.114.132.46/32"]
    assert doc.section("transporttls").get("bind") == "0.0.0.0:5091"
    assert doc.section("transporttls").header.lineno == 15
    assert [d.argument for d in doc.directives("include")] == ["pjsip_custom.conf"]
    ext = parse_conf(EXTENSIONS).section("from-internal")
    assert ext.body[0].op == "=>" and ext.get("exten") == "100,1,Dial(PJSIP/100-DEVEL)"
    assert ext.get("same") == "n,Hangup()"


def test_block_comment_hides_options_and_escaped_semicolon_is_value() -> None:
    doc = parse_conf("[a]\n;-- x=1\ny=2 --;\nz=3\nv=a\\;b ; real comment\n")
    assert doc.section("a").options() == [("z", "3"), ("v", "a;b")]
    assert doc.section("a").body[-1].comment == " real comment"


def test_set_edits_in_place_and_keeps_comment_and_spacing() -> None:
    doc = parse_conf(PJSIP)
    tls = doc.section("transporttls")
    tls.set("bind", "0.0.0.0:5092")
    tls.set("method", "tlsv1_2")
    tls.set("cipher", "DEFAULT,@SECLEVEL=1")
    out = doc.render()
    assert "bind=0.0.0.0:5092 ; Teams-facing\n" in out
    assert "method=tlsv1_2\n" in out and "cipher=DEFAULT,@SECLEVEL=1\n" in out
    diff = [ln for ln in out.splitlines() if ln not in PJSIP.splitlines()]
    assert len(diff) == 3


def test_set_on_duplicates_is_explicit() -> None:
    doc = parse_conf(PJSIP)
    ident = doc.section("msteams_trunk_from_teams", type="identify")
    with pytest.raises(ParameterError, match="2 'match' lines"):
        ident.set("match", "1.2.3.4")
    ident.set("match", "1.2.3.4", duplicates="last")
    assert ident.get_all("match") == ["52.114.148.0/32", "1.2.3.4"]
    ident.set("match", "5.6.7.8", duplicates="all")
    assert ident.get_all("match") == ["5.6.7.8"]
    with pytest.raises(ParameterError):
        ident.set("match", "x", duplicates="sometimes")


def test_set_all_add_remove() -> None:
    doc = parse_conf(PJSIP)
    tpl = doc.section("teams-endpoint")
    tpl.set_all("allow", ["alaw", "ulaw", "g722"])
    assert tpl.get_all("allow") == ["alaw", "ulaw", "g722"]
    assert tpl.remove("allow", "ulaw") == 1
    assert tpl.remove("allow") == 2
    assert "allow" not in tpl
    line = tpl.add("allow", "opus")
    assert line.raw == "allow=opus"
    # a new option goes after the last option, before the blank line separating sections
    assert tpl.body[tpl.body.index(line) + 1].kind == "blank"
    tpl.set("rtp_timeout", "30")
    assert tpl.get("rtp_timeout") == "30"


def test_values_are_escaped_and_bad_input_refused() -> None:
    doc = parse_conf("[a]\nx=1\n")
    doc.section("a").set("x", "a;b")
    assert doc.render() == "[a]\nx=a\\;b\n"
    assert parse_conf(doc.render()).section("a").get("x") == "a;b"
    for key, value in [("x", "two\nlines"), ("", "v"), ("a=b", "v"), ("x", " pad")]:
        with pytest.raises(ParameterError):
            doc.section("a").set(key, value)


def test_add_and_remove_sections_keep_the_rest() -> None:
    doc = parse_conf(PJSIP)
    new = doc.add_section(
        "transport-wss", options=[("type", "transport"), ("protocol", "wss"), ("bind", "0.0.0.0")]
    )
    assert doc.render() == PJSIP + "\n[transport-wss]\ntype=transport\nprotocol=wss\nbind=0.0.0.0\n"
    doc.remove_section(new)
    assert doc.render() == PJSIP + "\n"
    doc = parse_conf("[a]\nx=1")  # no final newline
    doc.add_section("b", templates=["a"], template=True)
    assert doc.render() == "[a]\nx=1\n\n[b](!,a)\n"
    doc.section("b").add("y", "2")
    assert doc.render().endswith("[b](!,a)\ny=2\n")
    with pytest.raises(ParameterError):
        doc.add_section("bad]name")


def test_add_at_end_of_file_without_newline() -> None:
    doc = parse_conf("[a]\nx=1")
    doc.section("a").add("y", "2")
    assert doc.render() == "[a]\nx=1\ny=2"


def test_insert_never_lands_inside_a_block_comment() -> None:
    text = "[a]\nallow=ulaw ;-- open\nstill comment --;\n[b]\n"
    doc = parse_conf(text)
    doc.section("a").set_all("allow", ["ulaw", "alaw"])
    again = parse_conf(doc.render())
    assert again.section("a").get_all("allow") == ["ulaw", "alaw"]


def test_crlf_is_kept_on_edits() -> None:
    doc = parse_conf(EXTENSIONS)
    doc.section("from-internal").set("same", "n,Playback(goodbye)")
    assert doc.render() == EXTENSIONS.replace("n,Hangup()", "n,Playback(goodbye)")


def test_problems_are_reported_and_strict_raises() -> None:
    text = "x=1\n[ok]\njunk line\n[broken\n#frobnicate foo\n=novalue\n;-- never closed\n"
    doc = parse_conf(text)
    assert doc.render() == text
    messages = [p.message for p in doc.problems]
    assert len(messages) == 6, messages
    assert "before any [section]" in messages[0]
    assert doc.problems[1].lineno == 3
    with pytest.raises(ParseError, match="line 1"):
        parse_conf(text, strict=True)


def test_bytes_round_trip_including_invalid_utf8(tmp_path) -> None:
    raw = b"[a]\nname=caf\xe9\n"
    p = tmp_path / "sip.conf"
    p.write_bytes(raw)
    doc = read_conf(p)
    assert doc.encode() == raw
    with pytest.raises(ParseError, match="cannot read"):
        read_conf(tmp_path / "missing.conf")
    with pytest.raises(ParseError):
        ConfDocument.parse(b"[a]")  # type: ignore[arg-type]


_CONF_ALPHABET = st.sampled_from(
    [*"[]()!+,;=>#-\\ \t\r\nabcxyz019", ";--", "--;", "=>", "#include ", "\r\n", "é"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_CONF_ALPHABET, max_size=80).map("".join))
def test_any_text_round_trips(text: str) -> None:
    assert parse_conf(text).render() == text


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_unicode_round_trips(text: str) -> None:
    assert parse_conf(text).render() == text


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40),
    st.sampled_from(["bind", "allow", "cipher"]),
)
def test_set_value_reads_back(value: str, key: str) -> None:
    doc = parse_conf(PJSIP)
    tls = doc.section("transporttls")
    try:
        tls.set(key, value)
    except ParameterError:
        assert value != value.strip() or "\n" in value or "\r" in value
        return
    again = parse_conf(doc.render())
    assert again.section("transporttls").get(key) == value
    assert len(again.sections) == len(doc.sections)


def test_idempotent_helpers() -> None:
    doc = parse_conf("")
    ident = doc.ensure_section("msteams_trunk_from_teams", type="identify")
    assert ident.ensure("match", "52.114.148.0/32") and not ident.ensure("match", "52.114.148.0/32")
    once = doc.render()
    again = parse_conf(once)
    again.ensure_section("msteams_trunk_from_teams", type="identify").ensure(
        "match", "52.114.148.0/32"
    )
    assert (
        again.render()
        == once
        == ("[msteams_trunk_from_teams]\ntype=identify\nmatch=52.114.148.0/32\n")
    )
    ep = again.ensure_section("msteams_trunk_from_teams", type="endpoint")
    assert ep is not ident and len(again.find("msteams_trunk_from_teams")) == 2
    with pytest.raises(ParameterError, match="ambiguous"):
        again.ensure_section("msteams_trunk_from_teams")


def test_equal_lines_stay_distinct_and_block_openers_survive_removal() -> None:
    doc = parse_conf("[a]\n")
    a = doc.section("a")
    a.add("allow", "ulaw")
    a.add("x", "1")
    a.add("allow", "ulaw")
    a.set("allow", "alaw", duplicates="last")
    assert doc.render() == "[a]\nallow=ulaw\nx=1\nallow=alaw\n"
    doc = parse_conf("[a]\nallow=ulaw ;-- note\nx=1 --;\ny=2\n")
    assert doc.section("a").options() == [("allow", "ulaw"), ("y", "2")]
    assert doc.section("a").remove("allow") == 1
    again = parse_conf(doc.render())
    assert again.section("a").options() == [("y", "2")] and again.problems == []


_KEYS = st.sampled_from(["allow", "type", "bind", "match", "context", "x"])
_VALUES = (
    st.lists(st.sampled_from([*"abc019;=>[]#-,.:/ \\", ";--", "--;"]), max_size=8)
    .map("".join)
    .map(str.strip)
)
_EDIT = st.one_of(
    st.tuples(st.just("set"), _KEYS, _VALUES, st.sampled_from(["first", "last", "all"])),
    st.tuples(st.just("add"), _KEYS, _VALUES, st.sampled_from(["=", "=>"])),
    st.tuples(st.just("remove"), _KEYS, st.one_of(st.none(), _VALUES), st.none()),
    st.tuples(st.just("set_all"), _KEYS, st.lists(_VALUES, max_size=3), st.none()),
    st.tuples(st.just("add_section"), st.sampled_from(["n1", "n2"]), st.booleans(), st.none()),
    st.tuples(st.just("remove_section"), st.integers(0, 20), st.none(), st.none()),
)
_BASES = st.sampled_from(
    [PJSIP, EXTENSIONS, "[a]\nallow=ulaw ;-- open\nstill --;\n[b]\nx=1", "[a](!)\r\nk = v\r\n"]
)


@settings(max_examples=300, deadline=None)
@given(_BASES, st.lists(st.tuples(st.integers(0, 20), _EDIT), max_size=8))
def test_random_edits_render_what_the_model_says(base: str, edits: list) -> None:
    doc = parse_conf(base)
    for where, (op, a, b, c) in edits:
        if op == "add_section":
            doc.add_section(a, template=b)
            continue
        if not doc.sections:
            continue
        if op == "remove_section":
            doc.remove_section(doc.sections[a % len(doc.sections)])
            continue
        s = doc.sections[where % len(doc.sections)]
        if op == "set":
            s.set(a, b, duplicates=c)
        elif op == "add":
            s.add(a, b, op=c)
        elif op == "remove":
            s.remove(a, b)
        else:
            s.set_all(a, b)
    again = parse_conf(doc.render())
    assert [(s.name, s.options()) for s in again.sections] == [
        (s.name, s.options()) for s in doc.sections
    ]
    assert len(again.problems) <= len(parse_conf(base).problems)
