"""Page 28 (CUPS with IPP): ipptool output parser (fuzzed), printer URI, runbook on the replay."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mirtalib.asterisk.ipptool import parse_ipptool
from mirtalib.errors import ParameterError, ParseError
from mirtalib.runbook import Status, Verdict, rehearse
from mirtalib.runbooks import get
from mirtalib.runbooks import p28_upgrading_cups_to_include_ipp_support as p28

from .test_p27_upgrading_ioncube import isolated, steps_of

FAILED = """"/usr/share/cups/ipptool/get-printer-attributes.test":
    Get printer attributes using Get-Printer-Attributes                  [FAIL]
        RECEIVED: 120 bytes in response
        status-code = client-error-not-found (client-error-not-found)
        EXPECTED: STATUS successful-ok (got client-error-not-found)
"""


def test_parser_on_a_failed_test():
    run = parse_ipptool(FAILED)
    assert run.tests == (("Get printer attributes using Get-Printer-Attributes", "FAIL"),)
    assert not run.passed
    assert run.errors == (
        "status-code = client-error-not-found (client-error-not-found)",
        "EXPECTED: STATUS successful-ok (got client-error-not-found)",
    )
    assert run.attributes == {}
    verdict, reason = p28.printer_expect(run)
    assert verdict is Verdict.FAIL and "client-error-not-found" in reason


def test_parser_on_a_connection_error():
    run = parse_ipptool('ipptool: Unable to connect to "192.0.2.50" on port 631 - Host is down\n')
    assert run.tests == () and not run.passed
    verdict, reason = p28.printer_expect(run)
    assert verdict is Verdict.FAIL and "port forward" in reason


def test_parser_keeps_unknown_lines_as_rejects():
    run = parse_ipptool("    Get printer attributes                  [PASS]\n   something odd\n")
    assert run.passed and len(run.rejects) == 1 and run.rejects[0].line == 2
    with pytest.raises(ParseError):
        parse_ipptool("sh: ipptool: command not found\n")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400))
def test_parser_fuzz(text):
    try:
        parse_ipptool(text)
    except ParseError:
        pass


@pytest.mark.parametrize(
    "uri, message",
    [
        ("http://192.0.2.50:631/ipp/print", "scheme"),
        ("ipp://192.0.2.50:631", "resource path"),
        ("ipp://printer name/ipp", "spaces"),
        ("ipp://192.0.2.50:99999/ipp/print", "printer_uri"),
    ],
)
def test_printer_uri_refused(uri, message):
    with pytest.raises(ParameterError, match=message):
        p28.printer_uri(uri)


def test_packages_per_os():
    assert p28.install_command("centos7") == "yum install -y cups-ipptool"
    assert p28.install_command("el9") == "dnf install -y cups-ipptool"
    assert p28.install_command("debian") == "apt-get install -y cups-ipp-utils"
    with pytest.raises(ParameterError, match="platform"):
        p28.install_command("centos6")


def test_registry_finds_page_28():
    assert get(28) is p28.RUNBOOK


@pytest.fixture
def rb(tmp_path):
    runbook = p28.RUNBOOK.open(
        "replay:srv01", target_options=isolated(tmp_path, ("p28",)), journal=tmp_path / "j"
    )
    yield runbook
    runbook.close()


def test_plan_verify_apply(rb):
    plan = steps_of(rb.plan())
    assert plan["os-release"].status is Status.PASS
    assert plan["ipptool-before"].status is Status.WARN
    assert plan["install-ipptool"].status is Status.WOULD_RUN
    before = steps_of(rb.verify())
    assert before["ipptool-after"].status is Status.FAIL
    applied = rb.apply(confirm=True)
    assert not applied.failed
    assert rb.targets[0].log.count("yum install -y cups-ipptool") == 1
    after = steps_of(rb.verify())
    assert after["ipptool-after"].status is Status.PASS
    assert after["printer-ipp"].status is Status.PASS
    assert "HP LaserJet Pro M404dn answers IPP (state idle)" in after["printer-ipp"].reason


def test_no_printer_uri_means_no_printer_test(tmp_path):
    rb = p28.RUNBOOK.open(
        "replay:srv01", target_options=isolated(tmp_path, ("p28",)), printer_uri=""
    )
    ids = {s.id for s in rb.steps}
    assert "printer-ipp" not in ids and "port-forward" not in ids


def test_rehearsal(rb):
    r = rehearse(rb)
    assert r.idempotent
    assert not r.verify.failed
