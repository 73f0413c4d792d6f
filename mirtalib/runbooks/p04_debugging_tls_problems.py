"""Seed page 04, *Debugging TLS problems*: what the TLS peer accepts, and what CentOS 9 offers.

On CentOS/RHEL 9 the system-wide crypto policy (``update-crypto-policies``) decides what every
OpenSSL client and server on the node may use, Asterisk included. Peers that still use SHA-1
certificate signatures, small keys or TLS 1.0/1.1 stop working after an upgrade from CentOS 7.
The page lists the tools (``openssl ciphers -v``, ``openssl s_client -cipher ALL``, ``nmap
--script ssl-enum-ciphers``, testssl.sh, a tshark capture) and the fix it used: ``update-crypto-
policies --set LEGACY`` and, in the pjsip TLS transport, ``method=tlsv1_2`` and
``cipher=DEFAULT,@SECLEVEL=1``.

What this runbook does:

* shows the node's policy and the suites its OpenSSL offers (``openssl ciphers -v``);
* enumerates the protocols and suites the peer accepts and reads its certificate chain (names,
  expiry, signature hash, key size), from the operator's machine (:func:`mirtalib.net.tls.scan`);
* compares them with what a CentOS 9 client offers under DEFAULT and under LEGACY
  (:mod:`mirtalib.net.tlspolicy`) and recommends the policy and the ``method=``/``cipher=`` lines;
* repeats the page's ``openssl s_client`` from the node itself (its own policy applies);
* writes ``method=``/``cipher=`` into the TLS transport (backup, diff first), switches the crypto
  policy only when asked (``crypto_policy``; LEGACY weakens every service of the node, so the
  default keeps the current one), and leaves the Asterisk restart to the operator: TLS transports
  are not reloaded in place and a restart drops calls.

The tshark/Wireshark capture of the client's ClientHello stays a manual step (see the notebook).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from mirtalib.asterisk.conf import parse_conf
from mirtalib.asterisk.host import parse_crypto_policy
from mirtalib.asterisk.tls import parse_openssl_ciphers, parse_s_client
from mirtalib.errors import ParameterError, ParseError, TargetError
from mirtalib.net import here_or_recorded
from mirtalib.net.tls import TlsScan, scan, scan_from_json, scan_text
from mirtalib.net.tlspolicy import POLICIES, advise, chain_text, fit
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
    conf_edit,
    equals,
)
from mirtalib.validate import cmd

METHODS = ("tlsv1_2", "tlsv1_3", "sslv23", "tlsv1", "tlsv1_1")


def _cipher(value: str) -> str:
    if any(c in value for c in " ;'\"\n\t") and value:
        raise ParameterError(
            f"cipher={value!r}: give a comma-separated OpenSSL list without spaces or ';' "
            "(e.g. ECDHE-RSA-AES256-GCM-SHA384,ECDHE-RSA-AES128-GCM-SHA256 or DEFAULT,@SECLEVEL=1)"
        )
    return value


PARAMS = (
    Param(
        "tls_host",
        "sip.voip-carrier.example",
        "TLS peer to examine: the carrier SBC, or this PBX's own name",
        kind="host",
    ),
    Param("tls_port", 5061, "its TLS port (SIP over TLS: 5061)", kind="port"),
    Param(
        "ca_file",
        "",
        "CA bundle on this machine to verify the peer with; empty: the system store",
        kind="path",
        optional=True,
    ),
    Param(
        "pjsip_conf",
        "/etc/asterisk/pjsip_transports.conf",
        "file holding the TLS transport section",
        kind="path",
    ),
    Param(
        "transport",
        "transport-tls",
        "pjsip transport section to edit",
        kind="asterisk_name",
    ),
    Param(
        "method",
        "tlsv1_2",
        ("method of the transport: tlsv1_2 (page), tlsv1_3, sslv23 (any) ..."),
        choices=METHODS,
    ),
    Param(
        "cipher", "", "cipher list of the transport; empty keeps the current line", check=_cipher
    ),
    Param(
        "crypto_policy",
        "keep",
        "system crypto policy to set: keep, DEFAULT or LEGACY (LEGACY weakens every service)",
        choices=("keep", "DEFAULT", "LEGACY"),
    ),
    Param(
        "expiry_warn_days",
        30,
        "warn when a certificate of the peer expires within this many days",
        between=(1, 365),
    ),
)


def _scan_probe(v: dict[str, Any]):
    name = v["tls_host"] if not v["tls_host"][0].isdigit() and ":" not in v["tls_host"] else ""
    cache: dict[str, str] = {}

    def live() -> str:
        if "scan" not in cache:
            try:
                cache["scan"] = scan(
                    v["tls_host"], v["tls_port"], server_name=name, ca_file=v["ca_file"]
                ).to_json()
            except TargetError as exc:  # nothing listens: a failed check, not a broken target
                none = dict.fromkeys(("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"), False)
                empty = TlsScan(v["tls_host"], v["tls_port"], name, none, (), (), "", (str(exc),))
                cache["scan"] = empty.to_json()
        return cache["scan"]

    return here_or_recorded(f"tls-scan {v['tls_host']}:{v['tls_port']}", live)


def peer_scan(rb) -> TlsScan:
    """The scan of the peer for an open runbook (from its first target's recording on a replay)."""
    return scan_from_json(_scan_probe(rb.values)(rb.targets[0]))


def _scan_expect(s: TlsScan) -> tuple[Verdict, str]:
    if not any(s.protocols.values()):
        why = f" ({'; '.join(s.notes)})" if s.notes else ""
        return Verdict.FAIL, f"no TLS handshake succeeded with any protocol version{why}"
    old = [p for p in ("TLSv1", "TLSv1.1") if s.protocols.get(p)]
    text = "; ".join(ln for ln in scan_text(s).splitlines())
    if old:
        return Verdict.WARN, f"the peer still accepts {', '.join(old)}: {text}"
    return Verdict.PASS, text


def _with_clock(probe):
    """The scan text plus the target's clock (a replay's recorded time keeps outputs stable)."""

    def with_clock(target) -> str:
        return json.dumps({"now": target.now().isoformat(), "scan": probe(target)})

    return with_clock


def _scan_and_clock(text: str) -> tuple[TlsScan, datetime]:
    try:
        data = json.loads(text)
        return scan_from_json(data["scan"]), datetime.fromisoformat(data["now"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ParseError(f"certificate check input not understood: {exc}") from None


def _chain_expect(warn_days: int):
    def expect(value: tuple[TlsScan, datetime]) -> tuple[Verdict, str]:
        s, now = value
        text = chain_text(s, now)
        if not s.chain:
            return Verdict.FAIL, "the peer sent no certificate"
        left = min(c.days_left(now) for c in s.chain)
        if left < 0:
            return Verdict.FAIL, f"a certificate has expired: {text}"
        if left <= warn_days or s.verify != "ok":
            why = [f"expires in {left} days"] if left <= warn_days else []
            why += [f"verification: {s.verify}"] if s.verify != "ok" else []
            return Verdict.WARN, f"{'; '.join(why)}. {text}"
        return Verdict.PASS, f"verification ok. {text}"

    return expect


def _policy_expect(s: TlsScan) -> tuple[Verdict, str]:
    fits = [fit(s, POLICIES[n]) for n in ("DEFAULT", "LEGACY")]
    advice = advise(s)
    parts = [
        f"{f.policy}: {'works' if f.works else 'fails'} ({len(f.suites)} common suite(s)"
        + (f"; {'; '.join(f.blockers)}" if f.blockers else "")
        + ")"
        for f in fits
    ]
    lines = advice.lines().strip().replace("\n", " ")
    text = f"{'. '.join(parts)}. Advice: {advice.policy or 'none'} {lines}".strip()
    if not advice.policy:
        return Verdict.FAIL, f"{text}. {' '.join(advice.reasons)}"
    return (Verdict.PASS if advice.policy == "DEFAULT" else Verdict.WARN), text


def _policy_or_none(text: str):
    """``update-crypto-policies --show``; None when the program is missing (CentOS 7)."""
    return parse_crypto_policy(text) if text.strip() else None


def _policy_info(p) -> tuple[Verdict, str]:
    if p is None:
        return Verdict.WARN, (
            "no update-crypto-policies here (CentOS 7 or not RHEL-like): no system-wide policy, "
            "OpenSSL's own defaults apply"
        )
    if p.policy == "LEGACY":
        return Verdict.WARN, f"policy {p.name}: weaker settings for every service on the node"
    return Verdict.PASS, f"policy {p.name}"


def _ciphers_expect(ciphers) -> tuple[Verdict, str]:
    per: dict[str, int] = {}
    for c in ciphers:
        per[c.protocol] = per.get(c.protocol, 0) + 1
    by = ", ".join(f"{p} {n}" for p, n in sorted(per.items()))
    return (
        Verdict.PASS,
        f"this node's OpenSSL offers {len(ciphers)} suites (by minimum protocol: {by})",
    )


def _handshake_expect(session) -> tuple[Verdict, str]:
    if not session.handshake_ok:
        why = "; ".join(session.errors) or "no cipher negotiated"
        return Verdict.FAIL, f"no handshake from the node: {why}"
    text = f"{session.protocol} {session.cipher}"
    if not session.verified:
        return Verdict.WARN, f"{text}, but verification says: {session.verify_message or '?'}"
    return Verdict.PASS, f"{text}, certificate verified"


def _transport_values(transport: str):
    def parse(text: str) -> dict[str, str]:
        doc = parse_conf(text)
        found = doc.find(transport)
        if len(found) != 1:
            return {"section": f"{len(found)} [{transport}] sections"}
        sec = found[0]
        return {"method": sec.get("method") or "", "cipher": sec.get("cipher") or ""}

    return parse


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 04 for validated values ``v``."""
    probe = _scan_probe(v)
    peer = f"{v['tls_host']}:{v['tls_port']}"
    wanted = {"method": v["method"]} | ({"cipher": v["cipher"]} if v["cipher"] else {})
    sni = ["-servername", v["tls_host"]] if not v["tls_host"][0].isdigit() else []
    s_client = cmd("openssl", "s_client", "-connect", peer, *sni) + " </dev/null"
    policy_now = cmd("update-crypto-policies", "--show")

    def edit(doc) -> None:
        section = doc.section(v["transport"])
        for key, value in wanted.items():
            section.set(key, value)

    steps: list[Step] = [
        Check(
            id="node-policy",
            title="Crypto policy of the node",
            phase=Phase.BEFORE,
            command=policy_now,
            parse=_policy_or_none,
            expect=_policy_info,
            ok_codes=(0, 127),
        ),
        Check(
            id="node-ciphers",
            title="Suites the node's OpenSSL offers (openssl ciphers -v)",
            phase=Phase.BEFORE,
            command=cmd("openssl", "ciphers", "-v"),
            parse=parse_openssl_ciphers,
            expect=_ciphers_expect,
        ),
        Check(
            id="peer-protocols",
            title=f"Protocols and suites {peer} accepts",
            phase=Phase.BEFORE,
            probe=probe,
            parse=scan_from_json,
            expect=_scan_expect,
        ),
        Check(
            id="peer-chain",
            title=f"Certificate chain of {peer}",
            phase=Phase.BEFORE,
            probe=_with_clock(probe),
            parse=_scan_and_clock,
            expect=_chain_expect(v["expiry_warn_days"]),
        ),
        Check(
            id="policy-fit",
            title="CentOS 9 client under DEFAULT vs LEGACY, and the advice",
            phase=Phase.BEFORE,
            probe=probe,
            parse=scan_from_json,
            expect=_policy_expect,
        ),
        Check(
            id="node-handshake",
            title=f"Handshake from the node (openssl s_client {peer})",
            phase=Phase.BEFORE,
            command=s_client,
            parse=parse_s_client,
            expect=_handshake_expect,
        ),
        Manual(
            id="client-hello",
            title="If a phone fails, capture what it offers",
            phase=Phase.BEFORE,
            where="the node (tshark) and Wireshark",
            detail="tshark -i eth0 -w /root/tls.pcap -s 1500 -f 'host PHONE_IP and port "
            f"{v['tls_port']}', then open it in Wireshark with the filter "
            "tls.handshake.type == 1: the ClientHello lists the phone's versions and suites. "
            "Keep the capture out of the web root (the page writes it to /var/www/html).",
        ),
        conf_edit(
            "transport-tls",
            f"Set {', '.join(wanted)} in [{v['transport']}]",
            v["pjsip_conf"],
            edit,
            summary=", ".join(f"{k}={x}" for k, x in wanted.items()),
        ),
    ]
    if v["crypto_policy"] != "keep":
        steps.append(
            Command(
                id="crypto-policy",
                title=f"Set the crypto policy to {v['crypto_policy']}",
                command=cmd("update-crypto-policies", "--set", v["crypto_policy"]),
                risk=Risk.CHANGING,
                unless=Check(
                    id="policy-is",
                    title="policy already set",
                    command=policy_now,
                    parse=lambda t: parse_crypto_policy(t).name,
                    expect=equals(v["crypto_policy"], "crypto policy"),
                ),
                undo=cmd("update-crypto-policies", "--set", "DEFAULT"),
            )
        )
    steps += [
        Manual(
            id="restart-asterisk",
            title="Restart Asterisk in a maintenance window",
            where="the node's Asterisk console",
            detail="TLS transports are not reloaded in place and the crypto policy is read at "
            "process start: run `core restart when convenient` (waits for calls to end).",
        ),
        Check(
            id="transport-values",
            title=f"[{v['transport']}] carries the wanted values",
            probe=lambda target: target.read_text(v["pjsip_conf"]) or "",
            parse=_transport_values(v["transport"]),
            expect=lambda found: (
                (Verdict.PASS, f"{found}")
                if all(found.get(k) == x for k, x in wanted.items())
                else (Verdict.FAIL, f"found {found}, wanted {wanted}")
            ),
        ),
        Check(
            id="node-handshake-after",
            title=f"Handshake from the node to {peer}",
            command=s_client,
            parse=parse_s_client,
            expect=_handshake_expect,
        ),
    ]
    return steps


RUNBOOK = RunbookDef(
    page=4,
    slug="debugging-tls-problems",
    title="Debugging TLS problems",
    scope="node",
    roles=("pbx",),
    params=PARAMS,
    build=build,
    summary="TLS peer enumeration, certificate chain, CentOS 9 DEFAULT vs LEGACY, pjsip lines",
    verification=Verification(
        mirta_page="Trunks / extensions page of the TLS peer: registered, and a test call both "
        "ways connects with audio.",
        asterisk_log="In /var/log/asterisk/full no new 'SSL' / 'TLS' handshake errors "
        "(e.g. 'certificate verify failed', 'no shared cipher') for the peer.",
        status_menu="Status menu: the TLS trunk or phones shown registered.",
    ),
)
