"""Seed page 16, *TCP port exhaustion*: the model every runbook module copies.

Wallboards that poll the Asterisk Manager Interface (AMI, TCP 5038) with a new connection each
time leave sockets in TIME_WAIT; with enough of them the side that opens connections runs out of
ephemeral ports. The page counts them (``netstat -an | grep TIME_WAIT | grep -c :5038``) and adds
``net.ipv4.tcp_fin_timeout=1`` and ``net.ipv4.tcp_tw_reuse=1`` to ``/etc/sysctl.conf``.

What this runbook does instead of copy-paste:

* counts TIME_WAIT sockets whose local *or* peer port is the AMI port with a real parser of
  ``ss -tan`` (or ``netstat -tan``): ``grep -c :5038`` also counts ports 50380-50389, which are
  ephemeral ports;
* shows the kernel's current values and the ephemeral port range;
* sets both keys in the sysctl file in place (other lines byte-identical, backed up), loads the
  file with ``sysctl -p`` only when something changed or the kernel disagrees;
* verifies the kernel values, the file, and the TIME_WAIT count against thresholds.

Operator notes on the values (shown by the notebook):

* ``tcp_fin_timeout`` is how long an orphaned connection may stay in FIN-WAIT-2; it does *not*
  shorten TIME_WAIT, which Linux keeps for a fixed 60 s. The page's ``1`` cuts off peers that are
  slow to close; 15-30 s is the usual conservative choice. The value is a parameter (1-120).
* ``tcp_tw_reuse=1`` lets *new outgoing* connections reuse a TIME_WAIT port (safe with TCP
  timestamps, the default); ``2`` (the default of recent kernels) does it for loopback only. It
  relieves the side that connects: wallboards and web code talking to AMI on the same node.
* the lasting fix is a wallboard that keeps one AMI session open instead of one per refresh.
"""

from __future__ import annotations

from typing import Any

from mirtalib.asterisk.sockets import parse_netstat, parse_ss
from mirtalib.asterisk.sysctl import parse_sysctl, parse_sysctl_conf, set_sysctl_conf
from mirtalib.runbook import (
    Check,
    Command,
    Manual,
    Param,
    Phase,
    Risk,
    RunbookDef,
    Step,
    Verdict,
    Verification,
    at_most,
    mapping_equals,
    text_edit,
)
from mirtalib.validate import cmd

FIN = "net.ipv4.tcp_fin_timeout"
REUSE = "net.ipv4.tcp_tw_reuse"
RANGE = "net.ipv4.ip_local_port_range"
PAGE_FIN_TIMEOUT = 1  # what the seed page writes
KERNEL_FIN_TIMEOUT = 60  # Linux default


PARAMS = (
    Param(
        "fin_timeout",
        30,
        "net.ipv4.tcp_fin_timeout in seconds, 1-120 (page: 1, kernel default: 60)",
        between=(1, 120),
    ),
    Param("tw_reuse", 1, "net.ipv4.tcp_tw_reuse: 0 off, 1 on, 2 loopback only", choices=(0, 1, 2)),
    Param(
        "ami_port",
        5038,
        "AMI TCP port whose TIME_WAIT sockets are counted",
        kind="port",
    ),
    Param(
        "sysctl_file",
        "/etc/sysctl.conf",
        "file that carries the settings (or /etc/sysctl.d/NN-name.conf)",
        kind="path",
    ),
    Param(
        "socket_tool",
        "ss",
        "socket lister on the nodes: ss (iproute2) or netstat (net-tools)",
        choices=("ss", "netstat"),
    ),
    Param(
        "time_wait_warn",
        1000,
        "warn above this many TIME_WAIT sockets on the AMI port",
        between=(1, 1_000_000),
    ),
    Param(
        "time_wait_fail",
        10000,
        "verify fails above this many",
        between=(1, 1_000_000),
    ),
)


def _count_time_wait(port: int, tool: str):
    parse = parse_ss if tool == "ss" else parse_netstat

    def count(text: str) -> dict[str, int]:
        table = parse(text)
        return {"time_wait": table.count("TIME_WAIT", port), "unreadable_lines": len(table.rejects)}

    return count


def _time_wait_expect(warn: int, fail: int | None):
    judge = at_most(warn, fail, what="TIME_WAIT sockets on the AMI port")

    def expect(value: dict[str, int]) -> tuple[Verdict, str]:
        verdict, reason = judge(value["time_wait"])
        if value["unreadable_lines"]:
            reason += f" ({value['unreadable_lines']} output lines not understood)"
            verdict = Verdict.WARN if verdict is Verdict.PASS else verdict
        return verdict, reason

    return expect


def _current_values(values: Any) -> tuple[Verdict, str]:
    fin, reuse = values.get(FIN, "?"), values.get(REUSE, "?")
    ports = values.get(RANGE, "? ?").split()
    size = (
        int(ports[1]) - int(ports[0]) + 1
        if len(ports) == 2 and all(p.isdigit() for p in ports)
        else "?"
    )
    return Verdict.PASS, (
        f"now: {FIN}={fin}, {REUSE}={reuse}, ephemeral ports {'-'.join(ports)} ({size} ports)"
    )


def _sysctl_map(text: str) -> dict[str, str]:
    return parse_sysctl(text).values


def _conf_map(text: str) -> dict[str, str]:
    return parse_sysctl_conf(text).effective()


def _read(file: str):
    return lambda target: target.read_text(file) or ""


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 16 for validated parameter values ``v``."""
    wanted = {FIN: str(v["fin_timeout"]), REUSE: str(v["tw_reuse"])}
    conf = v["sysctl_file"]
    sockets = cmd(v["socket_tool"], "-tan")
    read_kernel = cmd("sysctl", FIN, REUSE)
    live = Check(
        id="kernel-values",
        title="Kernel runs the wanted values",
        command=read_kernel,
        parse=_sysctl_map,
        expect=mapping_equals(wanted, "kernel"),
    )
    advice = (
        f"You chose tcp_fin_timeout={v['fin_timeout']} s (page: {PAGE_FIN_TIMEOUT}, kernel default "
        f"{KERNEL_FIN_TIMEOUT}). It bounds FIN-WAIT-2 only; TIME_WAIT stays 60 s on Linux."
    )
    if v["fin_timeout"] < 10:
        advice += " Below 10 s, slow peers are cut off: keep it only if you measured the need."
    return [
        Manual(
            id="fin-timeout-choice",
            title="Choose tcp_fin_timeout knowingly",
            phase=Phase.BEFORE,
            where="this notebook's parameters",
            detail=advice,
        ),
        Check(
            id="time-wait-before",
            title=f"TIME_WAIT sockets on port {v['ami_port']} (now)",
            phase=Phase.BEFORE,
            command=sockets,
            parse=_count_time_wait(v["ami_port"], v["socket_tool"]),
            expect=_time_wait_expect(v["time_wait_warn"], None),
        ),
        Check(
            id="kernel-before",
            title="Current kernel TCP settings",
            phase=Phase.BEFORE,
            command=cmd("sysctl", FIN, REUSE, RANGE),
            parse=_sysctl_map,
            expect=_current_values,
        ),
        text_edit(
            "sysctl-file",
            f"Set the values in {conf}",
            conf,
            lambda text: set_sysctl_conf(text, wanted),
            summary=f"set {FIN}={wanted[FIN]}, {REUSE}={wanted[REUSE]}",
        ),
        Command(
            id="sysctl-load",
            title=f"Load {conf} into the kernel",
            command=cmd("sysctl", "-p", conf),
            risk=Risk.CHANGING,
            when_changed=("sysctl-file",),
            unless=live,
            undo=cmd("sysctl", "-p", conf),
        ),
        live,
        Check(
            id="file-values",
            title=f"{conf} carries the wanted values",
            probe=_read(conf),
            parse=_conf_map,
            expect=mapping_equals(wanted, conf),
        ),
        Check(
            id="time-wait-after",
            title=f"TIME_WAIT sockets on port {v['ami_port']}",
            command=sockets,
            parse=_count_time_wait(v["ami_port"], v["socket_tool"]),
            expect=_time_wait_expect(v["time_wait_warn"], v["time_wait_fail"]),
        ),
    ]


RUNBOOK = RunbookDef(
    page=16,
    demo_targets="replay:srv01,replay:srv02",
    slug="tcp-port-exhaustion",
    title="TCP port exhaustion",
    scope="node",
    roles=("pbx",),
    params=PARAMS,
    build=build,
    summary="TIME_WAIT sockets on the AMI port, kernel TCP timers, sysctl file change",
    verification=Verification(
        mirta_page="Open the wallboard / real-time pages that use AMI: they refresh without "
        "connection errors.",
        asterisk_log="In /var/log/asterisk/full, no new 'manager' connection errors "
        "(e.g. failed AMI logins or refused connections) while the wallboards run.",
        status_menu="Status menu: the Asterisk/AMI related entry shows the node up.",
        tenant_selection="Recheck tenant selection before testing tenant-specific wallboards.",
    ),
)
