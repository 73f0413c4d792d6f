"""Shared pieces of the chan_sip runbooks (pages 10, 23, 37): host accounts, register lines,
and ``.conf`` edits that carry a secret.

* :func:`host_accounts` lists the sip.conf sections that authenticate a *host* (a fixed
  ``host=`` address, not ``dynamic``): MiRTA's inter-node accounts and static providers.
* :func:`parse_register` / :func:`register_value` read and write the value of a
  ``register => user[:secret[:authuser]]@host[:port][/extension][~expiry]`` line.
* :func:`secret_conf_edit` is :func:`mirtalib.runbook.conf_edit` for an edit that needs a secret:
  apply resolves the secret from its environment variable, plan renders a placeholder (or keeps
  the live value, masked) and never resolves it. Secret values already in the file are registered
  with the scrubber, so diffs show ``********`` instead.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

from mirtalib.asterisk.conf import ConfDocument, Section, parse_conf
from mirtalib.asterisk.conftree import effective_value, objects
from mirtalib.errors import ParseError
from mirtalib.runbook import Phase, Risk, conf_edit
from mirtalib.runbook.model import FileChange
from mirtalib.secrets import SCRUBBER, resolve_secret

SECRET_KEYS = ("secret", "md5secret", "remotesecret")
_REGISTER = re.compile(
    r"^(?:(?P<peer>[^?@:/]+)\?)?(?:(?P<transport>udp|tcp|tls)://)?"
    r"(?P<user>[^:@/]+)(?::(?P<secret>[^:@]*)(?::(?P<authuser>[^@]+))?)?"
    r"@(?P<host>[^:/~]+)(?::(?P<port>\d+))?(?:/(?P<extension>[^~]+))?(?:~(?P<expiry>\d+))?$"
)


def placeholder(env: str) -> str:
    """What plan shows where a secret will go."""
    return f"<secret from ${env}>"


@dataclasses.dataclass(frozen=True)
class Register:
    """The parts of a chan_sip ``register =>`` value (secret kept out of ``repr``)."""

    user: str
    host: str
    secret: str = dataclasses.field(default="", repr=False)
    authuser: str = ""
    port: int | None = None
    extension: str = ""
    transport: str = ""
    peer: str = ""
    expiry: int | None = None

    @property
    def key(self) -> tuple[str, str]:
        """What identifies a registration: user and host."""
        return self.user, self.host.lower()


def parse_register(value: str) -> Register:
    """Parse the value of a ``register =>`` line; ParseError when it is not one."""
    m = _REGISTER.match(value.strip())
    if not m:
        raise ParseError(f"not a register value: {value[:80]!r} (user[:secret]@host[:port])")
    g = m.groupdict()
    return Register(
        user=g["user"],
        host=g["host"],
        secret=g["secret"] or "",
        authuser=g["authuser"] or "",
        port=int(g["port"]) if g["port"] else None,
        extension=g["extension"] or "",
        transport=g["transport"] or "",
        peer=g["peer"] or "",
        expiry=int(g["expiry"]) if g["expiry"] else None,
    )


def register_value(reg: Register) -> str:
    """The ``register =>`` value for ``reg`` (the inverse of :func:`parse_register`)."""
    out = f"{reg.peer}?" if reg.peer else ""
    out += f"{reg.transport}://" if reg.transport else ""
    out += reg.user
    if reg.secret or reg.authuser:
        out += f":{reg.secret}"
        out += f":{reg.authuser}" if reg.authuser else ""
    out += f"@{reg.host}"
    out += f":{reg.port}" if reg.port else ""
    out += f"/{reg.extension}" if reg.extension else ""
    out += f"~{reg.expiry}" if reg.expiry else ""
    return out


def live_secrets(doc: ConfDocument) -> list[str]:
    """Every secret written in ``doc``: ``secret=``-like options and register-line secrets."""
    found: list[str] = []
    for section in doc.sections:
        for key, value in section.options():
            if key in SECRET_KEYS and value:
                found.append(value)
            elif key == "register":
                try:
                    secret = parse_register(value).secret
                except ParseError:
                    continue
                if secret:
                    found.append(secret)
    return found


def mask_live_secrets(doc: ConfDocument) -> None:
    """Register the secrets already in ``doc`` with the scrubber (diffs then show a mask)."""
    for value in live_secrets(doc):
        SCRUBBER.add(value)


def rehearsal_note(secret_env: str) -> str | None:
    """Why a rehearsal of an apply that needs ``secret_env`` cannot run here (None: it can).

    Only says whether the variable is set; the value is not kept.
    """
    if resolve_secret(secret_env, required=False) is None:
        return (
            f"rehearsal skipped: ${secret_env} is not set here, so apply would stop at the step "
            "that writes the secret (nothing is written without it)"
        )
    return None


def host_accounts(doc: ConfDocument) -> list[Section]:
    """sip.conf sections with a fixed ``host=`` (after templates): inter-node accounts, providers.

    ``[general]``, templates, ``(+)`` additions and ``host=dynamic`` phones are left out.
    """
    out = []
    for section in objects(doc):
        if section.name.lower() in {"general", "authentication"}:
            continue
        host = (effective_value(doc, section, "host") or "").strip().lower()
        if host and host != "dynamic":
            out.append(section)
    return out


def secret_conf_edit(
    id: str,
    title: str,
    path: str,
    edit: Callable[[ConfDocument, str], None],
    *,
    secret_env: str,
    live_value: Callable[[ConfDocument], str | None] = lambda _doc: None,
    summary: str = "",
    risk: Risk = Risk.CHANGING,
    mode: int = 0o640,
    phase: Phase = Phase.IMPLEMENTATION,
) -> FileChange:
    """A ``.conf`` edit that writes a secret taken from the environment variable ``secret_env``.

    Args:
        edit: ``(doc, secret)`` -> None, changes the parsed document.
        secret_env: NAME of the environment variable holding the secret; resolved by apply only.
        live_value: the secret the file already has for this object (plan keeps it, masked, so
            a second plan shows no change); None when the file has none.
    """
    base = conf_edit(id, title, path, lambda _doc: None, risk=risk, mode=mode, phase=phase)

    def render(current: str | None) -> str:
        doc = parse_conf(current or "")
        mask_live_secrets(doc)
        edit(doc, resolve_secret(secret_env))
        return doc.render()

    def plan_render(current: str | None) -> str:
        doc = parse_conf(current or "")
        mask_live_secrets(doc)
        edit(doc, live_value(doc) or placeholder(secret_env))
        return doc.render()

    return dataclasses.replace(
        base,
        render=render,
        plan_render=plan_render,
        summary=(summary or f"edit {path}") + f" (secret from ${secret_env}, set by apply)",
    )


__all__ = [
    "Register",
    "host_accounts",
    "live_secrets",
    "mask_live_secrets",
    "parse_register",
    "placeholder",
    "register_value",
    "rehearsal_note",
    "secret_conf_edit",
]
