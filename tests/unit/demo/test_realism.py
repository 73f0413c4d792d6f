"""The realistic properties the demo PBX claims, checked on the default demo."""

from __future__ import annotations

import re

import pandas as pd
import phonenumbers
from phonenumbers import geocoder

from mirtalib.data.schema import DISPOSITIONS, RECORDING_POLICIES

UNIQUEID = re.compile(r"^srv0[12]-\d{10}\.\d+$")
CHANNEL = re.compile(
    r"^(?:(?:SIP|PJSIP)/\d+-[A-Z]+|SIP/trunk-eutelia|PJSIP/provider-messagenet"
    r"|Local/AG-000-NF-\d+@fromotherpbx)-[0-9a-f]{8}(?:;1)?$"
)


def test_tenants_nodes_extensions(core_demo):
    _, model = core_demo
    assert len(model.tenants) >= 3 and "DEVEL" in set(model.tenants.te_code)
    assert list(model.nodes.no_name) == ["srv01", "srv02"]
    ext = model.extensions
    assert 55 <= len(ext) <= 65
    assert set(ext.ex_tech) == {"SIP", "PJSIP", "CUSTOM", "VIRTUAL"}
    assert (ext.name == ext.ex_number + "-" + ext.te_code).all()
    assert set(ext.node) == {"srv01", "srv02"}
    assert ext.ex_trunk.sum() >= 1
    assert set(ext.ex_recording) == set(RECORDING_POLICIES)
    assert set(model.dids.di_recording) <= set(RECORDING_POLICIES)
    assert len(model.queues) >= 3 and len(model.parking_lots) == len(model.tenants)
    for number in model.dids.di_number:
        assert phonenumbers.is_valid_number(phonenumbers.parse("+" + number)), number


def test_call_count_and_directions(core_demo, legs):
    _, model = core_demo
    assert 20_000 <= model.n_calls <= 20_100  # 20,000 ordinary calls + the toll-fraud bursts
    assert set(legs.disposition) == set(DISPOSITIONS)
    assert set(legs.userfield) == {"IN", "OUT", "LOCAL"}
    assert set(legs.accountcode) == set(model.tenants.te_code)
    assert (legs.accountcode == legs.tenant).all()
    kinds = legs.groupby("call_kind").linkedid.nunique()
    for kind in (
        "internal",
        "outbound",
        "inbound",
        "queue",
        "ringgroup",
        "transfer_by_caller",
        "transfer_by_called",
        "inbound_transfer",
        "parked",
    ):
        assert kinds.get(kind, 0) >= 50, kind
    # CONGESTION and FAILED happen on the trunks
    trunk = legs[legs.disposition.isin(["CONGESTION"])]
    assert trunk.dstchannel.str.contains("trunk-|provider-").all()


def test_times_and_durations(legs):
    assert legs.start.min() >= pd.Timestamp("2026-10-01")
    assert legs.start.max() < pd.Timestamp("2026-11-01")
    assert (legs.duration >= 0).all() and (legs.billsec <= legs.duration).all()
    answered = legs.answer.notna()
    assert ((legs.disposition == "ANSWERED") == answered).all()
    assert (legs.billsec[~answered] == 0).all()
    real = (legs.end - legs.start).dt.total_seconds()
    off = real != legs.duration
    # only legs spanning the end of daylight saving time differ, by exactly one hour
    assert off.sum() >= 1
    assert (legs.duration[off] - real[off] == 3600).all()
    assert (legs.start[off].dt.date == pd.Timestamp("2026-10-25").date()).all()
    assert (
        (legs.end - legs.answer).dt.total_seconds()[answered & ~off]
        == legs.billsec[answered & ~off]
    ).all()
    assert (legs.start.dt.date != legs.end.dt.date).sum() >= 1  # crossing midnight


def test_daily_and_weekly_pattern(legs):
    calls = legs.drop_duplicates("linkedid")
    by_hour = calls.groupby(calls.start.dt.hour).size()
    assert by_hour.loc[10] > 10 * by_hour.loc[3]
    by_dow = calls.groupby(calls.start.dt.day_of_week).size()
    assert by_dow.loc[[0, 1, 2, 3, 4]].min() > 3 * by_dow.loc[6]


def test_repeated_hour_of_dst_end_holds_calls(legs):
    day = legs[(legs.start >= "2026-10-25 02:00") & (legs.start < "2026-10-25 03:00")]
    epoch = day.uniqueid.str.extract(r"-(\d+)\.")[0].astype(int)
    local_ts = day.start.astype("int64") // 10**9
    offset = local_ts.to_numpy() - epoch.to_numpy()  # local wall clock minus UTC
    assert {7200, 3600} <= set(offset)  # CEST (+2) and CET (+1) both present


def test_uniqueids_channels_and_linkedids(legs):
    assert legs.uniqueid.str.match(UNIQUEID).all()
    assert legs.linkedid.str.match(UNIQUEID).all()
    assert (legs.node == legs.uniqueid.str[:5]).all()
    assert set(legs.node) == {"srv01", "srv02"}
    assert legs.channel.str.match(CHANNEL).all()
    dst = legs.dstchannel[legs.dstchannel != ""]
    assert dst.str.match(CHANNEL).all()
    # linkedid = uniqueid of the first leg of the call
    first = legs.sort_values(["start", "sequence"]).drop_duplicates("linkedid")
    assert (first.uniqueid == first.linkedid).all()
    assert not legs.duplicated(["node", "sequence"]).any()


def test_queue_and_ringgroup_fan_out(legs):
    for kind, app in (("queue", "Queue"), ("ringgroup", "Dial")):
        sub = legs[legs.call_kind == kind]
        assert (sub.lastapp == app).all()
        per_call = sub.groupby("linkedid").agg(
            legs=("uniqueid", "size"),
            answered=("disposition", lambda d: (d == "ANSWERED").sum()),
            uids=("uniqueid", "nunique"),
        )
        assert (per_call.legs > 1).mean() > 0.9, kind
        assert per_call.answered.max() == 1
        assert (per_call.answered == 0).any()  # abandoned calls
        assert (per_call.uids == 1).all()  # all forks are party A's (the caller's) view
    queue = legs[legs.call_kind == "queue"]
    assert queue.dstchannel.str.startswith("Local/AG-000-NF-").all()


def test_transfers_share_the_linkedid(legs):
    tr = legs[legs.transfer != ""]
    assert set(tr.transfer) == {"blind", "attended"}
    assert set(tr.call_kind) == {
        "transfer_by_caller",
        "transfer_by_called",
        "inbound_transfer",
        "parked",
    }
    groups = tr.groupby("linkedid")
    size = groups.size()
    assert (size[tr.groupby("linkedid").transfer.first() == "attended"] == 3).all()
    assert (size[tr.groupby("linkedid").transfer.first() == "blind"] >= 2).all()
    later = tr[tr.prevuniqueid != ""]
    assert (later.prevuniqueid == later.linkedid).all()
    # a call transferred by the called party continues on the caller's channel (same uniqueid)
    by_called = tr[(tr.call_kind == "transfer_by_called") & (tr.transfer == "blind")]
    assert (by_called.groupby("linkedid").uniqueid.nunique() == 1).all()
    by_caller = tr[(tr.call_kind == "transfer_by_caller") & (tr.transfer == "blind")]
    assert (by_caller.groupby("linkedid").uniqueid.nunique() == 2).all()


def _country(dialed: str) -> str:
    number = phonenumbers.parse("+" + dialed[2:] if dialed.startswith("00") else dialed, "IT")
    region = phonenumbers.region_code_for_number(number)
    return geocoder.country_name_for_number(phonenumbers.example_number(region), "en")


def test_outbound_rating_matches_the_numbers(legs):
    out = legs[legs.userfield == "OUT"]
    assert (out.cc_country != "").all() and out.cc_cost.notna().all()
    sample = out.drop_duplicates("dst").head(400)
    for dialed, country in zip(sample.dst, sample.cc_country, strict=True):
        assert _country(dialed) == country, dialed
    assert (out.cc_cost[out.billsec == 0] == 0).all()
    assert (out.cc_cost[out.billsec > 0] >= 0).all()
    assert legs.cc_cost[legs.userfield != "OUT"].isna().all()
    assert {"Italy", "Germany", "France"} <= set(out.cc_country)


def test_international_calls_at_night(legs):
    out = legs[(legs.userfield == "OUT") & (legs.cc_country != "Italy")]
    night = out[(out.start.dt.hour < 5) | (out.start.dt.hour >= 23)]
    assert len(night) >= 20
    assert night.cc_network.str.contains("Premium").any()
    assert night.from_ext.value_counts().index[0] == "115-ACME"
