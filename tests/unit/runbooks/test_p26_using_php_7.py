"""Page 26 (Using PHP 7): the remi plan per OS, rollback notes, runbook on the replay."""

from __future__ import annotations

import pytest

from mirtalib.errors import ParameterError
from mirtalib.runbook import Risk, Status, rehearse
from mirtalib.runbooks import get
from mirtalib.runbooks.p26_using_php_7 import RUNBOOK, remi_plan, rollback_notes

from .test_p27_upgrading_ioncube import isolated, steps_of


@pytest.fixture
def rb(tmp_path):
    runbook = RUNBOOK.open(
        "replay:srv01", target_options=isolated(tmp_path, ("p26",)), journal=tmp_path / "j"
    )
    yield runbook
    runbook.close()


def test_centos7_plan_uses_one_remi_php_repo():
    plan = {s.id: s for s in remi_plan("centos7", "7.4")}
    assert list(plan) == [
        "remi-release",
        "yum-utils",
        "remi-php-repo",
        "php-update",
        "php-extensions",
        "remove-php5",
    ]
    assert "remi-release-7.rpm" in plan["remi-release"].command
    assert plan["remi-php-repo"].command == (
        "yum-config-manager --disable 'remi-php*' && yum-config-manager --enable remi-php74"
    )
    assert plan["php-update"].risk is Risk.SERVICE_AFFECTING
    assert plan["php-update"].command == "yum -y update 'php*'"
    assert "yum history undo" in plan["php-update"].rollback
    assert all(s.unless for s in plan.values())


@pytest.mark.parametrize("platform, major", [("el8", 8), ("el9", 9)])
def test_el_plans_use_the_module_stream(platform, major):
    plan = {s.id: s for s in remi_plan(platform, "7.3")}
    assert "yum-utils" not in plan and "remi-php-repo" not in plan
    assert plan["php-module"].command == (
        "dnf -y module reset php && dnf -y module enable php:remi-7.3"
    )
    assert f"remi-release-{major}.rpm" in plan["remi-release"].command
    assert plan["php-update"].command.startswith("dnf ")


def test_centos6_plan_is_the_pages_php73():
    plan = {s.id: s for s in remi_plan("centos6", "7.3")}
    assert plan["remi-release"].command == (
        "yum -y install epel-release https://rpms.remirepo.net/enterprise/remi-release-6.rpm"
    )
    assert plan["remi-php-repo"].command == (
        "yum-config-manager --disable 'remi-php*' && yum-config-manager --enable remi-php73"
    )
    assert plan["php-update"].command == "yum -y update 'php*'"
    with pytest.raises(ParameterError, match="no 7.4 for EL6"):
        remi_plan("centos6", "7.4")


@pytest.mark.parametrize(
    ("platform", "tool"), [("centos6", "yum"), ("centos7", "yum"), ("el9", "dnf")]
)
def test_php5_named_packages_are_removed_last(platform, tool):
    plan = remi_plan(platform, "7.3")
    remove = plan[-1]
    assert remove.id == "remove-php5" and remove.risk is Risk.CHANGING
    assert remove.command == f"{tool} -y remove 'php5*'"
    assert remove.unless == "! rpm -qa 'php5*' | grep -q ."  # none left: nothing to do
    assert f"{tool} history undo" in remove.rollback


def test_centos6_node_is_read_from_redhat_release(tmp_path):
    """CentOS 6 has no /etc/os-release: /etc/redhat-release tells the release."""
    rb = RUNBOOK.open(
        "replay:srv01",
        target_options=isolated(tmp_path, ("p26",)),
        journal=tmp_path / "j",
        platform="centos6",
        php_version="7.3",
    )
    node = rb.targets[0]
    node.files.pop("/etc/os-release")
    node.files["/etc/redhat-release"] = {
        "content": b"CentOS release 6.10 (Final)\n",
        "mode": 0o644,
        "uid": 0,
        "gid": 0,
    }
    check = steps_of(rb.verify())["os-release"]
    assert check.status is Status.PASS
    assert check.reason == "CentOS release 6.10 (Final) (remi plan 'centos6')"
    node.files.pop("/etc/redhat-release")
    assert steps_of(rb.verify())["os-release"].status is Status.FAIL  # neither file: a finding


def test_plan_refuses_unknown_os_and_versions():
    with pytest.raises(ParameterError, match="no remi plan"):
        remi_plan("debian", "7.4")
    with pytest.raises(ParameterError, match="7.3"):
        remi_plan("centos7", "8.1")


def test_rollback_notes_name_every_step():
    notes = rollback_notes("centos7", "7.4")
    for step in remi_plan("centos7", "7.4"):
        assert step.id in notes
    assert notes.startswith("0. Before apply: snapshot")


def test_registry_finds_page_26():
    assert get(26) is RUNBOOK


def test_plan_on_the_php55_node(rb):
    plan = steps_of(rb.plan())
    assert plan["os-release"].status is Status.PASS
    assert plan["php-now"].status is Status.WARN
    assert plan["remi-release"].status is Status.OK  # already installed: guard passed
    assert plan["remi-php-repo"].status is Status.WOULD_RUN
    assert plan["php-update"].status is Status.WOULD_RUN
    assert plan["ioncube-ini"].status is Status.WOULD_CHANGE
    assert rb.targets[0].state == "initial"


def test_apply_order_update_before_loader_before_restart(rb):
    applied = rb.apply(confirm=True)
    assert not applied.failed
    log = rb.targets[0].log
    order = [
        "yum -y update 'php*'",
        "install -b -m 0755 /usr/local/src/ioncube/ioncube_loader_lin_7.4.so "
        "/usr/lib64/php/modules/ioncube_loader_lin_7.4.so",
        "systemctl restart httpd",
    ]
    assert [log.index(c) for c in order] == sorted(log.index(c) for c in order)
    assert "ioncube_loader_lin_7.4.so" in rb.targets[0].read_text(
        "/etc/php.d/00-ioncube-loader.ini"
    )
    again = rb.apply(confirm=True)
    assert not any(n.changed for n in again.nodes)
    after = steps_of(rb.verify())["php-after"]
    assert after.status is Status.PASS and "PHP 7.4.33" in after.reason


def test_wrong_platform_fails_the_os_check(tmp_path):
    rb = RUNBOOK.open(
        "replay:srv01",
        target_options=isolated(tmp_path, ("p26",)),
        journal=tmp_path / "j",
        platform="el9",
    )
    plan = steps_of(rb.verify())  # plan would also ask the EL9 commands, not recorded here
    assert plan["os-release"].status is Status.FAIL
    assert "remi plan 'centos7'" in plan["os-release"].reason


@pytest.mark.parametrize(
    "values, message",
    [
        ({"php_version": "8.2"}, "php_version"),
        ({"php_packages": "php-cli,php;rm -rf /"}, "php_packages"),
        ({"platform": "centos5"}, "platform"),
        ({"platform": "centos6"}, "on CentOS 6 the page moves to 7.3"),
    ],
)
def test_bad_parameters(tmp_path, values, message):
    with pytest.raises(ParameterError, match=message):
        RUNBOOK.open("replay:srv01", target_options=isolated(tmp_path, ("p26",)), **values).steps


def test_rehearsal(rb):
    r = rehearse(rb)
    assert r.idempotent
    assert not r.verify.failed


def test_el9_node_with_php80_gets_the_module_plan(tmp_path):
    rb = RUNBOOK.open(
        "replay:srv02",
        target_options=isolated(tmp_path, ("p26",)),
        journal=tmp_path / "j",
        platform="el9",
    )
    plan = steps_of(rb.plan())
    assert plan["os-release"].status is Status.PASS
    assert "Rocky Linux 9.3" in plan["os-release"].reason
    assert "no loader for PHP 8.0" in plan["php-now"].reason
    assert plan["remi-release"].status is Status.WOULD_RUN
    assert plan["php-module"].status is Status.WOULD_RUN
    applied = rb.apply(confirm=True)
    assert not applied.failed
    log = rb.targets[0].log
    assert "dnf -y module reset php && dnf -y module enable php:remi-7.4" in log
    assert rb.targets[0].read_text("/etc/php.d/00-ioncube-loader.ini")  # created
    first = rb.last_apply
    assert not any(n.changed for n in rb.apply(confirm=True).nodes)
    assert steps_of(rb.verify())["php-after"].status is Status.PASS
    rb.last_apply = first  # roll back what the first apply did (as the rehearsal does)
    rolled = rb.rollback(confirm=True)
    assert rb.targets[0].read_text("/etc/php.d/00-ioncube-loader.ini") is None
    assert not rolled.failed
