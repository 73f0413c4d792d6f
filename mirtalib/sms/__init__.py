"""Inbound SMS over HTTP (seed pages 19-22): provider field mappings, inbound URL, request parsing.

A provider delivers an inbound message by calling the PBX web interface over HTTP; the DID
definition (protocol *HTTP GET/POST*) names the request fields that carry the sender, the
destination and the text. This package holds those mappings as data
(:mod:`mirtalib.sms.mapping`), builds and checks the URL to give the provider, parses a request
the way the DID would, and runs a synthetic provider request against a local endpoint
(:mod:`mirtalib.sms.endpoint`).
"""

from mirtalib.sms.endpoint import LocalEndpoint, synthetic_request, try_provider
from mirtalib.sms.mapping import (
    PROVIDERS,
    InboundSms,
    Provider,
    build_inbound_url,
    did_settings,
    extract,
    mapping_frame,
    parse_request,
    provider,
)

__all__ = [
    "PROVIDERS",
    "InboundSms",
    "LocalEndpoint",
    "Provider",
    "build_inbound_url",
    "did_settings",
    "extract",
    "mapping_frame",
    "parse_request",
    "provider",
    "synthetic_request",
    "try_provider",
]
