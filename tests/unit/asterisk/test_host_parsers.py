"""Host command parsers on realistic outputs: sockets, kernel, boot entries, versions, sysctl."""

from __future__ import annotations

import pytest

from mirtalib.asterisk.host import (
    parse_clocksource,
    parse_crypto_policy,
    parse_grubby_info,
    parse_kernel_release,
    parse_loadavg,
)
from mirtalib.asterisk.sockets import parse_netstat, parse_ss, split_endpoint
from mirtalib.asterisk.software import (
    parse_asterisk_version,
    parse_java_version,
    parse_php_version,
)
from mirtalib.asterisk.sysctl import (
    normalize_key,
    parse_sysctl,
    parse_sysctl_conf,
    parse_sysctl_value,
    set_sysctl_conf,
)
from mirtalib.errors import ParameterError, ParseError


def test_ss_lntp_answers_who_listens_where(sample) -> None:
    t = parse_ss(sample("ss_lntp.txt"))
    assert t.rejects == [] and len(t.sockets) == 11
    [tls] = t.listening(5091, "tcp")
    assert (tls.local_address, tls.program, tls.processes[0].pid) == ("0.0.0.0", "asterisk", 2345)
    [ops] = t.listening(5067)
    assert ops.local_address == "192.168.10.21" and len(ops.processes) == 2
    assert t.listening(443)[0].local_address == "*"
    assert t.listening(53)[0].local_address == "127.0.0.53%lo"
    assert [s.local_address for s in t.listening(22)] == ["0.0.0.0", "::"]
    assert t.listening(5060) == []


def test_ss_old_layout_and_netid_layout(sample) -> None:
    old = parse_ss(sample("ss_lntp_centos7.txt"))
    assert [s.local_port for s in old.sockets] == [22, 25, 5038, 3306, 22]
    assert old.sockets[-1].local_address == "::"
    mixed = parse_ss(sample("ss_anp_netid.txt"))
    assert mixed.skipped == 2 and mixed.rejects == []
    assert [s.proto for s in mixed.listening(5060)] == ["udp"]
    assert mixed.count("TIME_WAIT", 5038) == 1 and mixed.count("ESTABLISHED") == 2


def test_netstat_nap(sample) -> None:
    t = parse_netstat(sample("netstat_nap.txt"))
    assert t.rejects == [] and t.skipped == 3 and len(t.sockets) == 15
    assert t.listening(5091)[0].program == "asterisk"
    assert [s.proto for s in t.listening(22)] == ["tcp6"]
    udp = t.listening(5060, "udp")[0]
    assert udp.state == "" and udp.processes[0].pid == 2345
    assert t.count("TIME_WAIT", 5038) == 3


def test_netstat_an_time_wait_per_port_is_exact(sample) -> None:
    text = sample("netstat_an.txt")
    t = parse_netstat(text)
    # the page's `grep TIME_WAIT | grep -c :5038` also counts :50380 and :50381; we do not
    grep_count = sum(1 for ln in text.splitlines() if "TIME_WAIT" in ln and ":5038" in ln)
    assert grep_count == 6 and t.count("TIME_WAIT", 5038) == 4
    df = t.state_counts("TIME_WAIT")
    assert list(df.columns) == ["port", "as_local", "as_peer", "total"]
    assert df.iloc[0].to_dict() == {"port": 5038, "as_local": 4, "as_peer": 0, "total": 4}
    assert set(df.port) >= {3306, 80, 50380, 51234}


def test_socket_address_forms() -> None:
    assert split_endpoint("[::ffff:10.0.0.5]:5061") == ("::ffff:10.0.0.5", 5061)
    assert split_endpoint(":::*") == ("::", None)
    assert split_endpoint("localhost:mysql") == ("localhost", None)
    for bad in ("nocolon", "1.2.3.4:99999", "1.2.3.4:5$"):
        with pytest.raises(ParseError):
            split_endpoint(bad)


@pytest.mark.parametrize(
    ("release", "version", "build", "number", "dist", "arch"),
    [
        ("5.14.0-362.18.1.el9_3.x86_64", (5, 14, 0), "362.18.1", 362, ("el9_3",), "x86_64"),
        ("3.10.0-1160.119.1.el7.x86_64", (3, 10, 0), "1160.119.1", 1160, ("el7",), "x86_64"),
        ("2.6.32-754.35.1.el6.x86_64", (2, 6, 32), "754.35.1", 754, ("el6",), "x86_64"),
        ("4.4.248-1.el7.elrepo.x86_64", (4, 4, 248), "1", 1, ("el7", "elrepo"), "x86_64"),
        ("6.1.0-18-amd64", (6, 1, 0), "18", 18, (), "amd64"),
        ("5.15.0-91-generic", (5, 15, 0), "91-generic", 91, (), ""),
        ("3.4.53-8.el6.centos.alt.x86_64", (3, 4, 53), "8", 8, ("el6", "centos", "alt"), "x86_64"),
    ],
)
def test_kernel_release(release, version, build, number, dist, arch) -> None:
    k = parse_kernel_release(release + "\n")
    assert (k.version, k.build, k.build_number, k.dist, k.arch) == (
        version,
        build,
        number,
        dist,
        arch,
    )


def test_kernel_release_refuses_non_releases() -> None:
    for bad in ("", "Linux", "5.14.0-362\n4.18.0-1\n", "5"):
        with pytest.raises(ParseError):
            parse_kernel_release(bad)


def test_grubby_el9_and_el7(sample) -> None:
    el9 = parse_grubby_info(sample("grubby_info_all_el9.txt"))
    assert [e.index for e in el9] == [0, 1, 2]
    assert el9[1].kernel == "/boot/vmlinuz-5.14.0-362.18.1.el9_3.x86_64"
    assert el9[1].arg("clocksource") == "acpi_pm" and el9[0].arg("clocksource") is None
    assert el9[0].arg("ro") == "" and el9[0].title.startswith("CentOS Stream (5.14.0-427")
    el7 = parse_grubby_info(sample("grubby_info_el7.txt"))
    assert [e.kernel for e in el7][:2] == [
        "/boot/vmlinuz-4.4.248-1.el7.elrepo.x86_64",
        "/boot/vmlinuz-3.10.0-1160.el7.x86_64",
    ]
    assert el7[2].kernel == "" and el7[2].fields["note"] == "non linux entry"
    assert el7[0].arg("LANG") == "en_US.UTF-8"
    with pytest.raises(ParseError):
        parse_grubby_info("grubby: error reading /boot/grub2/grubenv\n")


def test_clocksource_loadavg_crypto_policy() -> None:
    cs = parse_clocksource("tsc\n", "tsc hpet acpi_pm \n")
    assert cs.current == "tsc" and cs.available == ("tsc", "hpet", "acpi_pm")
    assert cs.current_is_available
    assert not parse_clocksource("kvm-clock\n", "tsc\n").current_is_available
    with pytest.raises(ParseError):
        parse_clocksource("tsc hpet\n", "tsc\n")
    la = parse_loadavg("0.52 0.58 3.59 1/1234 56789\n")
    assert (la.load15, la.running, la.tasks, la.last_pid) == (3.59, 1, 1234, 56789)
    assert la.per_core(2)[2] == pytest.approx(1.795)
    with pytest.raises(ParseError):
        parse_loadavg("0.52 0.58\n")
    pol = parse_crypto_policy("DEFAULT:SHA1\n")
    assert (pol.policy, pol.subpolicies, pol.name) == ("DEFAULT", ("SHA1",), "DEFAULT:SHA1")
    assert parse_crypto_policy("LEGACY").policy == "LEGACY"
    with pytest.raises(ParseError):
        parse_crypto_policy("bash: update-crypto-policies: command not found\n")


def test_php_versions(sample) -> None:
    old = parse_php_version(sample("php_v_55_ioncube.txt"))
    assert (old.version, old.sapi, old.ioncube, old.ioncube_major) == ("5.5.38", "cli", "5.0.20", 5)
    assert old.zend_engine == "2.5.0" and old.loader_file == "ioncube_loader_lin_5.5.so"
    new = parse_php_version(sample("php_v_74_ioncube_opcache.txt"))
    assert (new.version_tuple, new.thread_safety, new.ioncube_major) == ((7, 4, 33), "NTS", 13)
    assert [e.name for e in new.extensions] == ["ionCube PHP Loader", "Zend OPcache"]
    p8 = parse_php_version(sample("php_v_82.txt"))
    assert p8.ioncube is None and p8.ioncube_major is None and p8.thread_safety == "NTS"
    assert p8.built == "Jun  4 2024 13:22:51"
    with pytest.raises(ParseError):
        parse_php_version("bash: php: command not found\n")


def test_java_versions(sample) -> None:
    j8 = parse_java_version(sample("java_version_8.txt"))
    assert (j8.vendor, j8.version, j8.major, j8.release_date) == ("java", "1.8.0_381", 8, "")
    assert j8.is_64bit and j8.runtime.startswith("Java(TM) SE")
    j11 = parse_java_version(sample("java_version_11_rhel.txt"))
    assert (j11.major, j11.release_date) == (11, "2023-07-18")


@pytest.mark.parametrize(
    ("text", "version", "major", "certified"),
    [
        ("Asterisk 20.12.0\n", (20, 12, 0), 20, False),
        ("Asterisk 13.38.3\n", (13, 38, 3), 13, False),
        ("Asterisk certified/18.9-cert5\n", (18, 9), 18, True),
        ("Asterisk 1.8.32.3\n", (1, 8, 32, 3), 1, False),
        ("Asterisk GIT-master-7a8e0b5\n", (), None, False),
    ],
)
def test_asterisk_version(text, version, major, certified) -> None:
    v = parse_asterisk_version(text)
    assert (v.version_tuple, v.major, v.certified) == (version, major, certified)


def test_core_show_version_with_build_details_and_ami() -> None:
    text = (
        "Asterisk 20.12.0 built by root @ srv01.example.com on a x86_64 running Linux "
        "on 2025-03-01 10:11:12 UTC\n"
    )
    v = parse_asterisk_version(
        f"Response: Success\r\nMessage: Command output follows\r\nOutput: {text}\r\n"
    )
    assert (v.version, v.built_by, v.host, v.arch, v.os) == (
        "20.12.0",
        "root",
        "srv01.example.com",
        "x86_64",
        "Linux",
    )
    assert v.build_date == "2025-03-01 10:11:12 UTC"
    with pytest.raises(ParseError):
        parse_asterisk_version(
            "Unable to connect to remote asterisk (does /var/run/asterisk/asterisk.ctl exist?)\n"
        )


def test_sysctl_output(sample) -> None:
    v = parse_sysctl(sample("sysctl_a_excerpt.txt"))
    assert v.rejects == [] and len(v.errors) == 2
    assert v.get_ints("net.ipv4.ip_local_port_range") == (32768, 60999)
    assert v.get_int("net/ipv4/tcp_fin_timeout") == 60
    assert v.get("kernel.domainname") == "(none)"
    assert v.get("dev.cdrom.info").count("\n") == 2
    assert v.get("net.ipv4.conf.eth0/100.rp_filter") == "1"
    with pytest.raises(ParseError):
        v.get_int("net.ipv4.ip_local_port_range")
    with pytest.raises(ParseError):
        v.get_int("net.ipv4.nonexistent")
    assert parse_sysctl("net.ipv4.tcp_tw_reuse = 1\n").get_int("net.ipv4.tcp_tw_reuse") == 1
    assert parse_sysctl_value("32768\t60999\n") == "32768\t60999"
    with pytest.raises(ParseError):
        parse_sysctl_value(
            "sysctl: cannot stat /proc/sys/net/ipv4/nope: No such file or directory\n"
        )
    with pytest.raises(ParseError):
        parse_sysctl("")


def test_sysctl_key_normalization() -> None:
    assert normalize_key("net/ipv4/tcp_fin_timeout") == "net.ipv4.tcp_fin_timeout"
    assert normalize_key("net/ipv4/conf/eth0.100/rp_filter") == "net.ipv4.conf.eth0/100.rp_filter"
    assert normalize_key("net.ipv4.conf.eth0/100.rp_filter") == "net.ipv4.conf.eth0/100.rp_filter"


def test_sysctl_conf_read_and_page_16_edit(sample) -> None:
    text = sample("sysctl_conf_centos7.txt")
    conf = parse_sysctl_conf(text)
    assert conf.rejects == []
    assert conf.effective() == {
        "vm.swappiness": "10",
        "net.ipv4.tcp_fin_timeout": "30",
        "net.ipv4.conf.all.rp_filter": "2",
        "net.ipv4.tcp_keepalive_time": "600",
    }
    assert [e.ignore_errors for e in conf.entries] == [False, False, True, False]
    new = set_sysctl_conf(text, {"net.ipv4.tcp_fin_timeout": 1, "net.ipv4.tcp_tw_reuse": "1"})
    assert new == text.replace("tcp_fin_timeout=30", "tcp_fin_timeout=1") + (
        "net.ipv4.tcp_tw_reuse = 1\n"
    )
    assert set_sysctl_conf(new, {"net.ipv4.tcp_fin_timeout": 1, "net.ipv4.tcp_tw_reuse": 1}) == new
    assert set_sysctl_conf("a.b = 1", {"c.d": 2}) == "a.b = 1\nc.d = 2\n"
    assert set_sysctl_conf("", {"c.d": 2}) == "c.d = 2\n"
    for bad in ({"bad key": 1}, {"a.b": "x\ny"}, {"a.b": True}, {"a.b": ""}):
        with pytest.raises(ParameterError):
            set_sysctl_conf(text, bad)
    broken = parse_sysctl_conf("just words\nx.y=1\n")
    assert broken.rejects[0].line == 1 and broken.effective() == {"x.y": "1"}
