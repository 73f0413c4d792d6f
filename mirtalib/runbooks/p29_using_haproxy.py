"""Seed page 29, *Using haproxy*: a local TCP proxy in front of two MySQL servers.

The page shows a client's ``haproxy.cfg``: Asterisk and the web code connect to 127.0.0.1:3306,
HAProxy forwards to the primary database server and fails over to the backup. This runbook
renders that configuration from parameters, validates it with HAProxy's own checker
(``haproxy -c -f``) before it replaces the live file, reloads HAProxy and verifies the servers
through the stats socket (``show stat``).

Where it differs from the page, and why:

* ``option http-server-close`` is an HTTP option; in ``mode tcp`` HAProxy ignores it with a
  warning, so it is left out (the rendered file says so in a comment).
* the page's ``daemon`` and ``option logasap`` are kept: ``daemon`` is what CentOS 6's init script
  expects and is ignored under systemd (``-Ws``); ``option logasap`` logs a MySQL connection when
  it opens, which matters because these connections stay open up to ``idle_timeout`` (30 min).
* the page's health check is ``option httpchk`` against port 3307: that needs an HTTP checker
  such as Percona's *clustercheck* on every database server. Without one, both servers are marked
  DOWN and every database connection fails. The default here is a plain TCP check
  (``health_check="tcp"``); choose ``httpchk`` when the checker exists, or ``mysql-check`` with a
  passwordless check user created on both servers.
* the listener address is checked before the change: if MySQL itself listens on 127.0.0.1:3306,
  HAProxy cannot bind there.
* the primary/backup shape (one active server, the other ``backup``) is kept on purpose: writing
  to two masters at once invites conflicts.
"""

from __future__ import annotations

from typing import Any

from mirtalib.asterisk.sockets import parse_ss
from mirtalib.errors import ParameterError
from mirtalib.net.haproxy import StatTable, parse_show_stat
from mirtalib.runbook import (
    Check,
    Command,
    Param,
    Phase,
    Risk,
    RunbookDef,
    Step,
    Verdict,
    Verification,
    template_file,
)
from mirtalib.validate import asterisk_name, cmd, host_port, pipe

TEMPLATE = """\
# {{ title }} - written by mirta-ops (seed page 29); edit the runbook parameters, not this file
global
    log 127.0.0.1 local2
{%- if chroot %}
    chroot {{ chroot }}
{%- endif %}
    pidfile /var/run/haproxy.pid
    maxconn {{ maxconn }}
{%- if run_as %}
    user {{ run_as }}
    group {{ run_as }}
{%- endif %}
    # the page's 'daemon': background mode for init scripts (CentOS 6); systemd runs haproxy
    # with -Ws, where it is ignored
    daemon
    stats socket {{ stats_socket }} mode 600 level operator

defaults
    mode tcp
    log global
    option tcplog
    option dontlognull
    # the page's 'option logasap': log each connection when it opens; the database connections
    # stay open up to the idle timeout, and without it they would be logged only when they close
    option logasap
    # the page's 'option http-server-close' is left out: an HTTP option, which mode tcp
    # ignores with a warning
    option redispatch
    retries 3
    timeout connect {{ timeout_connect }}
    timeout client 10s
    timeout server 10s

listen {{ proxy }}
    bind {{ listen_address }}:{{ listen_port }}
    balance roundrobin
{%- if health_check == "httpchk" %}
    option httpchk
    default-server port {{ check_port }} inter 2s downinter 5s rise 3 fall 2 slowstart 60s
{%- elif health_check == "mysql-check" %}
    option mysql-check user {{ check_user }}
    default-server inter 2s downinter 5s rise 3 fall 2 slowstart 60s
{%- else %}
    default-server inter 2s downinter 5s rise 3 fall 2 slowstart 60s
{%- endif %}
    option tcpka
    server {{ primary_name }} {{ primary_address }} check
    server {{ backup_name }} {{ backup_address }} check backup
    timeout client {{ idle_timeout }}
    timeout server {{ idle_timeout }}
"""

_DURATION = r"^[1-9][0-9]{0,5}(ms|s|m|h)$"


def _server(name: str):
    def check(value: str) -> str:
        parts = value.split()
        if len(parts) != 2:
            raise ParameterError(f"parameter {name}={value!r}: write it as 'name host:port'")
        label, addr = parts
        asterisk_name(label, name)
        h, p = host_port(addr, name)
        return f"{label} {h}:{p}"

    return check


def _duration(name: str):
    import re

    def check(value: str) -> str:
        if not re.match(_DURATION, value):
            raise ParameterError(f"parameter {name}={value!r} is not a duration like 1s, 30m")
        return value

    return check


PARAMS = (
    Param(
        "haproxy_cfg",
        "/etc/haproxy/haproxy.cfg",
        ("file written (validated with haproxy -c first)"),
        kind="path",
    ),
    Param(
        "listen_address",
        "127.0.0.1",
        "address Asterisk and the web code connect to",
        kind="ip",
    ),
    Param(
        "listen_port", 3306, "port of the proxy (must not be taken by a local mysqld)", kind="port"
    ),
    Param(
        "primary",
        "pbx-db01 10.20.0.21:3306",
        "active database server: name host:port",
        check=_server("primary"),
    ),
    Param(
        "backup",
        "pbx-db02 10.20.0.22:3306",
        ("backup server, used only when the primary is down"),
        check=_server("backup"),
    ),
    Param(
        "health_check",
        "tcp",
        "tcp; httpchk (needs clustercheck on check_port); mysql-check (needs check_user)",
        choices=("tcp", "httpchk", "mysql-check"),
    ),
    Param("check_port", 3307, "port of the HTTP checker (health_check httpchk)", kind="port"),
    Param(
        "check_user",
        "haproxy_check",
        "passwordless MySQL user (health_check mysql-check)",
        kind="asterisk_name",
    ),
    Param(
        "timeout_connect", "1s", "connect timeout to a server", check=_duration("timeout_connect")
    ),
    Param(
        "idle_timeout",
        "30m",
        ("idle client/server timeout (long-lived Asterisk connections)"),
        check=_duration("idle_timeout"),
    ),
    Param("maxconn", 4000, "global connection limit", between=(10, 100_000)),
    Param(
        "stats_socket",
        "/var/lib/haproxy/stats",
        "runtime API socket read by verify",
        kind="path",
    ),
    Param("chroot", "/var/lib/haproxy", "chroot folder (empty: none)", kind="path", optional=True),
    Param(
        "run_as",
        "haproxy",
        "user and group HAProxy drops to (empty: keep)",
        kind="asterisk_name",
        optional=True,
    ),
    Param("proxy", "mysql-proxy", "name of the listen section", kind="asterisk_name"),
    Param("reload", True, "reload HAProxy when the file changed (False: by hand)"),
)


def _split(server: str) -> tuple[str, str]:
    name, _, address = server.partition(" ")
    return name, address


def config_context(v: dict[str, Any]) -> dict[str, Any]:
    """Template variables for validated values ``v``."""
    primary_name, primary_address = _split(v["primary"])
    backup_name, backup_address = _split(v["backup"])
    if primary_name == backup_name:
        raise ParameterError(f"primary and backup share the name {primary_name!r}")
    return {
        **v,
        "title": "MySQL failover proxy",
        "primary_name": primary_name,
        "primary_address": primary_address,
        "backup_name": backup_name,
        "backup_address": backup_address,
    }


def config_step(v: dict[str, Any]):
    """The file step writing haproxy.cfg, validated by ``haproxy -c -f``."""
    return template_file(
        "haproxy-cfg",
        "Write the MySQL failover configuration",
        v["haproxy_cfg"],
        TEMPLATE,
        config_context(v),
        validate="haproxy -c -f {path}",
        summary=f"{v['proxy']} on {v['listen_address']}:{v['listen_port']} -> "
        f"{v['primary']} (backup {v['backup']}), {v['health_check']} checks",
    )


def render_config(v: dict[str, Any]) -> str:
    """The haproxy.cfg text for validated values ``v`` (what apply writes)."""
    return config_step(v).render(None)


def stat_command(socket_path: str):
    """The read-only command printing ``show stat`` through the stats socket."""
    return pipe(cmd("echo", "show stat"), cmd("socat", "stdio", f"UNIX-CONNECT:{socket_path}"))


def backends_expect(v: dict[str, Any]):
    """pass: both servers UP; warn: one of them is not; fail: the proxy has no server UP."""
    primary, _ = _split(v["primary"])
    backup, _ = _split(v["backup"])
    proxy = v["proxy"]

    def expect(table: StatTable) -> tuple[Verdict, str]:
        rows = {r.name: r for r in table.servers(proxy)}
        if not rows:
            return Verdict.FAIL, f"no server of {proxy!r} in show stat ({table.proxies()})"
        shown = "; ".join(
            f"{n} {r.status} ({r.check_status or 'no check'}{', backup' if r.backup else ''})"
            for n, r in rows.items()
        )
        missing = [n for n in (primary, backup) if n not in rows]
        be = table.get(proxy, "BACKEND")
        if (be is not None and not be.up) or not any(r.up for r in rows.values()):
            return Verdict.FAIL, f"{proxy}: no server UP, database unreachable: {shown}"
        if missing:
            return Verdict.WARN, f"{proxy}: servers {missing} not configured: {shown}"
        if not all(r.up for r in rows.values()):
            return Verdict.WARN, f"{proxy}: failover is not available: {shown}"
        return Verdict.PASS, shown

    return expect


def _listening(text: str) -> list[tuple[str, int | None, str]]:
    """TCP listeners as (address, port, program) from ``ss -lntp``."""
    return [(s.local_address, s.local_port, s.program) for s in parse_ss(text).listening()]


def _listener_free(v: dict[str, Any]):
    def expect(listeners) -> tuple[Verdict, str]:
        owners = [
            program or "unknown program"
            for address, port_, program in listeners
            if port_ == v["listen_port"] and address in {v["listen_address"], "0.0.0.0", "*", "::"}  # noqa: S104
        ]
        others = [o for o in owners if o != "haproxy"]
        if others:
            return Verdict.WARN, (
                f"{', '.join(sorted(set(others)))} already listens on port {v['listen_port']}: "
                "HAProxy cannot bind there; choose another listen_port or address"
            )
        return Verdict.PASS, f"port {v['listen_port']}: " + (
            "served by haproxy" if owners else "free"
        )

    return expect


def _observe(judge):
    """A before-change observation: what verify would fail is a warning here."""

    def expect(table: StatTable | None) -> tuple[Verdict, str]:
        if table is None:
            return Verdict.WARN, "no HAProxy answers on the stats socket (not running yet?)"
        verdict, reason = judge(table)
        return (Verdict.WARN if verdict is Verdict.FAIL else verdict), reason

    return expect


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 29 for validated parameter values ``v``."""
    cfg = v["haproxy_cfg"]
    steps: list[Step] = [
        Check(
            id="listener-free",
            title=f"Who listens on port {v['listen_port']} now",
            phase=Phase.BEFORE,
            command=cmd("ss", "-lntp", f"sport = :{v['listen_port']}"),
            parse=_listening,
            expect=_listener_free(v),
        ),
        config_step(v),
    ]
    steps.insert(
        1,
        Check(
            id="backends-before",
            title="Database servers seen by HAProxy now",
            phase=Phase.BEFORE,
            command=stat_command(v["stats_socket"]),
            ok_codes=(0, 1),
            parse=lambda text: parse_show_stat(text) if "# pxname" in text else None,
            expect=_observe(backends_expect(v)),
        ),
    )
    if v["reload"]:
        steps.append(
            Command(
                id="reload",
                title="Reload HAProxy (existing connections are kept)",
                command=cmd("systemctl", "reload", "haproxy"),
                risk=Risk.SERVICE_AFFECTING,
                when_changed=("haproxy-cfg",),
                undo=cmd("systemctl", "reload", "haproxy"),
            )
        )
    steps += [
        Check(
            id="config-valid",
            title="The live configuration passes haproxy -c",
            command=cmd("haproxy", "-c", "-f", cfg),
            parse=lambda text: text.strip().splitlines()[-1] if text.strip() else "valid",
            expect=lambda last: (Verdict.PASS, last),
        ),
        Check(
            id="backends",
            title="Database servers seen by HAProxy (show stat)",
            command=stat_command(v["stats_socket"]),
            parse=parse_show_stat,
            expect=backends_expect(v),
        ),
    ]
    return steps


RUNBOOK = RunbookDef(
    page=29,
    slug="using-haproxy",
    title="Using haproxy",
    scope="node",
    roles=("pbx",),
    params=PARAMS,
    build=build,
    summary="MySQL failover through a local HAProxy: render, haproxy -c, reload, show stat",
    verification=Verification(
        mirta_page="Any MiRTA page that reads the database loads (e.g. Extensions); the Status "
        "page shows the database connection up.",
        asterisk_log="No 'MySQL RealTime' / res_config_mysql connection errors in "
        "/var/log/asterisk/full after the reload.",
        status_menu="Status menu: database entry up on every node.",
    ),
)
