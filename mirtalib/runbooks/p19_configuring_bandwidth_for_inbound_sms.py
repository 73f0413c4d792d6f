"""Seed page 19, *Configuring Bandwidth for inbound SMS*: HTTP callbacks from Bandwidth to a DID.

Bandwidth calls the PBX web interface for every inbound message. In Bandwidth's *Applications*
page an application (e.g. "PBX") gets the callback URL (method GET for API v1) and is assigned
to every number that should receive SMS; the DID in MiRTA is set to *HTTP GET/POST* with the
field names Bandwidth uses. API v2 POSTs a JSON array instead, so the field names differ
(``0[message][from]``...); group messages list every recipient, which the DID collects into
``${SMSALLDESTS}`` when its *to* field is ``0[message][to][${n:0:10}]``.

The page's author notes that Bandwidth refused him a test account, so the page is no longer
maintained: the field names here come from Bandwidth's public callback documentation and are
proven on a synthetic request, not on Bandwidth itself.
"""

from __future__ import annotations

from typing import Any

from mirtalib.runbook import Manual, Phase, RunbookDef, Step
from mirtalib.runbooks.sms_pages import VERIFICATION, common_params, did_manual, sms_steps
from mirtalib.sms import provider

PARAMS = common_params(("bandwidth-v2", "bandwidth-v1"), "+12065550199", "+12065550100")


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 19 for validated parameter values ``v``."""
    prov = provider(v["provider"])
    manual = [
        Manual(
            id="api-version",
            title="Know which Bandwidth API the account uses",
            phase=Phase.BEFORE,
            where="Bandwidth dashboard",
            detail="v1 (callback GET with query fields) and v2 (JSON POST) need different "
            "DID field names; this run is set for " + prov.name,
        ),
        Manual(
            id="bandwidth-application",
            title="Bandwidth application for the PBX",
            where="Bandwidth > Applications",
            detail=f"create an application (e.g. 'PBX') "
            f"with callback method {prov.method} and the callback URL above",
        ),
        Manual(
            id="bandwidth-numbers",
            title="Assign the application to the numbers",
            where="Bandwidth > Numbers",
            detail=f"assign 'PBX' to {v['did']} and every other number that should receive SMS",
        ),
        did_manual(v["provider"]),
    ]
    return sms_steps(v, manual)


RUNBOOK = RunbookDef(
    page=19,
    slug="configuring-bandwidth-for-inbound-sms",
    title="Configuring Bandwidth for inbound SMS",
    scope="tenant",
    roles=("pbx",),
    params=PARAMS,
    build=build,
    summary="Bandwidth v1/v2 inbound SMS: callback URL, DID field names, loopback request",
    verification=VERIFICATION,
)
