"""What the runbook notebooks' own cells print: the table on the demo (replay rule or
MIRTA_DB_URL=demo), one line saying why without a database, never an exception; the tenant
directory cached per database source."""

from __future__ import annotations

import pytest

from mirtalib.data.db import (
    NO_DATABASE,
    NoDatabaseConfigured,
    database_source,
    demo_scope,
    or_no_database,
)
from mirtalib.phones.blfsteps import directory, keys_text
from mirtalib.phones.endpoint import settings_on_nodes
from mirtalib.runbook import open_target
from mirtalib.runbooks.p10_flipping_chan_sip_pjsip_default_protocol import RUNBOOK as P10
from mirtalib.runbooks.p10_flipping_chan_sip_pjsip_default_protocol import mapping_text
from mirtalib.runbooks.p25_queuemetrics_integration import queue_mapping_text
from mirtalib.runbooks.p42_using_parking_lots import lots_text, parked_text
from mirtalib.runbooks.recording_pages import transcript_settings_text


@pytest.fixture
def no_database(monkeypatch):
    monkeypatch.delenv("MIRTA_DB_URL", raising=False)
    monkeypatch.setenv("MIRTA_DOTENV", "/dev/null")


def test_texts_say_no_database_instead_of_raising(no_database):
    srv01 = open_target("replay:srv01")
    for text in (
        transcript_settings_text("ACME"),
        queue_mapping_text("ACME:500"),
        keys_text("DEVEL", "", "*97", "yealink", ["key", "monitor"]),
        lots_text("DEVEL", "yealink"),
        parked_text(srv01, "DEVEL", "auto"),
    ):
        assert text.startswith(NO_DATABASE), text
    found = settings_on_nodes([srv01], "104-DEVEL", "auto")
    assert found["srv01"].startswith("cannot tell 104-DEVEL's channel driver (tech=auto reads it)")
    assert NO_DATABASE in found["srv01"]


def test_texts_inside_the_replay_rule_read_the_demo(no_database):
    srv01 = open_target("replay:srv01")
    with demo_scope(True):
        assert database_source() == "demo"
        assert "queue ID" in queue_mapping_text("ACME:500")
        assert "positions" in lots_text("DEVEL", "yealink")
        assert "104" in keys_text("DEVEL", "104", "*97", "yealink", ["key", "monitor"])
        assert "no database" not in parked_text(srv01, "DEVEL", "auto")
    assert database_source() == ""


def test_the_directory_read_for_a_replay_is_not_served_without_a_database(no_database):
    with demo_scope(True):
        assert "104" in set(directory("DEVEL").extensions["number"].astype(str))
    with pytest.raises(NoDatabaseConfigured):
        directory("DEVEL")


def test_p10_mapping_text_on_a_replay_node_is_the_table(no_database):
    rb = P10.open("replay:srv01")
    text = mapping_text(rb.targets[0], rb.values)
    assert "5080" in text and "5060" in text


def test_or_no_database_passes_other_errors():
    def broken() -> str:
        raise ValueError("not a database problem")

    with pytest.raises(ValueError):
        or_no_database(broken)
