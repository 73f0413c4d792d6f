"""Seed page 03, *Integrating with Microsoft Teams*: Direct Routing through OpenSIPS and PJSIP/TLS.

Teams reaches the node's OpenSIPS (TLS, port 5067), which proxies to a dedicated Asterisk PJSIP TLS
transport (port 5091) with its own endpoint, AOR and identify sections; sorcery.conf must let these
static sections load next to MiRTA's realtime objects. The Microsoft side (domain, SBC, PSTN usage,
voice route, routing policy, user number) and MiRTA's settings are manual steps.

What this runbook does:

* lists the Microsoft-side and MiRTA-side steps as a checklist;
* checks the certificate file *on the node*: every Teams-facing name is in its subjectAltName
  (wildcards match one label), expiry against thresholds, the chain carries an intermediate, the
  private key is not readable by others;
* copies MiRTA's prepared ``opensips.cfg`` when missing, replaces its four placeholders (private
  IP, public IP, Asterisk IP, FQDN) from parameters, validates with ``opensips -C`` before the
  file goes live, and restarts OpenSIPS only when the file changed;
* writes the Teams transport / endpoint / AOR / identify sections into pjsip.conf (other lines
  byte-identical) and the realtime+config lines of sorcery.conf
  (:func:`mirtalib.asterisk.sorcery.ensure_static`), then ``pjsip reload``;
* verifies the listeners on 5067/5091 and ``pjsip show transports|endpoint|aor``.

Operator notes: the page's transport uses ``method=sslv23`` (any protocol the library allows);
Teams requires TLS 1.2, so ``tlsv1_2`` is the default. A *new* transport is created by
``pjsip reload``, but a changed one is not (that needs an Asterisk restart), and changes to
sorcery.conf only apply at restart: both are listed for a maintenance window, never done here.
The page's acme.sh line writes the *leaf* certificate to ``ca.crt`` (``--cert-file``) which PJSIP
then uses as ``ca_list_file``; ``--ca-file`` is what gives the issuing CA.
"""

from __future__ import annotations

import json
from typing import Any

from mirtalib.asterisk.pjsip import parse_pjsip_aor, parse_pjsip_endpoint, parse_pjsip_transports
from mirtalib.errors import ParameterError
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
    failure_lines,
    text_edit,
)
from mirtalib.runbooks.common_checks import file_mode_check, listener_check
from mirtalib.runbooks.teams_parts import (
    MICROSOFT_STEPS,
    MIRTA_STEPS,
    cert_expect,
    certificate_facts,
    edit_pjsip,
    edit_sorcery,
    ensure_include,
    pjsip_sections,
)
from mirtalib.validate import cmd, hostname

PLACEHOLDER_ROLES = ("private IP", "public IP", "Asterisk IP", "FQDN")


def _names(value: str) -> str:
    names = [n.strip() for n in value.split(",") if n.strip()]
    if not names:
        raise ParameterError("certificate_names is empty: list every Teams-facing DNS name")
    for n in names:
        hostname(n.removeprefix("*."), "certificate_names")
    return ",".join(n.lower() for n in names)


def _placeholders(value: str) -> str:
    tokens = [t.strip() for t in value.split(",")]
    if len(tokens) != 4 or len(set(tokens)) != 4 or not all(tokens):
        raise ParameterError(
            f"placeholders={value!r}: give the 4 distinct tokens of opensips.cfg, comma-separated, "
            f"in this order: {', '.join(PLACEHOLDER_ROLES)}"
        )
    if any(any(c.isspace() for c in t) or len(t) < 3 for t in tokens):
        raise ParameterError("placeholders: a token has spaces or is shorter than 3 characters")
    return ",".join(tokens)


PARAMS = (
    Param(
        "teams_fqdn",
        "teams1.example.com",
        "FQDN of the Asterisk/Teams side (from_domain, FQDN placeholder)",
        kind="hostname",
    ),
    Param(
        "certificate_names",
        "asterisk.example.com,opensips.example.com,teams1.example.com",
        "every Teams-facing name the certificate must cover",
        check=_names,
    ),
    Param(
        "private_ip",
        "10.20.0.11",
        "private IP of the OpenSIPS node",
        kind="ip",
    ),
    Param(
        "public_ip",
        "203.0.113.11",
        "public NAT address; empty: same as private_ip",
        kind="ip",
        optional=True,
    ),
    Param(
        "asterisk_ip",
        "10.20.0.11",
        "Asterisk server receiving the proxied Teams traffic",
        kind="ip",
    ),
    Param(
        "placeholders",
        "__PRIVATE_IP__,__PUBLIC_IP__,__ASTERISK_IP__,__FQDN__",
        "tokens in opensips.cfg: private IP, public IP, Asterisk IP, FQDN",
        check=_placeholders,
    ),
    Param(
        "opensips_cfg",
        "/etc/opensips/opensips.cfg",
        "OpenSIPS configuration",
        kind="path",
    ),
    Param(
        "opensips_source",
        "/var/www/html/pbx/protected/opensips.cfg",
        "MiRTA's prepared copy",
        kind="path",
    ),
    Param("opensips_port", 5067, "OpenSIPS port facing Teams", kind="port"),
    Param("tls_port", 5091, "port of the Teams PJSIP TLS transport", kind="port"),
    Param(
        "pjsip_conf",
        "/etc/asterisk/pjsip.conf",
        "main PJSIP file (gets an #include)",
        kind="path",
    ),
    Param(
        "teams_conf",
        "/etc/asterisk/pjsip_msteams.conf",
        "file holding the Teams sections",
        kind="path",
    ),
    Param(
        "sorcery_conf",
        "/etc/asterisk/sorcery.conf",
        "sorcery mapping file",
        kind="path",
    ),
    Param(
        "transport_name",
        "transport-msteams",
        "Teams transport, never the phones' one",
        kind="asterisk_name",
    ),
    Param(
        "endpoint_name",
        "msteams_trunk_from_teams",
        "Teams endpoint/identify name",
        kind="asterisk_name",
    ),
    Param(
        "context",
        "msteams",
        "dialplan context of calls from Teams",
        kind="asterisk_name",
    ),
    Param(
        "tls_method",
        "tlsv1_2",
        "TLS method: tlsv1_2 (Teams needs 1.2), tlsv1_3, sslv23 (page)",
        choices=("tlsv1_2", "tlsv1_3", "sslv23"),
    ),
    Param(
        "cert_file",
        "/etc/opensips/ssl/cert.crt",
        "certificate chain (PEM) on the node",
        kind="path",
    ),
    Param("ca_file", "/etc/opensips/ssl/ca.crt", "CA list file", kind="path"),
    Param(
        "key_file",
        "/etc/opensips/ssl/privkey.crt",
        "private key file",
        kind="path",
    ),
    Param(
        "cert_warn_days",
        21,
        "warn when the certificate expires within this many days",
        between=(1, 365),
    ),
)


def _replace_tokens(mapping: dict[str, str]):
    def edit(text: str) -> str:
        for token, value in mapping.items():
            text = text.replace(token, value)
        return text

    return edit


def _transport_expect(name: str, tls_port: int):
    def expect(transports) -> tuple[Verdict, str]:
        found = [t for t in transports if t.name == name]
        if not found:
            return (
                Verdict.FAIL,
                f"transport {name} is not loaded (have {[t.name for t in transports]})",
            )
        t = found[0]
        if t.protocol != "tls" or t.port != tls_port:
            return Verdict.FAIL, f"{name} is {t.protocol} on {t.bind}, want tls on port {tls_port}"
        return Verdict.PASS, f"{name}: tls on {t.bind}"

    return expect


def _endpoint_expect(v: dict[str, Any]):
    def expect(found) -> tuple[Verdict, str]:
        if found is None:
            return (
                Verdict.FAIL,
                f"endpoint {v['endpoint_name']} not found: is sorcery.conf in effect?",
            )
        _ep, params = found
        wanted = {
            "transport": v["transport_name"],
            "context": v["context"],
            "media_encryption": "sdes",
        }
        wrong = [f"{k}={params.get(k)!r}" for k, want in wanted.items() if params.get(k) != want]
        if wrong:
            return Verdict.FAIL, "endpoint parameters: " + ", ".join(wrong)
        return Verdict.PASS, ", ".join(f"{k}={w}" for k, w in wanted.items())

    return expect


def _aor_expect(found) -> tuple[Verdict, str]:
    if found is None:
        return Verdict.FAIL, "AOR not found"
    aor, _params = found
    states = [f"{c.uri} {c.status}" for c in aor.contacts]
    if not states:
        return Verdict.FAIL, "the AOR has no contact"
    if any(c.status == "Avail" for c in aor.contacts):
        return Verdict.PASS, "; ".join(states)
    return Verdict.WARN, "; ".join(states) + " (OPTIONS not answered yet)"


def _probe_cert(file: str, names: list[str]):
    return lambda target: json.dumps(
        certificate_facts(target.read_bytes(file), names, target.now())
    )


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 03 for validated parameter values ``v``."""
    names = v["certificate_names"].split(",")
    tokens = v["placeholders"].split(",")
    public = v["public_ip"] or v["private_ip"]
    mapping = dict(
        zip(tokens, (v["private_ip"], public, v["asterisk_ip"], v["teams_fqdn"]), strict=True)
    )
    cfg = v["opensips_cfg"]
    ast = lambda command: cmd("asterisk", "-rx", command)  # noqa: E731
    steps: list[Step] = [
        Manual(
            id="one-user-first",
            title="Test with one tenant and one Teams user first",
            phase=Phase.BEFORE,
            where="plan",
            detail="Keep a rollback path for OpenSIPS, PJSIP and the tenant settings.",
        ),
        *[
            Manual(id=f"ms-{i}", title=t, phase=Phase.BEFORE, where=w, detail=d)
            for i, (t, w, d) in enumerate(MICROSOFT_STEPS, 1)
        ],
        Check(
            id="certificate",
            title=f"{v['cert_file']} covers every Teams-facing name and is valid",
            phase=Phase.BEFORE,
            probe=_probe_cert(v["cert_file"], names),
            parse=json.loads,
            expect=cert_expect(v["cert_warn_days"]),
        ),
        file_mode_check(
            "key-private",
            "The private key is not readable by others",
            v["key_file"],
            phase=Phase.BEFORE,
        ),
        Check(
            id="placeholders-left",
            title="Placeholders still in opensips.cfg",
            phase=Phase.BEFORE,
            probe=lambda t: t.read_text(cfg) or "",
            parse=lambda text: [tok for tok in tokens if tok in text],
            expect=lambda left: (
                Verdict.PASS,
                f"to replace: {left}" if left else "none: already filled",
            ),
        ),
        Command(
            id="opensips-copy",
            title="Copy MiRTA's prepared opensips.cfg (only when missing)",
            command=cmd("cp", "-n", v["opensips_source"], cfg),
            risk=Risk.CHANGING,
            unless=cmd("test", "-f", cfg),
        ),
        text_edit(
            "opensips-cfg",
            "Fill the OpenSIPS placeholders",
            cfg,
            _replace_tokens(mapping),
            validate="opensips -C -f {path}",
            summary=", ".join(f"{t} -> {val}" for t, val in mapping.items()),
        ),
        conf_edit(
            "pjsip-teams",
            f"Teams transport, endpoint, AOR and identify in {v['teams_conf']}",
            v["teams_conf"],
            edit_pjsip(pjsip_sections(v, public)),
            summary=f"[{v['transport_name']}] on {v['tls_port']}, "
            f"endpoint/identify/aor {v['endpoint_name']}",
        ),
        text_edit(
            "pjsip-include",
            f"{v['pjsip_conf']} includes {v['teams_conf']}",
            v["pjsip_conf"],
            ensure_include(v["pjsip_conf"], v["teams_conf"]),
            mode=0o640,
        ),
        conf_edit(
            "sorcery",
            "Realtime and static PJSIP objects together (sorcery.conf)",
            v["sorcery_conf"],
            edit_sorcery,
            summary="realtime lines kept/added; config,pjsip.conf for endpoint, aor, identify",
        ),
        Command(
            id="opensips-enable",
            title="Enable OpenSIPS at boot",
            command=cmd("systemctl", "enable", "opensips"),
            risk=Risk.CHANGING,
            unless=cmd("systemctl", "is-enabled", "--quiet", "opensips"),
        ),
        Command(
            id="opensips-restart",
            title="Restart OpenSIPS (drops Teams calls in progress)",
            command=cmd("systemctl", "restart", "opensips"),
            risk=Risk.SERVICE_AFFECTING,
            when_changed=("opensips-cfg",),
            undo=cmd("systemctl", "restart", "opensips"),
        ),
        Command(
            id="pjsip-reload",
            title="Reload PJSIP (creates the new transport)",
            command=ast("pjsip reload"),
            risk=Risk.CHANGING,
            when_changed=("pjsip-teams", "pjsip-include"),
            undo=ast("pjsip reload"),
            failure=failure_lines(r"unable to", r"\berror\b", r"failed"),
        ),
        Manual(
            id="restart-window",
            title="Restart Asterisk in a maintenance window if sorcery.conf changed",
            where="the node",
            detail="Sorcery mappings and changes to an existing transport apply at restart only "
            "(`core restart when convenient`).",
        ),
        Check(
            id="opensips-filled",
            title="No placeholder left in opensips.cfg",
            probe=lambda t: t.read_text(cfg) or "",
            parse=lambda text: [tok for tok in tokens if tok in text],
            expect=lambda left: (
                (Verdict.FAIL, f"still there: {left}")
                if left
                else (Verdict.PASS, "all four placeholders filled")
            ),
        ),
        listener_check(
            "opensips-listens",
            f"OpenSIPS listens on {v['opensips_port']}",
            v["opensips_port"],
            programs=("opensips",),
        ),
        listener_check(
            "pjsip-listens",
            f"Asterisk listens on {v['tls_port']}",
            v["tls_port"],
            programs=("asterisk",),
        ),
        Check(
            id="pjsip-transport",
            title=f"pjsip show transport {v['transport_name']}",
            command=ast(f"pjsip show transport {v['transport_name']}"),
            parse=parse_pjsip_transports,
            expect=_transport_expect(v["transport_name"], v["tls_port"]),
        ),
        Check(
            id="pjsip-endpoint",
            title=f"pjsip show endpoint {v['endpoint_name']}",
            command=ast(f"pjsip show endpoint {v['endpoint_name']}"),
            parse=parse_pjsip_endpoint,
            expect=_endpoint_expect(v),
        ),
        Check(
            id="pjsip-aor",
            title=f"pjsip show aor aor_{v['endpoint_name']}",
            command=ast(f"pjsip show aor aor_{v['endpoint_name']}"),
            parse=parse_pjsip_aor,
            expect=_aor_expect,
        ),
        *[
            Manual(id=f"mirta-{i}", title=t, phase=Phase.VERIFICATION, where=w, detail=d)
            for i, (t, w, d) in enumerate(MIRTA_STEPS, 1)
        ],
    ]
    return steps


RUNBOOK = RunbookDef(
    page=3,
    slug="integrating-with-microsoft-teams",
    title="Integrating with Microsoft Teams",
    scope="node",
    roles=("opensips",),
    params=PARAMS,
    build=build,
    summary="Teams checklist, certificate names/expiry, opensips.cfg, PJSIP Teams sections",
    verification=Verification(
        mirta_page="Status > Peers shows the Teams custom extension and its Teams state; a "
        "test call each way connects with caller ID and audio.",
        asterisk_log="In /var/log/asterisk/full, calls from Teams enter the msteams context; no "
        "TLS handshake or 'No matching endpoint' errors for the OpenSIPS address.",
        status_menu="Status menu: PJSIP peers list the Teams trunk reachable (OPTIONS answered).",
    ),
)
