"""Page 29 (haproxy) on the recorded node, the show stat parser and the backend verdicts.

The real ``haproxy -c`` and a real HAProxy with its stats socket are exercised in
tests/integration/runbooks/test_p29_haproxy.py.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from page_helpers import steps_of

from mirtalib.asterisk._common import UnforeseenInput
from mirtalib.errors import ParameterError, ParseError
from mirtalib.net.haproxy import parse_show_stat
from mirtalib.runbook import Status, Verdict, rehearse
from mirtalib.runbook.replay import replay_dir
from mirtalib.runbooks.p29_using_haproxy import RUNBOOK, backends_expect, render_config

HEADER = "# pxname,svname,status,act,bck,check_status,weight,\n"


def _stat(*rows: str) -> str:
    return HEADER + "".join(r + "\n" for r in rows)


def test_parser_reads_columns_by_name_and_keeps_rejects():
    t = parse_show_stat(
        _stat(
            "mysql-proxy,FRONTEND,OPEN,,,,,",
            "mysql-proxy,db01,UP,1,0,L4OK,1,",
            "mysql-proxy,db02,DOWN,0,1,L4CON,1,",
            "mysql-proxy,db03,UP",
            "mysql-proxy,BACKEND,UP,1,1,,1,",
        )
    )
    assert [r.name for r in t.servers("mysql-proxy")] == ["db01", "db02"]
    assert t.get("mysql-proxy", "db02").backup and not t.get("mysql-proxy", "db02").up
    assert len(t.rejects) == 1 and "fields" in t.rejects[0].reason
    with pytest.raises(ParseError, match="no '# pxname"):
        parse_show_stat("Unknown command. Please enter one of the following commands only")


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("#pxname,svname,status UP DOWN\n\"'L4OK01")), max_size=300
    )
)
def test_parser_raises_only_parse_error(text):
    try:
        parse_show_stat(text)
    except UnforeseenInput:
        raise
    except ParseError:
        pass


V = RUNBOOK.validate({})


@pytest.mark.parametrize(
    ("rows", "verdict", "text"),
    [
        (["p,pbx-db01,UP,1,0,L4OK,1,", "p,pbx-db02,UP,0,1,L4OK,1,"], Verdict.PASS, "backup"),
        (["p,pbx-db01,UP,1,0,L4OK,1,", "p,pbx-db02,DOWN,0,1,L4CON,1,"], Verdict.WARN, "failover"),
        (["p,pbx-db01,DOWN,1,0,L4TOUT,1,", "p,pbx-db02,UP,0,1,L4OK,1,"], Verdict.WARN, "failover"),
        (
            ["p,pbx-db01,DOWN,1,0,L4CON,1,", "p,pbx-db02,DOWN,0,1,L4CON,1,"],
            Verdict.FAIL,
            "no server",
        ),
        (["p,pbx-db01,UP,1,0,L4OK,1,"], Verdict.WARN, "not configured"),
        (["other,x,UP,1,0,L4OK,1,"], Verdict.FAIL, "no server of"),
    ],
)
def test_backend_verdicts(rows, verdict, text):
    values = dict(V, proxy="p")
    got, reason = backends_expect(values)(parse_show_stat(_stat(*rows)))
    assert got is verdict and text in reason


def test_plan_shows_the_page_config_broken_and_the_diff(replays, journal):
    rb = RUNBOOK.open("replay:srv01", journal=journal, target_options=replays)
    s = steps_of(rb.plan())
    assert s["backends-before"].status is Status.WARN
    assert "pbx-db01 DOWN (L4CON)" in s["backends-before"].reason
    assert s["listener-free"].reason == "port 3306: served by haproxy"
    assert "-    option http-server-close" in s["haproxy-cfg"].diff
    assert "-    option httpchk" in s["haproxy-cfg"].diff
    assert s["reload"].status is Status.WOULD_RUN


def test_the_pages_daemon_and_logasap_are_kept(replays, journal):
    text = render_config(V)
    lines = [ln.strip() for ln in text.splitlines()]
    glob, defaults = lines.index("global"), lines.index("defaults")
    assert "daemon" in lines[glob:defaults]
    assert "option logasap" in lines[defaults : lines.index("listen mysql-proxy")]
    assert "option http-server-close" not in lines  # said why in a comment of the file
    assert "# the page's 'option http-server-close' is left out: an HTTP option" in text
    rb = RUNBOOK.open("replay:srv01", journal=journal, target_options=replays)
    diff = steps_of(rb.plan())["haproxy-cfg"].diff
    assert diff and "-    daemon" not in diff and "-    option logasap" not in diff


def test_rehearsal_validates_then_reads_show_stat(replays, journal):
    rb = RUNBOOK.open("replay:srv01", journal=journal, target_options=replays)
    result = rehearse(rb)
    cfg = steps_of(result.apply)["haproxy-cfg"]
    assert cfg.commands[0].command == "haproxy -c -f /etc/haproxy/.haproxy.cfg.mirta-new"
    assert result.idempotent
    assert steps_of(result.verify)["backends"].status is Status.PASS


def test_replay_show_stat_was_captured_from_a_real_haproxy():
    text = (replay_dir() / "srv01.d" / "p29.yaml").read_text()
    assert "agg_server_check_status" in text  # a column only HAProxy 2.5+ prints


def test_httpchk_renders_the_checker_port():
    text = render_config(RUNBOOK.validate({"health_check": "httpchk", "check_port": 9200}))
    assert "option httpchk" in text and "default-server port 9200" in text
    text = render_config(RUNBOOK.validate({"health_check": "mysql-check"}))
    assert "option mysql-check user haproxy_check" in text


def test_local_mysqld_on_the_port_warns(journal):
    from mirtalib.runbook import LocalTarget
    from mirtalib.runbook.targets import CommandResult

    class Node(LocalTarget):
        def run(self, command, *, timeout=120.0):
            out = (
                "State Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n"
                'LISTEN 0 80 0.0.0.0:3306 0.0.0.0:* users:(("mariadbd",pid=7,fd=20))\n'
            )
            return CommandResult(command, 0, out, "")

    rb = RUNBOOK.open(Node(), journal=journal)
    check = next(s for s in rb.steps if s.id == "listener-free")
    verdict, reason = check.expect(check.parse(rb.targets[0].run(check.command).stdout))
    assert verdict is Verdict.WARN and "mariadbd already listens on port 3306" in reason


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"primary": "pbx-db01=10.0.0.1:3306"}, "name host:port"),
        ({"primary": "db 10.0.0.1"}, "host:port"),
        ({"primary": "db 10.0.0.1:3306", "backup": "db 10.0.0.2:3306"}, "share the name"),
        ({"idle_timeout": "30 minutes"}, "not a duration"),
        ({"health_check": "ping"}, "is not one of"),
        ({"chroot": "var/lib/haproxy"}, "absolute path"),
    ],
)
def test_bad_parameters(values, message, journal, replays):
    with pytest.raises(ParameterError, match=message):
        rb = RUNBOOK.open("replay:srv01", journal=journal, target_options=replays, **values)
        rb.steps
