"""mirtalib.asterisk.conftree: template inheritance, (+) additions, includes, unified diff."""

from __future__ import annotations

import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mirtalib.asterisk.conf import parse_conf
from mirtalib.asterisk.conftree import (
    effective_dict,
    effective_options,
    effective_value,
    find_effective,
    load_with_includes,
    objects,
    unified_diff,
)
from mirtalib.errors import ParseError

SIP = """[general]
bindport=5060

[phone](!)
type=friend
host=dynamic
disallow=all
allow=ulaw
allow=alaw
context=from-internal

[secure](!,phone)
transport=tls
encryption=yes

[100-DEVEL](secure)
secret=not-a-real-one
allow=g722

[100-DEVEL](+)
callerid=Anna <100>

[pbx](phone)
type=peer
host=10.0.0.6
insecure=port,invite
"""


def test_template_chain_resolution_in_asterisk_order() -> None:
    doc = parse_conf(SIP)
    ext = doc.sections[3]
    assert effective_options(doc, ext) == [
        ("type", "friend"),
        ("host", "dynamic"),
        ("disallow", "all"),
        ("allow", "ulaw"),
        ("allow", "alaw"),
        ("context", "from-internal"),
        ("transport", "tls"),
        ("encryption", "yes"),
        ("secret", "not-a-real-one"),
        ("allow", "g722"),
        ("callerid", "Anna <100>"),
    ]
    assert effective_dict(doc, ext)["allow"] == ["ulaw", "alaw", "g722"]
    pbx = doc.section("pbx")
    assert effective_value(doc, pbx, "type") == "peer"  # own value overrides the template's
    assert effective_value(doc, pbx, "host") == "10.0.0.6"
    assert effective_value(doc, pbx, "transport") is None


def test_objects_and_find_effective_skip_templates_and_additions() -> None:
    doc = parse_conf(SIP)
    assert [s.name for s in objects(doc)] == ["general", "100-DEVEL", "pbx"]
    assert [s.name for s in find_effective(doc, type="friend")] == ["100-DEVEL"]
    assert [s.name for s in find_effective(doc, "pbx", insecure="port,invite")] == ["pbx"]


def test_template_must_be_defined_before_use() -> None:
    doc = parse_conf("[a](tpl)\nx=1\n[tpl](!)\ny=2\n")
    with pytest.raises(ParseError, match=r"inherits from \[tpl\], which is not defined before"):
        effective_options(doc, doc.sections[0])
    loop = parse_conf("[a](a)\nx=1\n")
    with pytest.raises(ParseError):
        effective_options(loop, loop.sections[0])


def test_addition_after_inheritor_does_not_leak_into_it() -> None:
    doc = parse_conf("[t](!)\na=1\n[x](t)\n[t](+)\nb=2\n[y](t)\n")
    x, y = doc.sections[1], doc.sections[3]
    assert effective_options(doc, x) == [("a", "1")]
    assert effective_options(doc, y) == [("a", "1"), ("b", "2")]


def test_includes_are_inlined_with_globs_and_tryinclude(tmp_path) -> None:
    (tmp_path / "pjsip.conf").write_text(
        '[global]\ntype=global\n#include pjsip_custom.conf\n#tryinclude "nothere.conf"\n'
        "#include <pjsip.d/*.conf>\n#exec /usr/local/bin/gen.sh\n"
    )
    (tmp_path / "pjsip_custom.conf").write_text("[teams](!)\ntype=endpoint\n")
    (tmp_path / "pjsip.d").mkdir()
    (tmp_path / "pjsip.d" / "b.conf").write_text("[b](teams)\ncontext=x")  # no final newline
    (tmp_path / "pjsip.d" / "a.conf").write_text("[a](teams)\n")
    res = load_with_includes(tmp_path / "pjsip.conf", config_dir=tmp_path)
    assert [p.name for p in res.files] == ["pjsip.conf", "pjsip_custom.conf", "a.conf", "b.conf"]
    assert res.missing == ["nothere.conf"]
    assert len(res.not_followed) == 1 and "gen.sh" in res.not_followed[0]
    doc = res.document
    assert [s.name for s in find_effective(doc, type="endpoint")] == ["a", "b"]
    assert effective_value(doc, doc.section("b"), "context") == "x"


def test_missing_include_and_loops_raise(tmp_path) -> None:
    (tmp_path / "a.conf").write_text("#include b.conf\n")
    with pytest.raises(ParseError, match="matches no file"):
        load_with_includes(tmp_path / "a.conf")
    (tmp_path / "b.conf").write_text("#include a.conf\n")
    with pytest.raises(ParseError, match="loop"):
        load_with_includes(tmp_path / "a.conf")


def test_unified_diff_matches_gnu_diff(tmp_path) -> None:
    old = SIP
    doc = parse_conf(old)
    doc.section("pbx").remove("insecure")
    doc.section("general").set("bindport", "5080")
    new = doc.render()
    ours = unified_diff(old, new, "etc/asterisk/sip.conf")
    (tmp_path / "old").write_text(old)
    (tmp_path / "new").write_text(new)
    gnu = subprocess.run(
        [
            "diff",
            "-u",
            "--label",
            "a/etc/asterisk/sip.conf",
            "--label",
            "b/etc/asterisk/sip.conf",
            str(tmp_path / "old"),
            str(tmp_path / "new"),
        ],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    assert ours == gnu
    assert unified_diff(old, old) == ""
    assert unified_diff("a\n", "a\nb").endswith("+b\n\\ No newline at end of file\n")


_NAMES = st.sampled_from(["a", "b", "t", "x"])
_HEADER = st.builds(
    lambda n, opts: f"[{n}]" + (f"({','.join(opts)})" if opts else ""),
    _NAMES,
    st.lists(st.one_of(_NAMES, st.sampled_from(["!", "+"])), max_size=3),
)
_DOC = st.lists(
    st.one_of(_HEADER, st.sampled_from(["type=endpoint", "type=aor", "k=v", "allow=ulaw", ""])),
    max_size=25,
).map("\n".join)


@settings(max_examples=300, deadline=None)
@given(_DOC)
def test_effective_values_raise_only_parse_error(text: str) -> None:
    doc = parse_conf(text)
    for s in doc.sections:
        try:
            opts = effective_options(doc, s)
        except ParseError:
            continue
        assert set(s.options()) <= set(opts)
    try:
        find_effective(doc, type="endpoint")
    except ParseError:
        pass


def test_exponential_template_fan_out_is_bounded() -> None:
    parts = ["[t0](!)\nk=v\n"] + [f"[t{i}](!,t{i - 1},t{i - 1})\n" for i in range(1, 30)]
    doc = parse_conf("".join(parts) + "[x](t29)\n")
    with pytest.raises(ParseError, match="more than"):
        effective_options(doc, doc.sections[-1])
    small = parse_conf("".join(parts[:6]) + "[x](t5)\n")
    assert len(effective_options(small, small.sections[-1])) == 32
