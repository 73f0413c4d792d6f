"""mirtalib.validate: validators name the parameter and value; commands are always quoted."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import PurePosixPath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mirtalib import validate as v
from mirtalib.errors import ParameterError


def _refused(func, value, *args, **kwargs) -> str:
    with pytest.raises(ParameterError) as info:
        func(value, *args, **kwargs)
    return str(info.value)


def test_messages_name_the_parameter_and_value() -> None:
    msg = _refused(v.port, 70000, "ami_port")
    assert "ami_port" in msg and "70000" in msg
    msg = _refused(v.extension, "100-devel", "extension")
    assert "extension" in msg and "100-devel" in msg


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("PBX.Example.com.", "pbx.example.com"),
        ("srv01", "srv01"),
        ("a-b.c-d.example", "a-b.c-d.example"),
    ],
)
def test_hostname_ok(value, expected) -> None:
    assert v.hostname(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        " pbx",
        "-pbx.example.com",
        "pbx-.example.com",
        "pbx..example.com",
        "pbx_1.example.com",
        "a" * 64 + ".com",
        "1.2.3.4",
        "pbx.example.com;reboot",
        "pbx\nexample",
        5,
        None,
    ],
)
def test_hostname_refused(value) -> None:
    _refused(v.hostname, value, "sbc_host")


def test_ip_network_host_hostport() -> None:
    assert v.ip_address("2001:0db8::0001") == "2001:db8::1"
    assert v.ip_address("10.0.0.6", version=4) == "10.0.0.6"
    _refused(v.ip_address, "::1", "node_ip", version=4)
    _refused(v.ip_address, "10.0.0.256", "node_ip")
    assert v.ip_network("52.114.148.0/32") == "52.114.148.0/32"
    _refused(v.ip_network, "52.114.148.1/24", "match")
    assert v.host("10.0.0.6") == "10.0.0.6" and v.host("SBC.example.com") == "sbc.example.com"
    assert v.host_port("0.0.0.0:5091") == ("0.0.0.0", 5091)
    assert v.host_port("[::]:5061") == ("::", 5061)
    assert v.host_port("pbx.example.com:5038") == ("pbx.example.com", 5038)
    for bad in ("0.0.0.0", ":5091", "[pbx]:1", "1.2.3.4:0", "::1:5060"):
        _refused(v.host_port, bad, "bind")


def test_port() -> None:
    assert v.port(5038) == 5038 and v.port("5061") == 5061
    for bad in (0, 65536, -1, True, "50 38", "5e3", 5038.0, "٥٠٣٨"):
        _refused(v.port, bad, "port")


def test_extension_and_tenant() -> None:
    assert v.extension("100-DEVEL") == "100-DEVEL"
    assert v.extension("*97#-ACME_2") == "*97#-ACME_2"
    for bad in ("100", "100-", "-DEVEL", "100-devel", "10a-DEVEL", "100-DEV EL", "100-DEVEL\n"):
        _refused(v.extension, bad, "extension")
    assert v.tenant("DEVEL") == "DEVEL"
    for bad in ("devel", "DEV-EL", "", "A" * 33):
        _refused(v.tenant, bad, "tenant")
    assert v.asterisk_name("msteams_trunk_from_teams") == "msteams_trunk_from_teams"
    for bad in ("[pjsip]", "a b", "a;b", "-x"):
        _refused(v.asterisk_name, bad, "endpoint")


def test_paths() -> None:
    assert v.path("/etc/asterisk//pjsip.conf") == "/etc/asterisk/pjsip.conf"
    assert v.path("/etc/asterisk/../opensips/opensips.cfg") == "/etc/opensips/opensips.cfg"
    assert v.path(PurePosixPath("/var/spool/asterisk")) == "/var/spool/asterisk"
    assert v.path("//etc/x") == "/etc/x"
    _refused(v.path, "etc/asterisk", "conf_path")
    assert "NUL" in _refused(v.path, "/etc/asterisk/\x00x", "conf_path")
    base = "/var/spool/asterisk/monitor"
    assert v.path("DEVEL/2026/rec.wav", base=base) == f"{base}/DEVEL/2026/rec.wav"
    assert v.path(f"{base}/a/../b.wav", base=base) == f"{base}/b.wav"
    assert v.path(".", base=base) == base
    for escape in ("../secret", "a/../../x", "/etc/passwd", f"{base}-other/x"):
        assert "escapes" in _refused(v.path, escape, "recording", base=base)


def test_url_email_env_var() -> None:
    assert v.url("https://pbx.example.com:8089/ws") == "https://pbx.example.com:8089/ws"
    assert v.url("ftps://10.0.0.9/rec", schemes=["ftps"]) == "ftps://10.0.0.9/rec"
    for bad in (
        "ftp://x.example.com",
        "https://",
        "https://bad host/",
        "https://x:99999/",
        "javascript:alert(1)",
        "https://-x.example.com/",
    ):
        _refused(v.url, bad, "webhook")
    msg = _refused(v.url, "https://admin:S3cretPass@pbx.example.com/", "webhook")
    assert "S3cretPass" not in msg and "webhook" in msg
    assert v.email("Ops.Team+pbx@Example.COM") == "Ops.Team+pbx@example.com"
    for bad in (
        "ops",
        "ops@",
        "@example.com",
        "ops@localhost",
        "a b@example.com",
        "Ops <ops@example.com>",
        "ops@example..com",
        "ops..x@example.com",
    ):
        _refused(v.email, bad, "notify_email")
    assert v.env_var("MIRTA_SMTP_PASSWORD") == "MIRTA_SMTP_PASSWORD"
    msg = _refused(v.env_var, "hunter2!pass", "smtp_password_env")
    assert "hunter2" not in msg and "smtp_password_env" in msg


def test_checker_binds_the_parameter_name() -> None:
    check = v.checker(v.port, "ami_port")
    assert check("5038") == 5038
    with pytest.raises(ParameterError, match="ami_port"):
        check(0)
    check_ip = v.checker(v.ip_address, "node_ip", version=4)
    with pytest.raises(ParameterError, match="IPv4"):
        check_ip("::1")


def test_commands_are_quoted_and_pipes_take_only_commands() -> None:
    name = "msteams_trunk_from_teams"
    c = v.cmd("asterisk", "-rx", f"pjsip show endpoint {name}")
    assert c == "asterisk -rx 'pjsip show endpoint msteams_trunk_from_teams'"
    assert isinstance(c, v.Command)
    assert v.shell_join(["ss", "-lntp"]) == "ss -lntp"
    assert v.cmd("grep", "-c", ":5038") == "grep -c :5038"
    p = v.pipe(v.cmd("netstat", "-an"), v.cmd("grep", "TIME_WAIT"), v.cmd("grep", "-c", ":5038"))
    assert p == "netstat -an | grep TIME_WAIT | grep -c :5038"
    with pytest.raises(ParameterError, match="cmd"):
        v.pipe(v.cmd("ls"), "rm -rf /")  # type: ignore[arg-type]
    assert v.cmd("echo", 5038, PurePosixPath("/tmp/a b")) == "echo 5038 '/tmp/a b'"
    for bad in ([], [""], ["echo", None], ["echo", True], ["echo", "a\x00b"], ["echo", b"x"]):
        with pytest.raises(ParameterError):
            v.shell_join(bad)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",))),
        min_size=1,
        max_size=6,
    ).filter(lambda a: a[0] != "")
)
def test_shell_join_round_trips_through_a_real_shell(argv: list[str]) -> None:
    line = v.shell_join(argv)
    assert shlex.split(line) == argv
    out = subprocess.run(
        ["sh", "-c", 'for a in "$@"; do printf "%s\\0" "$a"; done', "sh", *argv[1:]],
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8", "surrogateescape")
    quoted = v.cmd("printf", "%s\\0", *argv[1:]) if len(argv) > 1 else None
    if quoted is not None:
        real = subprocess.run(["sh", "-c", quoted], capture_output=True, check=True).stdout
        assert real.decode("utf-8", "surrogateescape") == out


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=60), st.integers(), st.none(), st.binary(max_size=10)))
def test_validators_raise_only_parameter_error(value) -> None:
    for func in (
        v.hostname,
        v.ip_address,
        v.ip_network,
        v.host,
        v.port,
        v.host_port,
        v.extension,
        v.tenant,
        v.asterisk_name,
        v.path,
        v.url,
        v.email,
        v.env_var,
    ):
        try:
            func(value, "p")
        except ParameterError:
            pass
    try:
        v.path(value, "p", base="/var/spool/asterisk")
    except ParameterError:
        pass
