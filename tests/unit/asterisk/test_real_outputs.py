"""The host parsers on the outputs of the real programs of this machine (skipped where absent).

These prove the parsers read what the installed tools print today, not only the hand-written
samples: every listening socket ``ss`` reports must come back, and so on.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from mirtalib.asterisk.host import (
    parse_clocksource,
    parse_crypto_policy,
    parse_grubby_info,
    parse_kernel_release,
    parse_loadavg,
)
from mirtalib.asterisk.sockets import parse_netstat, parse_ss
from mirtalib.asterisk.software import parse_java_version, parse_php_version
from mirtalib.asterisk.sysctl import parse_sysctl, parse_sysctl_value

CLOCK = Path("/sys/devices/system/clocksource/clocksource0")


def _run(*argv: str) -> str:
    if shutil.which(argv[0]) is None:
        pytest.skip(f"{argv[0]} is not installed here")
    res = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    return res.stdout + res.stderr


@pytest.fixture
def listener():
    """A TCP socket listening on a loopback port chosen by the kernel."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


def test_real_ss_sees_our_listener(listener: int) -> None:
    table = parse_ss(_run("ss", "-lntp"))
    assert table.rejects == []
    [mine] = table.listening(listener, "tcp")
    assert mine.local_address == "127.0.0.1"
    assert any(p.pid == os.getpid() for p in mine.processes)
    everything = parse_ss(_run("ss", "-anp"))
    assert everything.rejects == [] and everything.listening(listener)


def test_real_netstat_sees_our_listener(listener: int) -> None:
    table = parse_netstat(_run("netstat", "-nap"))
    assert table.rejects == []
    [mine] = table.listening(listener, "tcp")
    assert mine.processes and mine.processes[0].pid == os.getpid()
    assert parse_netstat(_run("netstat", "-an")).listening(listener)


def test_real_kernel_loadavg_clocksource() -> None:
    k = parse_kernel_release(_run("uname", "-r"))
    assert k.release == os.uname().release and len(k.version) >= 2
    la = parse_loadavg(Path("/proc/loadavg").read_text())
    assert la.tasks >= la.running >= 0
    if not CLOCK.is_dir():
        pytest.skip("no clocksource directory in /sys here")
    cs = parse_clocksource(
        (CLOCK / "current_clocksource").read_text(), (CLOCK / "available_clocksource").read_text()
    )
    assert cs.current_is_available


def test_real_sysctl() -> None:
    values = parse_sysctl(_run("sysctl", "-a"))
    assert values.rejects == []
    low, high = values.get_ints("net.ipv4.ip_local_port_range")
    assert 0 < low < high <= 65535
    one = parse_sysctl(_run("sysctl", "net.ipv4.tcp_fin_timeout"))
    assert one.get_int("net.ipv4.tcp_fin_timeout") == values.get_int("net.ipv4.tcp_fin_timeout")
    assert parse_sysctl_value(_run("sysctl", "-n", "net.ipv4.tcp_fin_timeout")).isdigit()


def test_real_java() -> None:
    j = parse_java_version(_run("java", "-version"))
    assert j.major >= 8 and j.vm


def test_real_php() -> None:
    p = parse_php_version(_run("php", "-v"))
    assert p.version_tuple[0] >= 5 and p.sapi == "cli" and p.zend_engine
    probe = _run("php", "-r", "echo PHP_VERSION, ' ', PHP_ZTS ? 'ZTS' : 'NTS';")
    assert probe.split() == [p.version, p.thread_safety]


def test_real_grubby_and_crypto_policy() -> None:
    if shutil.which("grubby") is None and shutil.which("update-crypto-policies") is None:
        pytest.skip("grubby and update-crypto-policies exist only on RHEL-family hosts")
    if shutil.which("grubby"):
        assert parse_grubby_info(_run("grubby", "--info=ALL"))
    if shutil.which("update-crypto-policies"):
        assert parse_crypto_policy(_run("update-crypto-policies", "--show")).policy
