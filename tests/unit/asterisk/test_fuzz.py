"""Every parser raises nothing but ParseError, whatever the input (hypothesis).

Two kinds of input: random text built from the characters and words these outputs are made of, and
the realistic samples in ``data/`` mutated (slices deleted, text inserted, lines duplicated or
swapped, truncation). A deliberate refusal is a plain ParseError; an :class:`UnforeseenInput` (the
wrapper's conversion of an unexpected exception) fails the test, so a parser bug cannot hide.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mirtalib.asterisk import (
    chansip,
    cli,
    conf,
    grub,
    host,
    parking,
    pjsip,
    sockets,
    software,
    sorcery,
    states,
    sysctl,
    tls,
)
from mirtalib.asterisk._common import UnforeseenInput
from mirtalib.errors import ParseError

DATA = Path(__file__).parent / "data"


def _clocksource(text: object) -> object:
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    if not isinstance(text, str):
        return host.parse_clocksource(text, text)  # type: ignore[arg-type]
    current, _, available = text.partition("\n")
    return host.parse_clocksource(current, available)


PARSERS: dict[str, tuple[Callable[[str], object], list[str]]] = {
    "pjsip_show": (pjsip.parse_pjsip_show, ["pjsip_show_*.txt"]),
    "pjsip_transports": (pjsip.parse_pjsip_transports, ["pjsip_show_transports.txt"]),
    "pjsip_endpoint": (pjsip.parse_pjsip_endpoint, ["pjsip_show_endpoint_*.txt"]),
    "pjsip_aor": (pjsip.parse_pjsip_aor, ["pjsip_show_aor_*.txt"]),
    "sip_peers": (chansip.parse_sip_peers, ["sip_show_peers*.txt"]),
    "channels": (cli.parse_channels_concise, ["core_show_channels_concise.txt"]),
    "modules": (cli.parse_module_show, ["module_show_*.txt"]),
    "ss": (sockets.parse_ss, ["ss_*.txt"]),
    "netstat": (sockets.parse_netstat, ["netstat_*.txt"]),
    "s_client": (tls.parse_s_client, ["s_client_*.txt"]),
    "openssl_ciphers": (tls.parse_openssl_ciphers, ["openssl_ciphers_*.txt"]),
    "php": (software.parse_php_version, ["php_v_*.txt"]),
    "java": (software.parse_java_version, ["java_version_*.txt"]),
    "asterisk_version": (software.parse_asterisk_version, ["asterisk_version*.txt"]),
    "uname": (host.parse_kernel_release, ["uname_r*.txt"]),
    "grubby": (host.parse_grubby_info, ["grubby_info_*.txt"]),
    "grub_menuentries": (grub.parse_grub_menuentries, ["grub2_menuentries_*.txt"]),
    "grub_legacy": (grub.parse_grub_legacy, ["grub_conf_*.txt"]),
    "clocksource": (_clocksource, ["clocksource*.txt"]),
    "loadavg": (host.parse_loadavg, ["loadavg*.txt"]),
    "crypto_policy": (host.parse_crypto_policy, ["crypto_policy*.txt"]),
    "sysctl": (sysctl.parse_sysctl, ["sysctl_a_*.txt"]),
    "sysctl_value": (sysctl.parse_sysctl_value, ["sysctl_a_*.txt"]),
    "sysctl_conf": (sysctl.parse_sysctl_conf, ["sysctl_conf_*.txt"]),
    "conf": (conf.parse_conf, ["sysctl_conf_*.txt"]),
    "sorcery": (sorcery.parse_sorcery, ["sysctl_conf_*.txt"]),
    # real Asterisk 22 answers (data/real22, recorded by tests/integration/realpbx/cli_extra.py)
    "pjsip_show_real22": (
        pjsip.parse_pjsip_show,
        ["real22/pjsip-show-*.txt", "real22/pjsip-*.ami"],
    ),
    "pjsip_registrations": (pjsip.parse_pjsip_registrations, ["real22/pjsip-show-reg*.txt"]),
    "channels_real22": (cli.parse_channels_concise, ["real22/channels-concise-*"]),
    "modules_real22": (cli.parse_module_show, ["real22/module-show-*"]),
    "parking_real22": (parking.parse_parking_show, ["real22/parking-show-*"]),
    "queue_show": (states.parse_queue_show, ["real22/queue-show-*"]),
    "core_show_hints": (states.parse_core_show_hints, ["real22/core-show-hint-*"]),
    "channels_states": (states.parse_channels_concise, ["real22/channels-concise-*"]),
}


def _samples(patterns: list[str]) -> list[str]:
    files = sorted({p for pat in patterns for p in DATA.glob(pat)})
    return [f.read_bytes().decode("utf-8") for f in files]


WORDS = [
    "Endpoint:",
    "Aor:",
    "Contact:",
    "Transport:",
    "InAuth:",
    "Identify:",
    "Match:",
    "Channel:",
    "Exten:",
    "CLCID:",
    "Objects found: ",
    "ParameterName : ParameterValue",
    "=====",
    "<Aor..>",
    "Output: ",
    "has taken ",
    " calls (last was ",
    " (login was ",
    " secs ago)",
    "(paused:",
    " (dynamic)",
    "\x1b[1;32;40m",
    "\x1b[0m",
    "   Callers: \n      1. ",
    " (wait: 0:01, prio: 0)",
    "No such command '",
    "No queues.",
    "Usage: ",
    "Command 'x' failed.",
    "Unregistered",
    " (exp. ",
    "Auth:",
    "Parking Lot: ",
    "  Space               :  ",
    "Response: Follows\n",
    "Response: Success\n",
    "--END COMMAND--",
    "Message: ",
    "Name/username",
    "OK (",
    " ms)",
    "UNREACHABLE",
    "sip peers [Monitored: ",
    "!",
    "(None)",
    "Running",
    "modules loaded",
    "LISTEN",
    "TIME_WAIT",
    "TIME-WAIT",
    "tcp",
    "udp6",
    "unix",
    'users:(("',
    '",pid=',
    ",fd=",
    "0.0.0.0:",
    "[::]:",
    ":*",
    "*:*",
    "CONNECTED(00000003)",
    "New, ",
    "Cipher is ",
    "(NONE)",
    "Certificate chain",
    " 0 s:",
    "   i:",
    "Verify return code: ",
    "-----BEGIN CERTIFICATE-----\n",
    "-----END CERTIFICATE-----",
    ":error:",
    "PHP ",
    " (cli)",
    "with the ionCube PHP Loader",
    " v",
    "Zend Engine v",
    'version "',
    "1.8.0_",
    "Asterisk ",
    " built by ",
    " on a ",
    " running ",
    "certified/",
    "index=",
    "kernel=",
    'args="',
    "title=",
    "el9_3",
    ".x86_64",
    "-",
    ".",
    " = ",
    "=",
    "sysctl: ",
    ";",
    "#",
    "[",
    "](!)",
    "\t",
    " ",
    "\n",
    "\r\n",
    "0",
    "1",
    "5038",
    "65536",
    "99999",
    "-1",
    "nan",
    "inf",
    "of",
    "é",
    "\x00",
    "²",
    "٣",
]
TEXT = st.one_of(
    st.text(max_size=400),
    st.lists(st.sampled_from(WORDS), max_size=60).map("".join),
)


def _check(func: Callable[[str], object], text: object) -> None:
    try:
        func(text)  # type: ignore[arg-type]
    except UnforeseenInput as exc:  # a parser bug: show the original exception
        raise AssertionError(f"unforeseen input broke the parser: {exc.__cause__!r}") from exc
    except ParseError:
        pass


FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("name", sorted(PARSERS))
@FUZZ
@given(text=TEXT)
def test_random_text_raises_only_parse_error(name: str, text: str) -> None:
    func, _ = PARSERS[name]
    _check(func, text)
    _check(func, text.encode("utf-8", errors="surrogatepass"))


@st.composite
def _mutated(draw: st.DrawFn, base: str) -> str:
    text = base
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["delete", "insert", "dup", "swap", "truncate", "replace"]))
        n = len(text)
        i = draw(st.integers(0, n))
        if op == "delete":
            text = text[:i] + text[i + draw(st.integers(0, 40)) :]
        elif op == "insert":
            text = text[:i] + draw(TEXT) + text[i:]
        elif op == "truncate":
            text = text[:i]
        elif op == "replace" and n:
            j = min(i, n - 1)
            text = text[:j] + draw(st.sampled_from(WORDS)) + text[j + 1 :]
        else:
            lines = text.split("\n")
            a = draw(st.integers(0, len(lines) - 1))
            b = draw(st.integers(0, len(lines) - 1))
            if op == "dup":
                lines.insert(b, lines[a])
            else:
                lines[a], lines[b] = lines[b], lines[a]
            text = "\n".join(lines)
    return text


@pytest.mark.parametrize("name", sorted(PARSERS))
@FUZZ
@given(data=st.data())
def test_mutated_samples_raise_only_parse_error(name: str, data: st.DataObject) -> None:
    func, patterns = PARSERS[name]
    samples = _samples(patterns)
    assert samples, f"no sample for {name}"
    base = data.draw(st.sampled_from(samples))
    _check(func, data.draw(_mutated(base)))


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_samples_parse_and_non_text_is_refused(name: str) -> None:
    func, patterns = PARSERS[name]
    for text in _samples(patterns):
        _check(func, text)
    for bad in (None, 42, ["a"], object()):
        with pytest.raises(ParseError):
            func(bad)  # type: ignore[arg-type]
