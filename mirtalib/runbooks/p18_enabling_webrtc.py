"""Seed page 18, *Enabling WebRTC*: browsers as phones through Asterisk's websocket transport.

The page needs a real certificate, the Opus codec, Asterisk's HTTP server with TLS on 8089,
``ws``/``wss`` in chan_sip's transports with the realm, DTLS settings, the certificate path in
MiRTA's Admin/Settings and per-extension options. This runbook:

* reads the certificate file on the node with :mod:`cryptography`: it must cover the server
  name, not be self-signed (browsers refuse a ``wss://`` to it silently) and not expire soon;
* sets the ``[general]`` keys of ``http.conf`` and ``sip.conf`` in place (other lines kept). The
  page binds plain HTTP on ``0.0.0.0:8088``; browsers only use ``wss`` from an https page, so the
  plain listener defaults to ``127.0.0.1`` here (the page's value is a parameter);
* reloads the HTTP module and chan_sip only when their file changed (``sip reload`` keeps the
  registrations);
* verifies with ``http show status``, a TLS handshake on 8089 (``openssl s_client`` on the node)
  and a real websocket upgrade on ``/ws`` with the ``sip`` sub-protocol, both on the plain
  listener and inside TLS (:mod:`mirtalib.net.websocket`, :mod:`mirtalib.net.wss`).
"""

from __future__ import annotations

from typing import Any

from mirtalib.asterisk.http import parse_http_status
from mirtalib.asterisk.tls import parse_s_client
from mirtalib.errors import ParameterError
from mirtalib.net import websocket, wss
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
)
from mirtalib.runbooks.installs import cert_expect, cert_probe, parse_cert_probe
from mirtalib.validate import cmd

TRANSPORTS = ("udp", "tcp", "tls", "ws", "wss")


def _transports(value: str) -> str:
    items = [t.strip() for t in value.split(",") if t.strip()]
    bad = [t for t in items if t not in TRANSPORTS]
    if bad or not {"ws", "wss"} & set(items):
        raise ParameterError(
            f"sip_transports={value!r}: use a comma list of {list(TRANSPORTS)} including wss"
        )
    return ",".join(items)


PARAMS = (
    Param(
        "server_name",
        "srv01.pbx.example.net",
        "name browsers use (certificate, realm)",
        kind="hostname",
    ),
    Param(
        "cert_file",
        "/etc/asterisk/certificates/srv01.pbx.example.net.pem",
        "certificate (PEM)",
        kind="path",
    ),
    Param(
        "key_file",
        "/etc/asterisk/certificates/srv01.pbx.example.net.key",
        'key; "" when in cert_file',
        kind="path",
        optional=True,
    ),
    Param(
        "http_bindaddr",
        "127.0.0.1",
        "plain HTTP listener (page: 0.0.0.0; browsers only use wss)",
        kind="ip",
    ),
    Param("http_port", 8088, "plain HTTP port", kind="port"),
    Param(
        "tls_bindaddr",
        "0.0.0.0",  # noqa: S104 - the TLS listener is meant for the browsers
        "noqa: S104 - TLS listener, reached by the browsers",
        kind="ip",
    ),
    Param("tls_port", 8089, "https / wss port", kind="port"),
    Param(
        "sip_transports",
        "udp,tcp,tls,ws,wss",
        "chan_sip transport list in [general]",
        check=_transports,
    ),
    Param(
        "dtls",
        True,
        ("set dtlsenable/dtlsverify/dtlscertfile/dtlsprivatekey in sip.conf [general]"),
    ),
    Param(
        "expiry_warn_days",
        21,
        "warn when the certificate expires within this many days",
        between=(0, 365),
    ),
)


def http_values(v: dict[str, Any]) -> dict[str, str]:
    """The ``[general]`` keys of http.conf."""
    out = {
        "enabled": "yes",
        "bindaddr": v["http_bindaddr"],
        "bindport": str(v["http_port"]),
        "tlsenable": "yes",
        "tlsbindaddr": f"{v['tls_bindaddr']}:{v['tls_port']}",
        "tlscertfile": v["cert_file"],
    }
    if v["key_file"]:
        out["tlsprivatekey"] = v["key_file"]
    return out


def sip_values(v: dict[str, Any]) -> dict[str, str]:
    """The ``[general]`` keys of sip.conf."""
    out = {"transport": v["sip_transports"], "realm": v["server_name"]}
    if v["dtls"]:
        out |= {
            "dtlsenable": "yes",
            "dtlsverify": "fingerprint",
            "dtlscertfile": v["cert_file"],
            "dtlsprivatekey": v["key_file"] or v["cert_file"],
        }
    return out


def _setter(values: dict[str, str]):
    def edit(doc) -> None:
        general = doc.section("general")
        for key, value in values.items():
            general.set(key, value)

    return edit


def _http_expect(v: dict[str, Any]):
    want_tls = f"{v['tls_bindaddr']}:{v['tls_port']}"

    def expect(status) -> tuple[Verdict, str]:
        problems = []
        if status.https != want_tls:
            problems.append(f"HTTPS bound to {status.https or 'nothing'}, want {want_tls}")
        if "/ws" not in status.uris:
            problems.append("no /ws URI (res_http_websocket not loaded?)")
        text = f"http {status.http or 'off'}, https {status.https or 'off'}"
        return (
            (Verdict.FAIL, text + "; " + "; ".join(problems))
            if problems
            else (Verdict.PASS, text + ", /ws enabled")
        )

    return expect


def _s_client(text: str):
    """``openssl s_client`` output parsed; None when it printed nothing (killed by timeout)."""
    return parse_s_client(text) if text.strip() else None


def _tls_expect(name: str):
    def expect(session) -> tuple[Verdict, str]:
        if session is None:
            return Verdict.FAIL, "no TLS handshake: no answer within 10 s (plain HTTP on the port?)"
        if not session.handshake_ok:
            why = "; ".join(session.errors) or "no handshake"
            return Verdict.FAIL, f"no TLS handshake: {why}"
        text = f"{session.protocol} {session.cipher}, certificate {session.subject}"
        if name.lower() not in session.subject.lower() and session.pem == "":
            return Verdict.WARN, text + f" (subject does not name {name})"
        return Verdict.PASS, text

    return expect


def _ws_expect(h) -> tuple[Verdict, str]:
    return (Verdict.PASS if h.ok else Verdict.FAIL), h.summary()


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 18 for validated parameter values ``v``."""
    name, local = v["server_name"], "127.0.0.1"
    warn = v["expiry_warn_days"]
    cert_hint = "install a real certificate first (page 09, Certbot)"
    steps: list[Step] = [
        Manual(
            id="opus-codec",
            title="Install the Opus codec",
            phase=Phase.BEFORE,
            where="Setup Guides, 'Installing OPUS codec'; MiRTA web interface",
            detail="codec_opus must be loaded and Opus added to the codecs of the web UI.",
        ),
        Check(
            id="certificate",
            title=f"Certificate {v['cert_file']}",
            phase=Phase.BEFORE,
            probe=cert_probe(v["cert_file"]),
            parse=parse_cert_probe,
            expect=cert_expect([name], warn, need_key=not v["key_file"], hint=cert_hint),
        ),
    ]
    if v["key_file"]:
        steps.append(
            Check(
                id="private-key",
                title=f"Private key {v['key_file']}",
                phase=Phase.BEFORE,
                probe=_key_probe(v["key_file"]),
                expect=_key_expect,
            )
        )
    steps += [
        conf_edit(
            "http-conf",
            "Enable the HTTP server with TLS in http.conf",
            "/etc/asterisk/http.conf",
            _setter(http_values(v)),
            summary=f"https on {v['tls_bindaddr']}:{v['tls_port']}, http on "
            f"{v['http_bindaddr']}:{v['http_port']}",
        ),
        conf_edit(
            "sip-conf",
            "Allow ws/wss and set the realm in sip.conf",
            "/etc/asterisk/sip.conf",
            _setter(sip_values(v)),
            summary=f"transport={v['sip_transports']}, realm={name}"
            + (", DTLS defaults" if v["dtls"] else ""),
        ),
        Command(
            id="http-reload",
            title="Reload Asterisk's HTTP server",
            command="asterisk -rx 'module reload http'",
            undo="asterisk -rx 'module reload http'",
            when_changed=("http-conf",),
            risk=Risk.CHANGING,
            failure=failure_lines(r"\berror\b", r"unable", r"failed"),
        ),
        Command(
            id="sip-reload",
            title="Reload chan_sip (registrations are kept)",
            command="asterisk -rx 'sip reload'",
            undo="asterisk -rx 'sip reload'",
            when_changed=("sip-conf",),
            risk=Risk.CHANGING,
            failure=failure_lines(r"\berror\b", r"unable"),
        ),
        Manual(
            id="mirta-settings",
            title="Set the WebRTC certificate path in MiRTA",
            where="MiRTA web interface: Admin/Settings, Security section",
            detail=f"WebRTC SSL path: {v['cert_file']}.",
        ),
        Manual(
            id="extension-options",
            title="Enable WebRTC on the extensions that use it",
            where="MiRTA web interface: the extension's page",
            detail="Opus codec, WebRTC support, RTP encryption and Any transport.",
        ),
        Check(
            id="http-status",
            title="Asterisk's HTTP server listens with TLS and /ws",
            command="asterisk -rx 'http show status'",
            parse=parse_http_status,
            expect=_http_expect(v),
        ),
        Check(
            id="tls-listener",
            title=f"TLS handshake on {v['tls_port']}",
            # timeout: a port that speaks plain HTTP never answers the ClientHello
            command=cmd(
                "timeout",
                "10",
                "openssl",
                "s_client",
                "-connect",
                f"{local}:{v['tls_port']}",
                "-servername",
                name,
            )
            + " </dev/null 2>&1",
            ok_codes=(0, 1, 124),
            parse=_s_client,
            expect=_tls_expect(name),
        ),
        Check(
            id="ws-upgrade",
            title=f"websocket upgrade on ws://{local}:{v['http_port']}/ws",
            command=websocket.node_command(local, v["http_port"], "/ws", ("sip",)),
            parse=lambda t: websocket.parse_node_output(t, local, v["http_port"], "/ws", ("sip",)),
            expect=_ws_expect,
        ),
        Check(
            id="wss-upgrade",
            title=f"websocket upgrade on wss://{local}:{v['tls_port']}/ws",
            command=wss.node_command(local, v["tls_port"], "/ws", ("sip",), server_name=name),
            parse=lambda t: wss.parse_node_output(t, local, v["tls_port"], "/ws", ("sip",)),
            expect=_ws_expect,
        ),
        Manual(
            id="webrtc-call",
            title="Register a browser and call",
            phase=Phase.VERIFICATION,
            where="a WebRTC SIP client (the page uses SipML5)",
            detail=f"Register an extension over wss://{name}:{v['tls_port']}/ws and place a "
            "call both ways: audio in both directions, no certificate warning.",
        ),
    ]
    return steps


def _key_probe(file: str):
    def probe(target: Any) -> str:
        st = target.stat(file)
        if st is None:
            return "missing"
        data = target.read_bytes(file) or b""
        kind = "key" if b"PRIVATE KEY-----" in data else "no-key"
        return f"{kind} {st.mode & 0o777:04o}"

    return probe


def _key_expect(value: str) -> tuple[Verdict, str]:
    if value == "missing":
        return Verdict.FAIL, "the key file does not exist"
    kind, mode = value.split()
    if kind != "key":
        return Verdict.FAIL, "the file holds no PEM private key"
    if int(mode, 8) & 0o007:
        return Verdict.FAIL, f"mode {mode}: readable by everyone, chmod 0640 (group asterisk)"
    return Verdict.PASS, f"PEM private key, mode {mode}"


RUNBOOK = RunbookDef(
    page=18,
    slug="enabling-webrtc",
    title="Enabling WebRTC",
    scope="node",
    roles=("pbx",),
    params=PARAMS,
    build=build,
    summary="certificate, http.conf TLS listener, sip.conf ws/wss, TLS and websocket probes",
    verification=Verification(
        mirta_page="The extension's page shows WebRTC, Opus, RTP encryption and Any transport; "
        "Admin/Settings shows the WebRTC SSL path.",
        asterisk_log="In /var/log/asterisk/full, the browser's REGISTER over WS/WSS and no "
        "'DTLS' or 'websocket' errors while calling.",
        status_menu="Status menu: the extension is registered (transport WSS).",
    ),
)
