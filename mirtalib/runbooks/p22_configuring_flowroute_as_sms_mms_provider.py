"""Seed page 22, *Configuring Flowroute as SMS/MMS Provider*: Flowroute sends and receives both.

The page shows the provider form as a screenshot only. This runbook lists what the form needs:
the Flowroute API access key and secret key (held by env-var NAME, never shown), SMS and MMS
callbacks pointing at the PBX, and the DID field names; it proves the MMS path with a synthetic
Flowroute request carrying a media URL sent to a local endpoint.
"""

from __future__ import annotations

from typing import Any

from mirtalib.runbook import Manual, RunbookDef, Step
from mirtalib.runbooks.sms_pages import (
    VERIFICATION,
    common_params,
    credential_check,
    credential_params,
    did_manual,
    sms_steps,
)
from mirtalib.sms import PROVIDERS

MMS_MEDIA = "https://cdn.flowroute.example/media/demo.jpg"  # synthetic MMS picture
ROLES = tuple(PROVIDERS["flowroute"].credentials)
PARAMS = (
    *common_params(("flowroute",), "12065550199", "12065550100"),
    *credential_params(PROVIDERS["flowroute"].credentials),
)


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 22 for validated parameter values ``v``."""
    names = ", ".join(v[f"{r}_env"] for r in ROLES)
    manual = [
        Manual(
            id="provider-definition",
            title="Flowroute as SMS/MMS provider in MiRTA",
            where="MiRTA SMS providers",
            detail=f"type Flowroute; paste the API access key "
            f"and secret key from {names} (Flowroute portal > API Control)",
        ),
        Manual(
            id="flowroute-callbacks",
            title="SMS and MMS callbacks at Flowroute",
            where="Flowroute portal > Preferences > API Control > Messaging",
            detail="SMS callback and MMS callback both set to the URL above",
        ),
        did_manual(v["provider"]),
    ]
    return [credential_check(v, ROLES, "Flowroute"), *sms_steps(v, manual, MMS_MEDIA)]


RUNBOOK = RunbookDef(
    page=22,
    slug="configuring-flowroute-as-sms-mms-provider",
    title="Configuring Flowroute as SMS/MMS Provider",
    scope="tenant",
    roles=("pbx",),
    params=PARAMS,
    build=build,
    summary="Flowroute SMS/MMS provider: credentials by name, callbacks, loopback request",
    verification=VERIFICATION,
)
