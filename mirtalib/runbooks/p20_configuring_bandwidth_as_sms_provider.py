"""Seed page 20, *Configuring Bandwidth as SMS Provider*: a redirect to the SMS/MMS provider page.

The page only redirects to *Configuring Bandwidth as SMS/MMS Provider*, whose content is not in
the seed. This runbook covers what a provider definition needs on both sides: the Bandwidth
account credentials entered in MiRTA's SMS provider (held here by env-var NAME only, never
shown), and the inbound half (callback URL, DID field names, loopback request) shared with
page 19. The credential roles follow Bandwidth's public API (v2: account id, API user and
password; v1: user id, token and secret).
"""

from __future__ import annotations

from typing import Any

from mirtalib.runbook import Manual, Phase, RunbookDef, Step
from mirtalib.runbooks.sms_pages import (
    VERIFICATION,
    common_params,
    credential_check,
    credential_params,
    did_manual,
    sms_steps,
)
from mirtalib.sms import PROVIDERS

ROLES = tuple(PROVIDERS["bandwidth-v2"].credentials)
PARAMS = (
    *common_params(("bandwidth-v2",), "+12065550199", "+12065550100"),
    *credential_params(PROVIDERS["bandwidth-v2"].credentials),
)


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 20 for validated parameter values ``v``."""
    names = ", ".join(v[f"{r}_env"] for r in ROLES)
    manual = [
        Manual(
            id="provider-definition",
            title="Bandwidth as SMS/MMS provider in MiRTA",
            where="MiRTA SMS providers",
            detail=f"type Bandwidth (API v2); paste the account "
            f"id, API user and API password from {names} (never into a notebook)",
        ),
        Manual(
            id="bandwidth-application",
            title="Messaging application with callbacks",
            phase=Phase.IMPLEMENTATION,
            where="Bandwidth > Applications",
            detail="callback URL above, method POST; assign the numbers to it",
        ),
        did_manual(v["provider"]),
    ]
    return [credential_check(v, ROLES, "Bandwidth"), *sms_steps(v, manual)]


RUNBOOK = RunbookDef(
    page=20,
    slug="configuring-bandwidth-as-sms-provider",
    title="Configuring Bandwidth as SMS Provider",
    scope="tenant",
    roles=("pbx",),
    params=PARAMS,
    build=build,
    summary="Bandwidth SMS/MMS provider: credentials by name, callback URL, loopback request",
    verification=VERIFICATION,
)
