"""Page 09 (Certbot): os-release parser, install plans per OS, the runbook on the demo node."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))  # install_replays.py, next to this file
from install_replays import isolated

from mirtalib.asterisk.osrelease import parse_os_release
from mirtalib.errors import ParameterError, ParseError
from mirtalib.runbook import Status, Verdict, rehearse
from mirtalib.runbooks import get
from mirtalib.runbooks.p09_installing_certbot import PLATFORMS, RUNBOOK, install_plan

OS = {
    "centos7": 'NAME="CentOS Linux"\nVERSION="7 (Core)"\nID="centos"\nID_LIKE="rhel fedora"\n'
    'VERSION_ID="7"\nPRETTY_NAME="CentOS Linux 7 (Core)"\n',
    "el8": 'NAME="Rocky Linux"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="8.9"\n'
    'PRETTY_NAME="Rocky Linux 8.9 (Green Obsidian)"\n',
    "el9": 'NAME="AlmaLinux"\nID="almalinux"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.4"\n',
    "debian": 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n',
}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_os_release_to_platform(platform):
    assert parse_os_release(OS[platform]).platform == platform


def test_os_release_quoting_and_errors():
    found = parse_os_release('# c\n\nID=\'ol\'\nNAME="A \\"B\\""\nVERSION_ID=9\n')
    assert (found.id, found.values["NAME"], found.family, found.major) == ("ol", 'A "B"', "rhel", 9)
    assert parse_os_release("ID=arch\n").platform == "other"
    with pytest.raises(ParseError, match="line 1"):
        parse_os_release("this is not os-release")
    with pytest.raises(ParseError, match="unterminated"):
        parse_os_release('ID="centos\n')
    with pytest.raises(ParseError, match="empty"):
        parse_os_release("\n# only a comment\n")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_os_release_fuzz(text):
    try:
        assert parse_os_release(text).platform in (*PLATFORMS, "other")
    except ParseError:
        pass


def test_every_install_step_is_guarded():
    for platform in PLATFORMS:
        steps = install_plan(platform)
        assert steps and all(s.unless for s in steps)
    c7 = [s.command for s in install_plan("centos7")]
    assert c7[0] == "yum -y install epel-release"  # snapd comes from EPEL
    assert "snap wait system seed.loaded && snap install core" in c7
    # the page's `snap refresh core`, right after the install, guarded by the pending-update list
    refresh = c7.index("snap refresh core")
    assert c7[refresh - 1] == "snap wait system seed.loaded && snap install core"
    assert install_plan("centos7")[refresh].unless == (
        "snap list core >/dev/null 2>&1 && ! snap refresh --list 2>/dev/null | grep -q '^core '"
    )
    assert "snap install --classic certbot" in c7
    assert "dnf -y install certbot python3-certbot-apache" in [
        s.command for s in install_plan("el9")
    ]
    with pytest.raises(ParameterError, match="no install plan"):
        install_plan("windows")


@pytest.fixture
def rb(tmp_path):
    (tmp_path / "r").mkdir()
    runbook = RUNBOOK.open(
        "replay:srv01", journal=tmp_path / "j", target_options=isolated(tmp_path / "r")
    )
    yield runbook
    runbook.close()


def _steps(report):
    return {r.step_id: r for r in report.nodes[0].results}


def test_plan_apply_verify_on_demo(rb):
    assert get(9) is RUNBOOK
    s = _steps(rb.plan())
    assert s["os-release"].status is Status.PASS
    assert "CentOS Linux 7" in s["os-release"].reason
    assert s["epel"].status is Status.OK  # already installed on the demo node
    assert s["snapd"].status is Status.WOULD_RUN
    assert s["snap-core-refresh"].status is Status.WOULD_RUN
    assert rehearse(rb).idempotent
    applied = _steps(rb.apply(confirm=True))
    assert applied["snap-core-refresh"].status is Status.CHANGED
    assert applied["snap-core-refresh"].commands[-1].command == "snap refresh core"
    assert "refreshed" in applied["snap-core-refresh"].commands[-1].output
    checks = {x.step_id: x for x in rb.verify().nodes[0].results if x.kind == "check"}
    assert checks["certbot-version"].status is Status.PASS
    assert checks["renew-timer"].status is Status.PASS
    cert = checks["cert-srv01-pbx-example-net"]
    assert cert.status is Status.WARN and "in 11 days" in cert.reason


def test_wrong_platform_fails_first_check(tmp_path):
    (tmp_path / "r").mkdir()
    rb = RUNBOOK.open(
        "replay:srv01",
        journal=tmp_path / "j",
        target_options=isolated(tmp_path / "r"),
        platform="el9",
    )
    check = next(s for s in rb.steps if s.id == "os-release")
    verdict, reason = check.expect(check.parse(check.probe(rb.targets[0])))
    assert verdict is Verdict.FAIL
    assert "set platform='centos7'" in reason


@pytest.mark.parametrize(
    ("name", "value", "match"),
    [
        ("platform", "centos6", "platform"),
        ("pbx_names", " , ", "lists nothing: give a comma list of host names"),
        ("pbx_names", "ok.example.net,bad name", "pbx_names"),
        ("expiry_warn_days", 120, "expiry_warn_days"),
    ],
)
def test_bad_parameters(name, value, match):
    with pytest.raises(ParameterError, match=match):
        RUNBOOK.validate({name: value})


@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_platform_builds(platform):
    steps = RUNBOOK.steps(RUNBOOK.validate({"platform": platform}))
    assert len({s.id for s in steps}) == len(steps)
