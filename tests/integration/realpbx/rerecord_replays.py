"""Re-record the demo replays' answers to Asterisk commands from the real PBX.

The demo nodes srv01 and srv02 (``mirtalib/runbook/replays``) are Asterisk 22.10.1 nodes: this
script configures the real PBX of the tests (Debian sid's Asterisk in the tree of
``scripts/realpbx.sh``, on a private overlay) like each demo node from the templates in
``demo_etc/`` (on top of ``etc/``), brings it into the state a page's fragment describes (phones
registered and answering, calls up, calls parked, custom device states, queue members, BLF
subscriptions), runs the page's commands and writes their output, verbatim with the colour codes
``asterisk -rx`` prints, into the page's fragment ``<node>.d/pNN.yaml``.

There are no phones and no SIP trunks: loopback user agents (:class:`SipPhones`, one UDP socket
per phone on 127.168.x.y, the demo's 192.168.x.y addresses moved into loopback) register with
digest authentication, answer OPTIONS and INVITE with 200 OK, subscribe to hints; a trunk is a
PJSIP endpoint whose contact is such a user agent. Outputs hold volatile things (RTTs, channel
numbers, "login was N secs ago"): running this again changes them; that is expected.

Run as root (chroot, mount), from the project folder::

    .venv/bin/python tests/integration/realpbx/rerecord_replays.py [--only srv01:p11,srv02:p39]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import secrets
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import yaml

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from amiclient import Ami  # noqa: E402
from pbxtree import PROJECT, RealPbx  # noqa: E402

DEMO_ETC = HERE / "demo_etc"
REPLAYS = PROJECT / "mirtalib" / "runbook" / "replays"
SCRIPT = "tests/integration/realpbx/rerecord_replays.py"
RECORDED = (
    "recorded from Asterisk 22.10.1 (Debian sid) on the project's real test PBX configured as "
    "demo node {node} by " + SCRIPT
)
SNAPSHOT = "/var/tmp/mirta-p38-modules-before.txt"  # page 38's saved module list
PORT_UDP, PORT_TLS = 5080, 5081  # the demo nodes' PJSIP ports before page 10 (pjsip.conf of p10)

# ---- loopback SIP user agents ---------------------------------------------------------------


def _rand(n: int = 10) -> str:
    return secrets.token_hex(n)


@dataclass
class SipMsg:
    first: str
    headers: list[tuple[str, str]]
    body: str = ""

    @classmethod
    def parse(cls, data: bytes) -> SipMsg:
        text = data.decode("utf-8", errors="replace")
        head, _, body = text.partition("\r\n\r\n")
        lines = head.split("\r\n")
        headers = []
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers.append((k.strip(), v.strip()))
        return cls(lines[0], headers, body)

    def get(self, key: str) -> str:
        for k, v in self.headers:
            if k.lower() == key.lower():
                return v
        return ""

    def getall(self, key: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == key.lower()]

    @property
    def is_request(self) -> bool:
        return not self.first.startswith("SIP/2.0")

    @property
    def method(self) -> str:
        return self.first.split()[0] if self.is_request else self.get("CSeq").split()[-1]

    @property
    def status(self) -> int:
        return 0 if self.is_request else int(self.first.split()[1])


@dataclass
class Phone:
    ext: str  # 103-DEVEL
    addr: str  # 127.168.40.228
    port: int
    password: str = ""
    answers: bool = True  # False: answers nothing (a phone gone away: qualify makes it Unavail)
    sock: socket.socket | None = None

    @property
    def contact(self) -> str:
        return f"<sip:{self.ext}@{self.addr}:{self.port};ob>"


class SipPhones:
    """UDP user agents on loopback playing the demo's phones and trunks against one PBX."""

    def __init__(self, server_port: int) -> None:
        self.server = ("127.0.0.1", server_port)
        self.phones: dict[str, Phone] = {}
        self.sel = selectors.DefaultSelector()
        self._waiting: dict[str, list[SipMsg]] = {}
        self._cond = threading.Condition()
        self._stop = False
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def add(self, ext: str, addr: str, port: int, password: str = "", answers: bool = True):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((addr, port))
        sock.setblocking(False)
        phone = Phone(ext, addr, port, password, answers, sock)
        self.phones[ext] = phone
        self.sel.register(sock, selectors.EVENT_READ, phone)
        return phone

    def close(self) -> None:
        self._stop = True
        self._thread.join(timeout=2)
        for phone in self.phones.values():
            self.sel.unregister(phone.sock)
            phone.sock.close()

    # ---- the loop: answer requests, hand responses to whoever waits for them ---------------
    def _loop(self) -> None:
        while not self._stop:
            for key, _ in self.sel.select(timeout=0.2):
                phone: Phone = key.data
                try:
                    data, peer = phone.sock.recvfrom(65535)
                except OSError:
                    continue
                msg = SipMsg.parse(data)
                if not msg.is_request:
                    with self._cond:
                        self._waiting.setdefault(msg.get("Call-ID"), []).append(msg)
                        self._cond.notify_all()
                elif phone.answers and msg.method != "ACK":
                    self._answer(phone, msg, peer)

    def _answer(self, phone: Phone, req: SipMsg, peer) -> None:
        to = req.get("To")
        if ";tag=" not in to:
            to += f";tag={_rand(4)}"
        lines = ["SIP/2.0 200 OK"]
        lines += [f"Via: {v}" for v in req.getall("Via")]
        lines += [f"From: {req.get('From')}", f"To: {to}", f"Call-ID: {req.get('Call-ID')}"]
        lines += [f"CSeq: {req.get('CSeq')}", f"Contact: {phone.contact}"]
        body = ""
        if req.method == "INVITE":
            body = (
                f"v=0\r\no=- 1 1 IN IP4 {phone.addr}\r\ns=-\r\nc=IN IP4 {phone.addr}\r\nt=0 0\r\n"
                f"m=audio {20000 + phone.port % 1000 * 2} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
                "a=sendrecv\r\n"
            )
            lines.append("Content-Type: application/sdp")
        lines.append(f"Content-Length: {len(body.encode())}")
        phone.sock.sendto(("\r\n".join(lines) + "\r\n\r\n" + body).encode(), peer)

    # ---- requests the phones send ------------------------------------------------------------
    def _final(self, call_id: str, cseq: int, timeout: float = 10) -> SipMsg:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for msg in self._waiting.get(call_id, []):
                    if msg.status >= 200 and msg.get("CSeq").startswith(f"{cseq} "):
                        return msg
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no final answer to {call_id} CSeq {cseq}")
                self._cond.wait(left)

    def request(self, ext: str, method: str, target: str, extra: list[str]) -> SipMsg:
        """Send ``method`` for ``target`` (an extension) from phone ``ext``, with digest auth."""
        phone = self.phones[ext]
        call_id, tag = _rand(), _rand(4)
        uri = f"sip:{target}@{self.server[0]}:{self.server[1]}"
        if method == "REGISTER":
            uri = f"sip:{self.server[0]}:{self.server[1]}"
        auth = ""
        for cseq in (1, 2):
            lines = [
                f"{method} {uri} SIP/2.0",
                f"Via: SIP/2.0/UDP {phone.addr}:{phone.port};rport;branch=z9hG4bK{_rand(8)}",
                "Max-Forwards: 70",
                f"From: <sip:{ext}@{self.server[0]}>;tag={tag}",
                f"To: <sip:{target}@{self.server[0]}>",
                f"Call-ID: {call_id}",
                f"CSeq: {cseq} {method}",
                f"Contact: {phone.contact}",
                "User-Agent: MiRTA demo phone (rerecord_replays.py)",
                *extra,
            ]
            if auth:
                lines.append(auth)
            lines.append("Content-Length: 0")
            phone.sock.sendto(("\r\n".join(lines) + "\r\n\r\n").encode(), self.server)
            answer = self._final(call_id, cseq)
            if answer.status != 401:
                return answer
            auth = self._authorization(phone, method, uri, answer)
        return answer

    @staticmethod
    def _authorization(phone: Phone, method: str, uri: str, challenge: SipMsg) -> str:
        offers = challenge.getall("WWW-Authenticate")
        offer = next((o for o in offers if "MD5" in o.upper() or "algorithm" not in o), offers[0])
        params = dict(re.findall(r'(\w+)="?([^",]*)"?', offer))

        def md5(s: str) -> str:
            return hashlib.md5(s.encode()).hexdigest()

        ha1 = md5(f"{phone.ext}:{params['realm']}:{phone.password}")
        ha2 = md5(f"{method}:{uri}")
        fields = [
            f'username="{phone.ext}"', f'realm="{params["realm"]}"', f'nonce="{params["nonce"]}"',
            f'uri="{uri}"', "algorithm=MD5",
        ]  # fmt: skip
        if "qop" in params:
            cnonce, nc = _rand(4), "00000001"
            resp = md5(f"{ha1}:{params['nonce']}:{nc}:{cnonce}:auth:{ha2}")
            fields += [f'response="{resp}"', "qop=auth", f"nc={nc}", f'cnonce="{cnonce}"']
        else:
            resp = md5(f"{ha1}:{params['nonce']}:{ha2}")
            fields.append(f'response="{resp}"')
        if "opaque" in params:
            fields.append(f'opaque="{params["opaque"]}"')
        return "Authorization: Digest " + ", ".join(fields)

    def register(self, ext: str) -> None:
        answer = self.request(ext, "REGISTER", ext, ["Expires: 3600"])
        if answer.status != 200:
            raise RuntimeError(f"REGISTER {ext}: {answer.first}")

    def subscribe(self, ext: str, target: str) -> SipMsg:
        return self.request(
            ext, "SUBSCRIBE", target,
            ["Event: dialog", "Accept: application/dialog-info+xml", "Expires: 3600"],
        )  # fmt: skip


# ---- the demo nodes ---------------------------------------------------------------------------

NAMES = {
    "100-DEVEL": "Sara Costa", "103-DEVEL": "Andrea Mariani", "104-DEVEL": "Laura Greco",
    "107-DEVEL": "Paolo Rizzo", "108-DEVEL": "Marta Martini",
}  # fmt: skip
# the registered phones of page 43 (demo address 192.168.a.b -> 127.168.a.b; ":x" = Unavail)
CONTACTS = {
    "srv01": "100-DEVEL:3.83:5062 101-DEVEL:24.181:5060 102-DEVEL:32.165:51934 "
    "103-DEVEL:40.228:51934 104-DEVEL:4.227:5060 105-DEVEL:7.51:51934 106-DEVEL:25.162:46213 "
    "107-DEVEL:25.26:5060 108-DEVEL:4.224:46213 200-ACME:34.169:5060 201-ACME:40.127:46213 "
    "202-ACME:29.52:5060 203-ACME:4.234:46213 204-ACME:39.28:5060 205-ACME:24.193:51934:x "
    "206-ACME:27.164:46213 207-ACME:6.233:5062 208-ACME:20.37:51934 209-ACME:3.47:5060 "
    "210-ACME:2.207:46213 211-ACME:35.137:51934 212-ACME:25.32:5060",
    "srv02": "109-DEVEL:13.185:51934 213-ACME:38.114:46213 214-ACME:4.57:5062 "
    "215-ACME:4.181:46213 216-ACME:13.208:51934 217-ACME:25.67:5060 218-ACME:2.149:5060 "
    "219-ACME:17.66:51934 220-ACME:1.37:5060 221-ACME:27.61:5060 222-ACME:25.39:46213 "
    "223-ACME:35.157:5062 300-ROSSI:3.33:46213 301-ROSSI:5.133:5062 302-ROSSI:1.196:5062 "
    "303-ROSSI:29.86:51934 304-ROSSI:36.134:51934 305-ROSSI:34.218:5062 306-ROSSI:10.165:5060 "
    "307-ROSSI:6.241:5062:x 308-ROSSI:13.166:5060 309-ROSSI:32.128:5060 310-ROSSI:29.187:5062 "
    "311-ROSSI:21.101:5060 312-ROSSI:29.93:5062 313-ROSSI:30.56:51934 400-VERDI:38.85:5060 "
    "401-VERDI:20.236:5062 402-VERDI:12.186:5062 403-VERDI:32.109:5062 404-VERDI:7.225:46213 "
    "405-VERDI:28.88:46213 406-VERDI:37.187:5060 407-VERDI:29.171:51934 408-VERDI:7.12:51934 "
    "409-VERDI:5.83:5062 410-VERDI:6.184:51934 411-VERDI:12.101:46213",
}
# phones of a node that page 43 does not list as registered there (registered later: p11, p42)
EXTRA = {
    "srv01": "109-DEVEL:13.185:51934 100-ACME:50.100:5060 101-ACME:50.101:5060 "
    "102-ACME:50.102:5060",
    "srv02": "102-ROSSI:60.102:5060",
}


def _phones(spec: str) -> list[tuple[str, str, int, bool]]:
    out = []
    for item in spec.split():
        ext, ab, port, *flag = item.split(":")
        out.append((ext, f"127.168.{ab}", int(port), not flag))
    return out


@dataclass
class NodeSpec:
    node: str
    hints: list[tuple[str, str]]
    queues: list[dict]
    lots: list[dict]
    trunks: list[dict]
    trunk: str  # trunk of the 0X. outbound route
    pattern_hint: bool = False
    endpoints: list[dict] = field(default_factory=list)


def _lot(tenant: str, parkext: str, first: int) -> dict:
    return {
        "name": f"parkinglot_{tenant}_default", "context": f"parkedcalls_{tenant}",
        "parkext": parkext, "parkpos": f"{first}-{first + 19}", "parkingtime": 45,
    }  # fmt: skip


def node_spec(node: str) -> NodeSpec:
    devel = [f"{n}-DEVEL" for n in range(100, 110)]
    if node == "srv01":
        no_hint = {"106-DEVEL", "109-DEVEL"}  # 106: no hint on this node; 109: see below
        hints = [(e, f"Custom:{e}") for e in ("100-ACME", "101-ACME", "102-ACME", *devel)]
        hints = [h for h in hints if h[0] not in no_hint]
        hints.append(("109-DEVEL", "PJSIP/109-DEVEL&Custom:109-DEVEL"))
        spec = NodeSpec(
            node, hints,
            queues=[{"name": "500-ACME", "strategy": "ringall"},
                    {"name": "500-DEVEL", "strategy": "ringall"}],
            lots=[_lot("DEVEL", "800", 801), _lot("ACME", "800", 801)],
            trunks=[{"name": "provider-messagenet", "addr": "127.0.0.61", "port": 5061}],
            trunk="provider-messagenet",
        )  # fmt: skip
    else:
        watched = ("100-DEVEL", "101-DEVEL", "103-DEVEL", "104-DEVEL", "500-DEVEL", "801-DEVEL",
                   "802-DEVEL", "100-ROSSI")  # fmt: skip
        spec = NodeSpec(
            node, [(e, f"Custom:{e}") for e in watched], queues=[],
            lots=[_lot("ROSSI", "700", 701), _lot("VERDI", "700", 701), _lot("DEVEL", "800", 801)],
            trunks=[{"name": "provider-messagenet", "addr": "127.0.0.61", "port": 5061},
                    {"name": "provider-eutelia", "addr": "127.0.0.62", "port": 5060}],
            trunk="provider-eutelia", pattern_hint=True,
        )  # fmt: skip
    names = [p[0] for p in _phones(CONTACTS[node] + " " + EXTRA[node])]
    order = {f"{n}-DEVEL": n - 99 for n in range(100, 110)}
    order.update({f"{n}-ACME": n - 89 for n in range(100, 103)})
    for i, name in enumerate(sorted(names, key=lambda n: (order.get(n, 99), n))):
        number = name.split("-")[0]
        spec.endpoints.append({
            "name": name, "number": number, "ex_id": order.get(name, 14 + i),
            "cidname": NAMES.get(name, f"{name.split('-')[1].title()} {number}"),
            "subscribe": name != "108-DEVEL", "rpid": name == "100-DEVEL",
            "password": secrets.token_hex(12),
        })  # fmt: skip
    return spec


class DemoNode:
    """The real PBX configured as a demo node, with its phones (see the module docstring)."""

    def __init__(self, tree: Path, spec: NodeSpec, workdir: Path) -> None:
        self.spec = spec
        self.workdir = workdir
        self.pbx = RealPbx.private(tree, workdir / "tree", node=spec.node)
        self.ami: Ami | None = None
        self.phones: SipPhones | None = None

    def render(self, port_udp: int = PORT_UDP, port_tls: int = PORT_TLS, http: str = "") -> None:
        pbx = self.pbx
        pbx.configure()  # etc/ as the tests use it (asterisk.conf, manager.conf, modules ...)
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(DEMO_ETC)), undefined=jinja2.StrictUndefined,
            trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        )  # fmt: skip
        values = {
            "node": self.spec.node, "port_udp": port_udp, "port_tls": port_tls,
            "endpoints": self.spec.endpoints, "trunks": self.spec.trunks,
            "trunk": self.spec.trunk, "queues": self.spec.queues, "lots": self.spec.lots,
            "hints": [{"name": n, "device": d} for n, d in self.spec.hints],
            "pattern_hint": self.spec.pattern_hint,
        }  # fmt: skip
        for template in sorted(DEMO_ETC.iterdir()):
            pbx.path(f"/etc/asterisk/{template.name}").write_text(
                env.get_template(template.name).render(values)
            )
        keys = pbx.path("/etc/asterisk/keys")
        keys.mkdir(exist_ok=True)
        if not (keys / "asterisk.crt").exists():
            subprocess.run(
                ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "90",
                 "-subj", f"/CN={self.spec.node}.pbx.example.net",
                 "-keyout", str(keys / "asterisk.key"), "-out", str(keys / "asterisk.crt")],
                check=True, capture_output=True,
            )  # fmt: skip
        pbx.path("/etc/asterisk/http.conf").write_text(http or HTTP_INITIAL)
        # a MiRTA node loads AEL (page 12 reloads it)
        modules = pbx.path("/etc/asterisk/modules.conf")
        modules.write_text(modules.read_text().replace("noload => pbx_ael.so\n", ""))
        pbx.path("/etc/asterisk/extensions.ael").write_text(AEL_INITIAL)
        pbx.chroot("chown", "-R", "asterisk:asterisk", "/etc/asterisk")
        pbx.context = {"extensions": []}  # no custom device state is set at start
        # a fresh node's AstDB (no custom device states left by another session of the tree)
        pbx.path("/var/lib/asterisk/astdb.sqlite3").unlink(missing_ok=True)

    def start(self) -> None:
        self.pbx.start()
        self.pbx.rx("core set debug off")
        self.ami = Ami(self.pbx.ami_port, self.pbx.ami_user, self.pbx.ami_secret)
        self.phones = SipPhones(PORT_UDP)

    def stop(self) -> None:
        if self.phones:
            self.phones.close()
            self.phones = None
        if self.ami:
            self.ami.close()
            self.ami = None
        self.pbx.stop()

    def close(self) -> None:
        self.stop()
        self.pbx.unmount()

    def rx(self, command: str) -> str:
        return self.pbx.rx(command)

    def register(self, spec: str) -> None:
        pw = {e["name"]: e["password"] for e in self.spec.endpoints}
        for ext, addr, port, answers in _phones(spec):
            # a phone gone away: registered, then answers nothing (its first qualify included)
            self.phones.add(ext, addr, port, pw[ext], answers=answers)
            self.phones.register(ext)

    def add_trunk_agents(self) -> None:
        for t in self.spec.trunks:
            self.phones.add(t["name"], t["addr"], t["port"])

    def wait_contacts(self, timeout: float = 30) -> None:
        """Until no contact is still Unknown (qualify answered or timed out)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = self.rx("pjsip show contacts")
            if "Unknown" not in out:
                return
            time.sleep(0.5)
        raise RuntimeError("contacts still Unknown:\n" + self.rx("pjsip show contacts"))

    def originate(self, **fields: str) -> None:
        fields.setdefault("Async", "true")
        resp = self.ami.action("Originate", **fields)
        if resp.get("Response") != "Success":
            raise RuntimeError(f"Originate {fields}: {resp.raw}")

    def wait_for(self, command: str, pattern: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = self.rx(command)
            if re.search(pattern, out):
                return out
            time.sleep(0.3)
        raise RuntimeError(f"{command!r} never showed {pattern!r}:\n{out}")


AEL_INITIAL = """// AEL dialplan of the demo node (page 12 adds extensions.d/*.ael)
context mirta-ael {
	s => NoOp(MiRTA AEL);
};
"""
HTTP_INITIAL = """; http.conf of MiRTA PBX demo node srv01 (synthetic)
[general]
enabled=yes
bindaddr=0.0.0.0
bindport=8088
;tlsenable=yes
;tlsbindaddr=0.0.0.0:8089
"""
# http.conf as page 18 leaves it (state p18-http): plain HTTP on loopback, TLS on 8089
HTTP_P18 = """[general]
enabled=yes
bindaddr=127.0.0.1
bindport=8088
tlsenable=yes
tlsbindaddr=0.0.0.0:8089
tlscertfile=/etc/asterisk/keys/asterisk.crt
tlsprivatekey=/etc/asterisk/keys/asterisk.key
"""


# ---- what is recorded -------------------------------------------------------------------------


class Recording:
    """Real answers by (node, page) -> command -> state (None: the answer in any state)."""

    def __init__(self) -> None:
        self.answers: dict[tuple[str, str], dict[str, dict[str | None, str]]] = {}

    def put(self, node: str, page: str, command: str, stdout: str, state: str | None = None):
        self.answers.setdefault((node, page), {}).setdefault(command, {})[state] = stdout


def rx_cmd(command: str) -> str:
    """The replay key of ``asterisk -rx COMMAND`` (the way mirtalib quotes it)."""
    return f"asterisk -rx '{command}'"


def record_srv01(tree: Path, rec: Recording, workdir: Path) -> None:
    spec = node_spec("srv01")
    node = DemoNode(tree, spec, workdir)
    put = lambda page, command, state=None: rec.put(  # noqa: E731
        "srv01", page, rx_cmd(command), node.rx(command), state
    )
    try:
        node.render()
        node.start()
        node.add_trunk_agents()
        # p43: the phones page 43 lists as registered here, 205-ACME gone silent
        node.register(CONTACTS["srv01"])
        node.wait_contacts()
        node.wait_for("pjsip show contacts", r"205-ACME\S+\s+\S+\s+Unavail")
        put("p43", "pjsip show contacts")
        # p44/p45: endpoint settings (idle)
        put("p44", "pjsip show endpoint 100-DEVEL")
        put("p44", "sip show peer 104-DEVEL")
        put("p45", "pjsip show endpoint 103-DEVEL")
        put("p45", "pjsip show endpoint 108-DEVEL")
        put("p32", "sip show peer 107-DEVEL")
        # p05, p01, p03: modules, version, PJSIP objects not there yet
        put("p05", "core show version")
        put("p05", "module show like aeap")
        put("p05", "module reload res_aeap.so")
        put("p01", "module reload res_websocket_client.so")
        for obj in ("transport transport-msteams", "endpoint msteams_trunk_from_teams",
                    "aor aor_msteams_trunk_from_teams"):  # fmt: skip
            put("p03", f"pjsip show {obj}")
        # p10 (before), p12, p35, p37, p18
        put("p10", "pjsip show transports")
        put("p12", "dialplan show globals")
        put("p35", "core reload")
        put("p37", "sip show registry")
        put("p37", "sip show registry", "p37-applied")
        put("p18", "http show status")
        for page in ("p18", "p37"):
            rec.put("srv01", page, rx_cmd("sip reload"), node.rx("sip reload"))
            rec.put("srv01", page, rx_cmd("sip reload"), node.rx("sip reload"), "p37-applied")
        node.pbx.path("/etc/asterisk/http.conf").write_text(HTTP_P18)
        node.pbx.chroot("chown", "asterisk:asterisk", "/etc/asterisk/http.conf")
        put("p18", "module reload http")
        put("p18", "http show status", "p18-http")
        put("p18", "http show status", "p37-applied")
        # p11: the three copies of the DEVEL extensions' state disagree
        node.register(EXTRA["srv01"])
        node.wait_contacts()
        for dev, state in (("100-ACME", "NOT_INUSE"), ("100-DEVEL", "INUSE"),
                           ("101-ACME", "INUSE"), ("101-DEVEL", "NOT_INUSE"),
                           ("102-ACME", "NOT_INUSE"), ("102-DEVEL", "NOT_INUSE"),
                           ("103-DEVEL", "NOT_INUSE"), ("104-DEVEL", "NOT_INUSE"),
                           ("107-DEVEL", "NOT_INUSE"), ("109-DEVEL", "NOT_INUSE")):  # fmt: skip
            node.rx(f"devstate change Custom:{dev} {state}")
        ids = {e["name"]: e["ex_id"] for e in spec.endpoints}
        for queue, name, watch in (("500-ACME", "101-ACME", "Custom:101-ACME"),
                                   ("500-ACME", "102-ACME", "Custom:102-ACME"),
                                   ("500-DEVEL", "101-DEVEL", "Custom:101-DEVEL"),
                                   ("500-DEVEL", "102-DEVEL", "SIP/102-DEVEL"),
                                   ("500-DEVEL", "103-DEVEL", "Custom:103-DEVEL")):  # fmt: skip
            node.ami.action(
                "QueueAdd", Queue=queue, Interface=f"Local/AG-000-NF-{ids[name]}@fromotherpbx",
                MemberName=name, StateInterface=watch, Penalty="0",
            )  # fmt: skip
        node.ami.action(
            "QueuePause", Queue="500-DEVEL", Interface="Local/AG-000-NF-4@fromotherpbx",
            Paused="true", Reason="pausa",
        )  # fmt: skip
        # 107-DEVEL calls out through the trunk; 109-DEVEL is on a call; 101-ACME calls 102-ACME
        node.originate(
            Channel="PJSIP/107-DEVEL",
            Context="authenticated",
            Exten="0571509644",
            Priority="1",
            CallerID='"Paolo Rizzo" <107>',
            Account="DEVEL",
        )
        node.originate(
            Channel="PJSIP/109-DEVEL",
            Application="Wait",
            Data="600",
            CallerID="109",
            Account="DEVEL",
        )
        node.originate(Channel="PJSIP/101-ACME", Context="authenticated", Exten="102-ACME",
                       Priority="1", CallerID="101", Account="ACME")  # fmt: skip
        node.wait_for("core show channels concise", r"(?s)(.*!Up!){5}")
        time.sleep(2)
        put("p11", "devstate list")
        put("p11", "queue show")
        put("p11", "core show hints")
        put("p11", "core show channels concise")
        node.ami.action("Hangup", Channel="/.*/")
        node.wait_for("core show channels count", r"^0 active channels")
        # p42: a trunk call parked by 104-DEVEL (blind transfer to 800), 101-DEVEL parked itself
        node.originate(
            Channel="PJSIP/104-DEVEL",
            Context="authenticated",
            Exten="0571509644",
            Priority="1",
            CallerID='"Laura Greco" <104>',
            Account="DEVEL",
        )
        out = node.wait_for("core show channels concise", r"(?s)(.*!Up!){2}")
        chan = re.search(r"^(PJSIP/104-DEVEL-\w+)!", out, re.M).group(1)
        node.ami.action("BlindTransfer", Channel=chan, Exten="800", Context="authenticated")
        node.wait_for("parking show parkinglot_DEVEL_default", r"Space\s+:\s+801")
        node.originate(
            Channel="PJSIP/101-DEVEL",
            Context="authenticated",
            Exten="800",
            Priority="1",
            CallerID="101",
            Account="DEVEL",
        )
        node.wait_for("parking show parkinglot_DEVEL_default", r"Space\s+:\s+802")
        for command in ("parkedcalls show", "parking show parkinglot_DEVEL_default",
                        "parking show parkinglot_ACME_default", "parking show"):  # fmt: skip
            put("p42", command)
        node.ami.action("Hangup", Channel="/.*/")
        node.wait_for("core show channels count", r"^0 active channels")
        # p38: idle node, its version and modules
        proc = node.pbx.chroot("asterisk", "-V")
        rec.put("srv01", "p38", "asterisk -V", proc.stdout)
        put("p38", "core show channels count")
        modules = node.rx("module show")
        rec.put("srv01", "p38", rx_cmd("module show"), modules)
        # not recorded (see the header): the list after the install is assumed unchanged
        rec.put("srv01", "p38", rx_cmd("module show"), modules, "p38-applied")
        for state in ("p38-snapshot", "p38-applied"):  # the saved list is the recorded one
            rec.put("srv01", "p38", f"cat {SNAPSHOT}", modules, state)
        # p12: the page's fastagi.ael in extensions.d, included by extensions.ael, AEL reloaded
        template = PROJECT / "mirtalib" / "runbooks" / "templates" / "p12_fastagi.ael.j2"
        ael = jinja2.Template(template.read_text()).render(fastagi_url="agi://127.0.0.1/")
        node.pbx.path("/etc/asterisk/extensions.d").mkdir(exist_ok=True)
        node.pbx.path("/etc/asterisk/extensions.d/fastagi.ael").write_text(ael)
        node.pbx.path("/etc/asterisk/extensions.ael").write_text(
            AEL_INITIAL + '#include "/etc/asterisk/extensions.d/fastagi.ael"\n'
        )
        node.pbx.chroot("chown", "-R", "asterisk:asterisk", "/etc/asterisk")
        put("p12", "ael reload")
        put("p12", "dialplan show globals", "p12-applied")
        # p10: restart when convenient, then PJSIP on 5060/5061
        put("p10", "core restart when convenient")
        time.sleep(5)
        node.stop()
        node.render(port_udp=5060, port_tls=5061)
        node.start()
        put("p10", "pjsip show transports", "p10-applied")
        put("p10", "core restart when convenient", "p10-applied")
    finally:
        node.close()


def _replay_file(node: str, page: str, path: str) -> str:
    data = yaml.safe_load((REPLAYS / f"{node}.d" / f"{page}.yaml").read_text())
    return data["files"][path]["content"]


def record_srv02(tree: Path, rec: Recording, workdir: Path) -> None:
    from mirtalib.asterisk.conf import parse_conf
    from mirtalib.runbooks.p23_using_a_node_in_the_cluster_to_dial_out_from_other_nodes import (
        _edit_extensions,
    )

    spec = node_spec("srv02")
    node = DemoNode(tree, spec, workdir)
    put = lambda page, command, state=None: rec.put(  # noqa: E731
        "srv02", page, rx_cmd(command), node.rx(command), state
    )
    custom = "/etc/asterisk/extensions_custom.conf"
    try:
        node.render()
        initial = _replay_file("srv02", "p23", custom)
        node.pbx.path(custom).write_text(initial)
        node.pbx.chroot("chown", "asterisk:asterisk", custom)
        node.start()
        node.add_trunk_agents()
        node.register(CONTACTS["srv02"])
        node.wait_contacts()
        node.wait_for("pjsip show contacts", r"307-ROSSI\S+\s+\S+\s+Unavail")
        put("p43", "pjsip show contacts")
        put("p10", "pjsip show transports")
        put("p35", "core reload")
        # p39: BLF subscriptions of the phones; 100DEVEL and 150-DEVEL match only the _X. hint
        node.rx("devstate change Custom:101-DEVEL INUSE")
        node.rx("devstate change Custom:801-DEVEL INUSE")
        for dev in ("100-DEVEL", "103-DEVEL", "104-DEVEL", "500-DEVEL", "802-DEVEL", "100-ROSSI"):
            node.rx(f"devstate change Custom:{dev} NOT_INUSE")
        watchers = {"100-DEVEL": 2, "100DEVEL": 1, "101-DEVEL": 1, "103-DEVEL": 1,
                    "150-DEVEL": 1, "500-DEVEL": 1, "801-DEVEL": 3, "802-DEVEL": 3,
                    "100-ROSSI": 1}  # fmt: skip
        subscribers = [p[0] for p in _phones(CONTACTS["srv02"]) if p[3]]
        i = 0
        for target, count in watchers.items():
            for _ in range(count):
                answer = node.phones.subscribe(subscribers[i % len(subscribers)], target)
                if answer.status not in (200, 202):
                    raise RuntimeError(f"SUBSCRIBE {target}: {answer.first}")
                i += 1
        time.sleep(1)
        put("p39", "core show hints")
        # p42: a trunk call parked by 102-ROSSI (blind transfer to the ROSSI lot's 700)
        node.register(EXTRA["srv02"])
        node.wait_contacts()
        node.originate(Channel="PJSIP/102-ROSSI", Context="authenticated", Exten="0612345678",
                       Priority="1", CallerID="102", Account="ROSSI")  # fmt: skip
        out = node.wait_for("core show channels concise", r"(?s)(.*!Up!){2}")
        chan = re.search(r"^(PJSIP/102-ROSSI-\w+)!", out, re.M).group(1)
        node.ami.action("BlindTransfer", Channel=chan, Exten="700", Context="authenticated")
        node.wait_for("parking show parkinglot_ROSSI_default", r"Space\s+:\s+701")
        for command in ("parkedcalls show", "parking show parkinglot_ROSSI_default",
                        "parking show parkinglot_VERDI_default",
                        "parking show parkinglot_DEVEL_default", "parking show"):  # fmt: skip
            put("p42", command)
        node.ami.action("Hangup", Channel="/.*/")
        # p23: no DAHDI, no chan_sip on this node; the page's [dahdi] context is real dialplan
        for state in (None, "p23-dialplan", "p23-applied"):
            put("p23", "dahdi show status") if state is None else None
            put("p23", "sip show peers", state)
            put("p23", "sip reload", state)
        put("p23", "dialplan show dahdi")
        put("p23", "dialplan reload")
        doc = parse_conf(initial)
        _edit_extensions({"dial_pattern": "_X.", "dahdi_group": "g0", "dial_timeout": 60})(doc)
        node.pbx.path(custom).write_text(doc.render())
        node.pbx.chroot("chown", "asterisk:asterisk", custom)
        for state in ("p23-dialplan", "p23-applied"):
            put("p23", "dialplan reload", state)
            put("p23", "dialplan show dahdi", state)
        # p10: restart when convenient, then PJSIP on 5060/5061
        put("p10", "core restart when convenient")
        time.sleep(5)
        node.stop()
        node.render(port_udp=5060, port_tls=5061)
        node.pbx.path(custom).write_text(doc.render())
        node.pbx.chroot("chown", "asterisk:asterisk", custom)
        node.start()
        put("p10", "pjsip show transports", "p10-applied")
        put("p10", "core restart when convenient", "p10-applied")
    finally:
        node.close()


# ---- writing the fragments --------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str):
    block = "\n" in value and "\x1b" not in value and not re.search(r" \n| $", value)
    style = "|" if block else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def apply(rec: Recording, headers: dict[tuple[str, str], str]) -> list[Path]:
    """Put the recorded answers into the fragments (other commands and files stay)."""
    written = []
    for (node, page), commands in sorted(rec.answers.items()):
        path = REPLAYS / f"{node}.d" / f"{page}.yaml"
        data = yaml.safe_load(path.read_text()) or {}
        data.setdefault("commands", {})
        for command, by_state in commands.items():
            entry = data["commands"].get(command)
            answers = entry if isinstance(entry, list) else [entry] if entry else []
            for state, stdout in by_state.items():
                for answer in answers:
                    if answer.get("state") == state:
                        break
                else:
                    answer = {"state": state} if state else {}
                    answers.append(answer)
                for key in ("stderr", "exit"):
                    answer.pop(key, None)
                answer["stdout"] = stdout
            data["commands"][command] = answers[0] if len(answers) == 1 else answers
        header = headers.get((node, page), "").strip()
        lines = [
            f"# {part}".rstrip()
            for line in header.splitlines()
            for part in (textwrap.wrap(line, 98, subsequent_indent="  ") or [""])
        ]
        body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
        path.write_text("\n".join(lines) + "\n" + body)
        written.append(path)
    return written


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", default="srv01,srv02")
    ap.add_argument("--save", type=Path, help="also keep the raw recording (YAML) here")
    ap.add_argument("--load", type=Path, help="write the fragments from a kept raw recording")
    args = ap.parse_args()
    rec = Recording()
    if args.load:
        raw = yaml.safe_load(args.load.read_text())
        for item in raw:
            rec.put(item["node"], item["page"], item["command"], item["stdout"], item["state"])
    else:
        if os.geteuid() != 0:
            sys.exit("run as root (chroot, mount)")
        tree = RealPbx.build()
        scratch = Path(tempfile.mkdtemp(prefix="rerecord-"))
        try:
            for name in args.nodes.split(","):
                record = {"srv01": record_srv01, "srv02": record_srv02}[name]
                record(tree, rec, scratch / name)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        if args.save:
            flat = [
                {"node": n, "page": p, "command": c, "state": s, "stdout": out}
                for (n, p), cmds in rec.answers.items()
                for c, states in cmds.items()
                for s, out in states.items()
            ]
            args.save.write_text(yaml.dump(flat, Dumper=_Dumper, sort_keys=False, width=100))
    for path in apply(rec, HEADERS):
        print(f"wrote {path.relative_to(PROJECT)}")


R01, R02 = RECORDED.format(node="srv01"), RECORDED.format(node="srv02")
NO_CHAN_SIP = (
    "chan_sip was removed in Asterisk 21: on this Asterisk 22 node the `sip ...` commands answer\n"
    '"No such command" (recorded).'
)
PHONES = (
    "No real phones or trunks: loopback user agents of the recorder (the demo's 192.168.a.b moved\n"
    "to 127.168.a.b) register with digest auth, answer OPTIONS/INVITE, subscribe to hints."
)
HEADERS: dict[tuple[str, str], str] = {
    ("srv01", "p01"): f"""\
Page 01 (Activating openaigateway) on demo node srv01, an Asterisk 22.10.1 node.
Asterisk answers: {R01}.
The rest is synthetic: a Rocky 9 node where the gateway was installed by the page, i.e.
.env.sample renamed to .env (mode 0644, the published default password 'asterisk') and uvicorn
started with --host 0.0.0.0 (see `ss -lntp` in p03.yaml, shared by pages 01, 02, 03 and 05).
websocket_client.conf does not exist yet. The handshake answer is a real capture:
mirtalib.net.websocket.node_command run by /bin/sh against a `websockets` 17.4 server on
127.0.0.1:9088 offering the sub-protocol 'media'.
States: 'p01-env-private' after `chmod 600` of the .env.""",
    ("srv01", "p03"): f"""\
Page 03 (Integrating with Microsoft Teams) on demo node srv01, an Asterisk 22.10.1 node.
Asterisk answers before `pjsip reload` (the Teams objects do not exist yet): {R01}.
The rest is synthetic: OpenSIPS is installed and listens on 10.20.0.11:5067 with MiRTA's prepared
opensips.cfg copied but its placeholders not filled; pjsip.conf is page 10's recording (not
repeated here); sorcery.conf maps PJSIP objects to realtime only. /etc/opensips/ssl/cert.crt is a
real PEM chain made with `cryptography` for this replay (leaf for asterisk/opensips/
teams1.example.com, 2026-08-20 .. 2026-11-18, signed by a demo intermediate): 16 days left at the
replay clock. NOT recorded: the answers in state 'p03-reloaded' (the Teams transport, endpoint
and AOR after `pjsip reload`) and `pjsip reload` itself are hand-written after Asterisk 20's
layout (the Teams side, OpenSIPS and its TLS certificate are not part of the test PBX).
`ss -lntp` here is shared by pages 01, 02, 03 and 05.
States: 'p03-reloaded' after `pjsip reload` (the Teams transport on 5091 and endpoint exist).""",
    ("srv01", "p05"): f"""\
Page 05 (Talking with ChatGPT over AEAP) on demo node srv01, an Asterisk 22.10.1 node
with res_aeap and res_speech_aeap running (Asterisk answers: {R01}),
no aeap.conf yet. Synthetic: the speech service on 127.0.0.1:9099 (see the shared `ss -lntp` in
p03.yaml) and its env file /usr/local/openaigateway/.env (recorded in p01.yaml, with its
stat/chmod answers). The handshake answer is a real capture: node_command run by /bin/sh against a
`websockets` 17.4 server on 127.0.0.1:9099 offering 'speech_to_text'.""",
    ("srv01", "p10"): f"""\
Page 10 (Flipping chan_sip/PJSIP default protocol) on demo node srv01, an Asterisk 22.10.1 node.
Asterisk answers: {R01}
(PJSIP transports bound as this fragment's pjsip.conf says; after the restart, the same node
configured with 5060/5061). `systemctl restart asterisk` and the files are synthetic.
Also the recorded pjsip.conf of srv01 that pages 23 and 37 read; sip.conf is the same
recording as p35.yaml's (a fragment may not record one file twice with different content):
chan_sip is not loaded on this Asterisk 22 node, sip.conf is a leftover file.
Before: PJSIP on 5080 (udp, tcp) and 5081 (tls).
State 'p10-applied' after the restart: PJSIP transports on 5060/5061.""",
    ("srv01", "p11"): f"""\
Page 11 (Debugging extension state problems) on demo node srv01, 2026-11-02 09:30.
Asterisk answers: {R01}.
{PHONES}
The three copies of the DEVEL extensions' state disagree in every way the chain can break:
  100-DEVEL  custom device state INUSE and st_states INUSE, no channel: a hangup event was lost
  101-DEVEL  st_states INUSE, custom device state NOT_INUSE: the state daemon updated one copy
  102-DEVEL  queue member watches SIP/102-DEVEL instead of Custom:102-DEVEL: on Asterisk 22
             (no chan_sip) the queue shows it Invalid
  103-DEVEL  all agree (NOT_INUSE); paused in 500-DEVEL
  104-DEVEL  no st_states row: the daemon does not write the database for it
  105-DEVEL  st_states row but no custom device state
  107-DEVEL  NOT_INUSE everywhere while a call is up (PJSIP/107-DEVEL -> trunk): a call-setup
             event was lost
  108-DEVEL  only its hint exists: nothing reached the state daemon
  109-DEVEL  the hint watches PJSIP/109-DEVEL&Custom:109-DEVEL and shows InUse (109 is on a call)
Queue members were added at run time (dynamic, "login was N secs ago"); no watcher subscribed.
NOT recorded: the `mysql` answer (MiRTA's st_states table) is synthetic.""",
    ("srv01", "p12"): f"""\
Page 12 (Activating FastAGI) on demo node srv01, an Asterisk 22.10.1 node with AEL loaded.
Asterisk answers: {R01}
(`ael reload` and the globals after the page's fastagi.ael, rendered from its template, is
#included by extensions.ael). The rest is synthetic: node 14 and npm installed, pm2 not; the
FreePBX node folder copied with the split(':') bug. States in order: p12-pm2, p12-startup,
p12-logrotate, p12-started, p12-reloaded, p12-saved, p12-applied (after 'ael reload').""",
    ("srv01", "p18"): f"""\
Page 18 (Enabling WebRTC) on demo node srv01, an Asterisk 22.10.1 node.
Asterisk answers: {R01}
(http.conf as recorded here, then with TLS on 8089 and plain HTTP on 127.0.0.1 for 'p18-http').
{NO_CHAN_SIP}
The rest is synthetic: a CA-signed certificate for srv01.pbx.example.net (demo CA, valid to
2026-12-19) is installed; http.conf has no TLS yet. The s_client output was recorded against a
real openssl s_server holding that certificate.
States: p18-http after 'module reload http', p37-applied after sip reload (shared with p37.yaml).
sip.conf: p10.yaml.""",
    ("srv01", "p32"): f"""\
Page 32 (Cisco 7900/8800/9900) on demo node srv01, 2026-11-02 09:30, an Asterisk 22.10.1 node.
{NO_CHAN_SIP}
Asterisk answers: {R01}.""",
    ("srv01", "p35"): f"""\
Page 35 (Changing server name) on demo node srv01, an Asterisk 22.10.1 node.
Asterisk answers (`core reload` prints nothing): {R01}.
The files are synthetic. The cluster's files name srv01 on both nodes (hosts, sip.conf peer,
realtime table); srv01-backup and 10.20.0.110 are there to prove that only whole tokens are
replaced. State p35-applied: hostnamectl renamed srv01 to pbx01.""",
    ("srv01", "p37"): f"""\
Page 37 (Host based routing vs SIP registration) on demo node srv01, an Asterisk 22.10.1 node.
{NO_CHAN_SIP}
Asterisk answers: {R01}.
sip.conf itself is recorded in p10.yaml (synthetic). State 'p37-applied' after `sip reload`.""",
    ("srv01", "p38"): f"""\
Page 38 (Upgrading/Downgrading Asterisk) on demo node srv01, an Asterisk 22.10.1 node, no
call up. Asterisk answers before the install: {R01}.
States: 'p38-snapshot' after the module list is saved (the saved file holds the recorded list),
'p38-applied' after installAsterisk.sh 20-current. NOT recorded: the answers in 'p38-applied'
(`asterisk -V` 20.15.2 and its `module show`) and the installer's output are hand-written; the
test PBX cannot run Asterisk 20 (Debian sid ships 22 only). The module list after the install is
the recorded 22.10.1 list, assumed unchanged (the page's "same modules running" case).""",
    ("srv01", "p42"): f"""\
Page 42 (Using parking lots) on demo node srv01, 2026-11-02 09:30: two DEVEL calls parked,
none for ACME: a trunk call that 104-DEVEL parked with a blind transfer to 800 (space 801) and
101-DEVEL's own call parked with Park (802); both go back to the parker (comebacktoorigin).
Asterisk answers: {R01}.
{PHONES}
`parkedcalls show` (removed in Asterisk 12) answers "No such command"; res_parking's
`parking show` prints no time left.""",
    ("srv01", "p43"): f"""\
Page 43 (Clustering and High Availability) on demo node srv01.
Live SRV answers from 1.1.1.1 (dnspython-built messages, hex): pbxa is published as designed;
pbxb lists both nodes at priority 10 (the single-pool layout the page advises against).
Built by tests/integration/net/replay_builders/p43.py.
`pjsip show contacts`: {R01}.
{PHONES}
Registered phones follow the demo tenants: DEVEL on srv01 (one phone on srv02), ACME split
13/11 between the nodes, ROSSI and VERDI on srv02; 205-ACME and 307-ROSSI stopped answering
(Unavail). The contact column is cut at its width by Asterisk.""",
    ("srv01", "p44"): f"""\
Pages 42/44 (parked call caller ID on Yealink) on demo node srv01, 2026-11-02 09:30, an
Asterisk 22.10.1 node: 100-DEVEL (PJSIP) trusts and sends RPID; 104-DEVEL was a chan_sip
Yealink T46S: {NO_CHAN_SIP}
Asterisk answers: {R01}.
{PHONES}""",
    ("srv01", "p45"): f"""\
Page 45 (Zoiper chat) on demo node srv01, 2026-11-02 09:30: 103-DEVEL (PJSIP, Zoiper 5)
accepts subscriptions; 108-DEVEL has subscriptions turned off.
Asterisk answers: {R01}.
{PHONES}""",
    ("srv02", "p10"): f"""\
Page 10 (Flipping chan_sip/PJSIP default protocol) on demo node srv02, an Asterisk 22.10.1 node.
Asterisk answers: {R02}
(PJSIP transports bound as this fragment's pjsip.conf says; after the restart, the same node
configured with 5060/5061). `systemctl restart asterisk` and the files are synthetic.
Also the recorded pjsip.conf of srv02 that pages 23 and 37 read; sip.conf is the same
recording as p35.yaml's (a fragment may not record one file twice with different content):
chan_sip is not loaded on this Asterisk 22 node, sip.conf is a leftover file.
Before: PJSIP on 5080 (udp, tcp) and 5081 (tls).
State 'p10-applied' after the restart: PJSIP transports on 5060/5061.""",
    ("srv02", "p23"): f"""\
Page 23 (Using a node in the cluster to dial out from other nodes) on demo node srv02, an
Asterisk 22.10.1 node without chan_dahdi loaded (no DAHDI card in the test PBX) and without
chan_sip: `dahdi show status` and the `sip ...` commands answer "No such command".
Asterisk answers: {R02}
(the [dahdi] context is the page's own edit of extensions_custom.conf, #tryincluded by
extensions.conf). sip.conf is recorded in p10.yaml (synthetic). States: 'p23-dialplan' after
`dialplan reload` ([dahdi] loaded); 'p23-applied' after `sip reload`.""",
    ("srv02", "p35"): f"""\
Page 35 (Changing server name) on demo node srv02, an Asterisk 22.10.1 node.
Asterisk answers (`core reload` prints nothing): {R02}.
The files are synthetic. The cluster's files name srv01 on both nodes (hosts, sip.conf peer,
realtime table); srv01-backup and 10.20.0.110 are there to prove that only whole tokens are
replaced. State p35-applied: hostnamectl renamed srv01 to pbx01.""",
    ("srv02", "p39"): f"""\
Pages 31/39 (BLF on Cisco SPA / on a phone) on demo node srv02, 2026-11-02 09:30.
Asterisk answers: {R02}.
{PHONES}
A DEVEL phone was set to monitor '100DEVEL' (no dash): Asterisk 22 ignores the dash when it
matches extensions, so that subscription is one of the 3 watchers of 100-DEVEL's hint and no
'100DEVEL' hint is made from the _X. pattern hint. 150-DEVEL is watched but no such extension
exists: its hint was made from _X. 104-DEVEL has no watcher yet (the Cisco SPA of page 31).""",
    ("srv02", "p42"): f"""\
Page 42 (Using parking lots) on demo node srv02, 2026-11-02 09:30: one ROSSI trunk call
parked by 102-ROSSI (blind transfer to 700), space 701; VERDI and DEVEL lots empty.
Asterisk answers: {R02}.
{PHONES}
`parkedcalls show` (removed in Asterisk 12) answers "No such command"; res_parking's
`parking show` prints no time left.""",
    ("srv02", "p43"): f"""\
Page 43 (Clustering and High Availability) on demo node srv02.
Live SRV answers from 1.1.1.1 (dnspython-built messages, hex): pbxa is published as designed;
pbxb lists both nodes at priority 10 (the single-pool layout the page advises against).
Built by tests/integration/net/replay_builders/p43.py.
`pjsip show contacts`: {R02}.
{PHONES}
Registered phones follow the demo tenants: DEVEL on srv01 (one phone on srv02), ACME split
13/11 between the nodes, ROSSI and VERDI on srv02; 205-ACME and 307-ROSSI stopped answering
(Unavail). The contact column is cut at its width by Asterisk.""",
}

if __name__ == "__main__":
    main()
