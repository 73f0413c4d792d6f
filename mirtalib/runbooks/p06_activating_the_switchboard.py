"""Seed page 06, *Activating the Switchboard*: Amirouter's HTTPS/websocket side for the switchboard.

The new switchboard talks to Amirouter (page 02), which needs database and TLS lines in its
``application.properties`` and a PKCS12 keystore made from the certificate with
``openssl pkcs12 -export -in fullchain.pem -inkey privkey.pem -out keystore.p12 -name tomcat``;
the switchboard URL (``pbx.yourdomain.com:8080``, SSL on) is then set in MiRTA's Admin/Settings.

What this runbook does differently from the page:

* the page's keystore password is ``tomcat`` and its database password ``asterisk``, both printed
  in the documentation. Both passwords come from environment variables *named* by the parameters;
  the keystore password is refused at apply when it is a published default or shorter than 16
  characters (the notebook can generate a strong one into the project ``.env``, never shown);
* the password reaches ``openssl`` through a root-only file (``-passout file:``), not its command
  line, which every user of the node can read in ``ps``;
* the keystore is rebuilt only when the password changed or the keystore does not open with it,
  and is written with ``umask 077``; ``application.properties`` is edited in place (other lines
  byte-identical, backed up), made private, and verified (values of secrets never shown).
"""

from __future__ import annotations

import posixpath
from typing import Any

from mirtalib.asterisk.keyvalue import parse_keyvalue
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
)
from mirtalib.runbooks.common_checks import file_mode_check, listener_check
from mirtalib.runbooks.secretfiles import is_well_known, keyvalue_file, read_masked, secret_file
from mirtalib.validate import cmd

PASSWORD_KEYS = ("spring.datasource.password", "server.ssl.key-store-password")


def _hostport(value: str) -> str:
    from mirtalib.validate import host_port

    host_port(value, "switchboard_url")
    return value


PARAMS = (
    Param(
        "properties_file",
        "/usr/local/amirouter/application.properties",
        "Amirouter's Spring Boot properties",
        kind="path",
    ),
    Param("db_host", "localhost", "MySQL host", kind="host"),
    Param("db_port", 3306, "MySQL port", kind="port"),
    Param("db_name", "asterisk", "MySQL database", kind="asterisk_name"),
    Param("db_user", "asterisk", "MySQL user", kind="asterisk_name"),
    Param(
        "db_password_env",
        "MIRTA_AMIROUTER_DB_PASSWORD",
        "NAME of the env variable with the MySQL password",
        kind="env_var",
        secret_ref=True,
    ),
    Param(
        "certs_dir",
        "/usr/local/amirouter/certs",
        "keystore folder",
        kind="path",
    ),
    Param(
        "fullchain",
        "/usr/local/amirouter/certs/fullchain.pem",
        "certificate chain (PEM)",
        kind="path",
    ),
    Param(
        "privkey",
        "/usr/local/amirouter/certs/privkey.pem",
        "private key (PEM)",
        kind="path",
    ),
    Param(
        "key_alias",
        "tomcat",
        "alias of the key in the keystore",
        kind="asterisk_name",
    ),
    Param(
        "keystore_password_env",
        "MIRTA_AMIROUTER_KEYSTORE_PASSWORD",
        "NAME of the env variable with the keystore password",
        kind="env_var",
        secret_ref=True,
    ),
    Param(
        "amirouter_port",
        8080,
        "HTTPS/websocket port of Amirouter",
        kind="port",
    ),
    Param(
        "switchboard_url",
        "pbx.example.com:8080",
        "host:port set in Admin/Settings",
        check=_hostport,
    ),
    Param(
        "generate_keystore_pw",
        False,
        "apply on real nodes: create a strong keystore password in .env if unset "
        "(the notebook does it before apply)",
    ),
)


def _live_passwords(text: str) -> dict[str, str]:
    values = parse_keyvalue(text).values
    return {k: values.get(k, "") for k in PASSWORD_KEYS}


def _defaults_expect(found: dict[str, str]) -> tuple[Verdict, str]:
    weak = [k for k, val in found.items() if val and is_well_known(val)]
    if weak:
        return Verdict.WARN, f"published default password in {', '.join(weak)}: apply replaces it"
    return Verdict.PASS, "no published default password (values not shown)"


def _wanted_expect(plain: dict[str, str]):
    def expect(text: str) -> tuple[Verdict, str]:
        values = parse_keyvalue(text).values
        wrong = [
            f"{k}={values.get(k, '<missing>')}" for k, val in plain.items() if values.get(k) != val
        ]
        weak = [k for k in PASSWORD_KEYS if not values.get(k) or is_well_known(values[k])]
        if wrong or weak:
            return Verdict.FAIL, "; ".join(
                wrong + [f"{k} missing or a published default" for k in weak]
            )
        return Verdict.PASS, f"{len(plain)} settings as wanted, both passwords set (not shown)"

    return expect


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 06 for validated parameter values ``v``."""
    props = v["properties_file"]
    keystore = posixpath.join(v["certs_dir"], "keystore.p12")
    passfile = posixpath.join(v["certs_dir"], ".keystore-pass")
    url = f"jdbc:mysql://{v['db_host']}:{v['db_port']}/{v['db_name']}?zeroDateTimeBehavior=convertToNull"
    plain = {
        "spring.datasource.database": v["db_name"],
        "spring.datasource.url": url,
        "spring.datasource.username": v["db_user"],
        "spring.shell.command.quit.enabled": "false",
        "server.ssl.enabled": "true",
        "server.ssl.key-store": keystore,
        "server.ssl.key-store-type": "PKCS12",
        "server.ssl.key-alias": v["key_alias"],
    }
    opens = cmd("openssl", "pkcs12", "-in", keystore, "-noout", "-passin", f"file:{passfile}")
    export = cmd(
        "openssl", "pkcs12", "-export", "-in", v["fullchain"], "-inkey", v["privkey"],
        "-out", keystore, "-name", v["key_alias"], "-passout", f"file:{passfile}",
    )  # fmt: skip
    private = file_mode_check("properties-private", f"{props} is private", props)
    return [
        Manual(
            id="amirouter-first",
            title="Amirouter installed and configured (page 02)",
            phase=Phase.BEFORE,
            where="runbook 02",
            detail="The switchboard talks to Amirouter: run page 02's runbook first.",
        ),
        Check(
            id="default-passwords",
            title="Published default passwords in the live properties",
            phase=Phase.BEFORE,
            probe=read_masked(props),
            parse=_live_passwords,
            expect=_defaults_expect,
        ),
        Check(
            id="certificate",
            title=f"{v['fullchain']} is a certificate",
            phase=Phase.BEFORE,
            command=cmd("openssl", "x509", "-in", v["fullchain"], "-noout", "-subject", "-enddate"),
            expect=lambda text: (Verdict.PASS, " / ".join(text.split("\n")).strip(" /")),
        ),
        Command(
            id="certs-dir",
            title=f"Create {v['certs_dir']} (owner only)",
            command=cmd("mkdir", "-p", "-m", "0700", v["certs_dir"]),
            risk=Risk.CHANGING,
            unless=cmd("test", "-d", v["certs_dir"]),
        ),
        secret_file(
            "keystore-pass",
            "Keystore password file for openssl (root only)",
            passfile,
            v["keystore_password_env"],
        ),
        Command(
            id="keystore",
            title="Build the PKCS12 keystore",
            command="umask 077 && " + export,
            risk=Risk.CHANGING,
            when_changed=("keystore-pass",),
            unless=opens,
        ),
        keyvalue_file(
            "properties",
            "Database and TLS lines of application.properties",
            props,
            plain,
            {
                "spring.datasource.password": v["db_password_env"],
                "server.ssl.key-store-password": v["keystore_password_env"],
            },
            strong=("server.ssl.key-store-password",),
            summary=f"{len(plain)} settings",
        ),
        Command(
            id="properties-chmod",
            title="Make application.properties readable by its owner only",
            command=cmd("chmod", "600", props),
            risk=Risk.CHANGING,
            unless=private,
        ),
        Manual(
            id="restart-amirouter",
            title="Restart Amirouter to load the keystore",
            where="the node",
            detail="Stop only the router (`pkill -f amirouter.jar`) and start runamirouter.sh; "
            "switchboards reconnect.",
        ),
        Manual(
            id="switchboard-url",
            title="Point the switchboard at Amirouter",
            where="MiRTA PBX Admin > Settings",
            detail=f"Switchboard URL {v['switchboard_url']} with SSL enabled.",
        ),
        Check(id="keystore-opens", title="The keystore opens with the password", command=opens),
        Check(
            id="properties-lines",
            title=f"{props} carries the lines",
            probe=read_masked(props),
            expect=_wanted_expect(plain),
        ),
        private,
        listener_check(
            "amirouter-port",
            f"Amirouter listens on {v['amirouter_port']}",
            v["amirouter_port"],
            programs=("java",),
        ),
    ]


RUNBOOK = RunbookDef(
    page=6,
    slug="activating-the-switchboard",
    title="Activating the Switchboard",
    scope="node",
    roles=("pbx",),
    params=PARAMS,
    build=build,
    summary="application.properties lines, PKCS12 keystore with a strong secret password",
    verification=Verification(
        mirta_page="Open the switchboard: it connects over https/wss to the URL of Admin/Settings "
        "and shows live extension states.",
        asterisk_log="In /var/log/asterisk/full, Amirouter's AMI session stays up while "
        "switchboards connect.",
        status_menu="Status menu: the node is up; the switchboard shows no connection error.",
    ),
)
