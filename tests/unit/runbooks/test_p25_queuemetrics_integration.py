"""Page 25 (QueueMetrics): API URL form, delay unit, per-queue mapping from the demo database."""

from __future__ import annotations

import shutil

import pytest

from mirtalib.errors import ParameterError
from mirtalib.runbook import Status
from mirtalib.runbook.replay import replay_dir
from mirtalib.runbooks.p25_queuemetrics_integration import RUNBOOK, api_url, delay_ms, queue_mapping

GOOD = "https://my.queuemetrics-live.com/YourCompany/jsonQLoaderApi.do"


def test_api_url_accepts_the_full_form():
    assert api_url(GOOD) == GOOD


@pytest.mark.parametrize(
    "url, match",
    [
        ("https://my.queuemetrics-live.com/YourCompany", "try " + GOOD),
        ("https://my.queuemetrics-live.com/YourCompany/", "try " + GOOD),
        ("http://my.queuemetrics-live.com/YourCompany/jsonQLoaderApi.do", "scheme"),
        ("https://my.queuemetrics-live.com/jsonQLoaderApi.do", "account part"),
        ("https://my.queuemetrics-live.com/C/jsonQLoaderApi.do?x=1", "query"),
        (
            "https://webqloader:171432321@my.queuemetrics-live.com/C/jsonQLoaderApi.do",
            "credentials",
        ),
    ],
)
def test_api_url_rejects(url, match):
    with pytest.raises(ParameterError, match=match) as err:
        api_url(url)
    assert "171432321" not in str(err.value)


def test_delay_in_milliseconds():
    assert delay_ms(5000) == 5000
    with pytest.raises(ParameterError, match="5 s is 5000"):
        delay_ms(5)
    for bad in (0, 500, 120000, -5):
        with pytest.raises(ParameterError, match="delay_ms"):
            delay_ms(bad)


def test_mapping_table_from_the_database():
    table = queue_mapping("ACME:501,DEVEL:500")
    assert list(zip(table["tenant"], table["queue"], strict=True)) == [
        ("ACME", "501"),
        ("DEVEL", "500"),
    ]
    assert table["queue_id"].tolist() == [3, 1]
    assert len(queue_mapping("")) == 5  # every queue of the demo PBX
    with pytest.raises(ParameterError, match=r"not in the database: \['ACME:999'\]"):
        queue_mapping("ACME:500,ACME:999")


def test_runbook(tmp_path, monkeypatch):
    monkeypatch.delenv("MIRTA_QM_PASSWORD", raising=False)
    folder = tmp_path / "replays"
    (folder / "srv01.d").mkdir(parents=True)
    shutil.copy(replay_dir() / "srv01.yaml", folder)
    shutil.copy(replay_dir() / "srv01.d" / "p25.yaml", folder / "srv01.d")
    rb = RUNBOOK.open("replay:srv01", target_options={"replay_dir": folder}, journal=tmp_path)
    steps = {r.step_id: r for r in rb.verify().nodes[0].results}
    assert steps["api-password"].status is Status.WARN
    assert steps["api-reachable"].status is Status.PASS
    manual = {s.id: s for s in rb.steps}
    assert manual["qm-queues"].detail == "ACME:500 -> 2, ACME:501 -> 3"
    assert "delay 5000 ms" in manual["admin-settings"].detail


@pytest.mark.parametrize(
    "values, match",
    [
        ({"queues": "ACME-500"}, "TENANT:NUMBER"),
        ({"delay_ms": 5}, "milliseconds"),
        ({"api_password_env": "171432321"}, "api_password_env"),
    ],
)
def test_bad_parameters(values, match, tmp_path):
    with pytest.raises(ParameterError, match=match):
        RUNBOOK.open("replay:srv01", journal=tmp_path, **values)
