"""Parts of the Teams runbook (seed page 03): PJSIP sections, sorcery and include edits, the
certificate name/expiry check, and the manual checklists.

Kept apart from :mod:`mirtalib.runbooks.p03_integrating_with_microsoft_teams` so that module stays
about steps and checks.
"""

from __future__ import annotations

import posixpath
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from mirtalib.asterisk.sorcery import ensure_static
from mirtalib.errors import ParseError
from mirtalib.net.tlspolicy import cert_info
from mirtalib.runbook import Verdict

#: The page's cipher list for the Teams transport (TLS 1.2 suites Microsoft accepts).
CIPHERS = (
    "ECDHE-RSA-CHACHA20-POLY1305,ECDHE-RSA-AES256-GCM-SHA384,ECDHE-RSA-AES128-GCM-SHA256,"
    "ECDHE-RSA-AES256-SHA384,ECDHE-RSA-AES128-SHA256,AES256-GCM-SHA384,AES128-GCM-SHA256"
)


def pjsip_sections(v: dict[str, Any], public_ip: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The four sections of the Teams trunk, as (name, [(key, value) ...]) in file order."""
    ep = v["endpoint_name"]
    return [
        (
            v["transport_name"],
            [
                ("type", "transport"),
                ("protocol", "tls"),
                ("bind", f"0.0.0.0:{v['tls_port']}"),
                ("cert_file", v["cert_file"]),
                ("ca_list_file", v["ca_file"]),
                ("priv_key_file", v["key_file"]),
                ("cipher", CIPHERS),
                ("method", v["tls_method"]),
                ("external_media_address", public_ip),
                ("external_signaling_address", public_ip),
            ],
        ),
        (
            ep,
            [
                ("type", "endpoint"),
                ("transport", v["transport_name"]),
                ("context", v["context"]),
                ("disallow", "all"),
                ("allow", "ulaw"),
                ("aors", f"aor_{ep}"),
                ("media_encryption", "sdes"),
                ("from_domain", v["teams_fqdn"]),
                ("send_pai", "no"),
                ("rewrite_contact", "no"),
                ("force_rport", "no"),
                ("sdp_owner", "-"),
                ("sdp_session", "FullysPBX"),
                ("allow_transfer", "yes"),
                ("ice_support", "no"),
                ("direct_media", "no"),
                ("timers_sess_expires", "3600"),
            ],
        ),
        (
            f"aor_{ep}",
            [
                ("type", "aor"),
                ("qualify_frequency", "60"),
                ("contact", f"sip:{v['private_ip']}:{v['opensips_port']}"),
            ],
        ),
        (ep, [("type", "identify"), ("endpoint", ep), ("match", v["private_ip"])]),
    ]


#: Microsoft 365 / Teams admin center steps: (title, where, detail).
MICROSOFT_STEPS = (
    (
        "Add and verify the SBC domain",
        "Microsoft 365 admin center > Settings > Domains",
        "Add the SBC domain (e.g. sbc.example.com) and publish the TXT verification value in "
        "public DNS; leave Exchange services off for a voice-only domain.",
    ),
    (
        "License the Teams test user",
        "Microsoft 365 admin center > Users",
        "Teams Phone plus the matching Microsoft 365 plan, on one dedicated test user.",
    ),
    (
        "Create the PSTN usage record",
        "Teams admin center > Voice > Direct Routing",
        "For example 'sbc'.",
    ),
    (
        "Add the SBC with SIP OPTIONS enabled",
        "Teams admin center > Voice > Direct Routing > SBCs",
        "FQDN of the SBC, port 5067 (OpenSIPS), enabled, SIP OPTIONS on so Teams monitors it.",
    ),
    (
        "Create the voice route",
        "Teams admin center > Voice > Direct Routing > Voice routes",
        "Dialed-number pattern for the numbers sent to MiRTA (E.164: ^(\\+[0-9]{7,15})$), "
        "with the SBC and the PSTN usage record.",
    ),
    (
        "Create and assign the voice routing policy",
        "Teams admin center > Voice > Voice routing policies",
        "Add the PSTN usage record; assign the policy and a Direct Routing number to the user.",
    ),
)

#: MiRTA PBX steps checked by hand after the node side works: (title, where, detail).
MIRTA_STEPS = (
    (
        "Enable the MS Teams integration",
        "MiRTA PBX Admin > Settings, MS Teams section",
        "Enable it, set the OpenSIPS socket and the server where OpenSIPS runs.",
    ),
    (
        "Set the tenant's Teams address",
        "MiRTA PBX Admin > Tenants > edit tenant",
        "Microsoft Teams address/name of the connection (e.g. sbc.example.com); the Microsoft "
        "tenant ID when presence checks are wanted.",
    ),
    (
        "Custom extension of the Teams user",
        "MiRTA PBX extension > security",
        "Authentication type 'Use Microsoft Teams', authentication caller ID = the user's "
        "Teams number; Teams extension ID for presence.",
    ),
    (
        "Presence credentials (entered in the web page, never in a notebook)",
        "MiRTA PBX Configuration > Settings",
        "Microsoft client ID and client secret for the status lookup; then Status > Peers "
        "shows the Teams extension state.",
    ),
    (
        "SBC active in Teams",
        "Teams admin center > Voice > Direct Routing",
        "The SBC turns active once OpenSIPS, the certificate and the PJSIP transport answer; "
        "if not: DNS, certificate chain, SIP OPTIONS, listeners, transport binding.",
    ),
    (
        "Call tests with the single Teams user",
        "Teams client and a MiRTA phone",
        "Teams -> PBX: the call enters the msteams context; PBX -> Teams custom extension: "
        "caller ID and audio both ways.",
    ),
)


#: sorcery.conf realtime mappings MiRTA uses (the page's list), per owner section.
REALTIME = {
    "res_pjsip": [
        ("endpoint", "realtime,ps_endpoints"),
        ("auth", "realtime,ps_auths"),
        ("aor", "realtime,ps_aors"),
        ("domain_alias", "realtime,ps_domain_aliases"),
        ("contact", "realtime,ps_contacts"),
    ],
    "res_pjsip_endpoint_identifier_ip": [("identify", "realtime,ps_endpoint_id_ips")],
    "res_pjsip_publish_asterisk": [("asterisk-publication", "realtime,ps_asterisk_publications")],
    "res_pjsip_outbound_publish": [("outbound-publish", "realtime,ps_outbound_publishes")],
    "res_pjsip_pubsub": [("inbound-publication", "realtime,ps_inbound_publications")],
}


def name_covered(name: str, sans: tuple[str, ...]) -> bool:
    """True when ``name`` matches a SAN (``*.example.com`` covers exactly one more label)."""
    name = name.lower().rstrip(".")
    for san in (s.lower().rstrip(".") for s in sans):
        if san == name:
            return True
        if san.startswith("*.") and "." in name and name.split(".", 1)[1] == san[2:]:
            return True
    return False


def certificate_facts(pem: bytes | None, names: list[str], now: datetime) -> dict[str, Any]:
    """Facts of the PEM chain's first certificate: SANs, missing names, days left, chain length."""
    if not pem:
        raise ParseError("certificate file is missing or empty")
    try:
        chain = x509.load_pem_x509_certificates(pem)
    except ValueError as exc:
        raise ParseError(f"not a PEM certificate chain: {exc}") from None
    leaf = cert_info(chain[0].public_bytes(Encoding.DER))
    return {
        "subject": leaf.subject,
        "issuer": leaf.issuer,
        "sans": list(leaf.sans),
        "missing": [n for n in names if not name_covered(n, leaf.sans)],
        "not_after": leaf.not_after,
        "days_left": leaf.days_left(now),
        "chain": len(chain),
        "self_signed": leaf.self_signed,
    }


def cert_expect(warn_days: int):
    def expect(f: dict[str, Any]) -> tuple[Verdict, str]:
        if f["missing"]:
            return (
                Verdict.FAIL,
                f"names not in the certificate: {', '.join(f['missing'])} "
                f"(has {', '.join(f['sans'])})",
            )
        if f["days_left"] < 0:
            return Verdict.FAIL, f"certificate expired on {f['not_after']}"
        where = (
            f"covers all {len(f['sans'])} names, expires {f['not_after']} ({f['days_left']} days)"
        )
        if f["self_signed"]:
            return Verdict.FAIL, (
                f"{where}; but self-signed: Teams only accepts a certificate from a public CA"
            )
        if f["days_left"] < warn_days:
            return Verdict.WARN, f"{where}: renew now (acme.sh --renew) before Teams drops the SBC"
        if f["chain"] < 2:
            return Verdict.WARN, f"{where}; but no intermediate in the file: use the full chain"
        return Verdict.PASS, where

    return expect


def edit_sorcery(doc) -> None:
    for owner, lines in REALTIME.items():
        section = doc.find(owner)[0] if doc.find(owner) else doc.add_section(owner)
        for otype, value in lines:
            if not any(v.startswith("realtime,") for v in section.get_all(otype)):
                section.add(otype, value)
    ensure_static(doc, ("endpoint", "aor", "identify"))


def edit_pjsip(sections: list[tuple[str, list[tuple[str, str]]]]):
    def edit(doc) -> None:
        for name, options in sections:
            kind = dict(options)["type"]
            section = doc.ensure_section(name, type=kind)
            multi = {k for k, _ in options if sum(1 for kk, _ in options if kk == k) > 1}
            for key in dict.fromkeys(k for k, _ in options):
                values = [v for k, v in options if k == key]
                if key in multi or key in ("disallow", "allow"):
                    section.set_all(key, values)
                else:
                    section.set(key, values[0], duplicates="all")

    return edit


def ensure_include(main: str, teams: str):
    folder = posixpath.dirname(main)
    ref = posixpath.relpath(teams, folder) if posixpath.dirname(teams) == folder else teams

    def edit(text: str) -> str:
        for line in text.splitlines():
            words = line.split()
            if (
                len(words) >= 2
                and words[0] in ("#include", "#tryinclude")
                and words[1].strip('"') in (ref, teams)
            ):
                return text
        sep = "" if not text or text.endswith("\n") else "\n"
        return (
            f"{text}{sep}\n; Microsoft Teams Direct Routing trunk (seed page 03)\n#include {ref}\n"
        )

    return edit
