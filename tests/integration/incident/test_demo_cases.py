"""The incident view on the demo PBX's injected faults, each against its truth.

* a stuck extension: ``events-truth.json`` (100-DEVEL loses a hangup on 2026-10-14 and stays INUSE
  until the daemons restart);
* a CPU-starved window: the demo's srv02 VM, 8 vCPUs on an 8-core host with four busy 1-vCPU VMs
  (:data:`mirtalib.demo.vmware.LEVELS_ESX02`: ready median 4.5 % per vCPU), exported for
  2026-10-14 10:00-11:00; srv01's levels are low;
* unrecorded calls that should have been recorded: ``recordings-truth.json`` ``missing_legs``
  (positions of the legs in the order the demo wrote its ``cdr`` rows).

Each complaint names the symptom; the injected fault must be the first finding.
"""

from __future__ import annotations

import json
import sqlite3

import pandas as pd
import pytest

from mirtalib.demo import ensure_demo
from mirtalib.demo.events import TRUTH_FILE as EVENTS_TRUTH
from mirtalib.demo.recordings import TRUTH_FILE as RECORDINGS_TRUTH
from mirtalib.demo.vmware import LEVELS_ESX02
from mirtalib.incident import IncidentParams, investigate
from mirtalib.vmware.findings import DEFAULT_THRESHOLDS


@pytest.fixture(scope="module")
def demo():
    return ensure_demo()


def _stuck(demo):
    faults = json.loads((demo.root / EVENTS_TRUTH).read_text())["faults"]
    return next(f for f in faults if f["kind"] == "stuck" and f["until"] != "open")


def test_stuck_extension_is_first_for_could_not_take_calls(demo):
    truth = _stuck(demo)
    since, until = pd.Timestamp(truth["since"]), pd.Timestamp(truth["until"])
    at = since + pd.Timedelta(minutes=3)
    inc = investigate(IncidentParams(
        at=str(at), extension=truth["extension"], complaint="could not take calls",
        vmware_dir="", targets="",
    ))  # fmt: skip
    top = inc.findings.iloc[0]
    assert top["kind"] == "stuck"
    assert top["subject"] == truth["extension"]
    assert since <= top["start"] <= pd.Timestamp(truth["hangup_lost"])
    assert top["end"] == until
    assert "without a call" in top["text"]
    rows = inc.evidence[top["finding"]]
    assert (rows["state"] == "INUSE").any() and len(rows) > 1
    # the call whose hangup was lost is among the calls of the window
    assert truth["uniqueid"] in set(inc.table("legs")["uniqueid"])
    # srv01 (the extension's node) is not CPU starved: no CPU finding explains it
    assert inc.scope.nodes == ["srv01"]
    assert not inc.findings["kind"].eq("cpu").any()


def _srv02_call(demo):
    con = sqlite3.connect(demo.db_path)
    try:
        rows = con.execute(
            "select start, dstchannel from cdr where uniqueid like 'srv02-%' and disposition = "
            "'ANSWERED' and start >= '2026-10-14 10:20' and start < '2026-10-14 10:40' and "
            "dstchannel like 'PJSIP/%' order by start"
        ).fetchall()
    finally:
        con.close()
    start, channel = rows[0]
    return pd.Timestamp(start), channel.split("/", 1)[1].rsplit("-", 1)[0]


def test_cpu_starved_window_is_first_for_choppy_audio(demo):
    assert LEVELS_ESX02["pbx2"][0] >= DEFAULT_THRESHOLDS.ready_risk  # the truth of the case
    start, ext = _srv02_call(demo)
    inc = investigate(IncidentParams(at=str(start), extension=ext, complaint="the call was choppy"))
    top = inc.findings.iloc[0]
    assert top["kind"] == "cpu" and top["node"] == "srv02"
    assert top["text"].startswith(("ready % per vCPU on srv02", "co-stop % per vCPU on srv02"))
    assert "harmful" in top["text"] or "at risk" in top["text"]
    assert len(inc.evidence[top["finding"]]) == 1
    assert "srv02" in inc.scope.nodes
    # the same call, reported as "could not take calls", is not explained by the CPU first
    other = investigate(
        IncidentParams(at=str(start), extension=ext, complaint="could not take calls")
    )
    assert (
        other.findings.empty
        or other.findings.iloc[0]["score"] < top["score"]
        or (other.findings.iloc[0]["kind"] != "cpu")
    )


def _missing_legs(demo):
    truth = json.loads((demo.root / RECORDINGS_TRUTH).read_text())
    con = sqlite3.connect(demo.db_path)
    try:
        rows = con.execute("select uniqueid, start, src from cdr order by rowid").fetchall()
    finally:
        con.close()
    return [rows[i] for i in truth["missing_legs"]]


@pytest.mark.parametrize("pick", [0, 5, -1])
def test_unrecorded_call_is_first_for_not_recorded(demo, pick):
    uniqueid, start, src = _missing_legs(demo)[pick]
    at = pd.Timestamp(start) + pd.Timedelta(seconds=30)
    inc = investigate(IncidentParams(
        at=str(at), number=src, window_minutes=10, complaint="that call was not recorded",
        vmware_dir="-", queue_log="-",
    ))  # fmt: skip
    top = inc.findings.iloc[0]
    assert top["kind"] == "recording_missing"
    assert uniqueid in top["text"]
    rows = inc.evidence[top["finding"]]
    assert set(rows["uniqueid"]) == {uniqueid} and set(rows["gap"]) == {"missing"}
    recs = inc.table("recordings")
    assert "missing" in set(recs.loc[recs["uniqueid"] == uniqueid, "status"])
    lines = dict(zip(inc.checked["source"], inc.checked["what"], strict=True))
    assert "vmware_dir" not in lines["CPU"] or "not checked" in lines["CPU"]


def test_the_demo_notebook_case_reads_every_source(demo):
    """The notebook's demo parameters: every source read, the stuck state first."""
    import yaml

    from mirtalib.nbrun.discover import PARAMETERS_DIR

    values = yaml.safe_load((PARAMETERS_DIR / "demo" / "incident.yaml").read_text())
    values.pop("evidence_rows")
    inc = investigate(IncidentParams(**values))
    assert (inc.checked["status"] == "read").all(), inc.checked.to_string()
    assert inc.findings.iloc[0]["kind"] == "stuck"
    assert inc.symptoms == ("unreachable", "audio")
    assert set(inc.table("registrations")["extension"]) == {"100-DEVEL"}
