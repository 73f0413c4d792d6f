"""Page 33 (Phones local dial plan): the page's plan passes, a strict plan fails with reasons."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mirtalib.errors import ParameterError
from mirtalib.phones.dialplan import PAGE_PLAN
from mirtalib.runbook import Status
from mirtalib.runbooks.p33_phones_local_dial_plan import RUNBOOK, dial_table, parse_numbers

sys.path.insert(0, str(Path(__file__).parent))  # phone_replays.py, next to this file
from phone_replays import open_isolated, results


def test_page_plan_accepts_every_realistic_number(tmp_path):
    rb = open_isolated(RUNBOOK, tmp_path)
    check = results(rb.plan())["plan-before"]
    assert check.status is Status.PASS
    assert check.reason == "19 of 19 numbers dialable (19 only after the dial key or the timeout)"
    assert rb.targets[0].log == []  # nothing is asked from the node


def test_grandstream_default_misses_usernames(tmp_path):
    rb = open_isolated(RUNBOOK, tmp_path, dial_plan=r"{ x+ | \+x+ | *x+ | *xx*x+ }")
    check = results(rb.verify())["plan-after"]
    assert check.status is Status.FAIL
    assert check.reason.endswith("not dialable: username 104-DEVEL (rejected)")


def test_exact_lengths_dial_at_once():
    plan = r"{ 1[1-8]x | 0x+ | 3xxxxxxxxx | \+x+ | *x+ }"
    table = dial_table(plan, "").set_index("label")
    assert table.loc["emergency 112", "outcome"] == "dial"
    assert table.loc["mobile", "outcome"] == "dial"
    assert table.loc["extension", "outcome"] == "rejected"
    # a username rule (x+\-X+) makes every number a possible prefix: 112 then waits too
    table = dial_table(plan[:-1] + r"| x+\-X+ }", "").set_index("label")
    assert table.loc["emergency 112", "outcome"] == "dial-after-timeout"


def test_bad_parameters(tmp_path):
    with pytest.raises(ParameterError, match=r"dial_plan: dial plan rule '-x', position 1"):
        open_isolated(RUNBOOK, tmp_path, dial_plan="{ -x }")
    with pytest.raises(ParameterError, match="'fax' is not 'label:number'"):
        open_isolated(RUNBOOK, tmp_path, numbers="fax")
    assert parse_numbers(" a:1 , b c:2") == (("a", "1"), ("b c", "2"))
    assert PAGE_PLAN.startswith("{ x+")
