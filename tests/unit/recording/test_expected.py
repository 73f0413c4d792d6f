"""Every row of the page-14 recording table, derived from channels and linkedids only."""

from __future__ import annotations

import pandas as pd
import pytest
from rec_helpers import A2, B2, DID, TRUNK, A, B, C, dids, extensions, frame, leg

from mirtalib.errors import DataSourceError, SchemaError
from mirtalib.recording.expected import endpoint, expected_recordings
from mirtalib.recording.policy import RULES, PolicyBook, rules_frame


def run(book, *rows):
    return expected_recordings(frame(*rows), book).set_index("leg_id")


def test_direct_call_is_recorded(book):
    out = run(book, leg(0, 60, A, B, "srv01-1.1", "srv01-1.1", "100", "101"))
    assert out.loc[0, ["segment", "origin", "policy_owner", "expected"]].tolist() == [
        "direct",
        "internal",
        "100-DEVEL",
        True,
    ]
    assert out.loc[0, "stop_allowed"] == "caller"


def test_caller_transfers_blind_b_c_not_recorded(book):
    out = run(
        book,
        leg(0, 60, A, B, "srv01-1.1", "srv01-1.1", "100", "101"),
        leg(66, 90, B, C, "srv01-1.2", "srv01-1.1", "101", "102", seq=2),
    )
    assert out["segment"].tolist() == ["direct", "transfer_by_caller"]
    assert out["expected"].tolist() == [True, False]


def test_caller_transfers_attended_consultation_uses_own_setting(book):
    # A calls B, A consults C on a second channel (own linkedid joins the call), completes:
    # the final B-C leg has B's channel and is not recorded
    out = run(
        book,
        leg(0, 60, A, B, "srv01-1.1", "srv01-1.1", "100", "101"),
        leg(30, 20, A2, C, "srv01-1.4", "srv01-1.1", "100", "102", seq=3),
        leg(66, 90, B, C, "srv01-1.2", "srv01-1.1", "101", "102", seq=4),
    )
    assert out["segment"].tolist() == ["direct", "consultation", "transfer_by_caller"]
    assert out["expected"].tolist() == [True, True, False]
    assert out.loc[1, "rule_source"] == "assumed"


def test_called_transfers_a_c_recorded(book):
    out = run(
        book,
        leg(0, 60, A, B, "srv01-1.1", "srv01-1.1", "100", "101"),
        leg(66, 90, A, C, "srv01-1.1", "srv01-1.1", "100", "102", seq=2),
    )
    assert out["segment"].tolist() == ["direct", "transfer_by_called"]
    assert out["expected"].tolist() == [True, True]
    assert out.loc[1, "policy_owner"] == "100-DEVEL"


def test_called_transfers_attended(book):
    out = run(
        book,
        leg(0, 60, A, B, "srv01-1.1", "srv01-1.1", "100", "101"),
        leg(20, 30, B2, C, "srv01-1.5", "srv01-1.1", "101", "102", seq=2),
        leg(66, 90, A, C, "srv01-1.1", "srv01-1.1", "100", "102", seq=3),
    )
    assert out["segment"].tolist() == ["direct", "consultation", "transfer_by_called"]
    assert out.loc[2, "expected"]


def test_inbound_call_recorded_from_did(book):
    out = run(book, leg(0, 60, TRUNK, A, "srv01-2.1", "srv01-2.1", "3331234567", DID))
    assert out.loc[0, ["origin", "segment", "policy_from", "policy", "expected"]].tolist() == [
        "inbound",
        "direct",
        "did",
        "YES_STOP_CALLED",
        True,
    ]
    assert out.loc[0, "stop_allowed"] == "called"


def test_inbound_transferred_by_a_external_b_recorded(book):
    out = run(
        book,
        leg(0, 60, TRUNK, A, "srv01-2.1", "srv01-2.1", "3331234567", DID),
        leg(66, 40, TRUNK, B, "srv01-2.1", "srv01-2.1", "3331234567", "101", seq=2),
    )
    assert out["segment"].tolist() == ["direct", "transfer_by_called"]
    assert out["expected"].tolist() == [True, True]
    assert out["policy_from"].tolist() == ["did", "did"]


def test_policy_no_means_not_expected_and_unanswered_never():
    book = PolicyBook(extensions(**{"100-DEVEL": "NO"}), dids(policy="NO"))
    out = run(
        book,
        leg(0, 60, A, B, "srv01-1.1", "srv01-1.1", "100", "101"),
        leg(100, 0, B, C, "srv01-3.1", "srv01-3.1", "101", "102"),
        leg(200, 30, TRUNK, A, "srv01-4.1", "srv01-4.1", "333", DID),
    )
    assert out["expected"].tolist() == [False, False, False]
    assert out["segment"].tolist() == ["direct", "unanswered", "direct"]


def test_queue_member_local_channel_resolves_to_extension(book):
    local1 = "Local/AG-000-NF-2@fromotherpbx-00000020;1"
    local2 = "Local/AG-000-NF-2@fromotherpbx-00000020;2"
    out = run(
        book,
        leg(0, 60, TRUNK, local1, "srv01-5.1", "srv01-5.1", "333", DID),
        leg(1, 59, local2, B, "srv01-5.2", "srv01-5.1", "333", "101", seq=2),
    )
    assert out["segment"].tolist() == ["direct", "helper"]
    assert out.loc[0, "parties"] == "provider1 <-> 101-DEVEL"
    assert out["expected"].tolist() == [True, False]


def test_outbound_call_uses_caller_setting(book):
    out = run(book, leg(0, 60, A, TRUNK, "srv01-6.1", "srv01-6.1", "100", "0039061234"))
    assert out.loc[0, ["origin", "expected"]].tolist() == ["outbound", True]


def test_endpoint_parsing(book):
    assert endpoint("PJSIP/100-DEVEL-0000001a", book).name == "100-DEVEL"
    assert endpoint("SIP/provider1-00000003", book).kind == "external"
    assert endpoint("", book).kind == ""
    assert endpoint("Local/500@queues-00000001;1", book).kind == "local"
    assert endpoint("weird channel", book).kind == "external"


def test_did_matching_by_suffix(book):
    assert book.did("DEVEL", "00390612345678") is not None
    assert book.did("DEVEL", "612345678")[1].policy == "YES_STOP_CALLED"
    assert book.did("DEVEL", "5678") is None
    assert book.did("OTHER", DID) is None


def test_rules_table_covers_every_page_row():
    rules = rules_frame()
    page = rules[rules["source"] == "page 14"]
    assert len(page) == 5
    assert set(rules.columns) == {"origin", "segment", "policy_from", "example", "source"}
    assert len(RULES) == len(rules)


def test_unknown_policy_value_is_a_clear_error():
    with pytest.raises(DataSourceError, match="100-DEVEL.*'MAYBE'"):
        PolicyBook(extensions(**{"100-DEVEL": "MAYBE"}), dids())


def test_missing_leg_column_is_a_schema_error(book):
    legs = frame(leg(0, 60, A, B, "u", "u")).drop(columns=["dstchannel"])
    with pytest.raises(SchemaError, match="dstchannel"):
        expected_recordings(legs, book)


def test_empty_linkedid_groups_by_uniqueid(book):
    out = run(book, leg(0, 60, A, B, "srv01-7.1", ""))
    assert out.loc[0, "linkedid"] == "srv01-7.1"
    assert isinstance(out.loc[0, "day"], pd.Timestamp)


def test_parked_call_retrieved_by_colleague(book):
    # inbound to A, A parks (leg without peer), C retrieves: C's channel is party A of the new leg
    out = run(
        book,
        leg(0, 40, TRUNK, A, "srv01-8.1", "srv01-8.1", "333", DID),
        leg(45, 30, TRUNK, "", "srv01-8.1", "srv01-8.1", "333", "801", seq=2),
        leg(73, 60, C, TRUNK, "srv01-8.3", "srv01-8.1", "102", "801", seq=3),
    )
    assert out["segment"].tolist() == ["direct", "no_peer", "transfer_by_called"]
    assert out["expected"].tolist() == [True, False, True]
