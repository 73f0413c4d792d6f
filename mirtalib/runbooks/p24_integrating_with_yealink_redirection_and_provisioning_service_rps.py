"""Seed page 24, *Integrating with Yealink RPS*: register phones at Yealink's redirection service.

Yealink's Redirection and Provisioning Service (RPS) tells a factory-fresh phone where its
provisioning server is. The page: in the RPS portal (``https://dm.yealink.com/manager/login``)
add a *server* (friendly name + provisioning URL) under *Server Management*; in MiRTA, *Admin >
Provisioning > Phone Models*, give the Yealink profile a *Remote provisioning POST message*: the
XML-RPC call ``redirect.registerDevice`` (MAC, server name, override flag), sent whenever a phone
is created or updated in *Configuration/Provisioning/Phone*, with content type
``application/json;charset=UTF-8`` as the page insists (although the body is XML: keep what
MiRTA's poster expects).

This module reads a phone inventory (CSV or YAML: mac, model, server, server_url), validates and
normalizes the MACs (every bad row reported, never dropped), and builds the exact request per
phone with :mod:`xmlrpc.client`. With no inventory file, :func:`phone_inventory` takes the demo
PBX's phones only when the demo stands for the database (``MIRTA_DB_URL=demo``, ``replay:``
targets); otherwise the inventory step says what to set (:data:`NO_INVENTORY`), never the demo's
rows on a real node. The notebook shows the requests; it never sends them (a test
sends one to a local HTTP server). The RPS password is read from the env var named by a
parameter, and only when sending.
"""

from __future__ import annotations

import base64
import csv
import io
import re
import urllib.request
import xmlrpc.client
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from mirtalib import validate
from mirtalib.data.db import demo_selected, describe_url
from mirtalib.errors import DataSourceError, ParameterError
from mirtalib.net.credhttp import RedirectRefused, open_with_credentials, require_https
from mirtalib.runbook import Check, Manual, Param, Phase, RunbookDef, Step, Verdict, Verification
from mirtalib.runbook.checks import Unavailable, database_finding
from mirtalib.secrets import resolve_secret, scrub
from mirtalib.settings import Settings
from mirtalib.validate import cmd

CONTENT_TYPE = "application/json;charset=UTF-8"  # what the page says MiRTA must send
RPS_URL = "https://rps.yealink.com/xmlrpc"
METHOD = "redirect.registerDevice"
COLUMNS = ("mac", "model", "server", "server_url")
YEALINK_OUI = ("001565", "805ec0", "249ad8", "44dbd2", "805e0c")  # known, not exhaustive
_MAC_SEP = re.compile(r"[:\-.\s]")
_MODEL = re.compile(r"^[A-Z]{1,4}\d{1,3}[A-Z]{0,3}$")


#: what the inventory step says when no file is given and no phone list can be read
NO_INVENTORY = (
    "no phone inventory: set inventory (a CSV or YAML file: mac, model, server, server_url); "
    "the demo PBX's phones only with MIRTA_DB_URL=demo or on replay: targets"
)


def demo_inventory() -> Path:
    """The demo PBX's phone inventory shipped with mirtalib (read it through
    :func:`phone_inventory`, which takes it only when the demo was asked for)."""
    return Path(str(resources.files("mirtalib.runbooks") / "templates" / "p24_phones_demo.csv"))


class NoPhoneInventory(DataSourceError):
    """No inventory file and no phone list to read: the inventory step's finding."""


def normalize_mac(value: str) -> str:
    """``80:5E:C0:1A:2B:01`` / ``805E.C01A.2B01`` -> ``805ec01a2b01`` (ParameterError if bad)."""
    mac = _MAC_SEP.sub("", str(value)).lower()
    if not re.fullmatch(r"[0-9a-f]{12}", mac):
        raise ParameterError(f"MAC {value!r} is not 12 hexadecimal digits")
    if int(mac[1], 16) & 1:
        raise ParameterError(f"MAC {value!r} is a multicast address, not a phone")
    if mac in ("000000000000", "ffffffffffff"):
        raise ParameterError(f"MAC {value!r} is not a device address")
    return mac


@dataclass(frozen=True)
class Inventory:
    """Validated phones and every rejected row with its reason."""

    phones: pd.DataFrame  # mac, model, server, server_url, oui_known
    rejects: pd.DataFrame  # line, reason, raw


def _rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() in (".yaml", ".yml"):
        data = yaml.safe_load(text) or []
        if not isinstance(data, list):
            raise DataSourceError(f"{path.name}: a YAML inventory is a list of phones")
        return [(i, r if isinstance(r, dict) else {"raw": r}) for i, r in enumerate(data, 1)]
    lines = [(n, ln) for n, ln in enumerate(text.splitlines(), 1) if not ln.startswith("#")]
    reader = csv.DictReader(io.StringIO("\n".join(ln for _, ln in lines)))
    missing = set(COLUMNS) - set(reader.fieldnames or ())
    if missing:
        raise DataSourceError(f"{path.name}: missing column(s) {sorted(missing)}")
    return [(lines[i + 1][0], row) for i, row in enumerate(reader)]


def read_inventory(path: str | Path) -> Inventory:
    """Read and validate a phone inventory (CSV with a header, or a YAML list of mappings)."""
    path = Path(path)
    if not path.is_file():
        raise DataSourceError(f"phone inventory {path.name!r} not found")
    good, bad, seen = [], [], {}
    for line, row in _rows(path):
        raw = ",".join(str(row.get(c, "")) for c in COLUMNS)
        try:
            mac = normalize_mac(str(row.get("mac", "")))
            model = str(row.get("model", "")).strip().upper()
            if not _MODEL.match(model):
                raise ParameterError(f"model {model!r} is not a Yealink model name like T54W")
            server = str(row.get("server", "")).strip()
            if not re.fullmatch(r"[A-Za-z0-9_.\- ]{1,64}", server):
                raise ParameterError(f"server name {server!r} is empty or has odd characters")
            url = validate.url(str(row.get("server_url", "")).strip(), "server_url")
            if mac in seen:
                raise ParameterError(f"MAC {mac} repeats line {seen[mac]}")
        except ParameterError as exc:
            bad.append({"line": line, "reason": str(exc), "raw": raw})
            continue
        seen[mac] = line
        good.append(
            {
                "mac": mac,
                "model": model,
                "server": server,
                "server_url": url,
                "oui_known": mac[:6] in YEALINK_OUI,
            }
        )
    return Inventory(
        pd.DataFrame(good, columns=[*COLUMNS, "oui_known"]),
        pd.DataFrame(bad, columns=["line", "reason", "raw"]),
    )


def phone_inventory(path: str | Path = "", settings: Settings | None = None) -> Inventory:
    """The phones of ``path`` (CSV or YAML); with no path, the demo PBX's when the demo stands
    for the MiRTA database (``MIRTA_DB_URL=demo``, a run on ``replay:`` targets).

    Raises:
        NoPhoneInventory: no path and no demo (:data:`NO_INVENTORY`); with a real MIRTA_DB_URL,
            saying that its phone list is not read (MiRTA's *Configuration > Provisioning >
            Phone* table is not among the tables this library maps).
        DataSourceError: the file is missing or lacks a column.
    """
    if path:
        return read_inventory(path)
    settings = settings or Settings.load()
    if settings.db_url is not None:
        raise NoPhoneInventory(
            f"no phone inventory: the phones of {describe_url(settings.db_url)} are not read "
            "(MiRTA's Configuration > Provisioning > Phone table is not mapped here); set "
            "inventory (a CSV or YAML file: mac, model, server, server_url)"
        )
    if not demo_selected(settings):
        raise NoPhoneInventory(NO_INVENTORY)
    return read_inventory(demo_inventory())


def inventory_or_finding(path: str | Path = "") -> Inventory | Unavailable:
    """:func:`phone_inventory`, or the reason there is none (what a notebook cell prints)."""
    try:
        return phone_inventory(path)
    except NoPhoneInventory as exc:
        return Unavailable(str(exc))


def inventory_text(inv: Inventory | Unavailable) -> str:
    """The valid phones and the rejected rows (or why there is no inventory)."""
    if isinstance(inv, Unavailable):
        return inv.reason
    return (
        f"{inv.phones.to_string(index=False)}\n\nrejected rows: {len(inv.rejects)}\n"
        f"{inv.rejects.to_string(index=False)}"
    )


def servers_text(inv: Inventory | Unavailable) -> str:
    """The RPS server entries to create (or why there is no inventory)."""
    if isinstance(inv, Unavailable):
        return inv.reason
    return servers(inv).to_string(index=False)


def requests_text(inv: Inventory | Unavailable, v: dict[str, Any]) -> str:
    """The first phone's request as sent, then each phone's body size (``v``: the page's
    ``rps_url``, ``override``, ``content_type`` and ``charset``), or why there is none."""
    if isinstance(inv, Unavailable):
        return inv.reason
    reqs = requests_for(
        inv, override=v["override"], url=v["rps_url"], content_type=full_content_type(v)
    )
    if not reqs:
        return "no valid phone in the inventory: no request"
    return reqs[0].describe() + "\n" + "\n".join(f"{r.mac}: {len(r.body)} bytes" for r in reqs)


def servers(inv: Inventory) -> pd.DataFrame:
    """RPS server entries to create: name -> provisioning URL (ParameterError on a conflict)."""
    table = inv.phones.groupby("server")["server_url"].agg(lambda s: sorted(set(s)))
    for name, urls in table.items():
        if len(urls) > 1:
            raise ParameterError(f"RPS server {name!r} has several URLs in the inventory: {urls}")
    counts = inv.phones.groupby("server").size()
    return pd.DataFrame(
        {"server": table.index, "provisioning_url": [u[0] for u in table], "phones": counts.values}
    )


@dataclass(frozen=True)
class RpsRequest:
    """One ``redirect.registerDevice`` POST (no credentials in it)."""

    mac: str
    url: str
    content_type: str
    body: str

    def describe(self) -> str:
        """The request as it would go on the wire (credentials replaced by a note)."""
        return (
            f"POST {self.url}\nContent-Type: {self.content_type}\n"
            f"Authorization: Basic <RPS user and password>\n\n{self.body}"
        )


def register_request(
    mac: str,
    server: str,
    *,
    override: bool = True,
    url: str = RPS_URL,
    content_type: str = CONTENT_TYPE,
) -> RpsRequest:
    """``redirect.registerDevice(mac, server, override)`` as an XML-RPC POST body."""
    mac = normalize_mac(mac)
    body = xmlrpc.client.dumps((mac, server, "1" if override else "0"), methodname=METHOD)
    return RpsRequest(mac, url, content_type, body)


def requests_for(inv: Inventory, **options: Any) -> list[RpsRequest]:
    """One request per valid phone, in inventory order."""
    return [register_request(r.mac, r.server, **options) for r in inv.phones.itertuples()]


def send(
    request: RpsRequest,
    user: str,
    password_env: str,
    timeout: float = 20.0,
    *,
    cafile: str | None = None,
) -> Any:
    """POST ``request`` with basic auth; return the XML-RPC answer.

    The credentials go only over https with the certificate verified (``cafile``: CA bundle, else
    the system store) and never to another host on a redirect
    (:func:`mirtalib.net.credhttp.open_with_credentials`).

    Raises:
        ParameterError: the URL is not https (checked before the password is read).
        DataSourceError: no answer, a certificate that does not verify, a redirect to another
            host, an answer that is not XML-RPC.
    """
    require_https(request.url, "rps_url")
    password = resolve_secret(password_env)
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    req = urllib.request.Request(  # noqa: S310 - https only (open_with_credentials)
        request.url,
        data=request.body.encode("utf-8"),
        method="POST",
        headers={"Content-Type": request.content_type, "Authorization": f"Basic {token}"},
    )
    try:
        with open_with_credentials(req, name="rps_url", timeout=timeout, cafile=cafile) as resp:
            answer, _method = xmlrpc.client.loads(resp.read())
    except RedirectRefused as exc:
        raise DataSourceError(f"RPS: {exc}") from None
    except (OSError, ValueError, xmlrpc.client.Error) as exc:
        raise DataSourceError(f"RPS {request.url}: {scrub(str(exc))}") from None
    return answer[0] if answer else None


def _media_type(value: str) -> str:
    if not re.fullmatch(r"[a-z]+/[a-z0-9.+\-]+", value or ""):
        raise ParameterError(f"content_type={value!r} is not a media type like application/json")
    return value


def full_content_type(v: dict[str, Any]) -> str:
    """``application/json;charset=UTF-8`` from the two parameters (the page's exact header)."""
    return v["content_type"] + (f";charset={v['charset']}" if v["charset"] else "")


def _inventory_path(value: str) -> str:
    if not value:
        return value
    if not Path(value).is_file():
        raise ParameterError(f"inventory={value!r}: file not found")
    return value


PARAMS = (
    Param(
        "inventory",
        "",
        "phone inventory CSV/YAML (mac, model, server, server_url); empty: the demo PBX's "
        "on replay targets (or with the demo database), else a finding",
        check=_inventory_path,
    ),
    Param("rps_url", RPS_URL, "RPS XML-RPC endpoint", kind="https_url"),
    Param("rps_user", "mirta-provisioning", "RPS account user name"),
    Param(
        "rps_password_env",
        "MIRTA_RPS_PASSWORD",
        "env var holding the RPS password (never the password)",
        kind="env_var",
        secret_ref=True,
    ),
    Param("override", True, "replace an existing RPS entry of the same MAC"),
    Param(
        "content_type",
        "application/json",
        "media type of the POST, as the page says",
        check=_media_type,
    ),
    Param(
        "charset",
        "UTF-8",
        'charset added to the Content-Type header (page: UTF-8); "" for none',
        choices=("UTF-8", ""),
    ),
)


def _inventory_expect(inv: Inventory):
    def expect(_text: str) -> tuple[Verdict, str]:
        n, bad = len(inv.phones), len(inv.rejects)
        unknown = int((~inv.phones["oui_known"]).sum())
        reason = f"{n} phone(s) ready, {bad} row(s) rejected"
        if unknown:
            reason += f", {unknown} MAC(s) outside the known Yealink prefixes"
        if not n:
            return Verdict.FAIL, reason + ": nothing to register"
        return (Verdict.WARN if bad or unknown else Verdict.PASS), reason

    return expect


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 24 for validated parameter values ``v``."""
    title = "Phone inventory: MACs valid and unique"
    inv = inventory_or_finding(v["inventory"])
    if isinstance(inv, Unavailable):  # never the demo's phones on a real node
        urls: list[tuple[str, str]] = []  # no provisioning URL to ask from the node
        entries = f"one per RPS server name of the phone inventory (not read: {inv.reason})"
        first: Step = database_finding("inventory", title, inv.reason)
    else:
        urls = [(r.server, r.provisioning_url) for r in servers(inv).itertuples()]
        entries = "; ".join(f"{name} -> {url}" for name, url in urls)
        first = Check(
            id="inventory",
            title=title,
            phase=Phase.BEFORE,
            probe=lambda _t: "",
            expect=_inventory_expect(inv),
        )
    steps: list[Step] = [
        first,
        Manual(
            id="rps-servers",
            title="Server entries in the RPS portal",
            where="https://dm.yealink.com/manager/login > Server Management > Add Server",
            detail=entries,
        ),
        Manual(
            id="phone-model",
            title="Remote provisioning POST message on the Yealink model",
            where="MiRTA Admin > Provisioning > Phone Models > Yealink profile",
            detail=f"URL {v['rps_url']}, method {METHOD} with the phone's MAC, the server "
            f"name and override {'1' if v['override'] else '0'}; content type "
            f"{full_content_type(v)}; RPS user {v['rps_user']}, password from "
            f"{v['rps_password_env']}",
        ),
    ]
    for name, url in urls:
        steps.append(
            Check(
                id=f"prov-url-{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}",
                title=f"Provisioning URL of {name} answers from the node",
                command=cmd(
                    "curl",
                    "-sS",
                    "-o",
                    "/dev/null",
                    "--max-time",
                    "10",
                    "-w",
                    "%{http_code}",
                    url,
                ),
                expect=_http_expect,
            )
        )
    steps.append(
        Manual(
            id="save-phones",
            title="Create or update the phones",
            where="MiRTA Configuration > Provisioning > Phone",
            detail="saving a phone posts its RPS entry; check it in the RPS portal",
        )
    )
    return steps


def _http_expect(code: str) -> tuple[Verdict, str]:
    code = code.strip()
    if code.startswith(("2", "3")) or code in ("401", "403"):
        return Verdict.PASS, f"HTTP {code}: the phones will reach the provisioning server"
    return Verdict.FAIL, f"HTTP {code or 'no answer'}: redirected phones would find nothing"


RUNBOOK = RunbookDef(
    page=24,
    slug="integrating-with-yealink-redirection-and-provisioning-service-rps",
    title="Integrating with Yealink Redirection and Provisioning Service (RPS)",
    scope="tenant",
    roles=("pbx",),
    params=PARAMS,
    build=build,
    summary="RPS registerDevice requests from a validated phone inventory; server entries",
    verification=Verification(
        mirta_page="Configuration/Provisioning/Phone: saving a phone shows no RPS error; the "
        "RPS portal lists the MAC under the right server.",
        asterisk_log="After a factory reset the phone fetches its configuration (web server "
        "access log) and registers (Asterisk log).",
        status_menu="Status menu: the phone's extension is registered.",
    ),
)
