"""Parsers of mirtalib.asterisk.machine: real outputs; any input gives a result or ParseError."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mirtalib.asterisk._common import UnforeseenInput
from mirtalib.asterisk.machine import (
    parse_cpu_flags,
    parse_ip_addr,
    parse_lscpu,
    parse_module_inventory,
    parse_nproc,
)
from mirtalib.errors import ParseError

LSCPU_RHEL9 = """Architecture:            x86_64
  CPU op-mode(s):        32-bit, 64-bit
CPU(s):                  4
  On-line CPU(s) list:   0-3
Vendor ID:               GenuineIntel
  Model name:            Intel(R) Xeon(R) Silver 4214R CPU @ 2.40GHz
    Thread(s) per core:  1
    Core(s) per socket:  1
    Socket(s):           4
Virtualization features:
  Hypervisor vendor:     VMware
  Virtualization type:   full
"""

LSCPU_BARE = """Architecture:        x86_64
CPU(s):              16
Thread(s) per core:  2
Core(s) per socket:  8
Socket(s):           1
Model name:          AMD EPYC 7302P 16-Core Processor
Virtualization:      AMD-V
"""


def test_lscpu_vm_and_bare_metal():
    vm = parse_lscpu(LSCPU_RHEL9)
    assert (vm.cpus, vm.sockets, vm.cores_per_socket, vm.threads_per_core) == (4, 4, 1, 1)
    assert vm.virtual and vm.hypervisor == "VMware"
    bare = parse_lscpu(LSCPU_BARE)
    assert not bare.virtual and bare.cpus == 16
    with pytest.raises(ParseError, match="CPU"):
        parse_lscpu("Architecture: x86_64\n")


def test_nproc():
    assert parse_nproc("8\n") == 8
    for bad in ("", "0", "eight", "4\n4\n"):
        with pytest.raises(ParseError):
            parse_nproc(bad)


def test_ip_addr():
    text = (
        "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever\n"
        "2: eth0    inet 10.20.0.11/24 brd 10.20.0.255 scope global eth0\\       valid_lft\n"
        "2: eth0    inet6 fe80::250:56ff:fe9a:1/64 scope link \\       valid_lft forever\n"
        "garbage\n"
    )
    found, rejects = parse_ip_addr(text)
    assert [(a.ifname, a.address, a.prefix) for a in found] == [
        ("lo", "127.0.0.1", 8),
        ("eth0", "10.20.0.11", 24),
        ("eth0", "fe80::250:56ff:fe9a:1", 64),
    ]
    assert len(rejects) == 1 and rejects[0].line == 4


def test_cpu_flags():
    assert "constant_tsc" in parse_cpu_flags("processor\t: 0\nflags\t\t: fpu constant_tsc\n")


TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)
LINES = st.lists(
    st.sampled_from(
        [
            "CPU(s): 4",
            "Socket(s): x",
            "flags : a b",
            "running=5.14.0",
            "default=/boot/vmlinuz-",
            "/lib/modules/5.14/extra/dahdi.ko",
            "2: eth0    inet 10.0.0.1/24",
            "2: eth0    inet 999.0.0.1/24",
            "1",
            "",
            ":",
        ]
    ),
    max_size=12,
).map("\n".join)


@pytest.mark.parametrize(
    "parse", [parse_nproc, parse_lscpu, parse_cpu_flags, parse_ip_addr, parse_module_inventory]
)
@settings(max_examples=150, deadline=None)
@given(text=st.one_of(TEXT, LINES))
def test_any_input_gives_a_result_or_parse_error(parse, text):
    try:
        parse(text)
    except UnforeseenInput:  # a parser bug, not a deliberate refusal
        raise
    except ParseError:
        pass
