"""Shared pieces of the integration runbooks (pages 01, 02, 03, 05, 06).

* :func:`template_text` loads a page's jinja2 template from ``mirtalib/runbooks/templates/``
  (``pNN_name.j2``), for :func:`mirtalib.runbook.template_file`.
* :func:`keyvalue_file` is a file step over a ``KEY=value`` file (``.env``, Java
  ``application.properties``) that may carry secrets: plan shows ``<secret from $NAME>`` and never
  resolves anything; apply resolves each secret from its environment variable at the last moment
  (:func:`mirtalib.secrets.resolve_secret`, which registers it with the scrubber, so diffs, the
  journal and the notebook show ``********``).
* :func:`refuse_weak` refuses the well-known defaults the seed pages print (``tomcat``,
  ``asterisk``) and short values; a live secret that is *not* a public default is registered with
  the scrubber before any diff is made.
* :func:`ensure_generated` creates a strong secret (``secrets.token_urlsafe``) into the project
  ``.env`` (mode 0600) when the variable is not set yet: it is never printed.
* :func:`rehearsal_secrets` gives unset secrets a throw-away random value in this process only,
  when every target is a recorded replay (so the notebook's rehearsal can show apply).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import secrets as pysecrets
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from mirtalib.asterisk.keyvalue import parse_keyvalue, set_keyvalues
from mirtalib.errors import ParameterError, SecretError
from mirtalib.runbook import Phase, Risk, text_edit
from mirtalib.runbook.model import FileChange
from mirtalib.secrets import SCRUBBER, resolve_secret
from mirtalib.validate import env_var

log = logging.getLogger(__name__)

#: Values published in seed pages or vendor defaults: never acceptable as a password.
WELL_KNOWN = frozenset(
    {"tomcat", "changeit", "changeme", "password", "asterisk", "admin", "secret", "root", "mirta"}
)
MIN_LENGTH = 16


def placeholder(env: str) -> str:
    """What plan shows where a secret will go."""
    return f"<secret from ${env}>"


def template_text(name: str) -> str:
    """Source of the template ``name`` (``p01_websocket_client.conf.j2``)."""
    item = resources.files("mirtalib.runbooks") / "templates" / name
    if not item.is_file():
        raise ParameterError(f"no runbook template named {name!r}")
    return item.read_text(encoding="utf-8")


def is_well_known(value: str) -> bool:
    """True when ``value`` is a published default such as ``tomcat``."""
    return value.strip().lower() in WELL_KNOWN


def refuse_weak(value: str, env: str, what: str) -> str:
    """Return ``value`` or raise SecretError when it is a well-known default or too short."""
    if is_well_known(value):
        # a published default is public knowledge: keep it visible so findings can name it
        SCRUBBER.discard(value)
        raise SecretError(
            f"{what} from ${env} is a well-known default password: generate a strong one "
            "(ensure_generated, or `openssl rand -base64 24`) and store it in that variable"
        )
    if len(value) < MIN_LENGTH:
        raise SecretError(f"{what} from ${env} is shorter than {MIN_LENGTH} characters")
    return value


def mask_live(value: str | None) -> None:
    """Register a secret found in a live file with the scrubber (public defaults stay visible)."""
    if value and not is_well_known(value):
        SCRUBBER.add(value)


def keyvalue_file(
    id: str,
    title: str,
    path: str,
    plain: Mapping[str, str],
    secret_keys: Mapping[str, str],
    *,
    dotenv: bool = False,
    strong: Iterable[str] = (),
    mode: int = 0o600,
    risk: Risk = Risk.CHANGING,
    summary: str = "",
    phase: Phase = Phase.IMPLEMENTATION,
) -> FileChange:
    """Set ``plain`` values and secrets (key -> NAME of the env variable) in a KEY=value file.

    Args:
        strong: keys whose secret must pass :func:`refuse_weak` (checked at apply).
    """
    for env in secret_keys.values():
        env_var(env, f"{id} secret")
    must_be_strong = set(strong)

    def mask(current: str) -> None:
        live = parse_keyvalue(current, dotenv=dotenv).values
        for key in secret_keys:
            mask_live(live.get(key))

    def render(current: str) -> str:
        mask(current)
        values = dict(plain)
        for key, env in secret_keys.items():
            value = resolve_secret(env)
            assert value is not None
            values[key] = refuse_weak(value, env, key) if key in must_be_strong else value
        return set_keyvalues(current, values, dotenv=dotenv)

    def plan_render(current: str | None) -> str:
        text = current or ""
        mask(text)
        values = {**plain, **{k: placeholder(env) for k, env in secret_keys.items()}}
        return set_keyvalues(text, values, dotenv=dotenv)

    names = ", ".join(f"{k} from ${e}" for k, e in secret_keys.items())
    base = text_edit(
        id,
        title,
        path,
        render,
        mode=mode,
        risk=risk,
        phase=phase,
        summary=(summary or f"set {len(plain)} value(s) in {path}")
        + (f"; secrets set by apply ({names})" if names else ""),
    )
    return dataclasses.replace(base, plan_render=plan_render)


def ensure_generated(name: str, *, dotenv: str | Path | None = None, nbytes: int = 24) -> bool:
    """Create a strong random secret called ``name`` in the ``.env`` file when it is not set.

    The value is appended to the file (created with mode 0600), put in this process's environment
    and registered with the scrubber; it is never returned or printed.

    Returns:
        True when a new secret was generated, False when ``name`` was already set.
    """
    env_var(name, "secret name")
    if resolve_secret(name, required=False) is not None:
        return False
    path = Path(dotenv or os.environ.get("MIRTA_DOTENV", ".env"))
    value = pysecrets.token_urlsafe(nbytes)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        if path.stat().st_size and not path.read_bytes().endswith(b"\n"):
            fh.write("\n")
        fh.write(f"{name}={value}\n")
    os.environ[name] = value
    SCRUBBER.add(value)
    log.info("generated a new secret %s in %s", name, path.name)
    return True


def rehearsal_secrets(names: Iterable[str], *, is_replay: bool) -> list[str]:
    """On replay targets only: give each unset secret a random throw-away value (this process).

    Returns the names that got one (shown by the notebook; the values are masked everywhere).
    """
    if not is_replay:
        return []
    given = []
    for name in names:
        if resolve_secret(name, required=False) is None:
            value = "rehearsal-" + pysecrets.token_urlsafe(18)
            os.environ[name] = value
            SCRUBBER.add(value)
            given.append(name)
    return given


def secret_names(rb: Any) -> list[str]:
    """Names of the env variables an opened runbook's secret parameters point at."""
    return [rb.values[p.name] for p in rb.definition.params if p.secret_ref]


_SECRET_KEY = re.compile(r"pass|secret|token|api[_.-]?key", re.IGNORECASE)


def read_masked(file: str, *, dotenv: bool = False):
    """A ``Check(probe=...)`` reading a KEY=value file whose secret-looking values (keys with
    ``pass``, ``secret``, ``token``, ``api_key``) are registered with the scrubber first, so the
    recorded probe output and evidence show ``********`` (published defaults stay visible)."""

    def probe(target: Any) -> str:
        text = target.read_text(file) or ""
        for key, value in parse_keyvalue(text, dotenv=dotenv).values.items():
            if _SECRET_KEY.search(key):
                mask_live(value)
        return text

    return probe


def secret_file(
    id: str,
    title: str,
    path: str,
    secret_env: str,
    *,
    strong: bool = True,
    summary: str = "",
    phase: Phase = Phase.IMPLEMENTATION,
) -> FileChange:
    """A root-only file (mode 0600) holding one secret on one line, for ``-passin file:PATH``.

    Programs then read the secret from the file instead of their command line (which ``ps`` shows
    to every user of the node). Plan writes a placeholder; apply resolves ``secret_env``.
    """
    env_var(secret_env, f"{id} secret")

    def render(current: str) -> str:
        mask_live(current.strip())
        value = resolve_secret(secret_env) or ""
        return (refuse_weak(value, secret_env, title) if strong else value) + "\n"

    def plan_render(current: str | None) -> str:
        mask_live((current or "").strip())
        return placeholder(secret_env) + "\n"

    base = text_edit(
        id,
        title,
        path,
        render,
        mode=0o600,
        phase=phase,
        summary=summary or f"write the secret from ${secret_env} (set by apply)",
    )
    return dataclasses.replace(base, plan_render=plan_render)
