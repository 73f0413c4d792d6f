"""Seed page 01, *Activating openaigateway*: Asterisk talks to the OpenAIGateway over a websocket.

The OpenAIGateway is a Python 3.12 FastAPI application in ``/usr/local/openaigateway`` started
with ``poetry run uvicorn src.main:app --port 9088``; Asterisk's ``websocket_client.conf`` gets a
connection (``[openaibridge]``, ``type=websocket_client``, ``uri=ws://127.0.0.1:9088``,
``protocols=media``) and the gateway's ``.env`` gets the MySQL details.

What this runbook does:

* checks Python 3.12 and poetry on the node (installs them only when missing: the page says
  CentOS 9 only, ``dnf install python3.12 ...`` then ``pip3.12 install poetry ...``);
* renders ``websocket_client.conf`` from parameters (template
  ``templates/p01_websocket_client.conf.j2``) and reloads only the websocket client module;
* sets the database keys of the gateway's ``.env`` in place (other lines kept, file mode 0600);
  the password comes from an environment variable *name* and is written by apply only; plan and
  outputs show a mask. The keys it writes are compared with ``.env.sample`` so a renamed key is
  noticed;
* verifies a listener on port 9088 and a real websocket handshake from the node (``101``,
  ``Sec-WebSocket-Accept``, sub-protocol ``media``).

Operator notes: the page starts uvicorn with ``--host 0.0.0.0``, which publishes the gateway (and
its OpenAI credit) to anyone who reaches the port; Asterisk connects over 127.0.0.1, so this
runbook starts it on 127.0.0.1 and warns when the port listens on every address.
"""

from __future__ import annotations

import posixpath
from typing import Any

from mirtalib.asterisk.keyvalue import parse_keyvalue
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
    failure_lines,
    template_file,
)
from mirtalib.runbooks.common_checks import (
    file_mode_check,
    listener_check,
    version_text,
    websocket_check,
)
from mirtalib.runbooks.secretfiles import (
    is_well_known,
    keyvalue_file,
    read_masked,
    template_text,
)
from mirtalib.validate import asterisk_name, cmd, shell_join

#: .env keys the gateway reads for MySQL (compared with .env.sample by a check).
DB_KEYS = ("DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_PASSWORD")
PAGE_BIND = "0.0.0.0"  # noqa: S104 - what the page's uvicorn line uses


def _python_bin(value: str) -> str:
    if not value.startswith("python3."):
        raise ParameterError(f"python_bin={value!r}: expected python3.N (the page uses python3.12)")
    return asterisk_name(value, "python_bin")


PARAMS = (
    Param(
        "install_dir",
        "/usr/local/openaigateway",
        "folder of the gateway",
        kind="path",
    ),
    Param("python_bin", "python3.12", "interpreter the gateway runs on", check=_python_bin),
    Param("gateway_port", 9088, "TCP port of the gateway", kind="port"),
    Param(
        "bind_host",
        "127.0.0.1",
        "address uvicorn listens on (page: 0.0.0.0, which exposes it)",
        kind="host",
    ),
    Param(
        "websocket_conf",
        "/etc/asterisk/websocket_client.conf",
        "Asterisk websocket client file",
        kind="path",
    ),
    Param(
        "connection_name",
        "openaibridge",
        "section name of the connection",
        kind="asterisk_name",
    ),
    Param(
        "connection_type",
        "per_call_config",
        "per_call_config or persistent",
        choices=("per_call_config", "persistent"),
    ),
    Param(
        "ws_protocol",
        "media",
        "websocket sub-protocol the gateway expects",
        kind="asterisk_name",
    ),
    Param("db_host", "localhost", "MySQL host for the gateway", kind="host"),
    Param("db_port", 3306, "MySQL port", kind="port"),
    Param("db_name", "asterisk", "MySQL database", kind="asterisk_name"),
    Param("db_user", "asterisk", "MySQL user of the gateway", kind="asterisk_name"),
    Param(
        "db_password_env",
        "MIRTA_OPENAIGW_DB_PASSWORD",
        "NAME of the env variable holding the MySQL password",
        kind="env_var",
        secret_ref=True,
    ),
)


def _maybe_version(text: str) -> tuple[int, ...]:
    """Version in a banner; () when the program printed nothing (not installed yet)."""
    return version_text(text) if text.strip() else ()


def _poetry_expect(value: tuple[int, ...]) -> tuple[Verdict, str]:
    if not value:
        return Verdict.WARN, "poetry is not installed yet: apply installs it"
    return Verdict.PASS, "poetry " + ".".join(map(str, value))


def _python_expect(value: tuple[int, ...]) -> tuple[Verdict, str]:
    if not value:
        return Verdict.WARN, "not installed yet: apply installs it (EL9 packages)"
    shown = ".".join(map(str, value))
    if value[:2] == (3, 12):
        return Verdict.PASS, f"Python {shown}"
    if value[:2] > (3, 12):
        return Verdict.WARN, f"Python {shown}: newer than the page's 3.12, test the gateway on it"
    return Verdict.FAIL, f"Python {shown}: the gateway needs 3.12"


def _sample_keys(text: str) -> list[str]:
    return sorted(parse_keyvalue(text, dotenv=True).values)


def _sample_expect(keys: list[str]) -> tuple[Verdict, str]:
    if not keys:
        return Verdict.WARN, ".env.sample is missing or empty: check the key names by hand"
    unknown = [k for k in DB_KEYS if k not in keys]
    if unknown:
        return Verdict.WARN, f".env.sample has no {unknown}: the gateway may use other key names"
    return Verdict.PASS, f".env.sample lists {', '.join(DB_KEYS)}"


def _password_expect(value: str) -> tuple[Verdict, str]:
    if not value:
        return Verdict.PASS, "no DB_PASSWORD yet (apply writes it from the secret)"
    if is_well_known(value):
        return Verdict.WARN, (
            "DB_PASSWORD is a published default: change the MySQL account's password too, "
            "not only this file"
        )
    return Verdict.PASS, "DB_PASSWORD is set (value not shown)"


def _conf_expect(name: str, uri: str, protocol: str):
    def expect(text: str) -> tuple[Verdict, str]:
        from mirtalib.asterisk.conf import parse_conf

        found = parse_conf(text).find(name, type="websocket_client")
        if not found:
            return Verdict.FAIL, f"no [{name}] websocket_client section"
        got = (found[0].get("uri"), found[0].get("protocols"))
        if got != (uri, protocol):
            return Verdict.FAIL, f"[{name}] has uri={got[0]!r} protocols={got[1]!r}"
        return Verdict.PASS, f"[{name}] uri={uri} protocols={protocol}"

    return expect


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 01 for validated parameter values ``v``."""
    py = v["python_bin"]
    env_file = posixpath.join(v["install_dir"], ".env")
    uri = f"ws://127.0.0.1:{v['gateway_port']}"
    python_ok = cmd(py, "--version")
    poetry_ok = cmd(py, "-m", "poetry", "--version")
    start = shell_join(
        [
            "poetry",
            "run",
            "uvicorn",
            "src.main:app",
            "--host",
            v["bind_host"],
            "--port",
            str(v["gateway_port"]),
        ]
    )
    bind_note = (
        "The page binds 0.0.0.0: anyone reaching the port can use the gateway and its "
        "OpenAI credit."
        if v["bind_host"] == PAGE_BIND
        else f"Bound to {v['bind_host']} (the page uses 0.0.0.0, which publishes the gateway)."
    )
    env_mode = file_mode_check("env-mode", "The .env (database password) is private", env_file)
    return [
        Manual(
            id="centos9-only",
            title="The gateway needs CentOS/Rocky 9 (python3.12 packages)",
            phase=Phase.BEFORE,
            where="the node",
            detail="python3.12 comes from the EL9 AppStream; on CentOS 7 stop here.",
        ),
        Check(
            id="python",
            title=f"{py} is installed",
            phase=Phase.BEFORE,
            command=python_ok,
            ok_codes=(0, 127),  # 127: not installed yet
            parse=_maybe_version,
            expect=_python_expect,
        ),
        Check(
            id="poetry",
            title="poetry is installed for that Python",
            phase=Phase.BEFORE,
            command=poetry_ok,
            ok_codes=(0, 1, 127),  # 1: no module named poetry; 127: no python yet
            parse=_maybe_version,
            expect=_poetry_expect,
        ),
        Check(
            id="env-sample",
            title=".env.sample key names",
            phase=Phase.BEFORE,
            probe=lambda t: t.read_text(posixpath.join(v["install_dir"], ".env.sample")) or "",
            parse=_sample_keys,
            expect=_sample_expect,
        ),
        Check(
            id="env-password",
            title="The .env does not keep a published default password",
            phase=Phase.BEFORE,
            probe=read_masked(env_file, dotenv=True),
            parse=lambda text: parse_keyvalue(text, dotenv=True).values.get("DB_PASSWORD", ""),
            expect=_password_expect,
        ),
        Command(
            id="install-python",
            title="Install Python 3.12 (EL9 packages)",
            command=cmd("dnf", "-y", "install", py, f"{py}-pip", f"{py}-devel"),
            risk=Risk.CHANGING,
            unless=python_ok,
        ),
        Command(
            id="install-poetry",
            title="Install poetry and the gateway's runtime packages",
            command=cmd(
                py,
                "-m",
                "pip",
                "install",
                "poetry",
                "uvicorn[standard]",
                "fastapi",
                "aiohttp",
                "aiomysql",
            ),
            risk=Risk.CHANGING,
            unless=poetry_ok,
        ),
        template_file(
            "websocket-conf",
            f"Asterisk websocket client [{v['connection_name']}]",
            v["websocket_conf"],
            template_text("p01_websocket_client.conf.j2"),
            {
                "name": v["connection_name"],
                "connection_type": v["connection_type"],
                "uri": uri,
                "protocol": v["ws_protocol"],
            },
            mode=0o640,
            summary=f"[{v['connection_name']}] uri={uri} protocols={v['ws_protocol']}",
        ),
        keyvalue_file(
            "gateway-env",
            "MySQL details in the gateway's .env",
            env_file,
            {
                "DB_HOST": v["db_host"],
                "DB_PORT": str(v["db_port"]),
                "DB_NAME": v["db_name"],
                "DB_USER": v["db_user"],
            },
            {"DB_PASSWORD": v["db_password_env"]},
            dotenv=True,
            summary=f"database {v['db_user']}@{v['db_host']}:{v['db_port']}/{v['db_name']}",
        ),
        Command(
            id="env-private",
            title="Make the .env readable by its owner only",
            command=cmd("chmod", "600", env_file),
            risk=Risk.CHANGING,
            unless=env_mode,
        ),
        Command(
            id="reload-websocket",
            title="Reload Asterisk's websocket client module",
            command=cmd("asterisk", "-rx", "module reload res_websocket_client.so"),
            risk=Risk.CHANGING,
            when_changed=("websocket-conf",),
            failure=failure_lines(r"unable to", r"not found", r"no such module", r"\berror\b"),
        ),
        Manual(
            id="start-gateway",
            title="Start (or restart) the gateway",
            where=f"the node, in {v['install_dir']}",
            detail=f"`cd {v['install_dir']} && {start}`, preferably as a systemd service. "
            + bind_note,
        ),
        Check(
            id="websocket-conf-check",
            title=f"{v['websocket_conf']} carries the connection",
            probe=lambda t: t.read_text(v["websocket_conf"]) or "",
            expect=_conf_expect(v["connection_name"], uri, v["ws_protocol"]),
        ),
        env_mode,
        listener_check(
            "gateway-port",
            f"The gateway listens on {v['gateway_port']}",
            v["gateway_port"],
            loopback_only=True,
        ),
        websocket_check(
            "gateway-handshake",
            "Websocket handshake from the node",
            "127.0.0.1",
            v["gateway_port"],
            "/",
            [v["ws_protocol"]],
        ),
    ]


RUNBOOK = RunbookDef(
    page=1,
    slug="activating-openaigateway",
    title="Activating openaigateway",
    scope="node",
    roles=("pbx",),
    params=PARAMS,
    build=build,
    summary="Python 3.12/poetry, websocket_client.conf, the gateway .env, port 9088 handshake",
    verification=Verification(
        mirta_page="Open the AI / OpenAI settings page of MiRTA PBX and place a test call to a "
        "destination that uses the gateway: the bot answers.",
        asterisk_log="In /var/log/asterisk/full, the websocket client connects to "
        "ws://127.0.0.1:9088 without 'Failed to connect' or handshake errors.",
        status_menu="Status menu: the node and its services are up while the test call runs.",
    ),
)
