"""Page 24 (Yealink RPS): inventory validation, the registerDevice request, a real POST to a
local HTTP server that decodes it as RPS would, the runbook on the recorded node, and an empty
``inventory`` off the demo: a finding, never the demo PBX's phones."""

from __future__ import annotations

import base64
import shutil
import ssl
import threading
import xmlrpc.client
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from mirtalib.data.db import demo_scope
from mirtalib.errors import DataSourceError, ParameterError, SecretError
from mirtalib.runbook import Status, Verdict
from mirtalib.runbook.replay import replay_dir
from mirtalib.runbooks.p24_integrating_with_yealink_redirection_and_provisioning_service_rps import (  # noqa: E501
    CONTENT_TYPE,
    NO_INVENTORY,
    RUNBOOK,
    NoPhoneInventory,
    demo_inventory,
    inventory_or_finding,
    inventory_text,
    normalize_mac,
    phone_inventory,
    read_inventory,
    register_request,
    requests_for,
    requests_text,
    send,
    servers,
    servers_text,
)
from mirtalib.settings import Settings

from .https_loopback import make_ca


def test_mac_normalization_and_rejects():
    assert normalize_mac("80:5E:C0:1A:2B:01") == normalize_mac("805E.C01A.2B01") == "805ec01a2b01"
    assert normalize_mac("24-9a-d8-00-11-22") == "249ad8001122"
    for bad, why in [
        ("80:5E:C0:1A:2B", "12 hexadecimal"),
        ("01:00:5e:00:00:01", "multicast"),
        ("00:00:00:00:00:00", "not a device"),
        ("zz5EC01A2B01", "12 hexadecimal"),
    ]:
        with pytest.raises(ParameterError, match=why):
            normalize_mac(bad)


def test_demo_inventory_counts_and_line_numbers():
    inv = read_inventory(demo_inventory())
    assert list(inv.phones["mac"]) == [
        "805ec01a2b01",
        "805ec01a2b02",
        "805ec01a2b03",
        "249ad8001122",
        "44dbd2003344",
    ]
    assert list(inv.rejects["line"]) == [10, 11]
    assert "repeats line 6" in inv.rejects["reason"].iloc[1]
    table = servers(inv)
    assert dict(zip(table["server"], table["phones"], strict=True)) == {
        "mirta-srv01": 3,
        "mirta-srv02": 2,
    }


def test_yaml_inventory_and_conflicting_server_urls(tmp_path):
    path = tmp_path / "phones.yaml"
    path.write_text(
        "- {mac: '80:5E:C0:00:00:01', model: t54w, server: a, server_url: "
        "'https://a.example/p/'}\n- {mac: '80:5E:C0:00:00:02', model: T46U, server: a,"
        " server_url: 'https://b.example/p/'}\n- not a mapping\n"
    )
    inv = read_inventory(path)
    assert list(inv.phones["model"]) == ["T54W", "T46U"] and len(inv.rejects) == 1
    with pytest.raises(ParameterError, match="several URLs"):
        servers(inv)


def test_inventory_errors(tmp_path):
    with pytest.raises(DataSourceError, match="not found"):
        read_inventory(tmp_path / "none.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("mac,model\n805ec01a2b01,T54W\n")
    with pytest.raises(DataSourceError, match="missing column"):
        read_inventory(bad)


def test_register_request_is_the_xmlrpc_call():
    req = register_request("80:5E:C0:1A:2B:01", "mirta-srv01", override=False)
    params, method = xmlrpc.client.loads(req.body)
    assert method == "redirect.registerDevice" and params == ("805ec01a2b01", "mirta-srv01", "0")
    assert req.content_type == CONTENT_TYPE == "application/json;charset=UTF-8"
    assert "Basic <RPS user and password>" in req.describe()


class _Rps(BaseHTTPRequestHandler):
    seen: ClassVar[list] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        params, method = xmlrpc.client.loads(body)
        self.seen.append(
            (self.headers["Content-Type"], self.headers["Authorization"], method, params)
        )
        answer = xmlrpc.client.dumps(({"ret": True, "mac": params[0]},), methodresponse=True)
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.end_headers()
        self.wfile.write(answer.encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def rps_server(tmp_path):
    """A real HTTPS XML-RPC server on loopback; yields its URL and the CA bundle to trust."""
    pki = make_ca(tmp_path)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Rps)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(pki["cert"], pki["key"])
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Rps.seen = []
    yield f"https://127.0.0.1:{server.server_address[1]}/xmlrpc", str(pki["ca"])
    server.shutdown()
    server.server_close()


def test_send_posts_with_basic_auth(rps_server, monkeypatch):
    monkeypatch.setenv("MIRTA_TEST_RPS_PASSWORD", "s3cret-rps")
    inv = read_inventory(demo_inventory())
    url, cafile = rps_server
    req = requests_for(inv, url=url)[3]
    answer = send(req, "mirta-provisioning", "MIRTA_TEST_RPS_PASSWORD", cafile=cafile)
    assert answer == {"ret": True, "mac": "249ad8001122"}
    ctype, auth, method, params = _Rps.seen[0]
    assert ctype == "application/json;charset=UTF-8" and method == "redirect.registerDevice"
    assert params == ("249ad8001122", "mirta-srv02", "1")
    assert base64.b64decode(auth.split()[1]).decode() == "mirta-provisioning:s3cret-rps"


def test_send_without_password_and_to_a_dead_server(monkeypatch):
    monkeypatch.delenv("MIRTA_TEST_RPS_PASSWORD", raising=False)
    req = register_request("805ec01a2b01", "x", url="https://127.0.0.1:9/xmlrpc")
    with pytest.raises(SecretError):
        send(req, "u", "MIRTA_TEST_RPS_PASSWORD")
    monkeypatch.setenv("MIRTA_TEST_RPS_PASSWORD", "pw-not-shown")
    with pytest.raises(DataSourceError) as err:
        send(req, "u", "MIRTA_TEST_RPS_PASSWORD", timeout=2)
    assert "pw-not-shown" not in str(err.value)


@pytest.mark.parametrize("db_url", ["demo", None])
def test_runbook_on_the_recorded_node(tmp_path, monkeypatch, db_url):
    if db_url is None:  # a replay target: the demo stands for the database all the same
        monkeypatch.delenv("MIRTA_DB_URL")
        monkeypatch.setenv("MIRTA_DOTENV", "/dev/null")
    folder = tmp_path / "replays"
    (folder / "srv01.d").mkdir(parents=True)
    shutil.copy(replay_dir() / "srv01.yaml", folder)
    shutil.copy(replay_dir() / "srv01.d" / "p24.yaml", folder / "srv01.d")
    rb = RUNBOOK.open("replay:srv01", target_options={"replay_dir": folder}, journal=tmp_path)
    steps = {r.step_id: r for r in rb.verify().nodes[0].results}
    assert steps["inventory"].status is Status.WARN
    assert steps["inventory"].reason == "5 phone(s) ready, 2 row(s) rejected"
    assert steps["prov-url-mirta-srv01"].status is Status.PASS
    assert steps["prov-url-mirta-srv02"].status is Status.PASS


@pytest.mark.parametrize(
    "values, match",
    [
        ({"rps_url": "ftp://rps.example"}, "rps_url"),
        ({"rps_password_env": "pass word"}, "rps_password_env"),
        ({"content_type": "json"}, "content_type"),
        ({"charset": "latin1"}, "charset"),
        ({"inventory": "/nonexistent/phones.csv"}, "not found"),
    ],
)
def test_bad_parameters(values, match, tmp_path):
    with pytest.raises((ParameterError, DataSourceError), match=match):
        RUNBOOK.open("replay:srv01", journal=tmp_path, **values)


# -- an empty inventory off the demo ------------------------------------------------------------

DEMO_ROWS = ("mirta-srv0", "805ec01a2b", "demo.mirta.example")
VALUES = {"rps_url": "https://rps.example/x", "override": False}


@pytest.fixture
def no_database(monkeypatch):
    monkeypatch.delenv("MIRTA_DB_URL", raising=False)
    monkeypatch.setenv("MIRTA_DOTENV", "/dev/null")


def _shows_demo(text: str) -> list[str]:
    return [v for v in DEMO_ROWS if v in text]


def test_no_inventory_and_no_database_is_the_finding(no_database):
    with pytest.raises(NoPhoneInventory) as err:
        phone_inventory("")
    assert str(err.value) == NO_INVENTORY
    assert NO_INVENTORY.startswith("no phone inventory: set inventory")
    inv = inventory_or_finding("")
    values = {**VALUES, "content_type": "application/json", "charset": "UTF-8"}
    for text in (inventory_text(inv), servers_text(inv), requests_text(inv, values)):
        assert text == NO_INVENTORY


def test_no_inventory_inside_the_replay_rule_is_the_demo_pbx_phones(no_database):
    with demo_scope():
        inv = phone_inventory("")
    assert list(inv.phones["mac"]) == list(read_inventory(demo_inventory()).phones["mac"])
    assert len(inv.rejects) == 2


def test_a_real_database_never_gives_the_demo_phones(no_database, tmp_path):
    settings = Settings.load(f"sqlite:///{tmp_path / 'mirta.db'}")
    with demo_scope():  # even where the demo could stand in: the configured database wins
        with pytest.raises(NoPhoneInventory) as err:
            phone_inventory("", settings)
    message = str(err.value)
    assert message.startswith("no phone inventory: the phones of SQLite database")
    assert "set inventory (a CSV or YAML file" in message and not _shows_demo(message)


def test_an_inventory_file_needs_no_database(no_database, tmp_path):
    path = tmp_path / "phones.csv"
    path.write_text("mac,model,server,server_url\n001565aabbcc,T54W,pbx-a,https://a.example/p/\n")
    inv = inventory_or_finding(str(path))
    assert list(inv.phones["mac"]) == ["001565aabbcc"]
    steps = {s.id: s for s in RUNBOOK.steps(RUNBOOK.validate({"inventory": str(path)}), ["n1"])}
    assert "prov-url-pbx-a" in steps
    assert steps["rps-servers"].detail == "pbx-a -> https://a.example/p/"


def test_the_runbook_on_a_real_node_without_inventory_reports_it(no_database):
    steps = RUNBOOK.steps(RUNBOOK.validate({}), ["pbx1"])
    ids = [s.id for s in steps]
    assert "inventory" in ids and "phone-model" in ids and "save-phones" in ids
    assert not [i for i in ids if i.startswith("prov-url-")]  # no demo URL asked from the node
    check = next(s for s in steps if s.id == "inventory")
    verdict, reason = check.expect(check.parse(check.probe(None)))
    assert verdict is Verdict.FAIL and reason == NO_INVENTORY
    shown = " ".join(f"{s.title} {getattr(s, 'detail', '')}" for s in steps)
    assert not _shows_demo(shown)
    assert "not read: no phone inventory" in next(s for s in steps if s.id == "rps-servers").detail


def test_the_runbook_on_replay_targets_without_a_database_reads_the_demo(no_database, tmp_path):
    rb = RUNBOOK.open("replay:srv01", journal=tmp_path)
    ids = [s.id for s in rb.steps]
    assert "prov-url-mirta-srv01" in ids and "prov-url-mirta-srv02" in ids


def test_requests_text_of_an_inventory_without_valid_phones(tmp_path):
    path = tmp_path / "phones.csv"
    path.write_text("mac,model,server,server_url\n80:5E:C0,T54W,a,https://a.example/p/\n")
    values = {**VALUES, "content_type": "application/json", "charset": ""}
    assert (
        requests_text(phone_inventory(path), values)
        == "no valid phone in the inventory: no request"
    )
