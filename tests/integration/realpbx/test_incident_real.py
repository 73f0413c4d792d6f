"""The incident view on the real Asterisk: an extension whose device state is forced INUSE while
queue calls arrive, found from its real CDR (Master.csv), queue_log and AMI events.

The scenario: ``devstate change Custom:100-DEVEL INUSE`` over AMI (what a lost hangup leaves
behind in MiRTA's state daemon), then two callers of queue 700 (support-DEVEL: 100-DEVEL and
101-DEVEL, state interfaces ``Custom:<ext>``, ``ringinuse = no``): app_queue never rings
100-DEVEL, 101-DEVEL does not answer, both callers give up. Then the state is put back. The
truth is the driver's: when the state was forced and released, and the calls' linkedids.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))

from amiclient import Ami
from scenarios import Driver, Phone, Scenario

from mirtalib.incident import IncidentParams, investigate

EXT = "100-DEVEL"


def test_forced_inuse_is_found_from_the_real_cdr_and_ami_events(real_node, tmp_path, monkeypatch):
    monkeypatch.delenv("MIRTA_DB_URL", raising=False)  # no MiRTA database: the AMI capture only
    pbx = real_node.pbx
    tz = pbx.chroot("date", "+%Z").stdout.strip()
    ami = Ami(pbx.ami_port, pbx.ami_user, pbx.ami_secret)
    driver = Driver(ami, pbx)
    try:
        ami.command(f"devstate change Custom:{EXT} INUSE")
        forced = time.time()
        time.sleep(2)
        calls = [
            Scenario(
                f"incident-{i}", "DEVEL", "700", f"333999000{i}",
                [Phone(EXT, ring=1, talk=3), Phone("101-DEVEL", "noanswer")],
                give_up=8, expect_answered=False,
            )
            for i in (1, 2)
        ]  # fmt: skip
        for sc in calls:
            driver.run_call(sc, run=3)
        time.sleep(15)  # the state stays forced a while after the calls
        ami.command(f"devstate change Custom:{EXT} NOT_INUSE")
        released = time.time()
        time.sleep(2)
    finally:
        ami.close()
    time.sleep(1.5)  # cdr_csv writes when the last channel is gone
    logs = tmp_path / "logs" / pbx.node
    logs.mkdir(parents=True)
    (logs / "ami-events.txt").write_text("".join(e.raw for e in ami.events))
    truths = driver.truths
    assert [t.answered for t in truths] == [False, False]
    local = lambda epoch: pd.Timestamp(epoch, unit="s", tz="UTC").tz_convert(tz).tz_localize(None)  # noqa: E731
    at = local(truths[0].start) + pd.Timedelta(seconds=2)

    inc = investigate(IncidentParams(
        at=str(at.floor("s")), window_minutes=5, extension=EXT, queue="support-DEVEL",
        complaint=f"{EXT} did not ring for the queue calls", tenants="DEVEL",
        source=str(pbx.logdir / "cdr-csv" / "Master.csv"), logs_dir=str(tmp_path / "logs"),
        recordings_dir="-", vmware_dir="-", queue_log=str(pbx.logdir / "queue_log"),
        timezone=tz, stuck_slack_min=0.25, context_hours=0.5,
    ))  # fmt: skip
    status = dict(zip(inc.checked["source"], inc.checked["status"], strict=True))
    assert status["CDR"] == status["events"] == status["queue log"] == "read", inc.checked
    top = inc.findings.iloc[0]
    assert top["kind"] in ("stuck", "inuse_without_call"), inc.findings.to_string()
    assert top["subject"] == EXT and top["source"] == "AMI capture"
    assert abs(top["start"] - local(forced)) <= pd.Timedelta(seconds=1.5)
    assert abs(top["end"] - local(released)) <= pd.Timedelta(seconds=1.5)
    assert "without a call" in top["text"]
    # the queue calls are there, from the real CDR and queue_log, and were lost
    assert {t.linkedid for t in truths} <= set(inc.table("calls")["call_id"])
    lost = inc.findings[inc.findings["kind"] == "queue_lost"]
    assert len(lost) == 1 and lost.iloc[0]["score"] < top["score"]
    rows = inc.evidence[lost.iloc[0]["finding"]]  # the world's earlier queue calls may be there
    for t in truths:
        mine = rows[(rows["enter"] - local(t.start)).abs() <= pd.Timedelta(seconds=3)]
        assert list(mine["outcome"]) == ["abandoned"], rows.to_string()
    # app_queue never rang the forced extension: no leg of the window names it
    legs = inc.table("legs")
    legs = legs[legs["start"] >= local(forced).floor("s")]
    assert len(legs) and not legs["dstchannel"].str.contains(EXT).any()
    events = inc.table("queue_events")
    events = events[events["time"] >= local(forced).floor("s")]
    assert len(events) and not events["agent"].eq(EXT).any()
