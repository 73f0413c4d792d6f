"""Grandstream dial plans: the page's plan on realistic numbers, bad plans, fuzz."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mirtalib.errors import ParseError
from mirtalib.phones.dialplan import GRANDSTREAM_DEFAULT, PAGE_PLAN, evaluate, parse_plan
from mirtalib.phones.dialtables import describe, evaluate_many

PAGE = parse_plan(PAGE_PLAN)


@pytest.mark.parametrize(
    ("dialed", "outcome", "rule"),
    [
        ("0571509644", "dial-after-timeout", "x+"),  # Italian landline (Empoli)
        ("0612345678", "dial-after-timeout", "x+"),  # Rome
        ("3331234567", "dial-after-timeout", "x+"),  # Italian mobile
        ("+390571509644", "dial-after-timeout", r"\+x+"),  # E.164 from the keypad
        ("00390571509644", "dial-after-timeout", "x+"),  # international prefix 00
        ("0044201234567", "dial-after-timeout", "x+"),  # UK via 00
        ("112", "dial-after-timeout", "x+"),  # emergency: waits for the dial key / timeout
        ("118", "dial-after-timeout", "x+"),
        ("104", "dial-after-timeout", "x+"),  # internal extension
        ("*97104", "dial-after-timeout", "*x+"),  # voicemail of 104
        ("*56104", "dial-after-timeout", "*x+"),  # direct pickup
        ("*21*3331234567", "dial-after-timeout", "*xx*x+"),  # call forward to a mobile
        ("100-DEVEL", "dial-after-timeout", r"x+\-X+"),  # username dialing
        ("#100-DEVEL", "dial-after-timeout", r"\#x+\-X+"),
        ("*", "incomplete", "*x+"),
        ("+", "incomplete", r"\+x+"),
        ("100-", "incomplete", r"x+\-X+"),
        ("#", "incomplete", r"\#x+\-X+"),
    ],
)
def test_page_plan_on_realistic_numbers(dialed, outcome, rule):
    d = evaluate(PAGE, dialed)
    assert (d.outcome, d.rule) == (outcome, rule)
    assert d.sent == (dialed if d.accepted else "")


@pytest.mark.parametrize("dialed", ["abc", "DEVEL", "*#", "+39+1", "1-", "#12", "**1"])
def test_page_plan_rejects(dialed):
    d = evaluate(PAGE, dialed)
    assert d.outcome in {"rejected", "incomplete"}
    assert not d.accepted


def test_default_plan_has_no_username_dialing():
    assert evaluate(GRANDSTREAM_DEFAULT, "100-DEVEL").outcome == "rejected"
    assert evaluate(PAGE, "100-DEVEL").accepted


def test_exact_length_dials_at_once_and_substitutions():
    plan = "{ ^1900x+ | <=0039>0xxxxxxxxx | [369]11 | <00=+>x+ | 1xxT }"
    assert evaluate(plan, "19001234").outcome == "blocked"
    d = evaluate(plan, "0571509644")
    assert (d.outcome, d.sent) == ("dial", "00390571509644")
    assert evaluate(plan, "911").outcome == "dial"
    assert evaluate(plan, "00442012345678").sent == "+442012345678"
    assert evaluate(plan, "123").outcome == "dial-after-timeout"  # T flag
    assert evaluate("{ 1xx? }", "12").outcome == "dial-after-timeout"
    assert evaluate("{ 1xx? }", "123").outcome == "dial"
    assert evaluate("{ [2-4]x }", "55").outcome == "rejected"
    assert evaluate("{ <1=>x+ }", "1555").sent == "555"


def test_tables():
    rows = evaluate_many(PAGE, [("landline", "0571509644"), ("bad", "abc")])
    assert rows["outcome"].tolist() == ["dial-after-timeout", "rejected"]
    text = describe(PAGE)
    assert text["action"].tolist() == ["allow"] * 6
    assert text.loc[5, "matches"].startswith("'*', then digit, then digit, then '*'")


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        ("x+", "must be enclosed"),
        ("{ x+ || *x+ }", "empty rule"),
        ("{ x+ | }", "empty rule"),
        ("{ -x }", r"position 1: '-' is not dialable as written: escape it as '\\-'"),
        ("{ [9-1] }", "reversed"),
        ("{ [a-5] }", "reversed or mixes"),
        ("{ [] }", "empty set"),
        ("{ [12 }", "never closed"),
        ("{ <2=011 }", "never closed"),
        ("{ <2> }", "needs '='"),
        ("{ x + }", "spaces inside a rule"),
        ("{ x\\ }", "escapes nothing"),
        ("{ x+ } }", "only one pair"),
        ("{ ^ }", "matches no dialed key"),
        ("{ .x }", "repeats the element before it"),
    ],
)
def test_bad_plans_say_what_is_wrong(plan, message):
    with pytest.raises(ParseError, match=message):
        parse_plan(plan)


def test_bad_dialed_strings():
    with pytest.raises(ParseError, match="cannot send"):
        evaluate(PAGE, "12 34")
    with pytest.raises(ParseError, match="non-empty"):
        evaluate(PAGE, "")


PLAN_CHARS = st.sampled_from(list("xX0123456789*#+.?[]-<>=|\\^T, {}abAB"))


@settings(max_examples=400, deadline=None)
@given(
    st.text(PLAN_CHARS, max_size=40),
    st.text(st.sampled_from(list("0123456789*#+-AB")), min_size=1, max_size=16),
)
def test_fuzz_any_plan_parses_or_raises_parse_error(body, dialed):
    try:
        plan = parse_plan("{" + body + "}")
    except ParseError:
        return
    d = evaluate(plan, dialed)
    assert d.outcome in {"dial", "dial-after-timeout", "incomplete", "blocked", "rejected"}
    assert d.accepted == (d.outcome in {"dial", "dial-after-timeout"})


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from(list("0123456789")), min_size=1, max_size=15))
def test_fuzz_prefixes_of_accepted_numbers_are_never_rejected(number):
    # whatever the page's plan accepts, every prefix of it is at least incomplete
    assert evaluate(PAGE, number).accepted
    for i in range(1, len(number)):
        assert evaluate(PAGE, "*" + number[:i]).outcome != "rejected"


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(["x", "X", "[2-5]", "7", "\\-", "*"]), min_size=1, max_size=6),
    st.sampled_from(["", "+", "?"]),
)
def test_fuzz_generated_rules_match_strings_built_from_them(parts, quant):
    rule = "".join(parts) + quant
    sample = "".join(
        {"x": "4", "X": "b", "[2-5]": "3", "7": "7", "\\-": "-", "*": "*"}[p] for p in parts
    )
    if quant == "?" and len(parts) > 1:
        sample = sample[:-1]  # the last element is optional
    if quant == "+":
        sample += sample[-1]  # and repeatable
    assert evaluate("{ " + rule + " }", sample).accepted
