"""SMS pages 19-22 on the recorded demo node: loopback request, web page check, parameters."""

from __future__ import annotations

import shutil

import pytest

from mirtalib.errors import ParameterError, TargetError
from mirtalib.runbook import Status
from mirtalib.runbook.replay import replay_dir
from mirtalib.runbooks import available, get

PAGES = (19, 20, 21, 22)


@pytest.fixture
def replays(tmp_path):
    """srv01 with only the SMS pages' fragments (other pages cannot change these tests)."""
    src = replay_dir()
    shutil.copy(src / "srv01.yaml", tmp_path / "srv01.yaml")
    (tmp_path / "srv01.d").mkdir()
    for page in PAGES:
        shutil.copy(src / "srv01.d" / f"p{page}.yaml", tmp_path / "srv01.d")
    return {"replay_dir": tmp_path}


def _open(page, replays, tmp_path, **values):
    return get(page).open("replay:srv01", target_options=replays, journal=tmp_path / "j", **values)


def _steps(report):
    return {r.step_id: r for r in report.nodes[0].results}


def test_registered():
    names = available()
    assert names[19] == "p19_configuring_bandwidth_for_inbound_sms"
    assert names[22] == "p22_configuring_flowroute_as_sms_mms_provider"


@pytest.mark.parametrize("page", PAGES)
def test_plan_runs_the_loopback_request_only(page, replays, tmp_path):
    rb = _open(page, replays, tmp_path)
    steps = _steps(rb.plan())
    assert steps["loopback-request"].status is Status.PASS
    assert "DID 12065550199 sees from=" in steps["loopback-request"].reason
    assert rb.targets[0].log == []  # no command on the node in plan mode


def test_v2_collects_every_destination_and_v1_does_not(replays, tmp_path):
    v2 = _steps(_open(19, replays, tmp_path).plan())["loopback-request"].reason
    v1 = _steps(_open(19, replays, tmp_path, provider="bandwidth-v1").plan())
    assert "all destinations: +12065550199,+15550000002" in v2
    assert "all destinations" not in v1["loopback-request"].reason


def test_mms_media_reaches_the_did(replays, tmp_path):
    reason = _steps(_open(22, replays, tmp_path).plan())["loopback-request"].reason
    assert "media: https://cdn.flowroute.example/media/demo.jpg" in reason


@pytest.mark.parametrize("page", PAGES)
def test_verify_asks_the_node_for_the_inbound_page(page, replays, tmp_path):
    rb = _open(page, replays, tmp_path)
    steps = _steps(rb.verify())
    assert steps["inbound-page"].status is Status.PASS
    assert rb.targets[0].log == [
        "curl -sS -o /dev/null --max-time 10 -w '%{http_code}' "
        "https://pbx.demo.mirta.example/pbx/sms.php"
    ]


def test_credentials_by_name_only(replays, tmp_path, monkeypatch):
    monkeypatch.setenv("MIRTA_FLOWROUTE_ACCESS_KEY", "AK-very-secret-1")
    monkeypatch.delenv("MIRTA_FLOWROUTE_SECRET_KEY", raising=False)
    report = _open(22, replays, tmp_path).plan()
    step = _steps(report)["credentials"]
    assert step.status is Status.WARN and "MIRTA_FLOWROUTE_SECRET_KEY" in step.reason
    assert "AK-very-secret-1" not in str(report)
    monkeypatch.setenv("MIRTA_FLOWROUTE_SECRET_KEY", "SK-very-secret-2")
    report = _open(22, replays, tmp_path).plan()
    assert _steps(report)["credentials"].status is Status.PASS
    assert "SK-very-secret-2" not in str(report)


def test_other_web_base_is_not_recorded(replays, tmp_path):
    rb = _open(21, replays, tmp_path, web_base="https://other.example.net/pbx")
    with pytest.raises(TargetError, match="command not recorded"):
        rb.verify()


@pytest.mark.parametrize(
    "values, match",
    [
        ({"provider": "flowroute"}, "provider='flowroute' is not one of"),
        ({"did": "12-34"}, "did='12-34' is not a phone number"),
        ({"web_base": "ftp://pbx.example.net"}, "web_base"),
        ({"sms_page": "../../x"}, "sms_page"),
        ({"text": ""}, "text must be 1-918"),
    ],
)
def test_bad_parameters_rejected(values, match, tmp_path):
    with pytest.raises(ParameterError, match=match):
        get(19).open("replay:srv01", journal=tmp_path, **values)


def test_secret_value_as_env_name_is_refused(tmp_path):
    with pytest.raises(ParameterError, match="api_password_env"):
        get(20).open("replay:srv01", journal=tmp_path, api_password_env="hunter2!")
