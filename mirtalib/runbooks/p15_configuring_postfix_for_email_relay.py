"""Seed page 15, *Configuring postfix for email relay*: send the PBX's mail through a smart host.

The page installs postfix and the Cyrus SASL plain mechanism, adds relay lines to ``main.cf``,
writes ``sasl_passwd`` with ``host:587 username:password`` and runs ``postmap``. Its text has
gaps and unsafe bits that this runbook fixes:

* ``relayhost = :587`` lacks the host; it is written ``[host]:587`` (brackets: no MX lookup), and
  the ``sasl_passwd`` key is the very same string, otherwise Postfix finds no credentials;
* ``smtp_use_tls = yes`` is obsolete; ``smtp_tls_security_level = encrypt`` *requires* TLS, so
  the password is never sent in clear (``may`` would fall back to plain text);
* ``smtp_sasl_security_options =`` (empty) allows anonymous logins; ``noanonymous`` is set;
* the password never appears in a parameter: ``relay_password_env`` is the NAME of an
  environment variable; plan and every output show ``<secret from $NAME>``, apply resolves it at
  the last moment; ``sasl_passwd`` and the ``.db`` made by ``postmap`` are mode 0600, and
  rollback removes the ``.db`` with a ``sasl_passwd`` apply created (it holds the credentials
  too) or rebuilds it from the restored one (:func:`table_undo`);
* ``postfix check`` runs after the change and ``postfix reload`` (graceful) only when a file
  changed; ``cyrus-sasl-gssapi`` from the page is not needed for a password login.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from mirtalib.asterisk.postfix import parse_postconf, set_main_cf
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
    info,
    mapping_equals,
    template_file,
    text_edit,
)
from mirtalib.runbooks.secretfiles import mask_live, placeholder, template_text
from mirtalib.secrets import resolve_secret
from mirtalib.validate import cmd

PACKAGES = {
    "yum": ("postfix", "cyrus-sasl", "cyrus-sasl-plain"),
    "dnf": ("postfix", "cyrus-sasl", "cyrus-sasl-plain"),
    "apt-get": ("postfix", "libsasl2-modules"),
}
QUERY = {"yum": ("rpm", "-q"), "dnf": ("rpm", "-q"), "apt-get": ("dpkg", "-s")}


def _user(value: str) -> str:
    if not value or any(c.isspace() or c == ":" for c in value):
        from mirtalib.errors import ParameterError

        raise ParameterError(
            f"relay_user={value!r} must be one word without ':' (the relay account name)"
        )
    return value


PARAMS = (
    Param("relay_host", "smtp.example.net", "the provider's smart host", kind="hostname"),
    Param("relay_port", 587, "submission port with STARTTLS", kind="port"),
    Param("relay_user", "pbx-relay@example.net", "account on the smart host", check=_user),
    Param(
        "relay_password_env",
        "MIRTA_SMTP_RELAY_PASSWORD",
        "noqa: S105 - NAME of the env variable",
        kind="env_var",
        secret_ref=True,
    ),
    Param(
        "tls_level", "encrypt", "smtp_tls_security_level", choices=("encrypt", "verify", "secure")
    ),
    Param(
        "config_dir",
        "/etc/postfix",
        "postfix configuration folder",
        kind="path",
    ),
    Param(
        "map_type",
        "hash",
        ("postmap table type (hash on CentOS/Debian; lmdb on newer Fedora)"),
        choices=("hash", "lmdb", "btree"),
    ),
    Param("package_tool", "yum", "yum, dnf or apt-get", choices=tuple(PACKAGES)),
    Param("reload", True, "reload postfix after a change (False: write and check only)"),
)


def relayhost(v: dict[str, Any]) -> str:
    """The ``relayhost`` value (and the ``sasl_passwd`` key): ``[host]:port``."""
    return f"[{v['relay_host']}]:{v['relay_port']}"


def main_cf_values(v: dict[str, Any]) -> dict[str, str]:
    """The main.cf lines the runbook sets."""
    return {
        "relayhost": relayhost(v),
        "smtp_tls_security_level": v["tls_level"],
        "smtp_sasl_auth_enable": "yes",
        "smtp_sasl_password_maps": f"{v['map_type']}:{v['config_dir']}/sasl_passwd",
        "smtp_sasl_security_options": "noanonymous",
        "smtp_sasl_tls_security_options": "noanonymous",
    }


def _sasl_step(v: dict[str, Any]) -> Any:
    sasl = f"{v['config_dir']}/sasl_passwd"
    env = v["relay_password_env"]
    context = {
        "relayhost": relayhost(v),
        "user": v["relay_user"],
        "map_type": v["map_type"],
        "path": sasl,
    }
    shown = template_file(
        "sasl-passwd",
        f"Write {sasl} (the password only at apply)",
        sasl,
        template_text("p15_sasl_passwd.j2"),
        {**context, "password": placeholder(v["relay_password_env"])},
        mode=0o600,
        summary=f"credentials for {relayhost(v)}; password from ${env} at apply",
    )
    source = template_text("p15_sasl_passwd.j2")

    def render(current: str | None) -> str:
        mask_passwords(current)
        secret = resolve_secret(env) or ""
        real = template_file("x", "x", sasl, source, {**context, "password": secret})
        return real.render(None)

    def plan_render(current: str | None) -> str:
        mask_passwords(current)
        return shown.render(current)

    return dataclasses.replace(shown, render=render, plan_render=plan_render)


def mask_passwords(text: str | None) -> None:
    """Register the passwords of a live sasl_passwd with the scrubber (before any diff shows it)."""
    for line in (text or "").splitlines():
        parts = line.split(None, 1)
        if len(parts) == 2 and not line.lstrip().startswith("#") and ":" in parts[1]:
            mask_live(parts[1].split(":", 1)[1].strip())


def _mode_probe(file: str):
    def probe(target: Any) -> str:
        st = target.stat(file)
        return "missing" if st is None else f"{st.mode & 0o777:04o}"

    return probe


def _private(value: str) -> tuple[Verdict, str]:
    if value == "missing":
        return Verdict.FAIL, "the file does not exist"
    if int(value, 8) & 0o077:
        return Verdict.FAIL, f"mode {value}: readable by others, chmod 0600"
    return Verdict.PASS, f"mode {value}"


def _octal(text: str) -> str:
    return f"{int(text.strip(), 8):04o}" if text.strip() else "missing"


def _check_output(text: str) -> str:
    return text.strip()


def _clean(value: str) -> tuple[Verdict, str]:
    if value:
        return Verdict.FAIL, f"postfix check reports: {value.splitlines()[0][:200]}"
    return Verdict.PASS, "postfix check reports nothing"


def table_file(v: dict[str, Any]) -> str:
    """The lookup table ``postmap`` builds from ``sasl_passwd`` (it holds the credentials too)."""
    sasl = f"{v['config_dir']}/sasl_passwd"
    return f"{sasl}.lmdb" if v["map_type"] == "lmdb" else f"{sasl}.db"


def table_undo(v: dict[str, Any]) -> str:
    """Rollback of ``postmap``, run after the files are restored: the table follows the file.

    When apply created ``sasl_passwd`` (rollback removes it), the table is removed too: it holds
    the same credentials. When ``sasl_passwd`` existed before (rollback restores it), the table
    is rebuilt from it and kept private.
    """
    d, sasl, db = v["config_dir"], f"{v['config_dir']}/sasl_passwd", table_file(v)
    rebuild = cmd("postmap", "-c", d, f"{v['map_type']}:{sasl}") + " && " + cmd("chmod", "0600", db)
    return f"if {cmd('test', '-e', sasl)}; then {rebuild}; else {cmd('rm', '-f', db)}; fi"


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 15 for validated parameter values ``v``."""
    d, tool = v["config_dir"], v["package_tool"]
    main_cf, sasl = f"{d}/main.cf", f"{d}/sasl_passwd"
    db = table_file(v)
    wanted = main_cf_values(v)
    installed = cmd(*QUERY[tool], *PACKAGES[tool])
    install = (
        cmd(tool, "-y", "install", *PACKAGES[tool])
        if tool != "apt-get"
        else cmd("apt-get", "install", "-y", *PACKAGES[tool])
    )
    return [
        Manual(
            id="relay-account",
            title="Get a relay account and store its password",
            phase=Phase.BEFORE,
            where="the mail provider; this machine's environment or .env",
            detail=f"Put the password in ${v['relay_password_env']} (never in a parameter). "
            f"The smart host must accept {v['relay_user']} on port {v['relay_port']} "
            "with STARTTLS.",
        ),
        Check(
            id="relay-before",
            title="Current relay settings",
            phase=Phase.BEFORE,
            command=cmd("postconf", "-c", d, *wanted),
            parse=parse_postconf,
            expect=info("now"),
        ),
        _sasl_step(v),  # first: a missing secret stops apply before any change
        Command(
            id="packages",
            title="Install postfix and the SASL plain mechanism",
            command=install,
            risk=Risk.CHANGING,
            unless=installed,
        ),
        text_edit(
            "main-cf",
            f"Set the relay lines in {main_cf}",
            main_cf,
            lambda text: set_main_cf(text, wanted),
            summary="relayhost " + wanted["relayhost"] + ", SASL on, TLS " + v["tls_level"],
        ),
        Command(
            id="postmap",
            title=f"Build the lookup table of {sasl}",
            command=cmd("postmap", "-c", d, f"{v['map_type']}:{sasl}"),
            risk=Risk.CHANGING,
            when_changed=("sasl-passwd",),
            undo=table_undo(v),
        ),
        Command(
            id="db-mode",
            title="Keep the table private too",
            command=cmd("chmod", "0600", db),
            risk=Risk.CHANGING,
            when_changed=("sasl-passwd",),
        ),
        Command(
            id="postfix-check",
            title="Postfix's own configuration check",
            command=cmd("postfix", "-c", d, "check"),
            risk=Risk.READ_ONLY,
            when_changed=("main-cf", "sasl-passwd"),
            failure=failure_lines(r"\bwarning\b", r"\bfatal\b", r"\berror\b"),
        ),
        *(
            [
                Command(
                    id="postfix-reload",
                    title="Reload postfix (queued mail is kept)",
                    command=cmd("postfix", "-c", d, "reload"),
                    undo=cmd("postfix", "-c", d, "reload"),
                    risk=Risk.SERVICE_AFFECTING,
                    when_changed=("main-cf", "sasl-passwd"),
                )
            ]
            if v["reload"]
            else []
        ),
        Check(
            id="relay-settings",
            title="Postfix runs with the relay settings",
            command=cmd("postconf", "-c", d, *wanted),
            parse=parse_postconf,
            expect=mapping_equals(wanted, "postconf"),
        ),
        Check(id="sasl-mode", title=f"{sasl} is private", probe=_mode_probe(sasl), expect=_private),
        Check(
            id="table-mode",
            title=f"{db} is private",
            command=cmd("stat", "-c", "%a", db),
            ok_codes=(0, 1),
            parse=_octal,
            expect=_private,
        ),
        Check(
            id="postfix-clean",
            title="postfix check is clean",
            command=cmd("postfix", "-c", d, "check"),
            parse=_check_output,
            expect=_clean,
        ),
        Manual(
            id="test-mail",
            title="Send a test mail",
            phase=Phase.VERIFICATION,
            where="the node's shell and mail log",
            detail="Send a voicemail-to-mail or `sendmail -t` test; the mail log "
            "(/var/log/maillog) shows `relay=" + v["relay_host"] + "` and `status=sent (250`.",
        ),
    ]


RUNBOOK = RunbookDef(
    page=15,
    slug="configuring-postfix-for-email-relay",
    title="Configuring postfix for email relay",
    scope="node",
    roles=("pbx",),
    params=PARAMS,
    build=build,
    summary="postfix relay lines, SASL credentials by reference, postmap, postfix check",
    verification=Verification(
        mirta_page="Trigger a mail from MiRTA (voicemail to e-mail, a report): it arrives.",
        asterisk_log="In /var/log/asterisk/full, no errors from the voicemail mailer; "
        "in /var/log/maillog, `status=sent` through the relay.",
        status_menu="Status menu: the node is up; the mail queue (`mailq`) is empty.",
    ),
)
