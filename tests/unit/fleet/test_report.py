"""Fleet run over the demo nodes: matrix, JSON, Prometheus text, changes, report files."""

from __future__ import annotations

import json

import pytest
from prometheus_client.parser import text_string_to_metric_families

from mirtalib.fleet import load_inventory
from mirtalib.fleet.report import (
    certificates,
    changes,
    escape_label,
    matrix,
    prometheus_text,
    write_reports,
)
from mirtalib.fleet.run import FleetRun, run_fleet
from mirtalib.nbrun.index import collect_runs


@pytest.fixture(scope="module")
def demo_run() -> FleetRun:
    return run_fleet(load_inventory("demo"), [16, 23, 5], forks=2, run="20261201T060000.000Z")


def test_matrix_states_and_reasons(demo_run):
    grid = matrix(demo_run)
    assert grid.loc["srv01"].tolist() == ["fail", "fail", "n/a"]  # pages 5, 16, 23
    assert grid.loc["srv02"].tolist() == ["n/a", "fail", "fail"]
    srv01 = demo_run.nodes[0]
    assert "no recording on the demo node replay:srv02" in demo_run.nodes[1].cell(5).reason
    assert "applies to dahdi" in srv01.cell(23).reason
    p16 = srv01.cell(16)
    states = {c.check: c.state for c in p16.checks}
    assert states == {
        "time-wait-before": "warn",
        "kernel-before": "ok",
        "kernel-values": "fail",
        "file-values": "fail",
        "time-wait-after": "warn",
    }
    assert p16.reason.startswith("Kernel runs the wanted values: kernel: net.ipv4.tcp_fin_timeout")
    assert srv01.versions == {
        "kernel": "5.14.0-362.18.1.el9_3.x86_64",
        "asterisk": "22.10.1+dfsg+~cs6.17.60671434-1",
        "php": "5.5.38",
    }
    assert demo_run.failed and demo_run.demo


def test_certificates_sorted_by_days_left(demo_run):
    table = certificates(demo_run)
    assert table[["certificate", "days left", "state"]].values.tolist() == [
        ["/etc/opensips/ssl/cert.crt", 15, "warn"],
        ["/etc/asterisk/certificates/srv01.pbx.example.net.pem", 46, "ok"],
    ]


def test_json_round_trip(demo_run):
    again = FleetRun.from_dict(json.loads(demo_run.to_json()))
    assert again.to_json() == demo_run.to_json()


def test_prometheus_text_parses_with_the_reference_parser(demo_run):
    text = prometheus_text(demo_run)
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert set(families) == {
        "mirta_check_status",
        "mirta_node_up",
        "mirta_cert_days_left",
        "mirta_fleet_last_run_timestamp_seconds",
    }
    status = {
        (s.labels["node"], s.labels["page"], s.labels["check"]): s.value
        for s in families["mirta_check_status"].samples
    }
    assert status[("srv01", "16", "kernel-values")] == 2
    assert status[("srv01", "16", "kernel-before")] == 0
    assert status[("srv01", "16", "time-wait-before")] == 1
    assert not any(k[0] == "srv02" and k[1] == "5" for k in status)  # n/a: no series
    days = {s.labels["cert"]: s.value for s in families["mirta_cert_days_left"].samples}
    assert days["/etc/opensips/ssl/cert.crt"] == 15
    assert "# TYPE mirta_check_status gauge" in text


def test_label_values_are_escaped():
    assert escape_label('a"b\\c\nd') == 'a\\"b\\\\c\\nd'
    line = f'm{{x="{escape_label(chr(34) + "q" + chr(92) + chr(10))}"}} 1\n'
    (family,) = text_string_to_metric_families(line)
    assert family.samples[0].labels["x"] == '"q\\\n'


def test_changes_since_the_previous_run(demo_run):
    before = FleetRun.from_dict(json.loads(demo_run.to_json()))
    p16 = before.nodes[0].cell(16)
    for check in p16.checks:
        if check.check == "kernel-values":
            check.state = "ok"  # it passed last time: now a new failure
        if check.check == "time-wait-after":
            check.state = "fail"  # failed last time, warns now: fixed
        if check.check == "time-wait-before":
            check.state = "ok"  # new warning
    found = [(c.kind, c.node, c.page, c.check) for c in changes(before, demo_run)]
    assert found == [
        ("new failure", "srv01", 16, "Kernel runs the wanted values"),
        ("new warning", "srv01", 16, "TIME_WAIT sockets on port 5038 (now)"),
        ("fixed", "srv01", 16, "TIME_WAIT sockets on port 5038"),
    ]
    assert changes(None, demo_run) == []


def test_reports_written_and_listed_in_the_index(demo_run, tmp_path):
    first = write_reports(demo_run, tmp_path)
    later = FleetRun.from_dict({**demo_run.to_dict(), "run": "20261202T060000.000Z"})
    second = write_reports(later, tmp_path)
    page = second.html.read_text()
    assert "Compared with run 20261201T060000.000Z" in page
    assert 'title="srv01, page 16: fail: Kernel runs the wanted values' in page
    assert "<link" not in page and " src=" not in page and "@import" not in page  # offline
    assert json.loads(first.json.read_text())["run"] == "20261201T060000.000Z"
    runs = collect_runs(tmp_path)
    assert [(r["name"], r["run"], r["status"]) for r in runs] == [
        ("fleet", "20261202T060000.000Z", "failed"),
        ("fleet", "20261201T060000.000Z", "failed"),
    ]
    assert runs[0]["href"] == "fleet/20261202T060000.000Z.html" and runs[0]["has_html"]
    assert not list(tmp_path.glob("fleet/.*.tmp"))
