"""Seed page 21, *Configuring Flowroute for inbound SMS*: Flowroute's webhook to a DID.

The page itself only carries the shared frame (scope, backup, maintenance window, test tenant
first, validate). The steps follow the Bandwidth page's method applied to Flowroute: Flowroute's
API v2 POSTs a JSON:API document for every inbound SMS/MMS to the *SMS callback* URL set in its
portal; the DID reads ``data[attributes][from]``, ``data[attributes][to]`` and
``data[attributes][body]`` (MMS media under ``included``). Flowroute writes numbers as 11 digits
without ``+``.
"""

from __future__ import annotations

from typing import Any

from mirtalib.runbook import Manual, Phase, RunbookDef, Step
from mirtalib.runbooks.sms_pages import VERIFICATION, common_params, did_manual, sms_steps

PARAMS = common_params(("flowroute",), "12065550199", "12065550100")


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 21 for validated parameter values ``v``."""
    manual = [
        Manual(
            id="test-did",
            title="Start with one DID of a test tenant",
            phase=Phase.BEFORE,
            where="MiRTA DIDs",
            detail=f"configure {v['did']} first; widen once a real SMS arrives",
        ),
        Manual(
            id="flowroute-callback",
            title="SMS callback URL at Flowroute",
            where="Flowroute portal > Preferences > API Control > Messaging",
            detail="set the SMS (and MMS) callback URL to the URL above; API v2 is needed for MMS",
        ),
        Manual(
            id="flowroute-number",
            title="Messaging enabled on the number",
            where="Flowroute portal > DIDs",
            detail=f"{v['did']} has SMS enabled",
        ),
        did_manual(v["provider"]),
    ]
    return sms_steps(v, manual)


RUNBOOK = RunbookDef(
    page=21,
    slug="configuring-flowroute-for-inbound-sms",
    title="Configuring Flowroute for inbound SMS",
    scope="tenant",
    roles=("pbx",),
    params=PARAMS,
    build=build,
    summary="Flowroute inbound SMS/MMS: callback URL, DID field names, loopback request",
    verification=VERIFICATION,
)
