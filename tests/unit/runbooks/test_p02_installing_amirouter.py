"""Page 02 (Installing Amirouter) on the recorded demo node srv01, and its parsers."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))

from integration_pages import isolated_replays, steps

from mirtalib.errors import ParameterError
from mirtalib.runbook import Status
from mirtalib.runbooks import get
from mirtalib.runbooks.p02_installing_amirouter import RUNBOOK, redirection, truncate_entries

LOG = "/tmp/amirouter.out"


@pytest.fixture
def rb(tmp_path):
    opts = isolated_replays(tmp_path / "replays")
    runbook = RUNBOOK.open("replay:srv01", journal=tmp_path / "journal", target_options=opts)
    yield runbook
    runbook.close()


def test_registry_finds_page_02():
    assert get(2) is RUNBOOK


def test_plan_reads_java_configs_log_and_script(rb):
    s = steps(rb.plan())
    assert s["java"].status is Status.PASS and "13.0.2 (feature release 13)" in s["java"].reason
    assert s["config-yaml"].reason == "top-level settings: ami, logging, server"
    props = s["config-properties"]
    assert props.status is Status.PASS and "values not shown" in props.reason
    assert "tomcat" not in props.evidence or "keys" in props.evidence
    assert s["log-size"].status is Status.WARN and "734 MB" in s["log-size"].reason
    assert s["log-redirection"].status is Status.WARN
    assert "+0 0 * * * root truncate --size 0 /tmp/amirouter.out" in s["truncate-cron"].diff


def test_apply_then_verify_counts_one_entry(rb):
    assert not rb.apply(confirm=True).failed
    assert not any(n.changed for n in rb.apply(confirm=True).nodes)
    v = steps(rb.verify())
    assert v["cron-entry"].status is Status.PASS
    assert v["amirouter-port"].status is Status.PASS


def test_verify_before_apply_fails_without_the_entry(rb):
    v = steps(rb.verify())
    assert v["cron-entry"].status is Status.FAIL and "no daily truncate" in v["cron-entry"].reason


def test_java_too_old_fails(tmp_path):
    opts = isolated_replays(tmp_path / "replays")
    rb = RUNBOOK.open("replay:srv01", journal=tmp_path / "j", target_options=opts, java_min=17)
    java = steps(rb.plan())["java"]
    assert java.status is Status.FAIL and "needs Java 17" in java.reason


def test_bad_parameters_are_refused():
    with pytest.raises(ParameterError, match="cron_hour=24"):
        RUNBOOK.validate({"cron_hour": 24})
    with pytest.raises(ParameterError, match="log_file"):
        RUNBOOK.validate({"log_file": "relative/amirouter.out"})


def test_redirection_kinds():
    assert redirection(f"java -jar a.jar >> {LOG} 2>&1 &", LOG) == "append"
    assert redirection(f"java -jar a.jar >{LOG} 2>&1 &", LOG) == "overwrite"
    assert redirection(f"# java > {LOG}\njava -jar a.jar", LOG) == "none"
    assert redirection(f"java > {LOG}.old", LOG) == "none"


def test_truncate_entries_need_daily_schedule_and_the_file():
    text = (
        f"0 0 * * * root truncate --size 0 {LOG}\n"
        f"*/5 * * * * root truncate --size 0 {LOG}\n"
        f"# 0 1 * * * root truncate --size 0 {LOG}\n"
        "0 2 * * * root truncate --size 0 /tmp/other.out\n"
    )
    assert truncate_entries(text, LOG) == [f"0 0 * * * root truncate --size 0 {LOG}"]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_parsers_take_any_text(text):
    assert redirection(text, LOG) in {"append", "overwrite", "none"}
    assert isinstance(truncate_entries(text, LOG), list)
